"""Fully connected layer, forward next to backward.

Forward:  ``Z = X W + b``, with ``X`` (n, n_in), ``W`` (n_in, n_out), ``b`` (n_out,).
Backward, given the upstream gradient ``delta = dL/dZ`` (n, n_out):
``dW = X^T delta``, ``db = sum over rows of delta``, ``dX = delta W^T``.
Matrix products go through ``np.dot`` with an output array, which calls BLAS.
"""

import numpy as np

from skdeep._kernels._jit import kernel


@kernel
def dense_forward(X, W, b, Z):
    """Write ``Z = X @ W + b``."""
    np.dot(X, W, Z)
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@kernel
def dense_backward(X, W, delta, dW, db, dX, need_dX):
    """Write ``dW = X^T delta``, ``db = delta.sum(0)`` and, if ``need_dX``,
    ``dX = delta @ W^T``."""
    np.dot(X.T, delta, dW)
    n, m = delta.shape
    for j in range(m):
        db[j] = 0.0
    for i in range(n):
        for j in range(m):
            db[j] += delta[i, j]
    if need_dX:
        np.dot(delta, W.T, dX)
