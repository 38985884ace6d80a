"""Copy selected rows of the training data into contiguous batch buffers.

Dense ``X`` is a C-contiguous 2-D array. Sparse ``X`` arrives as the three CSR arrays
``(data, indices, indptr)`` with ``is_sparse`` true (``X`` is then an empty
placeholder); only one batch at a time is ever densified.
"""

from skdeep._kernels._jit import kernel


@kernel
def gather_rows(X, data, indices, indptr, is_sparse, rows, out):
    """Write ``X[rows]`` densely into ``out`` of shape (len(rows), n_features)."""
    n, d = out.shape
    if is_sparse:
        for r in range(n):
            for j in range(d):
                out[r, j] = 0.0
            row = rows[r]
            for p in range(indptr[row], indptr[row + 1]):
                out[r, indices[p]] = data[p]
    else:
        for r in range(n):
            row = rows[r]
            for j in range(d):
                out[r, j] = X[row, j]


@kernel
def gather_targets(Y, sw, rows, Y_out, sw_out):
    """Write ``Y[rows]`` into ``Y_out`` and ``sw[rows]`` into ``sw_out``."""
    n, k = Y_out.shape
    for r in range(n):
        row = rows[r]
        for j in range(k):
            Y_out[r, j] = Y[row, j]
        sw_out[r] = sw[row]
