"""One epoch of the adversarial autoencoder (Makhzani et al. 2015), one compiled call.

The autoencoder is one network (encoder rows, then decoder rows); its first
``n_encoder_rows`` rows are the encoder ``f``. The discriminator ``D`` is a second
network from codes to a probability. Per batch, three steps, each with its own
optimizer state:

1. reconstruction: encoder and decoder, the autoencoder's batch objective;
2. discriminator: ``sum_i -log D(z_i) - log(1 - D(f(x_i)))`` with ``z_i ~ N(0, I)``
   (binary cross-entropy against 1 for prior draws, 0 for codes);
3. generator: the encoder, ``sum_i -log D(f(x_i))`` (non-saturating), without L2.

Batch normalization (the ``norm`` family) may be in the autoencoder; the
discriminator is dense. The reconstruction step moves the running statistics as
``norm`` says; the encoder's two further passes of a batch normalize with the
batch's statistics too but leave the running ones alone (one update per batch).

The parameter vector is ``[autoencoder | discriminator]`` and the solver's state
``[autoencoder | discriminator | autoencoder]``, the last block for the generator
step; ``solver.step`` has one counter per step. The generator step updates the
whole autoencoder block with a gradient that is zero outside the encoder, which
leaves the decoder exactly unchanged for every update rule (its state stays zero).
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.activations import activation_backward
from skdeep._kernels.batches import gather
from skdeep._kernels.codes import (
    BINARY_CROSSENTROPY,
    COL_ACTIVATION,
    COL_N_IN,
    COL_N_OUT,
    RUNNING_KEEP,
)
from skdeep._kernels.losses import loss_sum, output_delta
from skdeep._kernels.network import (
    all_finite,
    backward,
    block,
    finish_gradient,
    forward,
    squared_weight_norm,
)
from skdeep._kernels.optimizers import apply_update
from skdeep._kernels.sampling import fill_normal
from skdeep._kernels.structs import NetworkArrays, Norm, Solver
from skdeep._kernels.training import batch_gradient


@kernel
def _solver_block(solver, start, stop, counter):
    """The update rule with the state of parameters ``start:stop`` and counter
    ``counter``."""
    state2 = solver.state2[start:stop] if solver.state2.shape[0] else solver.state2
    return Solver(solver.code, solver.hyper, solver.step[counter : counter + 1],
                  solver.state1[start:stop], state2)  # fmt: skip


@kernel
def _encode(x, encoder, work, n, rng, norm):
    """The encoder's training-mode forward pass, without moving the running
    statistics of its batch-normalization rows."""
    if norm is not None:
        return forward(x, encoder, work, n, True, rng, None, None,
                       Norm(RUNNING_KEEP), None)  # fmt: skip
    return forward(x, encoder, work, n, True, rng, None, None, None, None)


@kernel
def _critic_pass(z, target, critic, grad, critic_work, n, d_input, rng):
    """Raw binary cross-entropy of ``D(z)`` against ``target`` (1 or 0 for every
    sample), its gradient with respect to the discriminator into ``grad`` and,
    unless ``d_input`` is empty, with respect to ``z`` into ``d_input``."""
    last = critic.table.shape[0] - 1
    capacity = critic_work.sample_weight.shape[0]
    Y = critic_work.y
    sw = critic_work.sample_weight
    for i in range(n):
        Y[i] = target
        sw[i] = 1.0
    P, _ = forward(z, critic, critic_work, n, False, rng, None, None, None, None)
    raw = loss_sum(Y, P, sw, n, 1, BINARY_CROSSENTROPY)
    top = block(critic_work.deltas, critic.table, last, n, capacity)
    output_delta(Y, P, sw, n, 1, BINARY_CROSSENTROPY,
                 critic.table[last, COL_ACTIVATION], top)  # fmt: skip
    backward(z, critic, grad, critic_work, n, d_input, None, None, None, None)
    return raw


@kernel
def adversarial_epoch(rows, order, net, adversary, grad, objective, solver, work,
                      rng, norm):  # fmt: skip
    """Run one epoch of the adversarial autoencoder over the samples ``order``.

    ``net`` and ``adversary.critic`` read their parameters from views of one
    vector whose gradient is ``grad`` (``[autoencoder | discriminator]``). Returns
    ``(loss_total, n_done, finite)`` for the reconstruction objective, like
    :func:`~skdeep._kernels.training.train_epoch`, and adds the epoch's
    discriminator and generator totals (sums of raw batch losses, the
    discriminator's with its L2 term) to ``adversary.totals[0]`` and ``[1]``.
    """
    critic = adversary.critic
    critic_work = adversary.work
    n_encoder_rows = adversary.n_encoder_rows
    totals = adversary.totals
    table = net.table
    d = table[0, COL_N_IN]
    capacity = work.sample_weight.shape[0]
    n_net = net.params.shape[0]
    n_all = n_net + critic.params.shape[0]
    encoder = NetworkArrays(table[:n_encoder_rows], net.values[:n_encoder_rows],
                            net.params, net.state)  # fmt: skip
    code_row = n_encoder_rows - 1
    c = table[code_row, COL_N_OUT]
    net_grad = grad[:n_net]
    critic_grad = grad[n_net:]
    part = critic_work.grad_part
    no_input = work.x[:0]
    total = 0.0
    for start in range(0, order.shape[0], capacity):
        n = min(capacity, order.shape[0] - start)
        gather(rows, order, start, n, d, d, work)
        x = work.x[: n * d]
        # 1. Reconstruction step on the encoder and decoder.
        raw, sw_sum = batch_gradient(net, net_grad, objective, work, n, rng, None,
                                     None, norm, None)  # fmt: skip
        batch_loss = raw / sw_sum
        batch_loss += 0.5 * objective.alpha * squared_weight_norm(net) / sw_sum
        if not np.isfinite(batch_loss):
            return total, start, False
        finish_gradient(net_grad, net, objective.alpha, sw_sum)
        apply_update(net.params, net_grad, _solver_block(solver, 0, n_net, 0))
        total += batch_loss * n
        # 2. Discriminator step: prior draws are real, codes are fake.
        z_prior = critic_work.x[: n * c]
        fill_normal(rng, z_prior, n * c)
        raw = _critic_pass(z_prior, 1.0, critic, critic_grad, critic_work, n,
                           no_input, rng)  # fmt: skip
        codes, _ = _encode(x, encoder, work, n, rng, norm)
        raw += _critic_pass(codes, 0.0, critic, part, critic_work, n, no_input, rng)
        for i in range(critic_grad.shape[0]):
            critic_grad[i] += part[i]
        totals[0] += raw + 0.5 * objective.alpha * squared_weight_norm(critic)
        finish_gradient(critic_grad, critic, objective.alpha, n)
        apply_update(critic.params, critic_grad, _solver_block(solver, n_net, n_all, 1))
        # 3. Generator step: the encoder learns to make codes D takes for prior.
        codes, _ = _encode(x, encoder, work, n, rng, norm)
        d_codes = block(work.deltas, table, code_row, n, capacity)
        totals[1] += _critic_pass(codes, 1.0, critic, part, critic_work, n, d_codes,
                                  rng)  # fmt: skip
        activation_backward(codes, d_codes, n * c, table[code_row, COL_ACTIVATION])
        for i in range(n_net):
            net_grad[i] = 0.0
        backward(x, encoder, net_grad, work, n, no_input, None, None, norm, None)
        finish_gradient(net_grad, encoder, 0.0, n)
        apply_update(net.params, net_grad,
                     _solver_block(solver, n_all, n_all + n_net, 2))  # fmt: skip
    return total, order.shape[0], all_finite(net.params) and all_finite(critic.params)
