"""Using one estimator object from several threads never mixes two models and never
corrupts the process.

Table-driven over every estimator of ``_estimators.SPECS``:

* **A fit in progress** (held inside its first epoch, so the timing is
  deterministic): a second ``fit`` of the same object raises the documented
  ``RuntimeError`` and changes nothing; ``predict`` meanwhile gives the previous
  model's results; ``copy.deepcopy``, ``pickle`` and ``clone`` give the previous
  model (or its parameters), whole, and the copies can be fitted at once (the
  record of fits in progress is not copied); when the fit ends the estimator is
  exactly a fresh fit of the new data.
* **Races** (``_concurrency_worker.py``, one process per estimator so that an
  interpreter abort fails that estimator's tests, not the session): ``predict``,
  ``predict_proba``, ``transform``... on dense and sparse X while another thread
  refits models of other shapes, and two threads fitting at once, many times.
  Every result is one model's, bit for bit; the estimator always holds one model
  whole.

``test_threads.py`` covers concurrent inference on a model that does not change.
"""

import copy
import functools
import importlib
import json
import pickle
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from _checks import assert_identical, assert_same_model, fitted
from _estimators import SPECS
from sklearn.base import clone

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

WORKER = Path(__file__).with_name("_concurrency_worker.py")

#: Estimators that do not fit on a copy yet, with the reason (a race may pass by
#: chance, so they are skipped rather than marked as expected failures).
NOT_YET: dict = {}


def _cases():
    return [
        pytest.param(
            spec,
            id=str(spec),
            marks=[pytest.mark.skip(reason=NOT_YET[spec.name])]
            if spec.name in NOT_YET
            else [],
        )
        for spec in SPECS
    ]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X) if y is None else est.fit(X, y)


class HeldFit:
    """Holds the first call of ``spec``'s epoch kernel until :meth:`release`, so
    that a fit started in another thread is certainly in progress."""

    def __init__(self, spec, monkeypatch):
        module, name = spec.epoch_kernel.split(":")
        module = importlib.import_module(module)
        real = getattr(module, name)
        self.entered = threading.Event()
        self._release = threading.Event()

        def epoch(*args, **kwargs):
            if not self.entered.is_set():
                self.entered.set()
                assert self._release.wait(60), "the held fit was never released"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, epoch)

    def start(self, target) -> threading.Thread:
        errors = []

        def run():
            try:
                target()
            except BaseException as exc:  # re-raised by release()
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        assert self.entered.wait(60), "the fit never reached its first epoch"
        thread.errors = errors
        return thread

    def release(self, thread) -> None:
        self._release.set()
        thread.join(120)
        assert not thread.is_alive()
        if thread.errors:
            raise thread.errors[0]


def _other_data(spec):
    """Data that fits another model of the same shape."""
    X, y = spec.data()
    if y is None:
        return 1.0 - X, None
    return X, (y[::-1].copy() if spec.kind == "classifier" else 1.0 - y)


@pytest.mark.parametrize("spec", _cases())
def test_a_fit_in_progress_refuses_a_second_and_copies_stay_whole(spec, monkeypatch):
    X, y = spec.data()
    X_new, y_new = _other_data(spec)
    est = fitted(spec)
    old = copy.deepcopy(est)
    old_outputs = spec.outputs(old, X)
    hold = HeldFit(spec, monkeypatch)
    thread = hold.start(lambda: _fit(est, X_new, y_new))
    try:
        with pytest.raises(RuntimeError, match="already being fitted"):
            _fit(est, X, y)
        assert_identical(spec.outputs(est, X), old_outputs)
        copies = {
            "deepcopy": copy.deepcopy(est),
            "pickle": pickle.loads(pickle.dumps(est)),
        }
        for copied in copies.values():
            assert_same_model(copied, old)
            assert_identical(spec.outputs(copied, X), old_outputs)
        cloned = clone(est)
        assert cloned.get_params() == est.get_params()
        assert not hasattr(cloned, "n_features_in_")
        # The copies are not "being fitted": they fit at once, to the same model.
        for copied in (*copies.values(), cloned):
            assert_same_model(_fit(copied, X, y), old)
    finally:
        hold.release(thread)
    monkeypatch.undo()
    assert_same_model(est, _fit(spec.build(), X_new, y_new))


def _run_worker(name) -> dict:
    result = subprocess.run(
        [sys.executable, str(WORKER), name],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=WORKER.parent,
    )
    assert result.returncode == 0, (
        f"the worker process ended with code {result.returncode}:\n"
        f"{result.stderr[-3000:]}"
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@functools.cache
def _report(name) -> dict:
    return _run_worker(name)


@pytest.mark.parametrize("spec", _cases())
def test_predict_during_refits_sees_one_model_whole(spec):
    report = _report(spec.name)["predict_during_refits"]
    assert report["problems"] == []
    assert report["calls"] > 0


@pytest.mark.parametrize("spec", _cases())
def test_racing_fits_leave_one_model_whole(spec):
    report = _report(spec.name)["racing_fits"]
    assert report["problems"] == []
