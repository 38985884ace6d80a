"""Copy selected samples of the data into the contiguous batch buffers.

Dense ``X`` is row-major and flat; sparse ``X`` arrives as the three CSR arrays
(``Rows.data, indices, indptr``), of which only one batch at a time is densified.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import ALL_STEPS


@kernel
def gather(rows, order, start, n, d, k, work):
    """Write samples ``order[start : start + n]`` of ``rows`` into the batch
    buffers: ``n * d`` inputs into ``work.x`` and, when ``rows`` has them, ``n * k``
    targets into ``work.y``; their weights into ``work.sample_weight`` (1 when
    ``rows`` has none) and, when ``work`` has room for them (networks with
    recurrent rows), their sequence lengths into ``work.lengths``
    (``ALL_STEPS`` when ``rows`` has none)."""
    sparse = rows.indptr.shape[0] > 0
    x = work.x
    for r in range(n):
        row = order[start + r]
        if sparse:
            for j in range(r * d, (r + 1) * d):
                x[j] = 0.0
            for p in range(rows.indptr[row], rows.indptr[row + 1]):
                x[r * d + rows.indices[p]] = rows.data[p]
        else:
            src = rows.X[row * d : (row + 1) * d]
            dst = x[r * d : (r + 1) * d]
            for j in range(d):
                dst[j] = src[j]
    if rows.Y.shape[0] > 0:
        for r in range(n):
            row = order[start + r]
            for j in range(k):
                work.y[r * k + j] = rows.Y[row * k + j]
    weighted = rows.sample_weight.shape[0] > 0
    for r in range(n):
        work.sample_weight[r] = (
            rows.sample_weight[order[start + r]] if weighted else 1.0
        )
    if work.lengths.shape[0] > 0:
        known = rows.lengths.shape[0] > 0
        for r in range(n):
            work.lengths[r] = rows.lengths[order[start + r]] if known else ALL_STEPS
