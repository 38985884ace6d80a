"""Matrix products on flat buffers, through the BLAS that NumPy and SciPy use.

``gemm`` is the one matrix product of the engine and ``dot`` its one inner product:
they call ``numba_xxgemm`` and ``numba_xxdot``, the entry points of Numba's own
helper library that ``np.dot`` calls inside kernels (they forward to SciPy's
``cython_blas``). Calling ``sgemm``/``dgemm`` directly on flat, row-major buffers
with transpose flags gives one compiled function per dtype for every product of the
engine (``X W``, ``X^T delta``, ``delta W^T``), where ``np.dot``
compiles one generic implementation per combination of array layouts, and it lets
kernels multiply blocks of larger buffers without reshaping them.

Row-major ``C = op(A) op(B)`` is column-major ``C^T = op(B)^T op(A)^T``, so the
operands are handed to the Fortran routine swapped.

BLAS threads: the products run on the calling thread only when the BLAS library is
limited to one thread (see :mod:`skdeep.utils.threads`); kernels that call ``gemm``
inside ``prange`` loops rely on that.
"""

import numpy as np
from numba import types
from numba.np.linalg import ensure_blas

from skdeep._kernels._jit import kernel

ensure_blas()  # loads scipy.linalg.cython_blas, which numba_xxgemm resolves

_xxgemm = types.ExternalFunction(
    "numba_xxgemm",
    types.intc(
        types.char,  # kind: 's' or 'd'
        types.char,  # transa
        types.char,  # transb
        types.intp,  # m
        types.intp,  # n
        types.intp,  # k
        types.voidptr,  # alpha
        types.voidptr,  # a
        types.intp,  # lda
        types.voidptr,  # b
        types.intp,  # ldb
        types.voidptr,  # beta
        types.voidptr,  # c
        types.intp,  # ldc
    ),
)

_xxdot = types.ExternalFunction(
    "numba_xxdot",
    types.intc(
        types.char,  # kind: 's' or 'd'
        types.char,  # conjugate
        types.intp,  # n
        types.voidptr,  # dx
        types.voidptr,  # dy
        types.voidptr,  # result
    ),
)

_NO = 78  # ord("N")
_YES = 84  # ord("T")


@kernel
def gemm(trans_a, trans_b, m, n, k, alpha, A, B, beta, C):
    """``C = alpha op(A) op(B) + beta C`` for row-major blocks of flat buffers.

    ``C`` holds an ``(m, n)`` matrix in its first ``m * n`` values; ``A`` holds
    ``op(A)``'s ``(m, k)`` matrix as ``(m, k)`` values, or as its ``(k, m)``
    transpose when ``trans_a``; likewise ``B`` holds ``(k, n)`` or, when
    ``trans_b``, ``(n, k)``. All three are C-contiguous 1-D arrays of one dtype
    (float32 or float64), each at least as long as its matrix.

    With ``beta = 0``, ``C`` is overwritten (it may hold anything, even NaN).
    """
    if m == 0 or n == 0:
        return
    scalars = np.empty(2, dtype=C.dtype)
    scalars[0] = alpha
    scalars[1] = beta
    kind = 100 if C.itemsize == 8 else 115  # 'd' or 's'
    lda = max(1, m if trans_a else k)
    ldb = max(1, k if trans_b else n)
    _xxgemm(
        kind,
        _YES if trans_b else _NO,
        _YES if trans_a else _NO,
        n,
        m,
        k,
        scalars.ctypes,
        B.ctypes,
        ldb,
        A.ctypes,
        lda,
        scalars[1:].ctypes,
        C.ctypes,
        n,
    )


@kernel
def gemm_strided(trans_a, trans_b, m, n, k, scalars, A, lda, B, ldb, C, ldc):
    """``C = alpha op(A) op(B) + beta C`` on row-major matrices with leading
    dimensions: row ``i`` of a matrix stored in ``A`` starts at ``A[i * lda]``
    (likewise ``B``, ``C``), so a matrix may be a block of columns of a wider
    one. ``(alpha, beta)`` are ``scalars[0], scalars[1]``, an array of ``C``'s
    dtype allocated by the caller (a loop of products allocates nothing).
    Otherwise as :func:`gemm`."""
    if m == 0 or n == 0:
        return
    kind = 100 if C.itemsize == 8 else 115  # 'd' or 's'
    _xxgemm(
        kind,
        _YES if trans_b else _NO,
        _YES if trans_a else _NO,
        n,
        m,
        k,
        scalars.ctypes,
        B.ctypes,
        max(1, ldb),
        A.ctypes,
        max(1, lda),
        scalars[1:].ctypes,
        C.ctypes,
        max(1, ldc),
    )


@kernel
def dot(x, y, n):
    """``sum_i x[i] y[i]`` over the first ``n`` values (BLAS ``sdot``/``ddot``, as
    ``np.dot`` of two vectors computes it), in the arrays' dtype."""
    result = np.zeros(1, dtype=x.dtype)
    if n > 0:
        _xxdot(100 if x.itemsize == 8 else 115, 0, n, x.ctypes, y.ctypes,
               result.ctypes)  # fmt: skip
    return result[0]
