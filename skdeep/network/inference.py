"""Forward passes of a fitted network, for predict and for validation scores."""

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.inference import predict_forward
from skdeep.training.data import KernelInput

#: Rows per chunk at predict time; bounds the memory of a prediction.
PREDICT_CHUNK = 4096


def network_output(layout, params, data: KernelInput, rows=None):
    """Output activations of ``layout``'s network for ``rows`` of ``data`` (default:
    all rows), with parameters ``params``.

    Returns an array of shape ``(len(rows), n_outputs)`` in the parameters' dtype.
    Layouts with convolution layers get their forward-only scratch and may bound
    the chunk further (``layout.predict_chunk``).
    """
    table = layout.table()
    if rows is None:
        rows = np.arange(data.n_rows, dtype=np.int64)
    out = np.empty((rows.shape[0], table[-1, codes.COL_N_OUT]), dtype=params.dtype)
    chunk = getattr(layout, "predict_chunk", PREDICT_CHUNK)
    scratch = layout.conv_scratch(0, params.dtype)
    extra = () if scratch is None else (scratch,)
    if rows.shape[0]:
        predict_forward(
            *data.arrays(),
            rows,
            params,
            table,
            layout.total_units,
            layout.aux_units,
            chunk,
            out,
            *extra,
        )
    return out
