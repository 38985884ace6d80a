"""Epoch runners: the compiled passes of one model over its training data.

A runner holds what its kernels need for a fit (the data as kernel rows, the work
buffers allocated once for the largest batch, the random stream of dropout and
noise) and offers the training loop three operations:

* ``epoch(order, params, state, solver)``: one compiled epoch of mini-batch updates
  over the samples ``order``; returns ``(loss_total, n_done, finite)``;
* ``loss_and_gradient(order, params, state, grad)``: the full-batch objective and
  its gradient (L-BFGS);
* ``outputs_usable(order, params, state)``: whether the model's outputs on those
  samples are finite with a margin (see :data:`OUTPUT_LIMIT_EXPONENT`);
* ``full_batch_statistics(order, params, state)``: after L-BFGS, set batch
  normalization's running statistics to those of the training set.

Batch normalization: an epoch moves the running statistics in ``state`` (in
place) after every batch; a full-batch evaluation leaves them. A network that
normalizes single values per channel (dense layers) cannot train on a batch of one
sample: an epoch whose last batch would hold one sample leaves that sample out
(it is another one at the next shuffle).

:class:`NetworkRunner` trains any network on targets (MLPs, CNNs) or on its own
inputs (the denoising, sparse and variational autoencoders, whose noise, sparsity
and KL terms are layers of the network); :class:`AdversarialRunner` adds the
adversarial autoencoder's discriminator and its two extra steps per batch.
"""

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.adversarial import adversarial_epoch
from skdeep._kernels.blas import PARALLEL_MACS
from skdeep._kernels.structs import Adversary, Norm
from skdeep._kernels.training import loss_gradient, train_epoch
from skdeep.network.inference import network_output

#: Outputs are usable when finite and below ``finfo(dtype).max ** 0.5`` in size, so
#: that even their squares (a squared error) stay finite: an output of 2e37 in
#: float32 is finite but no more usable than an infinite one.
OUTPUT_LIMIT_EXPONENT = 0.5


def outputs_limit(dtype) -> float:
    """The largest usable output magnitude in ``dtype``."""
    return float(np.finfo(dtype).max) ** OUTPUT_LIMIT_EXPONENT


class NetworkRunner:
    """Compiled passes of one network.

    Parameters
    ----------
    network : Network
        The network to train.
    rows : Rows
        The training data (and targets, unless the objective reconstructs).
    objective : Objective
        Loss, L2 penalty and whether the targets are the inputs.
    capacity : int
        The largest batch (or full-batch chunk).
    rng_state : ndarray of shape (1,), uint64
        The random stream of dropout and noise, advanced in place.
    checked_rows : tuple of slice
        Table rows whose outputs must be usable besides the network's (an
        autoencoder's encoder).
    """

    def __init__(self, network, rows, objective, capacity, rng_state,
                 checked_rows=()):  # fmt: skip
        self.network = network
        self.rows = rows
        self.objective = objective
        self.rng_state = rng_state
        self.checked_rows = checked_rows
        self._capacity = capacity
        self._buffers = {}

    @property
    def thread_cap(self) -> int | None:
        """1 when the network's parallel loops are too small, at its batch size,
        to pay for a second thread (every convolution and dense product of a
        batch below :data:`~skdeep._kernels.blas.PARALLEL_MACS` multiply-adds, no
        recurrent row): a parallel loop of a few microseconds costs more to start
        and join than it saves (the digits CNN of ``benchmarks/bench_cnn.py``
        trained in 0.16 s at 2 threads against 0.09 s at 1). None otherwise."""
        return 1 if _small_parallel_loops(self.network, self._capacity) else None

    def _work(self, dtype, chunks: bool):
        """Work buffers, gradient and family arguments, allocated once per fit."""
        key = (np.dtype(dtype), chunks)
        if key not in self._buffers:
            network = self.network
            # Epochs move batch normalization's running statistics, full-batch
            # evaluations (L-BFGS) leave them.
            running = codes.RUNNING_KEEP if chunks else codes.RUNNING_AVERAGE
            self._buffers[key] = (
                network.work(self._capacity, dtype, grad_part=chunks),
                np.empty(network.n_params, dtype=dtype),
                network.family_arguments(self._capacity, dtype, running=running),
            )
        return self._buffers[key]

    def _trimmed(self, order):
        """``order`` without its last sample when that sample would be a batch of
        its own in a network that cannot normalize a batch of one."""
        n = order.shape[0]
        if self.network.min_batch > 1 and n > 1 and n % self._capacity == 1:
            return order[:-1]
        return order

    def epoch(self, order, params, state, solver):
        work, grad, families = self._work(params.dtype, False)
        order = self._trimmed(order)
        return train_epoch(
            self.rows, order, self.network.arrays(params, state), grad,
            self.objective, solver, work, self.rng_state, *families,
        )  # fmt: skip

    def loss_and_gradient(self, order, params, state, grad) -> float:
        work, _, families = self._work(params.dtype, True)
        return loss_gradient(
            self.rows, order, self.network.arrays(params, state), grad,
            self.objective, work, self.rng_state, *families,
        )  # fmt: skip

    def full_batch_statistics(self, order, params, state) -> None:
        """Set the running statistics of batch normalization in ``state`` to the
        mean and unbiased variance of the samples ``order`` at ``params`` (one
        full-batch pass; nothing for networks without batch normalization)."""
        if "norm" not in self.network.families:
            return
        work, grad, (spatial, coding, _, recurrent) = self._work(params.dtype, True)
        loss_gradient(
            self.rows, order, self.network.arrays(params, state), grad,
            self.objective, work, self.rng_state, spatial, coding,
            Norm(codes.RUNNING_SET), recurrent,
        )  # fmt: skip

    def outputs_usable(self, order, params, state) -> bool:
        # Chunk by chunk, so that checking never holds all outputs at once.
        limit = outputs_limit(params.dtype)
        step = self.network.predict_capacity()
        for start in range(0, order.shape[0], step):
            chunk = order[start : start + step]
            out, losses = network_output(
                self.network, params, state, self.rows, chunk, objective=self.objective
            )
            if not (np.isfinite(losses).all() and _within(out, limit)):
                return False
            for rows in self.checked_rows:
                out, _ = network_output(
                    self.network, params, state, self.rows, chunk, layers=rows
                )
                if not _within(out, limit):
                    return False
        return True


