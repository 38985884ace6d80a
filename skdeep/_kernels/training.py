"""The compiled parts of training: one epoch of mini-batch updates, and the full-batch
loss and gradient that L-BFGS asks for.

Everything a mini-batch needs (gather, forward, loss, backward, penalty, update) runs
inside :func:`train_epoch`; Python is only entered between epochs.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.batches import gather_rows, gather_targets
from skdeep._kernels.codes import COL_N_IN, COL_N_OUT
from skdeep._kernels.losses import loss_sum
from skdeep._kernels.network import (
    all_finite,
    backward,
    finish_gradient,
    forward,
    squared_weight_norm,
)
from skdeep._kernels.optimizers import apply_update


@kernel
def train_epoch(
    X, data, indices, indptr, is_sparse, Y, sw, order, batch_size,
    params, grad, table, rates, alpha, loss_code,
    solver, hyper, step, state1, state2, rng,
    xbuf, ybuf, swbuf, acts, deltas, masks, dropped, aux, aux_int,
    conv_scratch=None,
):  # fmt: skip
    """Run one epoch over the rows ``order`` in batches of ``batch_size``.

    Each batch: forward (with dropout), batch loss
    ``sum_i w_i l_i / sum_i w_i + alpha ||W||^2 / (2 sum_i w_i)``, backward, L2
    gradient ``alpha W / sum_i w_i``, and one update of rule ``solver``.

    Returns ``(loss_total, n_done, finite)``: the sum over batches of
    ``batch_loss * batch_rows`` (scikit-learn's accumulation), the number of rows
    processed, and false if a loss or a parameter became non-finite, in which case
    the epoch stopped at that batch and ``params`` must be restored by the caller.
    Networks with convolution or pooling layers need ``conv_scratch`` (see
    :mod:`skdeep._kernels.spatial`).
    """
    n_total = order.shape[0]
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    total = 0.0
    for start in range(0, n_total, batch_size):
        stop = min(start + batch_size, n_total)
        n = stop - start
        rows = order[start:stop]
        xb = xbuf[: n * d].reshape((n, d))
        yb = ybuf[: n * k].reshape((n, k))
        swb = swbuf[:n]
        gather_rows(X, data, indices, indptr, is_sparse, rows, xb)
        gather_targets(Y, sw, rows, yb, swb)
        P = forward(xb, params, table, batch_size, acts, rates, True, rng, masks,
                    dropped, aux, aux_int, conv_scratch)  # fmt: skip
        sw_sum = 0.0
        for i in range(n):
            sw_sum += swb[i]
        batch_loss = loss_sum(yb, P, swb, loss_code) / sw_sum
        batch_loss += 0.5 * alpha * squared_weight_norm(params, table) / sw_sum
        if not np.isfinite(batch_loss):
            return total, start, False
        backward(xb, yb, swb, params, grad, table, batch_size, acts, deltas, rates,
                 masks, dropped, aux, aux_int, conv_scratch)  # fmt: skip
        finish_gradient(grad, params, table, alpha, sw_sum)
        apply_update(params, grad, state1, state2, step, solver, hyper)
        total += batch_loss * n
    return total, n_total, all_finite(params)


@kernel
def full_loss_and_gradient(
    X, data, indices, indptr, is_sparse, Y, sw, chunk,
    params, grad, chunk_grad, table, alpha, loss_code,
    xbuf, ybuf, swbuf, acts, deltas, aux, aux_int, conv_scratch=None,
):  # fmt: skip
    """Loss and gradient over all rows, in chunks of ``chunk`` rows (no dropout).

    Returns ``sum_i w_i l_i / sum_i w_i + alpha ||W||^2 / (2 sum_i w_i)`` and writes
    its gradient with respect to ``params`` into ``grad``.
    """
    n_total = Y.shape[0]
    d = table[0, COL_N_IN]
    k = table[table.shape[0] - 1, COL_N_OUT]
    no_rates = np.zeros(table.shape[0], dtype=np.float64)
    no_rng = np.zeros(1, dtype=np.uint64)
    grad[:] = 0.0
    total = 0.0
    sw_sum = 0.0
    rows = np.arange(n_total)
    for start in range(0, n_total, chunk):
        stop = min(start + chunk, n_total)
        n = stop - start
        xb = xbuf[: n * d].reshape((n, d))
        yb = ybuf[: n * k].reshape((n, k))
        swb = swbuf[:n]
        gather_rows(X, data, indices, indptr, is_sparse, rows[start:stop], xb)
        gather_targets(Y, sw, rows[start:stop], yb, swb)
        P = forward(xb, params, table, chunk, acts, no_rates, False, no_rng, None,
                    None, aux, aux_int, conv_scratch)  # fmt: skip
        for i in range(n):
            sw_sum += swb[i]
        total += loss_sum(yb, P, swb, loss_code)
        backward(xb, yb, swb, params, chunk_grad, table, chunk, acts, deltas,
                 no_rates, None, None, aux, aux_int, conv_scratch)  # fmt: skip
        grad += chunk_grad
    finish_gradient(grad, params, table, alpha, sw_sum)
    return total / sw_sum + 0.5 * alpha * squared_weight_norm(params, table) / sw_sum
