"""Drive the network kernels directly from tests: one forward or backward pass, or
the full-batch loss and gradient, of any :class:`~skdeep.network.network.Network`
on a small batch, in float64 unless the arrays say otherwise."""

import numpy as np

from skdeep._kernels.network import backward, block, forward
from skdeep._kernels.structs import Objective
from skdeep._kernels.training import loss_gradient
from skdeep.network.inputs import kernel_rows


def loss_and_grad(network, params, X, Y, sw, alpha, loss, *, chunk=None,
                  state=None, rng=None, reconstruct=False,
                  lengths=None, kept=None):  # fmt: skip
    """``(objective, gradient)`` over all rows of ``X`` in chunks of ``chunk``
    (default: one chunk), as L-BFGS gets them (``lengths``: the rows' sequence
    lengths, for recurrent networks; ``kept``: the convolutions' buffer of
    im2col matrices in place of the network's own)."""
    n = X.shape[0]
    capacity = n if chunk is None else chunk
    state = np.zeros(network.n_state, params.dtype) if state is None else state
    rng = np.array([12345], dtype=np.uint64) if rng is None else rng.copy()
    grad = np.empty_like(params)
    families = network.family_arguments(capacity, params.dtype)
    if kept is not None:
        families = (families[0]._replace(kept=kept), *families[1:])
    value = loss_gradient(
        kernel_rows(X, None if reconstruct else Y, sw, lengths),
        np.arange(n, dtype=np.int64),
        network.arrays(params, state),
        grad,
        Objective(int(loss), float(alpha), bool(reconstruct)),
        network.work(capacity, params.dtype, grad_part=True),
        rng,
        *families,
    )
    return value, grad


class Batch:
    """One batch held in work buffers, to run ``forward`` and ``backward`` on."""

    def __init__(self, network, X, params, state=None):
        self.network = network
        self.n = X.shape[0]
        self.params = params
        self.state = np.zeros(network.n_state, params.dtype) if state is None else state
        self.work = network.work(self.n, params.dtype)
        self.families = network.family_arguments(self.n, params.dtype)
        self.work.x[: X.size] = X.ravel()

    @property
    def x(self):
        return self.work.x[: self.n * self.network.n_inputs]

    def forward(self, params=None, training=False, rng=None):
        """The output block ``(n, n_outputs)`` (a copy) and the layers' penalty."""
        rng = np.zeros(1, np.uint64) if rng is None else rng
        arrays = self.network.arrays(self.params if params is None else params,
                                     self.state)  # fmt: skip
        out, penalty = forward(self.x, arrays, self.work, self.n, training, rng,
                               *self.families)  # fmt: skip
        return out.reshape(self.n, -1).copy(), penalty

    def backward(self, top_delta, params=None, input_gradient=False):
        """Back-propagate ``top_delta`` (n, n_outputs) from the last forward pass:
        the raw parameter gradient and, if asked, the input gradient."""
        table = self.network.table
        last = table.shape[0] - 1
        block(self.work.deltas, table, last, self.n, self.n)[:] = top_delta.ravel()
        p = self.params if params is None else params
        grad = np.empty_like(p)
        d_input = np.empty(self.x.size if input_gradient else 0, dtype=p.dtype)
        backward(self.x, self.network.arrays(p, self.state), grad, self.work, self.n,
                 d_input, *self.families)  # fmt: skip
        return grad, d_input.reshape(self.n, -1) if input_gradient else None


def numeric_gradient(f, params, eps=1e-6):
    """Central differences of the scalar ``f`` at ``params``."""
    grad = np.empty_like(params)
    for i in range(params.shape[0]):
        p = params.copy()
        p[i] += eps
        up = f(p)
        p[i] -= 2 * eps
        grad[i] = (up - f(p)) / (2 * eps)
    return grad
