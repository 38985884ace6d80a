"""Fitting with one or two Numba threads gives bit-identical models.

Over every estimator of ``_estimators.SPECS`` (with dropout where it has any, so
that the random streams of the kernels are drawn too): the same data and
``random_state`` fitted with ``numba.set_num_threads(1)`` and ``(2)`` give the same
fitted attributes, bit for bit, and the same outputs. Where the estimator takes
scikit-learn callbacks, a callback records the number of threads the fit's
kernels really ran with, so the test cannot pass by running both fits on one
thread. ``tests/test_determinism.py`` covers other processes and joblib workers.
"""

import warnings

import numba
import pytest
from _checks import assert_identical, assert_same_model
from _estimators import SPECS

pytestmark = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2, reason="Numba has fewer than two threads"
)


class ThreadCount:
    """A scikit-learn callback that records the Numba threads of every epoch."""

    def __init__(self):
        self.seen = set()

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.seen.add(numba.get_num_threads())

    def on_fit_task_end(self, estimator, context):
        return False


def _fit_with_threads(spec, n_threads):
    params = dict(spec.params)
    if "dropout" in spec.build().get_params():
        params["dropout"] = 0.2
    est = spec.make(**params)
    probe = ThreadCount()
    if hasattr(est, "set_callbacks"):
        est.set_callbacks(probe)
    X, y = spec.data()
    previous = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    finally:
        numba.set_num_threads(previous)
    if hasattr(est, "set_callbacks"):
        assert probe.seen == {n_threads}
    return est, spec.outputs(est, X)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_same_model_with_one_and_two_threads(spec, monkeypatch):
    # The thread budget of a fit is also capped by OMP_NUM_THREADS.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    one, outputs_one = _fit_with_threads(spec, 1)
    two, outputs_two = _fit_with_threads(spec, 2)
    assert_same_model(two, one)
    assert_identical(outputs_two, outputs_one)
