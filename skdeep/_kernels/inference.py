"""Prediction: the forward pass over any number of rows, in bounded chunks."""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.batches import gather_rows
from skdeep._kernels.codes import COL_N_IN, COL_N_OUT
from skdeep._kernels.network import forward


@kernel
def predict_forward(X, data, indices, indptr, is_sparse, rows, params, table,
                    total_units, aux_units, chunk, out,
                    conv_scratch=None):  # fmt: skip
    """Write the network's output for the rows ``rows`` of ``X`` into ``out``.

    Rows are processed ``chunk`` at a time, so memory beyond ``X`` and ``out`` is
    ``chunk * (n_features + total_units + aux_units)`` values whatever the number of
    rows. All
    buffers are local, so concurrent calls on one model are safe (a network with
    convolution or pooling layers also takes ``conv_scratch``, which the caller
    allocates per call; its ``parts`` may be empty, see
    :mod:`skdeep._kernels.spatial`).
    """
    n_total = out.shape[0]
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    capacity = min(chunk, n_total)
    xbuf = np.empty(capacity * d, dtype=out.dtype)
    acts = np.empty(capacity * total_units, dtype=out.dtype)
    aux = np.empty(capacity * aux_units, dtype=out.dtype)
    aux_int = np.empty(capacity * aux_units, dtype=np.int64)
    no_rates = np.zeros(table.shape[0], dtype=np.float64)
    no_rng = np.zeros(1, dtype=np.uint64)
    for start in range(0, n_total, capacity):
        stop = min(start + capacity, n_total)
        n = stop - start
        xb = xbuf[: n * d].reshape((n, d))
        gather_rows(X, data, indices, indptr, is_sparse, rows[start:stop], xb)
        P = forward(xb, params, table, capacity, acts, no_rates, False, no_rng, None,
                    None, aux, aux_int, conv_scratch)  # fmt: skip
        for i in range(n):
            for j in range(k):
                out[start + i, j] = P[i, j]
