"""Training that diverges never leaves a model that computes inf or NaN, or one
whose outputs or loss blew up.

Table-driven over every estimator of ``_estimators.SPECS``, in float64 and float32:

* ``DIVERGING`` holds, per estimator, settings that make training blow up (plain
  SGD with a huge learning rate, or inputs of 1e3 to 1e300). Such a fit's last
  finite epoch is not usable (its loss is more than ``SANE_LOSS_FACTOR`` times the
  best loss of the fit, or its outputs are above ``finfo(dtype).max ** 0.5``), so
  the documented outcome is a ValueError that says so; the estimator, fitted
  before, is left exactly as it was. (The perceptron raises on overflow as
  scikit-learn's Perceptron does.)
* For the networks, a divergence in the middle of a sane fit (a non-finite loss
  after epochs that went well; simulated by making the third epoch's kernel
  report non-finite weights) is rolled back: a
  :class:`~skdeep.exceptions.TrainingDivergedWarning`, and the model keeps the
  weights of the last finite epoch, bit-identical to an independent fit of that
  many epochs.

``test_every_estimator_has_a_case`` fails when an estimator has no case.
"""

import copy
import importlib
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
        Diverging(sgd(100.0), 1e100, "raised", "lr100_X1e100"),
        Diverging(sgd(1e6), 1e100, "raised", "lr1e6_X1e100"),
    ],
    "MLPRegressor": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(10.0), 1e100, "raised", "lr10_X1e100"),
        # A new user's case: outputs of 2e37 were kept in float32 (1e18 weights).
        Diverging(sgd(1e4), 1.0, "raised", "lr1e4"),
    ],
    "PerceptronClassifier": [
        Diverging(dict(eta0=1e10), 1e300, "raised", "eta1e10_X1e300"),
        Diverging(dict(average=True), 1.7e308, "raised", "averaged_X1.7e308"),
    ],
    "CNNClassifier": [
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
    ],
    "CNNRegressor": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
    ],
    # The recurrent states are bounded (tanh), so it is the output layer's weights
    # that blow up.
    "RNNClassifier": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e4), 1e6, "raised", "lr1e4_X1e6"),
    ],
    "RNNRegressor": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(100.0), 1e6, "raised", "lr100_X1e6"),
    ],
    # Batch normalization undoes the scale of the weights before it: the layers
    # after the last normalization blow the outputs up.
    "MLPClassifier+batch_norm": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
    ],
    "CNNClassifier+fcn": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
    ],
    "CNNRegressor+resnet": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e6), 1e6, "raised", "lr1e6_X1e6"),
    ],
    "DenoisingAutoencoder+batch_norm": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1.0), 1.0, "raised", "lr1"),
    ],
    "DenoisingAutoencoder": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1.0), 1.0, "raised", "lr1"),
    ],
    "SparseAutoencoder": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1e6), 1e3, "raised", "lr1e6_X1e3"),
    ],
    # The VAE's score (its ELBO) holds exp(log-variance), which overflows before
    # the weights do.
    "VariationalAutoencoder": [Diverging(sgd(100.0), 1.0, "raised", "lr100")],
    "AdversarialAutoencoder": [
        Diverging(sgd(1e6), 1.0, "raised", "lr1e6"),
        Diverging(sgd(1.0), 1.0, "raised", "lr1"),
    ],
}

DTYPES = [np.float64, np.float32]

#: Cases that fail today because of a bug in skdeep, with the bug.
KNOWN_BUGS: dict = {}


def _cases(outcome):
    for spec in SPECS:
        for case in DIVERGING.get(spec.name, []):
            if case.outcome != outcome:
                continue
            for dtype in DTYPES:
                bug = KNOWN_BUGS.get((spec.name, case.label, dtype))
                yield pytest.param(
                    spec, case, dtype, id=f"{spec}-{case.label}-{dtype.__name__}",
                    marks=known_bug(bug),
                )  # fmt: skip


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


NETWORKS = [spec for spec in SPECS if spec.name != "PerceptronClassifier"]

#: The epoch whose kernel reports non-finite weights in the rollback cases.
DIVERGING_EPOCH = 3


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("spec", NETWORKS, ids=str)
def test_divergence_after_sane_epochs_keeps_the_last_finite_epoch(
    spec, dtype, monkeypatch
):
    module, name = spec.epoch_kernel.split(":")
    module = importlib.import_module(module)
    real = getattr(module, name)
    calls = []

    def diverging(*args):
        total, n_done, finite = real(*args)
        calls.append(1)
        if len(calls) == DIVERGING_EPOCH:
            return total, n_done, False  # as if the weights had become NaN
        return total, n_done, finite

    X, y = spec.data(dtype)
    params = {**spec.params, **sgd(0.01)}
    monkeypatch.setattr(module, name, diverging)
    with pytest.warns(TrainingDivergedWarning, match="diverged in epoch 3"):
        est = spec.make(**params).fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == DIVERGING_EPOCH - 1
    assert len(est.loss_curve_) == est.n_iter_
    for field, value in fitted_attributes(est).items():
        for array in _float_arrays(value):
            assert np.isfinite(array).all(), field
    for method, out in spec.outputs(est, X).items():
        assert np.isfinite(out).all(), method
    reference = _fit(spec.make(**{**params, "max_iter": est.n_iter_}), X, y)
    assert_same_model(est, reference)


@pytest.mark.parametrize(("spec", "case", "dtype"), list(_cases("raised")))
def test_divergence_that_cannot_be_rolled_back_raises(spec, case, dtype):
    X, y = spec.data(dtype)
    if case.x_scale > float(np.finfo(dtype).max):
        pytest.skip("the scale overflows the dtype: refused as input already")
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
