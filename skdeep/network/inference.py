"""Forward passes of a fitted network: predictions, codes, per-sample losses."""

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.inference import forward_rows
from skdeep._kernels.structs import Objective


def count_rows(rows, n_inputs: int) -> int:
    """Number of samples in the kernel ``rows`` (of ``n_inputs`` values each)."""
    if rows.indptr.shape[0]:
        return rows.indptr.shape[0] - 1
    return rows.X.shape[0] // max(1, n_inputs)


def network_output(network, params, state, rows, order=None, *, layers=slice(None),
                   objective=None, outputs=True):  # fmt: skip
    """Run the prediction-mode forward pass of ``network`` (or of its table rows
    ``layers``, e.g. an autoencoder's encoder) over the samples ``order`` of
    ``rows`` (default: all of them, in order).

    Returns ``(outputs, losses)``: the outputs, shape ``(n, n_outputs)`` in the
    parameters' dtype (None unless ``outputs``), and, when an ``objective`` is
    given, each sample's unweighted loss against its target plus its per-sample
    penalties, shape ``(n,)`` (else None). Memory is bounded by the network's
    prediction chunk whatever the number of samples; every buffer is local to the
    call, so concurrent calls on one model are safe.
    """
    table = network.table[layers]
    if order is None:
        order = np.arange(count_rows(rows, int(table[0, codes.COL_N_IN])))
    n = order.shape[0]
    dtype = params.dtype
    out = np.empty((n if outputs else 0, int(table[-1, codes.COL_N_OUT])), dtype)
    losses = np.empty(n if objective is not None else 0, dtype=np.float64)
    if n:
        capacity = min(network.predict_capacity(layers), n)
        forward_rows(
            rows,
            order.astype(np.int64, copy=False),
            network.arrays(params, state, layers),
            objective if objective is not None else Objective(0, 0.0, False),
            out.reshape(-1),
            losses,
            network.work(capacity, dtype, rows=layers, backward=False),
            *network.family_arguments(capacity, dtype, backward=False),
        )
    return (out if outputs else None), (losses if objective is not None else None)
