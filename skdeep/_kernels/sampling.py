"""Bulk random draws for the autoencoders, from the kernels' SplitMix64 state.

Same generator and seeding as :mod:`skdeep._kernels.rng` (the uniform stream is
identical to repeated ``next_uniform`` calls), but the 64-bit state is kept in a
local variable for a whole array instead of being loaded and stored per draw, and
normals use both halves of each Box-Muller pair: about 10x faster for the
thousands of draws a batch of corruption or reparameterization noise needs.
"""

import numpy as np

from skdeep._kernels._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@kernel
def step_uniform(s):
    """Advance the SplitMix64 state value ``s``; return ``(s, u)`` with ``u`` the
    same uniform in [0, 1) as ``rng.next_uniform`` would give."""
    s = s + _GOLDEN
    z = s
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return s, np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def normal_pair(s):
    """Two independent standard normals from the state value ``s`` (Marsaglia's
    polar method: ``v ~ U(-1, 1)^2`` inside the unit disc, scaled by
    ``sqrt(-2 log r / r)`` with ``r = |v|^2``); returns ``(s, z1, z2)``."""
    while True:
        s, u1 = step_uniform(s)
        s, u2 = step_uniform(s)
        v1 = 2.0 * u1 - 1.0
        v2 = 2.0 * u2 - 1.0
        r = v1 * v1 + v2 * v2
        if 0.0 < r < 1.0:
            scale = np.sqrt(-2.0 * np.log(r) / r)
            return s, v1 * scale, v2 * scale


@kernel
def fill_normal(rng, out, n):
    """Fill the first ``n`` values of ``out`` with standard normal draws from the
    state ``rng``."""
    s = rng[0]
    for i in range(0, n - 1, 2):
        s, z1, z2 = normal_pair(s)
        out[i] = z1
        out[i + 1] = z2
    if n % 2 == 1:
        s, z1, _ = normal_pair(s)
        out[n - 1] = z1
    rng[0] = s
