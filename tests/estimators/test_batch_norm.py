"""``batch_norm=True`` in the MLPs, CNNs and autoencoders: what is fitted, how the
running statistics are trained and used, every solver, sample weights, batches of
one sample, persistence and the quality it buys.

Oracles: a NumPy forward pass of the fitted model (coefs_, intercepts_ and the
documented affine map of the running statistics), the full-batch statistics of
the training set recomputed in NumPy after L-BFGS, and fits of the same data
without batch normalization.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from skdeep import (
    AdversarialAutoencoder,
    CNNClassifier,
    DenoisingAutoencoder,
    MLPClassifier,
    MLPRegressor,
    VariationalAutoencoder,
)
from skdeep._kernels import codes
from skdeep.estimators._base import network_from_data
from skdeep.training import lbfgs
from skdeep.training.runner import NetworkRunner

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPS = codes.BN_EPSILON


def _data(n=120, d=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d) * 3 + 2
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 / 3 + 0.1 * rng.randn(n)
    return X, y


def _tanh_forward(est, X, statistics=None):
    """NumPy forward pass of a batch-normalized MLPRegressor (tanh): with the
    running statistics, or with ``statistics(z)`` -> (mean, var) of each layer."""
    a = X
    norms = est.batch_norm_layers_
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        z = a @ W + b
        if i == len(est.coefs_) - 1:
            return z
        bn = norms[i]
        mean, var = (
            (bn["running_mean"], bn["running_var"])
            if statistics is None
            else statistics(z)
        )
        a = np.tanh(bn["scale"] * (z - mean) / np.sqrt(var + EPS) + bn["shift"])


def test_fitted_layout_and_defaults():
    X, y = _data()
    reg = MLPRegressor(
        hidden_layer_sizes=(6, 4), batch_norm=True, max_iter=5, random_state=0
    ).fit(X, y)
    assert [W.shape for W in reg.coefs_] == [(5, 6), (6, 4), (4, 1)]
    assert reg.n_layers_ == 4  # normalization is not a layer of units
    norms = reg.batch_norm_layers_
    assert [bn["scale"].shape for bn in norms] == [(6,), (4,)]
    for bn in norms:
        assert bn["scale"].base is reg._params and bn["running_var"].base is reg._state
        assert np.all(bn["running_var"] > 0)
    plain = MLPRegressor(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0).fit(
        X, y
    )
    assert plain.batch_norm_layers_ == []
    network = network_from_data(plain._network)
    assert "norm" not in network.families  # its code is not even compiled
    # The same seed draws the same initial weights with and without it.
    first = MLPRegressor(
        hidden_layer_sizes=(6, 4), batch_norm=True, max_iter=1, random_state=0
    )
    other = MLPRegressor(hidden_layer_sizes=(6, 4), max_iter=1, random_state=0)
    net_bn = first._build_network(_fit_data(first, X, y))
    net = other._build_network(_fit_data(other, X, y))
    rs = np.random.RandomState(0)
    coefs_bn = net_bn.views(net_bn.init(rs, np.float64))[0]
    coefs = net.views(net.init(np.random.RandomState(0), np.float64))[0]
    for a, b in zip(coefs_bn, coefs):
        assert_array_equal(a, b)


def _fit_data(est, X, y):
    est._validate_params()
    return est._fit_data(X, y, None, False, True, None)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_uses_the_running_statistics(dtype):
    X, y = _data()
    reg = MLPRegressor(
        hidden_layer_sizes=(6, 4),
        activation="tanh",
        batch_norm=True,
        max_iter=20,
        random_state=0,
    ).fit(X.astype(dtype), y)
    assert reg._state.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert_allclose(
        reg.predict(X.astype(dtype)),
        _tanh_forward(reg, X).ravel(),
        rtol=rtol,
        atol=rtol,
    )


def test_lbfgs_normalizes_with_the_whole_training_set(monkeypatch):
    """Even when the L-BFGS pass is chunked, the statistics are full-batch: the
    reported loss is the full-batch training-mode objective, and the running
    statistics are the training set's mean and unbiased variance at the
    solution."""
    monkeypatch.setattr(lbfgs, "LBFGS_CHUNK", 16)
    monkeypatch.setattr("skdeep.estimators._base.LBFGS_CHUNK", 16)
    X, y = _data(n=100)
    reg = MLPRegressor(
        hidden_layer_sizes=(6,),
        activation="tanh",
        batch_norm=True,
        solver="lbfgs",
        alpha=0.0,
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    z = X @ reg.coefs_[0] + reg.intercepts_[0]
    bn = reg.batch_norm_layers_[0]
    assert_allclose(bn["running_mean"], z.mean(axis=0), rtol=1e-10)
    assert_allclose(bn["running_var"], z.var(axis=0, ddof=1), rtol=1e-10)
    out = _tanh_forward(reg, X, lambda z: (z.mean(axis=0), z.var(axis=0))).ravel()
    assert_allclose(reg.loss_, 0.5 * np.mean((out - y) ** 2), rtol=1e-10)


def test_partial_fit_and_warm_start_continue_the_running_statistics():
    X, y = _data()
    params = dict(
        hidden_layer_sizes=(6,),
        batch_norm=True,
        solver="sgd",
        shuffle=False,
        batch_size=25,
        random_state=0,
    )
    whole = MLPRegressor(max_iter=3, **params).fit(X, y)
    steps = MLPRegressor(max_iter=1, **params).fit(X, y)
    steps.partial_fit(X, y)
    steps.partial_fit(X, y)
    warm = MLPRegressor(max_iter=1, warm_start=True, **params).fit(X, y)
    warm.set_params(max_iter=2).fit(X, y)
    for est in (steps, warm):
        assert_array_equal(est._params, whole._params)
        assert_array_equal(est._state, whole._state)


def test_early_stopping_keeps_the_best_epochs_statistics(monkeypatch):
    seen = []
    epoch = NetworkRunner.epoch

    def recording(self, order, params, state, solver):
        result = epoch(self, order, params, state, solver)
        seen.append((params.copy(), state.copy()))
        return result

    monkeypatch.setattr(NetworkRunner, "epoch", recording)
    X, y = make_classification(n_samples=300, random_state=0)
    clf = MLPClassifier(
        (16,),
        batch_norm=True,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=40,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    best = [i for i, (p, _) in enumerate(seen) if np.array_equal(p, clf._params)]
    assert best and best[0] < len(seen) - 1  # the best epoch is an earlier one
    assert_array_equal(clf._state, seen[best[0]][1])
    # Validation ran with the running statistics: its best score is the kept
    # model's score on the held-out rows, which is one of the recorded scores.
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_a_diverged_epoch_rolls_the_statistics_back():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reg = MLPRegressor(
                hidden_layer_sizes=(8,),
                batch_norm=True,
                solver="sgd",
                learning_rate_init=1e6,
                max_iter=20,
                random_state=0,
            ).fit(X, y * 1e3)
        except ValueError:
            return  # refused altogether: nothing kept
    assert np.isfinite(reg._state).all() and np.isfinite(reg.predict(X)).all()


# ------------------------------------------------------- batches of one sample
def test_batch_size_one_or_one_sample_is_a_clear_error():
    X, y = _data(n=10)
    with pytest.raises(ValueError, match="batch_size=1"):
        MLPRegressor(hidden_layer_sizes=(4,), batch_norm=True, batch_size=1).fit(X, y)
    with pytest.raises(ValueError, match="1 sample"):
        MLPRegressor(hidden_layer_sizes=(4,), batch_norm=True).fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="1 sample"):
        MLPRegressor(hidden_layer_sizes=(4,), batch_norm=True, solver="lbfgs").fit(
            X[:1], y[:1]
        )
    # A convolution normalizes over positions: one sample per batch works.
    CNNClassifier(
        input_shape=(1, 5),
        filters=(2,),
        batch_norm=True,
        batch_size=1,
        hidden_layer_sizes=(),
        max_iter=2,
    ).fit(X, y > 0)


def test_a_last_batch_of_one_sample_is_left_out():
    X, y = _data(n=41)
    reg = MLPRegressor(
        hidden_layer_sizes=(4,),
        batch_norm=True,
        batch_size=10,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    assert reg.t_ == 3 * 40
    assert np.isfinite(reg.loss_)
    plain = MLPRegressor(
        hidden_layer_sizes=(4,), batch_size=10, max_iter=3, random_state=0
    ).fit(X, y)
    assert plain.t_ == 3 * 41


# --------------------------------------------------------------- estimators
def test_sample_weight_is_a_frequency_weight():
    X, y = _data(n=30)
    w = np.random.RandomState(1).randint(0, 4, size=30)
    params = dict(
        hidden_layer_sizes=(5,),
        batch_norm=True,
        solver="lbfgs",
        max_iter=50,
        random_state=0,
    )
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=w)
    repeated = MLPRegressor(**params).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-8)


def test_pickle_and_clone():
    X, y = _data()
    reg = MLPRegressor(
        hidden_layer_sizes=(5,), batch_norm=True, max_iter=3, random_state=0
    ).fit(X, y)
    copy = pickle.loads(pickle.dumps(reg))
    assert_array_equal(copy.predict(X), reg.predict(X))
    assert copy.batch_norm_layers_[0]["running_mean"].base is copy._state
    assert clone(reg).get_params()["batch_norm"] is True


@pytest.mark.parametrize(
    "make", [DenoisingAutoencoder, VariationalAutoencoder, AdversarialAutoencoder]
)
def test_autoencoders_normalize_encoder_and_decoder(make):
    X, _ = _data(n=80, d=8)
    ae = make(
        n_components=2,
        hidden_layer_sizes=(6, 4),
        batch_norm=True,
        max_iter=3,
        random_state=0,
    ).fit(X)
    assert len(ae.batch_norm_layers_) == 4  # two hidden layers on each side
    assert ae.n_encoder_layers_ == 3
    codes_ = ae.transform(X)
    assert_array_equal(codes_, ae.transform(X))  # prediction mode: deterministic
    assert np.isfinite(ae.score_samples(X)).all()
    assert ae.inverse_transform(codes_).shape == X.shape


def test_deep_narrow_tanh_mlp_trains_with_batch_norm_where_it_stalls_without():
    """8 hidden layers of 32 tanh units, sgd, on unscaled features (values around
    30 +- 10): without normalization the first layer saturates and training
    crawls; with it the network fits. Calibrated on seeds 0-4 (test accuracy with
    batch norm 0.947-0.979, without 0.563-0.904; mean final loss 0.135 vs 0.474)."""
    bn_scores, plain_scores, bn_losses, plain_losses = [], [], [], []
    for seed in range(5):
        X, y = make_classification(
            n_samples=1500,
            n_features=20,
            n_informative=8,
            n_classes=3,
            n_clusters_per_class=1,
            class_sep=1.5,
            random_state=seed,
        )
        X_train, X_test, y_train, y_test = train_test_split(
            X * 10 + 30, y, random_state=0
        )
        for bn, scores, losses in (
            (True, bn_scores, bn_losses),
            (False, plain_scores, plain_losses),
        ):
            clf = MLPClassifier(
                (32,) * 8,
                activation="tanh",
                solver="sgd",
                learning_rate_init=0.01,
                batch_size=32,
                max_iter=15,
                batch_norm=bn,
                random_state=seed,
            )
            clf.fit(X_train, y_train)
            scores.append(clf.score(X_test, y_test))
            losses.append(clf.loss_)
    assert min(bn_scores) >= 0.93
    assert np.mean(plain_scores) <= 0.85
    assert np.mean(bn_losses) <= 0.4 * np.mean(plain_losses)
