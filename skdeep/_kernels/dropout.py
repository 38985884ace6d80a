"""Inverted dropout, forward next to backward.

Training forward with drop rate ``p``: draw ``keep ~ Bernoulli(1 - p)`` per unit and
write ``mask = keep / (1 - p)`` and ``Y = A * mask``; at predict time dropout is the
identity, so no rescaling is needed there. Backward: ``dA = dY * mask``.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.rng import next_uniform


@kernel
def dropout_forward(A, rate, rng, mask, out):
    """Draw a fresh ``mask`` from ``rng`` and write ``out = A * mask``."""
    n, m = A.shape
    scale = 1.0 / (1.0 - rate)
    for i in range(n):
        for j in range(m):
            if next_uniform(rng) < rate:
                mask[i, j] = 0.0
            else:
                mask[i, j] = scale
            out[i, j] = A[i, j] * mask[i, j]


@kernel
def dropout_backward(delta, mask):
    """Multiply ``delta`` in place by the stored ``mask``."""
    n, m = delta.shape
    for i in range(n):
        for j in range(m):
            delta[i, j] *= mask[i, j]
