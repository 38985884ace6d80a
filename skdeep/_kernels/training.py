"""The compiled parts of training: one epoch of mini-batch updates, and the full-batch
loss and gradient that L-BFGS asks for.

Everything a mini-batch needs (gather, forward, loss, backward, penalty, update) runs
inside :func:`train_epoch`; Python is only entered between epochs. The batch
objective is scikit-learn's::

    loss = (sum_i w_i l_i + penalties) / sum_i w_i + alpha ||W||^2 / (2 sum_i w_i)

where ``penalties`` are the layers' own terms (an autoencoder's sparsity or KL
term) and ``||W||^2`` sums the squared weights (not the biases) of every row. With
``objective.clip_norm > 0`` each mini-batch's gradient of this objective is clipped
to that norm before the update (:func:`~skdeep._kernels.optimizers.clip_gradient_norm`).
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.batches import gather
from skdeep._kernels.codes import COL_ACTIVATION, COL_N_IN, COL_N_OUT
from skdeep._kernels.losses import loss_sum, output_delta
from skdeep._kernels.network import (
    all_finite,
    backward,
    block,
    finish_gradient,
    forward,
    squared_weight_norm,
)
from skdeep._kernels.optimizers import apply_update, clip_gradient_norm


@kernel
def batch_gradient(net, grad, objective, work, n, rng, spatial, coding, norm,
                   recurrent):  # fmt: skip
    """Forward (training mode) and backward pass of the gathered batch of ``n``
    samples: write the raw gradient into ``grad`` and return
    ``(sum_i w_i l_i + penalties, sum_i w_i)``."""
    table = net.table
    last = table.shape[0] - 1
    k = table[last, COL_N_OUT]
    capacity = work.sample_weight.shape[0]
    x = work.x[: n * table[0, COL_N_IN]]
    P, penalty = forward(x, net, work, n, True, rng, spatial, coding, norm, recurrent)
    Y = work.x if objective.reconstruct else work.y
    sw = work.sample_weight
    sw_sum = 0.0
    for i in range(n):
        sw_sum += sw[i]
    raw = loss_sum(Y, P, sw, n, k, objective.loss) + penalty
    output_delta(Y, P, sw, n, k, objective.loss, table[last, COL_ACTIVATION],
                 block(work.deltas, table, last, n, capacity))  # fmt: skip
    backward(x, net, grad, work, n, x[:0], spatial, coding, norm, recurrent)
    return raw, sw_sum


@kernel
def train_epoch(rows, order, net, grad, objective, solver, work, rng, spatial,
                coding, norm, recurrent):  # fmt: skip
    """Run one epoch over the samples ``order`` in batches of ``capacity``.

    Each batch: gather, forward (with dropout and noise), loss, backward, L2
    gradient ``alpha W / sum_i w_i``, clipping of the gradient's norm (when
    ``objective.clip_norm > 0``) and one update of ``solver``.

    Returns ``(loss_total, n_done, finite)``: the sum over batches of
    ``batch_loss * batch_size`` (scikit-learn's accumulation), the number of
    samples processed, and false if a loss or a parameter became non-finite, in
    which case the epoch stopped at that batch and the caller must restore the
    parameters.
    """
    table = net.table
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    capacity = work.sample_weight.shape[0]
    n_total = order.shape[0]
    total = 0.0
    for start in range(0, n_total, capacity):
        n = min(capacity, n_total - start)
        gather(rows, order, start, n, d, k, work)
        raw, sw_sum = batch_gradient(net, grad, objective, work, n, rng, spatial,
                                     coding, norm, recurrent)  # fmt: skip
        batch_loss = raw / sw_sum
        batch_loss += 0.5 * objective.alpha * squared_weight_norm(net) / sw_sum
        if not np.isfinite(batch_loss):
            return total, start, False
        finish_gradient(grad, net, objective.alpha, sw_sum)
        if objective.clip_norm > 0.0:
            clip_gradient_norm(grad, objective.clip_norm)
        apply_update(net.params, grad, solver)
        total += batch_loss * n
    return total, n_total, all_finite(net.params)


@kernel
def loss_gradient(rows, order, net, grad, objective, work, rng, spatial, coding,
                  norm, recurrent):  # fmt: skip
    """Loss and gradient over all the samples ``order``, in chunks of ``capacity``
    (the random state ``rng`` feeds the noise of the autoencoders' layers; the
    caller passes the same state for every evaluation to keep the objective
    deterministic).

    Returns the batch objective of the whole set and writes its gradient into
    ``grad`` (chunks are summed through ``work.grad_part``).
    """
    table = net.table
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    capacity = work.sample_weight.shape[0]
    part = work.grad_part
    total = 0.0
    sw_sum = 0.0
    for start in range(0, order.shape[0], capacity):
        n = min(capacity, order.shape[0] - start)
        gather(rows, order, start, n, d, k, work)
        target = grad if start == 0 else part
        raw, chunk_sw = batch_gradient(net, target, objective, work, n, rng, spatial,
                                       coding, norm, recurrent)  # fmt: skip
        total += raw
        sw_sum += chunk_sw
        if start > 0:
            for i in range(grad.shape[0]):
                grad[i] += part[i]
    finish_gradient(grad, net, objective.alpha, sw_sum)
    return total / sw_sum + 0.5 * objective.alpha * squared_weight_norm(net) / sw_sum