class AdversarialRunner(NetworkRunner):
    """Compiled epochs of an adversarial autoencoder.

    The parameter vector is ``[autoencoder | discriminator]``; ``critic`` is the
    discriminator's network and ``n_encoder_rows`` the encoder's table rows. Each
    epoch appends its mean ``(discriminator_loss, generator_loss)`` to
    ``adversarial_curve``. There is no full-batch objective (the three steps
    pursue different objectives), so L-BFGS does not apply.
    """

    def __init__(self, network, critic, n_encoder_rows, rows, objective, capacity,
                 rng_state, adversarial_curve, checked_rows=()):  # fmt: skip
        super().__init__(network, rows, objective, capacity, rng_state, checked_rows)
        self.critic = critic
        self.n_encoder_rows = n_encoder_rows
        self.adversarial_curve = adversarial_curve
        self._totals = np.zeros(2, dtype=np.float64)

    def epoch(self, order, params, state, solver):
        work, _, _ = self._work(params.dtype, False)
        key = ("critic", params.dtype)
        if key not in self._buffers:
            self._buffers[key] = (
                self.critic.work(self._capacity, params.dtype, grad_part=True),
                np.empty(self.network.n_params + self.critic.n_params, params.dtype),
            )
        critic_work, all_grad = self._buffers[key]
        n_net = self.network.n_params
        self._totals[:] = 0.0
        adversary = Adversary(
            self.critic.arrays(params[n_net:], state[:0]),
            critic_work,
            self.n_encoder_rows,
            self._totals,
        )
        norm = self.network.family_arguments(
            self._capacity, params.dtype, running=codes.RUNNING_AVERAGE
        )[2]
        order = self._trimmed(order)
        result = adversarial_epoch(
            self.rows, order, self.network.arrays(params[:n_net], state), adversary,
            all_grad, self.objective, solver, work, self.rng_state, norm,
        )  # fmt: skip
        if result[2]:
            n = max(order.shape[0], 1)
            self.adversarial_curve.append(
                (float(self._totals[0] / n), float(self._totals[1] / n))
            )
        return result

    def outputs_usable(self, order, params, state) -> bool:
        return super().outputs_usable(order, params[: self.network.n_params], state)


def _small_parallel_loops(network, batch: int) -> bool:
    """Whether every parallel loop of a training batch of ``batch`` samples
    through ``network`` has fewer than ``PARALLEL_MACS`` multiply-adds."""
    for layer in network.rows:
        kind = layer.spec.kind
        if kind in (codes.CONV2D, codes.DENSE):
            macs = (
                batch
                * layer.n_weights
                * (int(np.prod(layer.output_shape[1:])) if kind == codes.CONV2D else 1)
            )
            if macs >= PARALLEL_MACS:
                return False
        elif kind == codes.RECURRENT:
            return False
    return True


def _within(out, limit) -> bool:
    return bool(
        np.isfinite(out).all() and (out.size == 0 or np.abs(out).max() <= limit)
    )
