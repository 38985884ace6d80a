"""Prediction and scoring: the forward pass over any number of samples, in chunks."""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.batches import gather
from skdeep._kernels.codes import COL_N_IN, COL_N_OUT
from skdeep._kernels.coding import add_row_penalties
from skdeep._kernels.losses import row_loss
from skdeep._kernels.network import forward


@kernel
def forward_rows(rows, order, net, objective, out, losses, work, spatial, coding,
                 norm, recurrent):  # fmt: skip
    """Prediction-mode forward pass of the samples ``order``, ``capacity`` at a
    time.

    Writes the outputs (``n_outputs`` values per sample, row-major) into ``out``
    unless it is empty, and, unless ``losses`` is empty, each sample's
    unweighted loss against its target (its input, for an objective that
    reconstructs) plus its layers' per-sample penalties (a variational
    autoencoder's KL divergence) into ``losses``. Memory beyond ``rows`` and the
    outputs is that of ``work``, whatever the number of samples.
    """
    table = net.table
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    capacity = work.sample_weight.shape[0]
    rng = np.zeros(1, dtype=np.uint64)  # prediction draws nothing
    for start in range(0, order.shape[0], capacity):
        n = min(capacity, order.shape[0] - start)
        gather(rows, order, start, n, d, k, work)
        x = work.x[: n * d]
        P, _ = forward(x, net, work, n, False, rng, spatial, coding, norm, recurrent)
        if out.shape[0] > 0:
            for i in range(n * k):
                out[start * k + i] = P[i]
        if losses.shape[0] > 0:
            Y = work.x if objective.reconstruct else work.y
            for i in range(n):
                losses[start + i] = row_loss(Y, P, i, k, objective.loss)
            if coding is not None:
                add_row_penalties(net, work, n, losses[start : start + n])
