"""Thread pinning for training.

Training pins BLAS to one thread: two BLAS threads never helped at these matrix
sizes, they oversubscribe next to Numba's own threads, and OpenBLAS's results can
change bits with its thread count, which would break bit-identical refits.
"""

from contextlib import contextmanager
from functools import lru_cache


@lru_cache(maxsize=1)
def _controller():
    # Load scipy's BLAS (the one Numba's np.dot calls) before taking the inventory.
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def single_threaded_blas():
    """Limit every loaded BLAS library to one thread inside the block."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
