"""Scale-out on Dask: GridSearchCV on a ``dask.distributed`` cluster, out-of-core
training with ``dask_ml.wrappers.Incremental``, and the Numba thread budget of fits
in joblib and Dask workers."""

import importlib
import os
import sys
import warnings
from pathlib import Path

import joblib
import numba
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeep import (
    AdversarialAutoencoder,
    CNNClassifier,
    DenoisingAutoencoder,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    RNNClassifier,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from skdeep.utils import threads

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")
cloudpickle = pytest.importorskip("cloudpickle")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _load_specs():
    """SPECS of tests/reliability/_estimators.py: one small config per estimator
    (importable as pytest makes it when it collects that folder)."""
    folder = str(Path(__file__).parents[1] / "reliability")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module("_estimators").SPECS


SPECS = _load_specs()


@pytest.fixture(scope="module", autouse=True)
def _pickle_by_value():
    """Send this module's probes to workers by value: they cannot import it."""
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)


@pytest.fixture(scope="module")
def client():
    """A cluster of two single-threaded worker processes on loopback.

    Dask's nanny sets its workers' thread variables (OMP_NUM_THREADS=1...) in this
    process's environment too; they are put back once the workers have started,
    so that later tests (and their loky workers) run as before.
    """
    saved = dict(os.environ)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)
        yield client


def _tasks_run(client) -> int:
    """Tasks the cluster's workers have executed so far."""
    return sum(
        client.run(lambda dask_worker: dask_worker.state.executed_count).values()
    )


# --------------------------------------------------------------- GridSearchCV
@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_grid_search_on_dask_matches_n_jobs_1(client, spec):
    X, y = spec.data()
    grid = {"random_state": [0, 1], "max_iter": [2, 3]}
    # The serial search runs first, so the workers load compiled kernels from the
    # on-disk cache instead of compiling them.
    serial = GridSearchCV(spec.build(), grid, cv=3, n_jobs=1, error_score="raise")
    serial.fit(X, y)
    tasks_before = _tasks_run(client)
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(spec.build(), grid, cv=3, error_score="raise")
        on_dask.fit(X, y)
    assert _tasks_run(client) > tasks_before  # the fits ran on the workers
    assert on_dask.cv_results_["params"] == serial.cv_results_["params"]
    for key, values in serial.cv_results_.items():
        if key.endswith("_time") or key == "params":
            continue
        np.testing.assert_array_equal(on_dask.cv_results_[key], values, err_msg=key)
    assert on_dask.best_params_ == serial.best_params_


