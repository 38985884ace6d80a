"""Training and prediction data in the form the kernels read.

Every array handed to a kernel is a read-only, C-contiguous view: Numba compiles one
specialization per array type, and a writeable array is another type than a
read-only one, so making every input read-only (a view, never a copy) keeps one
compiled variant whatever flags the caller's arrays have.
"""

import numpy as np
import scipy.sparse as sp

from skdeep._kernels.structs import Rows


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only, C-contiguous, 1-D view of ``a`` (a copy only when ``a`` is not
    C-contiguous)."""
    view = np.ascontiguousarray(a).reshape(-1).view()
    view.flags.writeable = False
    return view


#: Read-only empty arrays, by dtype: what a Rows holds for absent data.
_EMPTY = {np.dtype(t): _frozen(np.empty(0, dtype=t))
          for t in (np.float32, np.float64, np.int64)}  # fmt: skip


def kernel_rows(X, Y=None, sample_weight=None, lengths=None) -> Rows:
    """The samples of a validated float32/float64 dense array or sparse matrix ``X``
    (with their targets ``Y``, weights and sequence lengths, if any) as kernels
    read them.

    Sparse input is kept as CSR, never densified as a whole.
    """
    dtype = X.dtype
    empty = _EMPTY.get(dtype)
    if empty is None:
        empty = _frozen(np.empty(0, dtype=dtype))
    no_index = _EMPTY[np.dtype(np.int64)]
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        X.sort_indices()
        dense, data = empty, _frozen(X.data)
        indices = _frozen(X.indices.astype(np.int64, copy=False))
        indptr = _frozen(X.indptr.astype(np.int64, copy=False))
    else:
        dense, data, indices, indptr = _frozen(X), empty, no_index, no_index
    return Rows(
        X=dense,
        data=data,
        indices=indices,
        indptr=indptr,
        Y=empty if Y is None else _frozen(np.asarray(Y, dtype=dtype)),
        sample_weight=(
            empty
            if sample_weight is None
            else _frozen(np.asarray(sample_weight, dtype))
        ),
        lengths=(
            no_index if lengths is None else _frozen(np.asarray(lengths, np.int64))
        ),
    )
