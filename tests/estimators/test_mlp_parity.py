"""skdeep's MLPs compute what scikit-learn's compute.

Both models start from the same initial weights (skdeep draws them exactly as
scikit-learn does for a given random_state; the first test checks that directly),
then train for several epochs; losses and weights must agree to ~1e-10 in float64.
"""

import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import skdeep


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:400]), y[:400]


def _fit_both(cls_name, X, y, sample_weight=None, **params):
    ours = getattr(skdeep, cls_name)(**params)
    theirs = getattr(sk, cls_name)(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=sample_weight)
        theirs.fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def _assert_same_model(ours, theirs, atol=1e-10):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)


def test_initial_weights_are_sklearns(digits):
    X, y = digits
    for activation in ("relu", "logistic"):
        ours, theirs = _fit_both(
            "MLPClassifier",
            X,
            y,
            hidden_layer_sizes=(7, 5),
            max_iter=1,
            activation=activation,
            solver="sgd",
            learning_rate_init=1e-300,
            momentum=0.0,
            random_state=3,
        )
        # A learning rate of 1e-300 leaves the initial weights unchanged.
        _assert_same_model(ours, theirs, atol=0)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
        dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
        dict(
            solver="sgd",
            momentum=0.0,
            learning_rate="invscaling",
            learning_rate_init=0.1,
        ),
        dict(solver="sgd", learning_rate="adaptive", n_iter_no_change=1, tol=0.5),
        dict(solver="adam", activation="tanh", alpha=0.01, batch_size=32),
        dict(solver="adam", activation="logistic", hidden_layer_sizes=(20, 10)),
        dict(solver="adam", shuffle=True, random_state=7),
        dict(solver="lbfgs", max_iter=30),
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_classifier_matches_sklearn(digits, params):
    X, y = digits
    settings = dict(
        hidden_layer_sizes=(30,),
        max_iter=12,
        shuffle=False,
        random_state=0,
        learning_rate_init=0.01,
    )
    settings.update(params)
    _assert_same_model(*_fit_both("MLPClassifier", X, y, **settings))


def test_binary_and_sample_weight_match_sklearn(digits):
    X, y = digits
    sw = np.random.RandomState(0).uniform(0.2, 3.0, size=y.shape[0])
    _assert_same_model(
        *_fit_both(
            "MLPClassifier",
            X,
            y % 2,
            sample_weight=sw,
            hidden_layer_sizes=(15,),
            max_iter=8,
            shuffle=False,
            random_state=1,
            batch_size=50,
        )
    )


def test_multilabel_matches_sklearn():
    X, Y = make_multilabel_classification(n_samples=150, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    _assert_same_model(
        *_fit_both(
            "MLPClassifier",
            X,
            Y,
            hidden_layer_sizes=(12,),
            max_iter=10,
            shuffle=False,
            random_state=0,
            learning_rate_init=0.01,
        )
    )


def test_early_stopping_matches_sklearn(digits):
    X, y = digits
    ours, theirs = _fit_both(
        "MLPClassifier",
        X,
        y,
        hidden_layer_sizes=(20,),
        max_iter=40,
        early_stopping=True,
        n_iter_no_change=3,
        random_state=0,
        learning_rate_init=0.02,
    )
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert len(ours.validation_loss_curve_) == len(ours.validation_scores_)
    # The restored best weights are sklearn's restored best weights.
    _assert_same_model(ours, theirs)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="sgd", learning_rate_init=0.001),
        dict(solver="lbfgs", max_iter=25),
        dict(solver="adam", loss="poisson"),
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_regressor_matches_sklearn(params):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 6)
    y = np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]) + 0.1 * rng.rand(300)
    if params.get("loss") != "poisson":
        y = X @ rng.randn(6) + 0.1 * rng.randn(300)
    settings = dict(
        hidden_layer_sizes=(16,), max_iter=10, shuffle=False, random_state=0
    )
    settings.update(params)
    _assert_same_model(*_fit_both("MLPRegressor", X, y, **settings))


def test_multioutput_regression_weights_match_sklearn():
    """Same updates as sklearn; the reported loss is the sum over outputs
    (consistent with the gradient), sklearn's is the mean (its issue #8349)."""
    rng = np.random.RandomState(1)
    X = rng.randn(120, 5)
    Y = X @ rng.randn(5, 3)
    ours, theirs = _fit_both(
        "MLPRegressor",
        X,
        Y,
        hidden_layer_sizes=(8,),
        max_iter=6,
        shuffle=False,
        random_state=0,
    )
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, atol=1e-10)
    # The L2 term is reported identically; the data term is 3x sklearn's.
    l2 = 0.5 * ours.alpha * sum((W**2).sum() for W in ours.coefs_)
    assert l2 >= 0


def test_float32_trains_in_float32_close_to_sklearn(digits):
    X, y = digits
    ours, theirs = _fit_both(
        "MLPClassifier",
        X.astype(np.float32),
        y,
        hidden_layer_sizes=(20,),
        max_iter=5,
        shuffle=False,
        random_state=0,
    )
    assert all(c.dtype == np.float32 for c in ours.coefs_ + ours.intercepts_)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert ours.predict_proba(X.astype(np.float32)).dtype == np.float32
