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


#: What day-to-day runs skip: ``python -m pytest -m "not slow"`` leaves out these
#: tests, the longest of the suite (accuracy and quality fits, scikit-learn's checks
#: of the CNN and RNN configurations but one each, the property-based fuzzing of
#: convolutional and recurrent networks, threads racing refits, the kernel cache's
#: subprocess tests, Dask clusters, the examples); CI and
#: ``python -m pytest`` run everything. Test ids where ``*`` matches anything (every
#: other character is literal); a test may also carry ``@pytest.mark.slow`` itself.
#: tests/test_slow_marker.py fails on a pattern that matches no test.
SLOW = (
    # scikit-learn's checks: one CNN and one RNN configuration stay in the fast run.
    "tests/test_common.py::test_sklearn_compatible[CNNClassifier(batch_norm=True*",
    "tests/test_common.py::test_sklearn_compatible[CNNClassifier(filters=(4,)*",
    "tests/test_common.py::test_sklearn_compatible[CNNRegressor(*",
    "tests/test_common.py::test_sklearn_compatible[RNNClassifier()-*",
    "tests/test_common.py::test_sklearn_compatible[RNNRegressor(*",
    # Accuracy and quality on real or generated data sets.
    "tests/estimators/test_cnn.py::test_digits_accuracy_2d_input",
    "tests/estimators/test_mlp.py::test_accuracy_within_one_point_of_sklearn[load_digits]",
    "tests/estimators/test_timeseries_cnn.py::test_fcn_finds_shapes_anywhere_*",
    # The examples (each a script in a fresh process).
    "tests/test_examples.py::*",
    # Reliability: hypothesis runs over convolutional and recurrent networks,
    # predictions racing refits in threads (seconds each), and the bad and valid
    # inputs of the CNN variants (the same validation as the plain CNNs', which stay).
    "tests/reliability/test_fuzz.py::test_fit_then_predict_or_clean_error[CNN*",
    "tests/reliability/test_fuzz.py::test_fit_then_predict_or_clean_error[RNN*",
    "tests/reliability/test_concurrent_use.py::test_predict_during_refits_*",
    "tests/reliability/test_concurrent_use.py::test_racing_fits_leave_one_model_whole*",
    "tests/reliability/test_bad_input.py::test_bad_X[CNNClassifier+fcn-*",
    "tests/reliability/test_bad_input.py::test_bad_X[CNNRegressor+resnet-*",
    "tests/reliability/test_bad_input.py::test_valid_layout[CNNClassifier+fcn-*",
    "tests/reliability/test_bad_input.py::test_valid_layout[CNNRegressor+resnet-*",
    # The compiled-kernel cache in subprocesses (each compiles kernels again):
    # damaged, stale, locked and read-only caches, and the bounds-checked build.
    "tests/kernels/test_cache_repair.py::*",
    "tests/kernels/test_cache_key.py::*",
    "tests/kernels/test_cache_load.py::*",
    "tests/kernels/test_cache_lock.py::*",
    "tests/kernels/test_boundscheck.py::*",
    "tests/test_readonly_install.py::*",
    # A LocalCluster of worker processes and joblib's loky workers.
    "tests/integrations/test_dask.py::*",
)


def slow_pattern(pattern: str):
    """The compiled regular expression of a ``SLOW`` pattern."""
    import re

    return re.compile(re.escape(pattern).replace(r"\*", ".*") + r"\Z")


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    patterns = [slow_pattern(pattern) for pattern in SLOW]
    for item in items:
        if any(pattern.match(item.nodeid) for pattern in patterns):
            item.add_marker(pytest.mark.slow)
