"""Inverted dropout, forward next to backward.

Training forward with drop rate ``p``: draw ``keep ~ Bernoulli(1 - p)`` per value and
write ``mask = keep / (1 - p)`` and ``Y = A * mask``; at prediction dropout is the
identity (``Y = A``), so no rescaling is needed there. Backward: ``dA = dY * mask``.
Masks are drawn in row-major order from the kernel random state (see
:mod:`skdeep._kernels.rng`).
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.rng import next_uniform


@kernel
def dropout_forward(A, rate, training, rng, mask, out, size):
    """Write ``out = A * mask`` with a fresh ``mask`` when ``training`` (and
    ``rate > 0``), else ``out = A``; ``size`` values."""
    if not training or rate == 0.0:
        for i in range(size):
            out[i] = A[i]
        return
    scale = 1.0 / (1.0 - rate)
    for i in range(size):
        if next_uniform(rng) < rate:
            mask[i] = 0.0
        else:
            mask[i] = scale
        out[i] = A[i] * mask[i]


@kernel
def dropout_backward(delta, mask, rate, d_input, size):
    """Write ``d_input = delta * mask`` (``delta`` when ``rate == 0``)."""
    if rate == 0.0:
        for i in range(size):
            d_input[i] = delta[i]
        return
    for i in range(size):
        d_input[i] = delta[i] * mask[i]
