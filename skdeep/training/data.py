"""Training and prediction inputs in the form the kernels take."""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class KernelInput:
    """A validated 2-D input, dense or CSR, as the arrays kernels receive.

    Dense input is a C-contiguous array and the CSR arrays are empty; sparse input is
    kept as CSR (never densified as a whole) and ``dense`` is an empty placeholder.
    """

    dense: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    is_sparse: bool
    n_rows: int

    @classmethod
    def from_validated(cls, X) -> "KernelInput":
        """Wrap an already validated float32/float64 dense array or sparse matrix."""
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            X.sort_indices()
            empty = np.empty((0, X.shape[1]), dtype=X.dtype)
            return cls(
                empty,
                np.ascontiguousarray(X.data),
                X.indices.astype(np.int64, copy=False),
                X.indptr.astype(np.int64, copy=False),
                True,
                X.shape[0],
            )
        X = np.ascontiguousarray(X)
        none_int = np.empty(0, dtype=np.int64)
        return cls(X, np.empty(0, dtype=X.dtype), none_int, none_int, False, X.shape[0])

    @property
    def dtype(self):
        """Floating dtype of the values."""
        return self.dense.dtype

    def arrays(self) -> tuple:
        """``(dense, data, indices, indptr, is_sparse)`` for a kernel call."""
        return self.dense, self.data, self.indices, self.indptr, self.is_sparse