# ------------------------------------------------------ out-of-core training
@pytest.fixture(scope="module")
def digits():
    """Standardized digits: 1,200 training rows (six dask chunks), 597 test rows."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:1200], y[:1200], X[1200:], y[1200:]


CHUNK = 200
PASSES = 8

INCREMENTAL = [
    MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0),
    PerceptronClassifier(random_state=0),
    # Digits read as sequences of their 8 rows of 8 pixels.
    RNNClassifier(
        cell="gru", input_shape=(8, 8), learning_rate_init=0.01, random_state=0
    ),
    DenoisingAutoencoder(n_components=16, learning_rate_init=0.01, random_state=0),
    SparseAutoencoder(n_components=16, learning_rate_init=0.01, random_state=0),
    VariationalAutoencoder(n_components=16, learning_rate_init=0.01, random_state=0),
    AdversarialAutoencoder(n_components=16, learning_rate_init=0.01, random_state=0),
]


def _kind(est) -> str:
    return est.__sklearn_tags__().estimator_type or "transformer"


def _target(kind, X, y):
    if kind == "classifier":
        return y
    if kind == "regressor":
        return np.tanh(X[:, 20]) + 0.5 * X[:, 36] * X[:, 43]
    return None


def _reconstruction_error(est, X) -> float:
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


def _dask(array):
    chunks = (CHUNK, array.shape[1]) if array.ndim == 2 else CHUNK
    return da.from_array(array, chunks=chunks)


@pytest.mark.parametrize("est", INCREMENTAL, ids=lambda e: type(e).__name__)
def test_incremental_out_of_core_matches_in_memory_quality(client, digits, est):
    X, y, X_test, y_test = digits
    kind = _kind(est)
    target, target_test = _target(kind, X, y), _target(kind, X_test, y_test)
    # In memory first (it also warms the kernel cache for the workers): a fit with
    # as many passes over the data as the out-of-core training makes.
    in_memory = est.__class__(**{**est.get_params(), "max_iter": PASSES})
    in_memory.fit(X, target)
    fit_kwargs = {"classes": np.unique(y)} if kind == "classifier" else {}
    incremental = wrappers.Incremental(est, random_state=0)
    dX = _dask(X)
    dy = None if target is None else _dask(target)
    assert dX.numblocks[0] == 6
    for _ in range(PASSES):
        incremental.partial_fit(dX, dy, **fit_kwargs)
    out_of_core = incremental.estimator_
    if kind == "transformer":
        error = _reconstruction_error(out_of_core, X_test)
        baseline = float(np.mean((X_test - X.mean(axis=0)) ** 2))  # predict the mean
        assert error < 0.8 * baseline
        assert error < 1.15 * _reconstruction_error(in_memory, X_test)
        return
    score = out_of_core.score(X_test, target_test)
    dummy = DummyClassifier() if kind == "classifier" else DummyRegressor()
    baseline = dummy.fit(X, target).score(X_test, target_test)
    assert score > baseline + 0.4
    assert score > in_memory.score(X_test, target_test) - 0.05


@pytest.mark.parametrize("est", INCREMENTAL, ids=lambda e: type(e).__name__)
def test_incremental_is_partial_fit_over_the_chunks(client, digits, est):
    """Without block shuffling, Incremental on the cluster learns bit for bit what
    partial_fit over the same chunks in this process learns."""
    X, y = digits[0], digits[1]
    kind = _kind(est)
    target = _target(kind, X, y)
    fit_kwargs = {"classes": np.unique(y)} if kind == "classifier" else {}
    local = est.__class__(**est.get_params())
    for start in range(0, X.shape[0], CHUNK):
        rows = slice(start, start + CHUNK)
        local.partial_fit(
            X[rows], None if target is None else target[rows], **fit_kwargs
        )
    incremental = wrappers.Incremental(est, shuffle_blocks=False)
    tasks_before = _tasks_run(client)
    incremental.fit(_dask(X), None if target is None else _dask(target), **fit_kwargs)
    assert _tasks_run(client) >= tasks_before + 6  # one partial_fit per chunk
    remote = incremental.estimator_
    if hasattr(local, "coefs_"):
        for a, b in zip(remote.coefs_ + remote.intercepts_,
                        local.coefs_ + local.intercepts_, strict=True):  # fmt: skip
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(remote.coef_, local.coef_)
        np.testing.assert_array_equal(remote.intercept_, local.intercept_)


# ------------------------------------------------------------- thread budget
class ThreadProbe:
    """A scikit-learn FitCallback that records Numba's thread count at each epoch
    (epochs run inside the fit's thread budget)."""

    def __init__(self):
        self.seen = []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.seen.append(numba.get_num_threads())

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False

    def teardown(self, estimator, context):
        pass


def threads_during_fit(seed: int) -> dict:
    """Fit a small CNN on 8x8 digits where this runs; report Numba's thread counts
    before, during (every epoch) and after the fit, and where it ran."""
    X, y = load_digits(return_X_y=True)
    probe = ThreadProbe()
    cnn = CNNClassifier(filters=(4,), hidden_layer_sizes=(8,), max_iter=2,
                        random_state=seed)  # fmt: skip
    before = numba.get_num_threads()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cnn.set_callbacks(probe).fit(X[:200] / 16, y[:200])
    env = {v: os.environ.get(v) for v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")}
    return dict(pid=os.getpid(), before=before, during=probe.seen,
                after=numba.get_num_threads(), env=env)  # fmt: skip


@pytest.fixture(scope="module")
def warm_cnn():
    """Compile (or load) the CNN kernels here first, so workers load them."""
    pytest.importorskip("sklearn.callback")
    threads_during_fit(0)


def test_fits_in_dask_workers_use_one_thread_per_task(client, warm_cnn):
    with joblib.parallel_backend("dask"):
        reports = joblib.Parallel()(
            joblib.delayed(threads_during_fit)(seed) for seed in range(4)
        )
    for report in reports:
        assert report["pid"] != os.getpid()
        # Workers start with Numba's default (all cores): the budget lowers it for
        # the fit only (threads_per_worker=1, Dask's OMP_NUM_THREADS=1).
        assert report["before"] == numba.config.NUMBA_NUM_THREADS
        assert report["during"] == [1, 1]
        assert report["after"] == report["before"]


def test_fits_in_loky_workers_keep_to_joblibs_thread_limit(warm_cnn):
    reports = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(threads_during_fit)(seed) for seed in range(4)
    )
    for report in reports:
        assert report["pid"] != os.getpid()
        limit = min(int(report["env"][v]) for v in report["env"])
        assert report["during"] == [limit, limit]
        # Two workers share the cores: neither uses more than its half.
        assert limit <= max(1, joblib.cpu_count() // 2)


def test_in_process_dask_worker_without_omp_env_uses_one_thread(monkeypatch, warm_cnn):
    """A worker thread in this process (no nanny, so no OMP_NUM_THREADS): each task
    gets one thread; this thread keeps its own setting."""
    monkeypatch.setattr(threads, "_OMP_NUM_THREADS", None)
    if numba.get_num_threads() < 2:
        pytest.skip("needs at least two Numba threads to tell the budget apart")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                 dashboard_address="127.0.0.1:0") as cluster,
        distributed.Client(cluster, set_as_default=False) as local,
    ):  # fmt: skip
        report = local.submit(threads_during_fit, 0, pure=False).result()
    assert report["pid"] == os.getpid()
    assert report["before"] == numba.config.NUMBA_NUM_THREADS
    assert report["during"] == [1, 1]
    assert numba.get_num_threads() >= 2
