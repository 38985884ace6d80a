"""Training that diverges never leaves a model that computes inf or NaN.

Table-driven over every estimator of ``_estimators.SPECS``: ``DIVERGING`` holds,
per estimator, settings that make training blow up (plain SGD with a huge
learning rate, or inputs of 1e6 to 1e300), each with the outcome its documentation
promises:

* ``"rolled_back"``: a :class:`~skdeep.exceptions.TrainingDivergedWarning`, and the
  model keeps the weights of the last epoch whose loss, weights and outputs were
  finite. The reference is an independent fit with ``max_iter`` set to that many
  epochs: it must give bit-identical fitted attributes.
* ``"raised"``: a ValueError that says so, when even the last finite epoch's
  outputs overflow (or, for the perceptron, as scikit-learn's Perceptron does on
  overflow); the estimator, fitted before, is left exactly as it was.

``test_every_estimator_has_a_case`` fails when an estimator has no case.
"""

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from _checks import (
    assert_identical,
    assert_same_model,
    fitted,
    fitted_attributes,
    known_bug,
)
from _estimators import SPECS

from skdeep.exceptions import TrainingDivergedWarning

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning"),
]


@dataclass(frozen=True)
class Diverging:
    """Parameters (on top of the spec's) and a scale of X that make training
    diverge, and the documented ``outcome``."""

    params: dict
    x_scale: float
    outcome: str  # "rolled_back" or "raised"
    label: str


def sgd(learning_rate_init):
    """Plain SGD that never stops early: only divergence ends it before max_iter."""
    return dict(
        solver="sgd",
        learning_rate_init=learning_rate_init,
        max_iter=10,
        n_iter_no_change=np.inf,
    )


DIVERGING = {
    "MLPClassifier": [
        # The clipped log-loss stays finite however large the weights get, so it
        # takes inputs of 1e100 for the loss to overflow.
        Diverging(sgd(100.0), 1e100, "rolled_back", "lr100_X1e100"),
        Diverging(sgd(1e6), 1e100, "raised", "lr1e6_X1e100"),
    ],
    "MLPRegressor": [
        Diverging(sgd(1e6), 1.0, "rolled_back", "lr1e6"),
        Diverging(sgd(10.0), 1e100, "raised", "lr10_X1e100"),
    ],
    "PerceptronClassifier": [
        Diverging(dict(eta0=1e10), 1e300, "raised", "eta1e10_X1e300"),
        Diverging(dict(average=True), 1.7e308, "raised", "averaged_X1.7e308"),
    ],
    "CNNClassifier": [
        Diverging(sgd(1e6), 1e6, "rolled_back", "lr1e6_X1e6"),
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
    ],
    "CNNRegressor": [
        Diverging(sgd(1e6), 1.0, "rolled_back", "lr1e6"),
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
    ],
    "DenoisingAutoencoder": [
        Diverging(sgd(1e6), 1.0, "rolled_back", "lr1e6"),
        Diverging(sgd(1.0), 1.0, "raised", "lr1"),
    ],
    "SparseAutoencoder": [
        Diverging(sgd(1e6), 1.0, "rolled_back", "lr1e6"),
        Diverging(sgd(1e6), 1e3, "raised", "lr1e6_X1e3"),
    ],
    # The VAE's score (its ELBO) holds exp(log-variance), which overflows before
    # the weights do: rolling back one epoch never brings it back, so a diverging
    # VAE fit raises.
    "VariationalAutoencoder": [Diverging(sgd(100.0), 1.0, "raised", "lr100")],
    "AdversarialAutoencoder": [
        Diverging(sgd(1e6), 1.0, "rolled_back", "lr1e6"),
        Diverging(sgd(1.0), 1.0, "raised", "lr1"),
    ],
}

#: Cases that fail today because of a bug in skdeep, with the bug.
KNOWN_BUGS: dict = {}


def _cases(outcome):
    for spec in SPECS:
        for case in DIVERGING.get(spec.name, []):
            if case.outcome != outcome:
                continue
            bug = KNOWN_BUGS.get((spec.name, case.label))
            yield pytest.param(
                spec, case, id=f"{spec}-{case.label}", marks=known_bug(bug)
            )


def _float_arrays(value):
    """The floating-point arrays in a fitted attribute (arrays, lists of them)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _float_arrays(item)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingDivergedWarning)
        return est.fit(X, y)


@pytest.mark.parametrize(("spec", "case"), list(_cases("rolled_back")))
def test_divergence_keeps_the_last_finite_epoch(spec, case):
    X, y = spec.data()
    X = X * case.x_scale
    est = spec.make(**{**spec.params, **case.params})
    with pytest.warns(TrainingDivergedWarning, match="diverged"):
        est.fit(X, y)
    assert 1 <= est.n_iter_ < case.params["max_iter"]
    assert len(est.loss_curve_) == est.n_iter_
    assert np.isfinite(est.loss_curve_).all()
    for name, value in fitted_attributes(est).items():
        for array in _float_arrays(value):
            assert np.isfinite(array).all(), name
    for name, out in spec.outputs(est, X).items():
        assert np.isfinite(out).all(), name
    shorter = {**spec.params, **case.params, "max_iter": est.n_iter_}
    reference = _fit(spec.make(**shorter), X, y)
    assert_same_model(est, reference)


@pytest.mark.parametrize(("spec", "case"), list(_cases("raised")))
def test_divergence_that_cannot_be_rolled_back_raises(spec, case):
    X, y = spec.data()
    est = fitted(spec).set_params(**case.params)
    state = copy.deepcopy(vars(est))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingDivergedWarning)
        with pytest.raises(ValueError, match=r"diverged|overflow"):
            est.fit(X * case.x_scale, y)
    # No warning that weights were kept, right before the error that none were.
    assert not [w for w in caught if w.category is TrainingDivergedWarning]
    assert_identical(vars(est), state)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_every_estimator_has_a_case(spec):
    assert DIVERGING.get(spec.name), f"add a diverging setting of {spec} to DIVERGING"
