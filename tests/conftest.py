"""Test-session setup."""

import warnings

import numpy as np
import pytest


@pytest.fixture(scope="session", autouse=True)
def _threads_as_asked():
    """Fits use the Numba threads a test sets, however busy the machine is (the
    load-aware choice is tested on its own in tests/utils/test_thread_budget.py)."""
    from skdeep.utils import threads

    saved, threads.LOAD_AWARE = threads.LOAD_AWARE, False
    yield
    threads.LOAD_AWARE = saved


@pytest.fixture(scope="session", autouse=True)
def _warm_kernel_cache():
    """Compile (or load) the MLP kernels once in the parent process, so joblib
    workers in n_jobs=2 tests load them from the cache instead of compiling."""
    from skdeep import MLPClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    y = np.arange(20) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.float64, np.float32):
            MLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X.astype(dtype), y)
            MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, dropout=0.1).fit(
                X.astype(dtype), y
            )
