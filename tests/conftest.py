"""Test-session setup."""

import warnings

import numpy as np
import pytest


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
