"""Ctrl-C during ``fit`` or ``partial_fit`` stops training cleanly.

Table-driven over every estimator of ``_estimators.SPECS``. The Ctrl-C is
simulated where it really lands: right after an epoch's compiled kernel returns
(the interpreter only handles the signal then), when that epoch's updates are
already applied. The contract (README, "Progress, callbacks and Ctrl-C"):

* a :class:`~skdeep.exceptions.TrainingInterruptedWarning`, no exception;
* the model keeps its last complete epoch: interrupted in epoch ``k``, every
  fitted attribute is bit-identical to that of an independent fit of ``k - 1``
  epochs (same data and ``random_state``), fresh or warm-started;
* interrupted in the first epoch of ``partial_fit`` or of a warm-started ``fit``,
  the model is the one fitted before; ``n_iter_`` and ``t_`` count one epoch
  less than after an uninterrupted epoch (the perceptron's ``fit`` restarts
  ``t_``, as scikit-learn's does).
"""

import importlib
import warnings

import numpy as np
import pytest
from _checks import assert_identical, assert_same_model, fitted
from _estimators import SPECS

from skdeep.exceptions import TrainingInterruptedWarning

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning"),
]

MAX_ITER = 5
EPOCH = 3  # the epoch that is interrupted


def _epoch_kernel(spec):
    module, name = spec.epoch_kernel.split(":")
    return importlib.import_module(module), name


def _calls_per_epoch(spec, monkeypatch):
    """How often one epoch calls the epoch kernel (the perceptron calls it once
    per one-vs-rest problem)."""
    module, name = _epoch_kernel(spec)
    real = getattr(module, name)
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    X, y = spec.data()
    with monkeypatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        patch.setattr(module, name, counted)
        spec.make(**{**spec.params, "max_iter": 1}).fit(X, y)
    return len(calls)


def _interrupt_in_epoch(spec, epoch, monkeypatch):
    """Make the epoch kernel raise KeyboardInterrupt after its first call of
    ``epoch`` (counted from the next fit) has run and updated the weights."""
    per_epoch = _calls_per_epoch(spec, monkeypatch)
    module, name = _epoch_kernel(spec)
    real = getattr(module, name)
    calls = []

    def interrupted(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == per_epoch * (epoch - 1) + 1:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(module, name, interrupted)


def _run_interrupted(method, *args, **kwargs):
    # A KeyboardInterrupt that escapes would stop the whole pytest session.
    try:
        with pytest.warns(TrainingInterruptedWarning, match="interrupted"):
            method(*args, **kwargs)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped from the estimator")


def _starting_point(spec, start, max_iter):
    if start == "fresh":
        return spec.make(**{**spec.params, "max_iter": max_iter})
    return fitted(spec).set_params(warm_start=True, max_iter=max_iter)


def _interrupted_and_reference(spec, start, monkeypatch):
    """A fit interrupted in epoch ``EPOCH`` and one of ``EPOCH - 1`` epochs."""
    X, y = spec.data()
    reference = _starting_point(spec, start, EPOCH - 1).fit(X, y)
    est = _starting_point(spec, start, MAX_ITER)
    _interrupt_in_epoch(spec, EPOCH, monkeypatch)
    _run_interrupted(est.fit, X, y)
    monkeypatch.undo()
    return est, reference


@pytest.mark.parametrize("start", ["fresh", "warm_start"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_interrupted_fit_keeps_the_complete_epochs(spec, start, monkeypatch):
    est, reference = _interrupted_and_reference(spec, start, monkeypatch)
    X = spec.data()[0]
    assert est.n_iter_ == EPOCH - 1
    if start == "fresh" and hasattr(est, "loss_curve_"):
        assert len(est.loss_curve_) == EPOCH - 1
    assert_same_model(est, reference)
    outputs = spec.outputs(est, X)
    assert_identical(outputs, spec.outputs(reference, X))
    for name, out in outputs.items():
        assert np.isfinite(out).all(), name


@pytest.mark.parametrize("start", ["fresh", "warm_start"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_interrupted_fit_continues_like_the_complete_epochs(spec, start, monkeypatch):
    """What a model keeps besides its weights (optimizer moments, random streams)
    is rolled back too: one more warm-started epoch gives the same model."""
    est, reference = _interrupted_and_reference(spec, start, monkeypatch)
    X, y = spec.data()
    for model in (est, reference):
        model.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert_same_model(est, reference)


def _continuation_cases():
    for spec in SPECS:
        for how in ("warm_start", "partial_fit"):
            if how == "partial_fit" and "partial_fit" not in spec.fit_methods():
                continue
            yield pytest.param(spec, how, id=f"{spec}-{how}")


def _continue(est, how, X, y):
    """One more epoch: a warm-started ``fit`` of one epoch, or ``partial_fit``."""
    if how == "warm_start":
        return est.set_params(warm_start=True, max_iter=1).fit(X, y)
    return est.partial_fit(X, y)


@pytest.mark.parametrize(("spec", "how"), list(_continuation_cases()))
def test_interrupted_first_epoch_keeps_the_fitted_model(spec, how, monkeypatch):
    X, y = spec.data()
    before = fitted(spec)
    one_more = _continue(fitted(spec), how, X, y)
    est = fitted(spec)
    _interrupt_in_epoch(spec, 1, monkeypatch)
    _run_interrupted(_continue, est, how, X, y)
    # The counters of the call miss the interrupted epoch; the rest is unchanged.
    assert est.n_iter_ == one_more.n_iter_ - 1 == 0
    assert est.t_ == one_more.t_ - X.shape[0]
    assert_same_model(est, before, ignore=("n_iter_", "t_"))
    assert_identical(spec.outputs(est, X), spec.outputs(before, X))
