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

Every core for large products: a product of at least :data:`PARALLEL_MACS`
multiply-adds is split into blocks of output rows (or columns, when the output has
more of them), each one single-threaded BLAS call, run in Numba's ``prange``. The
blocks depend on the product's sizes only (:func:`block_size`), never on the number
of threads, and no block splits the reduction, so ``C`` has the same bits for any
number of threads (the same calls run, on one thread or several); small products
stay one call, where a parallel loop would cost more than it saves.

BLAS threads: the products run on the calling thread only when the BLAS library is
limited to one thread (see :mod:`skdeep.utils.threads`); the parallel blocks and
kernels that call ``gemm`` inside ``prange`` loops rely on that (a multithreaded
BLAS inside ``prange`` oversubscribes the cores).
"""

import numpy as np
from numba import prange, types
from numba.np.linalg import ensure_blas

from skdeep._kernels._jit import jit, kernel

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


#: Products of at least this many multiply-adds run as parallel blocks (about
#: 80 us on one core; below, a parallel loop costs more than it saves).
PARALLEL_MACS = 1 << 22

#: Multiply-adds per parallel block: every block costs a BLAS call and packs one
#: operand again (two blocks run 5-10% slower than one call on one thread, eight
#: 15-40%, measured on the MLP products), so blocks are few and large.
BLOCK_MACS = 1 << 24

#: Most parallel blocks per product.
MAX_BLOCKS = 16


@kernel
def gemm(trans_a, trans_b, m, n, k, alpha, A, B, beta, C):
    """``C = alpha op(A) op(B) + beta C`` for row-major blocks of flat buffers.

    ``C`` holds an ``(m, n)`` matrix in its first ``m * n`` values; ``A`` holds
    ``op(A)``'s ``(m, k)`` matrix as ``(m, k)`` values, or as its ``(k, m)``
    transpose when ``trans_a``; likewise ``B`` holds ``(k, n)`` or, when
    ``trans_b``, ``(n, k)``. All three are C-contiguous 1-D arrays of one dtype
    (float32 or float64), each at least as long as its matrix.

    With ``beta = 0``, ``C`` is overwritten (it may hold anything, even NaN).
    Products of at least :data:`PARALLEL_MACS` multiply-adds run as parallel
    blocks (see the module docstring).
    """
    if m == 0 or n == 0:
        return
    scalars = np.empty(2, dtype=C.dtype)
    scalars[0] = alpha
    scalars[1] = beta
    lda = max(1, m if trans_a else k)
    ldb = max(1, k if trans_b else n)
    if block_size(m, n, k) < max(m, n):
        _gemm_blocks(trans_a, trans_b, m, n, k, scalars, A, lda, B, ldb, C)
    else:
        _call(trans_a, trans_b, m, n, k, scalars, A, lda, B, ldb, C, max(1, n))


@kernel
def block_size(m, n, k):
    """Output rows (``m >= n``) or columns per parallel block of an ``(m, n)``
    product over ``k``: at least 2 blocks from :data:`PARALLEL_MACS`
    multiply-adds on, one per :data:`BLOCK_MACS`, at most :data:`MAX_BLOCKS`,
    multiples of 16 (whole cache lines). A function of the sizes alone, never
    of the number of threads, so the products and their bits are the same for
    any number of threads. ``max(m, n)`` or more: one call, no blocks."""
    dim = max(m, n)
    macs = m * n * k
    if macs < PARALLEL_MACS or dim < 32:
        return dim
    count = min(MAX_BLOCKS, max(2, macs // BLOCK_MACS))
    per = -(-dim // count)
    return -(-per // 16) * 16


@jit(parallel=True, error_model="numpy")
def _gemm_blocks(trans_a, trans_b, m, n, k, scalars, A, lda, B, ldb, C):
    """:func:`gemm` as independent products over blocks of ``C``'s rows (when
    ``m >= n``) or columns (:func:`block_size`), run in ``prange``: each element
    of ``C`` comes from one single-threaded BLAS call whose shape depends on the
    sizes only."""
    rows = m >= n
    dim = m if rows else n
    block = block_size(m, n, k)
    n_blocks = -(-dim // block)
    for t in prange(n_blocks):
        lo = t * block
        size = min(block, dim - lo)
        if rows:
            # Rows lo: of op(A): rows of A, or columns of A^T (leading dim m).
            a_off = lo if trans_a else lo * k
            _call(trans_a, trans_b, size, n, k, scalars, A[a_off:], lda, B, ldb,
                  C[lo * n :], n)  # fmt: skip
        else:
            # Columns lo: of op(B) and of C (leading dimension n).
            b_off = lo * k if trans_b else lo
            _call(trans_a, trans_b, m, size, k, scalars, A, lda, B[b_off:], ldb,
                  C[lo:], n)  # fmt: skip


@kernel
def _call(trans_a, trans_b, m, n, k, scalars, A, lda, B, ldb, C, ldc):
    """One BLAS ``xgemm`` call on row-major operands (swapped for Fortran)."""
    _xxgemm(
        100 if C.itemsize == 8 else 115,  # 'd' or 's'
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
        ldc,
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
