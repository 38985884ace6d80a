"""Fully connected layer, forward next to backward.

Forward:  ``Z = X W + b``, with ``X`` (n, n_in), ``W`` (n_in, n_out), ``b`` (n_out,).
Backward, given the upstream gradient ``delta = dL/dZ`` (n, n_out):
``dW = X^T delta``, ``db = sum over rows of delta``, ``dX = delta W^T``.
All matrices are row-major blocks of flat buffers; products go through
:func:`skdeep._kernels.blas.gemm`.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.blas import gemm


@kernel
def dense_forward(X, W, b, Z, n, n_in, n_out):
    """Write ``Z = X @ W + b`` (the product first, then the bias, as NumPy and
    scikit-learn compute it)."""
    gemm(False, False, n, n_out, n_in, 1.0, X, W, 0.0, Z)
    for i in range(n):
        row = Z[i * n_out : (i + 1) * n_out]
        for j in range(n_out):
            row[j] += b[j]


@kernel
def dense_backward(X, W, delta, dW, db, dX, n, n_in, n_out, need_dX):
    """Write ``dW = X^T delta``, ``db = delta.sum(0)`` and, if ``need_dX``,
    ``dX = delta @ W^T``."""
    gemm(True, False, n_in, n_out, n, 1.0, X, delta, 0.0, dW)
    for j in range(n_out):
        db[j] = 0.0
    for i in range(n):
        row = delta[i * n_out : (i + 1) * n_out]
        for j in range(n_out):
            db[j] += row[j]
    if need_dX:
        gemm(False, True, n, n_in, n_out, 1.0, delta, W, 0.0, dX)
