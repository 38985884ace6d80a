"""A small counter-free random generator that kernels carry as state.

Kernels receive randomness as a ``uint64`` array of length 1 (the state), seeded in
Python from ``check_random_state(random_state)`` with :func:`new_rng_state`. The
generator is SplitMix64 (Steele, Lea & Flood 2014): one 64-bit add and a mix per
draw, so a kernel's random stream depends only on its seed, never on Numba's
internal generator, thread count or version.
"""

import numpy as np

from skdeep._kernels._jit import kernel


def new_rng_state(random_state: np.random.RandomState) -> np.ndarray:
    """Draw a fresh kernel RNG state from a NumPy ``RandomState``."""
    seed = random_state.randint(0, 2**31 - 1, size=2).astype(np.uint64)
    return np.array([(seed[0] << np.uint64(31)) ^ seed[1]], dtype=np.uint64)


@kernel
def next_uint64(state):
    """Advance ``state`` and return the next 64-bit output (SplitMix64)."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@kernel
def next_uniform(state):
    """Next float64 uniform in [0, 1) with 53 random bits."""
    return np.float64(next_uint64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def next_normal(state):
    """Next standard normal draw (Box-Muller, one of the pair)."""
    u1 = next_uniform(state)
    u2 = next_uniform(state)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)
