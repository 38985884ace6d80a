"""The thread budget of fits (skdeep/utils/threads.py), in this process.

Fits in joblib and Dask workers are tested in tests/integrations/test_dask.py.
"""

import os
import subprocess
import sys
import textwrap
import time
import warnings

import numba
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from skdeep import CNNClassifier
from skdeep.network.network import Network
from skdeep.utils import threads
from skdeep.utils.threads import kernel_threads, thread_budget

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2,
    reason="needs two Numba threads to tell a budget of one apart",
)


@pytest.fixture(autouse=True)
def _no_omp_env(monkeypatch):
    """As if the process had started without OMP_NUM_THREADS."""
    monkeypatch.setattr(threads, "_OMP_NUM_THREADS", None)


@pytest.fixture
def restore_numba_threads():
    saved = numba.get_num_threads()
    yield saved
    numba.set_num_threads(saved)


def test_budget_is_the_numba_setting_by_default():
    assert thread_budget() == numba.get_num_threads()


@needs_two_threads
def test_budget_follows_the_callers_numba_setting(restore_numba_threads):
    numba.set_num_threads(1)
    assert thread_budget() == 1


@needs_two_threads
def test_budget_follows_omp_num_threads(monkeypatch):
    monkeypatch.setattr(threads, "_OMP_NUM_THREADS", 1)
    assert thread_budget() == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("3,2", 3), (" 2 ", 2), ("", None), ("0", None), ("-1", None),
     ("many", None)],
)  # fmt: skip
def test_omp_num_threads_is_read_as_openmp_does(monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert threads._env_threads("OMP_NUM_THREADS") == expected


def test_later_changes_to_the_environment_are_ignored(monkeypatch):
    """As by OpenMP runtimes; a Dask LocalCluster sets OMP_NUM_THREADS=1 here."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert thread_budget() == numba.get_num_threads()


@needs_two_threads
def test_budget_follows_threadpoolctl_openmp_limits():
    if not threads._controller().select(user_api="openmp").lib_controllers:
        pytest.skip("Numba's threading layer loaded no OpenMP runtime")
    with threadpool_limits(limits=1, user_api="openmp"):
        assert thread_budget() == 1
    assert thread_budget() == numba.get_num_threads()


def _blas_threads() -> set:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@needs_two_threads
def test_kernel_threads_applies_the_budget_and_restores(monkeypatch):
    before, blas_before = numba.get_num_threads(), _blas_threads()
    monkeypatch.setattr(threads, "_OMP_NUM_THREADS", 1)
    with kernel_threads():
        assert numba.get_num_threads() == 1
        assert _blas_threads() == {1}
    assert numba.get_num_threads() == before
    assert _blas_threads() == blas_before
    with pytest.raises(KeyError), kernel_threads():
        raise KeyError("a fit that fails")
    assert numba.get_num_threads() == before


@needs_two_threads
def test_cnn_fit_and_predict_run_within_the_budget(monkeypatch, restore_numba_threads):
    """The convolution scratch (one im2col slot per Numba thread) is sized inside
    the budget, in fit and in predict; the model does not depend on the budget."""
    slots = []
    spatial_scratch = Network._spatial_scratch

    def spy(self, capacity, dtype):
        slots.append(numba.get_num_threads())
        return spatial_scratch(self, capacity, dtype)

    monkeypatch.setattr(Network, "_spatial_scratch", spy)
    X, y = load_digits(return_X_y=True)
    X, y = X[:120] / 16, y[:120]
    params = dict(filters=(3,), hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        free = CNNClassifier(**params).fit(X, y)
        free_proba = free.predict_proba(X)
        assert slots and set(slots) == {restore_numba_threads}
        slots.clear()
        monkeypatch.setattr(threads, "_OMP_NUM_THREADS", 1)
        pinned = CNNClassifier(**params).fit(X, y)
        pinned_proba = pinned.predict_proba(X)
    assert slots and set(slots) == {1}
    assert numba.get_num_threads() == restore_numba_threads
    for a, b in zip(pinned.coefs_, free.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pinned_proba, free_proba)


def test_fitting_does_not_import_dask():
    code = """
        import sys
        import numpy as np
        from skdeep import CNNClassifier, MLPClassifier
        X, y = np.random.RandomState(0).rand(20, 16), np.arange(20) % 2
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=1).fit(X, y)
        CNNClassifier(filters=(2,), hidden_layer_sizes=(3,), max_iter=1).fit(X, y)
        print(sorted(m for m in sys.modules if m.split(".")[0] in
                     ("dask", "distributed", "dask_ml")))
    """
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", textwrap.dedent(code)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == "[]"


class _GlobalBlas:
    """A BLAS whose thread setting is process-wide, behind threadpoolctl's
    library-controller interface (``get_num_threads``/``set_num_threads``)."""

    def __init__(self, threads):
        self.threads = threads

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, threads):
        self.threads = threads


def test_overlapping_blocks_restore_the_blas_settings_once_the_last_ends(
    monkeypatch,
):
    """With a process-wide BLAS setting, blocks overlapping in two threads must not
    restore each other's one thread: the last to end restores what the first
    saved (nested threadpoolctl limits would leave one thread behind)."""
    import threading

    blas = _GlobalBlas(threads=4)
    monkeypatch.setattr(threads, "_blas_libraries", lambda: (blas,))
    first_in, second_in, first_out = (threading.Event() for _ in range(3))
    seen = {}

    def first():
        with threads.single_threaded_blas():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with threads.single_threaded_blas():
            second_in.set()
            first_out.wait(10)  # the first block ends while this one runs
            seen["during"] = blas.threads

    workers = [threading.Thread(target=f) for f in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert seen == {"during": 1}
    assert blas.threads == 4


def test_concurrent_fits_leave_the_blas_settings_and_transforms_unchanged():
    """Fits in two threads at once, then a transform: the BLAS settings are what
    they were, and the transform gives the same bits with 1 and 2 BLAS threads."""
    from concurrent.futures import ThreadPoolExecutor

    from skdeep import DenoisingAutoencoder, MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        with warnings.catch_warnings(), ThreadPoolExecutor(2) as pool:
            warnings.simplefilter("ignore", ConvergenceWarning)
            jobs = [
                pool.submit(MLPClassifier(max_iter=20, random_state=0).fit, X, y[:400]),
                pool.submit(
                    DenoisingAutoencoder(
                        n_components=8, max_iter=20, random_state=0
                    ).fit,
                    X,
                ),
            ]
            dae = jobs[1].result()
            jobs[0].result()
        assert _blas_threads() == before
        codes = {}
        for n in (1, 2):
            with threadpool_limits(n, user_api="blas"):
                codes[n] = dae.transform(X)
    np.testing.assert_array_equal(codes[1], codes[2])


# ------------------------------------------------------------ load-aware threads
@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(threads, "_usable_cpus", lambda: (0, 1))
    monkeypatch.setattr(threads, "LOAD_AWARE", True)


@pytest.mark.parametrize(
    ("budget", "others", "expected"),
    [(2, None, 2), (2, 0.0, 2), (2, 0.25, 2), (2, 0.5, 1), (2, 1.0, 1),
     (2, 3.0, 1), (1, 0.0, 1), (4, 0.0, 2)],
)  # fmt: skip
def test_usable_threads_leave_out_busy_cores(two_cpus, budget, others, expected):
    assert threads.usable_threads(budget, others) == expected


@needs_two_threads
@pytest.mark.parametrize(("elsewhere", "expected"), [(0.0, 2), (1.0, 1), (None, 2)])
def test_kernel_threads_start_with_the_free_cores(
    two_cpus, monkeypatch, restore_numba_threads, elsewhere, expected
):
    numba.set_num_threads(2)
    monkeypatch.setattr(threads, "_running_elsewhere", lambda: elsewhere)
    with kernel_threads():
        assert numba.get_num_threads() == expected
    assert numba.get_num_threads() == 2
    with kernel_threads(load_aware=False):  # a small prediction: no check
        assert numba.get_num_threads() == 2


@needs_two_threads
def test_adapt_threads_follows_the_load_between_epochs(
    two_cpus, monkeypatch, restore_numba_threads
):
    readings = iter([1.2, None, 0.1, 0.9])

    class Monitor:
        def others_busy(self):
            return next(readings)

    numba.set_num_threads(2)
    monkeypatch.setattr(threads, "_running_elsewhere", lambda: 0.0)
    monkeypatch.setattr(threads, "CoreMonitor", Monitor)
    threads.adapt_threads()  # outside a block: nothing
    assert numba.get_num_threads() == 2
    seen = []
    with kernel_threads():
        for _ in range(5):
            threads.adapt_threads()
            seen.append(numba.get_num_threads())
    # The first call starts measuring; None (too short to tell) keeps the choice.
    assert seen == [2, 1, 1, 2, 1]
    assert numba.get_num_threads() == 2


def test_core_monitor_measures_other_processes():
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat")
    monitor = threads.CoreMonitor()
    assert monitor.others_busy() is None  # too soon to tell
    time.sleep(0.2)
    busy = monitor.others_busy()
    assert busy is not None and 0.0 <= busy <= len(threads._usable_cpus()) + 0.5


def test_fits_pick_threads_between_epochs(monkeypatch):
    """The stochastic loop asks for the threads of every epoch."""
    from skdeep import MLPClassifier
    from skdeep.training import loop

    calls = []
    monkeypatch.setattr(loop, "adapt_threads", lambda cap=None: calls.append(cap))
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((8,), max_iter=3, random_state=0).fit(X[:100], y[:100])
    assert calls == [1, 1, 1]  # a small network: one thread is enough


def test_blas_is_pinned_from_any_python_thread():
    """threadpoolctl lets only one Python thread set a process-wide OpenBLAS and
    ignores the others; a fit in a worker thread must still get one BLAS thread
    after the main thread has set BLAS through threadpoolctl."""
    import threading

    from threadpoolctl import ThreadpoolController

    libs = ThreadpoolController().select(user_api="blas").lib_controllers
    if not libs:
        pytest.skip("no BLAS found")
    before = _blas_threads()
    for lib in libs:  # the main thread takes threadpoolctl's control of OpenBLAS
        lib.set_num_threads(2)
    seen = {}

    def fit_like():
        with threads.single_threaded_blas():
            seen["inside"] = _blas_threads()
        seen["after"] = _blas_threads()

    try:
        worker = threading.Thread(target=fit_like)
        worker.start()
        worker.join()
    finally:
        for lib in libs:
            lib.set_num_threads(max(before))
            clear = getattr(type(lib), "clear_controlling_thread", None)
            if clear is not None:
                clear(force=True)
    assert seen == {"inside": {1}, "after": {2}}


@needs_two_threads
def test_kernel_threads_without_parallel_loops_leave_numba_alone(
    monkeypatch, restore_numba_threads
):
    monkeypatch.setattr(threads, "_OMP_NUM_THREADS", 1)  # a budget of one
    numba.set_num_threads(2)
    with kernel_threads(max_threads=0):
        assert numba.get_num_threads() == 2
        assert _blas_threads() == {1}
    with kernel_threads(max_threads=1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == 2


@needs_two_threads
def test_adapt_threads_keeps_small_networks_on_one_thread(
    two_cpus, monkeypatch, restore_numba_threads
):
    class Quiet:
        def others_busy(self):
            return 0.0

    numba.set_num_threads(2)
    monkeypatch.setattr(threads, "_running_elsewhere", lambda: 0.0)
    monkeypatch.setattr(threads, "CoreMonitor", Quiet)
    with kernel_threads():
        assert numba.get_num_threads() == 2
        threads.adapt_threads(1)  # first epoch of a network with small loops
        assert numba.get_num_threads() == 1
        threads.adapt_threads(1)
        assert numba.get_num_threads() == 1
    with kernel_threads():
        threads.adapt_threads(None)
        threads.adapt_threads(None)
        assert numba.get_num_threads() == 2


@pytest.mark.parametrize(
    ("specs", "shape", "batch", "cap"),
    [
        ("mlp_digits", (64,), 200, 1),
        ("mlp_large", (100,), 256, None),
        ("cnn_digits", (1, 8, 8), 64, 1),
        ("cnn_lenet", (1, 28, 28), 128, None),
    ],
)
def test_thread_cap_follows_the_size_of_the_parallel_loops(specs, shape, batch, cap):
    from skdeep.network.specs import Conv2D, Dense, Flatten, MaxPool2D
    from skdeep.training.runner import NetworkRunner

    layers = {
        "mlp_digits": (Dense(100, "relu"), Dense(10)),
        "mlp_large": (Dense(256, "relu"), Dense(128, "relu"), Dense(1)),
        "cnn_digits": (Conv2D(16, 3, 3, padding="same"), MaxPool2D(2, 2), Flatten(),
                       Dense(10)),
        "cnn_lenet": (Conv2D(8, 5, 5), MaxPool2D(2, 2), Conv2D(16, 5, 5),
                      MaxPool2D(2, 2), Flatten(), Dense(64), Dense(10)),
    }[specs]  # fmt: skip
    runner = NetworkRunner(Network(shape, layers), None, None, batch, None)
    assert runner.thread_cap == cap
