"""Tests of skdeep's PerceptronClassifier against scikit-learn's Perceptron."""

import contextlib
import doctest
import io
import itertools
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skdeep.estimators.perceptron as perceptron_module
from skdeep._kernels import perceptron as kernels
from skdeep.estimators.perceptron import PerceptronClassifier
from skdeep.exceptions import TrainingInterruptedWarning
from skdeep.utils._compat import CallbackSupportMixin

PENALTIES = [None, "l2", "l1", "elasticnet"]


@pytest.fixture(scope="module", autouse=True)
def _warm_kernels():
    kernels.precompile()


def _iris():
    return load_iris(return_X_y=True)


def _multiclass():
    return make_classification(
        n_samples=300, n_features=10, n_informative=5, n_classes=3, random_state=0
    )


def _binary():
    return make_classification(n_samples=300, n_features=10, random_state=1)


DATASETS = {"iris": _iris, "multiclass": _multiclass, "binary": _binary}


def _quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


# ------------------------------------------------------------- fidelity to sklearn
@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_same_model_as_sklearn(dataset, penalty, shuffle):
    X, y = DATASETS[dataset]()
    params = dict(penalty=penalty, alpha=0.01, shuffle=shuffle, max_iter=30)
    ref = _quiet_fit(Perceptron(**params), X, y)
    ours = _quiet_fit(PerceptronClassifier(**params), X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.t_ == ref.t_
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(
        ours.decision_function(X), ref.decision_function(X), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("average", [True, 50])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_averaged_same_model_as_sgd_classifier(penalty, average, sparse, dtype):
    X, y = _multiclass()
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if sparse else X
    params = dict(penalty=penalty, alpha=0.01, average=average, max_iter=20)
    ref = SGDClassifier(
        loss="perceptron", learning_rate="constant", eta0=1.0, random_state=0, **params
    )
    ref = _quiet_fit(ref, X, y)
    ours = _quiet_fit(PerceptronClassifier(**params), X, y)
    assert ours.coef_.dtype == ref.coef_.dtype == dtype
    # No BLAS call reaches the plain weights, the intercepts (the averaged one too)
    # or the stopping rule: bit-identical on every CPU, float32 included (the
    # kernels round where sklearn's float32 Cython rounds).
    np.testing.assert_array_equal(ours._standard_coef, ref._standard_coef)
    np.testing.assert_array_equal(ours._standard_intercept, ref._standard_intercept)
    np.testing.assert_array_equal(ours.intercept_, ref.intercept_)
    assert (ours.n_iter_, ours.t_) == (ref.n_iter_, ref.t_)
    _assert_averaged_coef_close(ours.coef_, ref.coef_, ref._standard_coef, penalty)


def _assert_averaged_coef_close(ours, ref, w, penalty):
    """The averaged ``coef_`` within what sklearn's CPU-dependent ``axpy`` allows.

    Averaged weights are folded as ``avg = (aw + a * w) * (1 / b)``; sklearn's BLAS
    ``axpy`` may round ``aw + a * w`` once (fused) or twice, by CPU and BLAS build,
    and skdeep rounds twice. So the two differ by at most the product's rounding and
    two roundings of the sum and the scaled result (u = eps / 2 each).
    """
    eps = np.finfo(ref.dtype).eps
    if penalty in (None, "l1"):
        # One fold, at the end, with wscale = 1 throughout, where a / b = 1: the
        # bound is u |w| + 4 u |avg|, here with a factor 2 to spare. Not in ulps of
        # avg: where avg is near 0 and w is not, one rounding of a * w is many of
        # avg's ulps (thousands in this test).
        bound = eps * (np.abs(w) + 4 * np.abs(ref))
    else:
        # wscale decays by (1 - eta alpha) per sample and is folded into w each time
        # it falls below tau, about ln(1/tau) / (eta alpha) samples after the last
        # fold. Then w is 1/tau times the true weights and a / b about
        # 1 / (eta alpha * samples), so aw and a * w are ~1 / (tau ln(1/tau)) times
        # the averaged weights (5e7 in float64, 7e4 in float32) and cancel; each
        # fold may move avg by eps times that. Relative to the row's largest
        # averaged weight, with a factor 4 for the several folds of a fit.
        tau = 1e-9 if ref.dtype == np.float64 else 1e-6
        scale = np.abs(ref).max(axis=1, keepdims=True)
        bound = 4 * eps / (tau * np.log(1 / tau)) * scale
    diff = np.abs(ours.astype(np.float64) - ref)
    assert np.all(diff <= bound), f"max diff / bound = {np.max(diff / bound)}"


@pytest.mark.parametrize("penalty", PENALTIES)
def test_sparse_and_float32_same_as_sklearn(penalty):
    X, y = _iris()
    for X_in in (sp.csr_matrix(X), X.astype(np.float32)):
        params = dict(penalty=penalty, alpha=0.01, max_iter=15)
        ref = _quiet_fit(Perceptron(**params), X_in, y)
        ours = _quiet_fit(PerceptronClassifier(**params), X_in, y)
        assert ours.coef_.dtype == ref.coef_.dtype
        np.testing.assert_array_equal(ours.coef_, ref.coef_)
        np.testing.assert_array_equal(ours.intercept_, ref.intercept_)


@pytest.mark.parametrize("n_samples", [3, 4, 5, 12, 13, 40])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_prefetch_and_block_boundaries_same_as_sklearn(
    n_samples, sparse, dtype, penalty
):
    # The kernel prefetches the sample visited 12 steps later, and (without an L1
    # penalty) computes the decision values of four samples at a time: fewer
    # samples than either, exactly that many and a few more must all give
    # sklearn's model.
    X, y = make_classification(n_samples=n_samples, n_features=6, random_state=3)
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if sparse else X
    sample_weight = np.random.RandomState(0).rand(n_samples)
    params = dict(penalty=penalty, alpha=0.01, max_iter=5, tol=None)
    ref = _quiet_fit(Perceptron(**params), X, y, sample_weight=sample_weight)
    ours = _quiet_fit(PerceptronClassifier(**params), X, y, sample_weight=sample_weight)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    # sklearn's binary intercept_ stays float64 for float32 X; ours has X's dtype
    np.testing.assert_array_equal(ours.intercept_, ref.intercept_.astype(dtype))


@pytest.mark.parametrize("penalty", [None, "l2", "l1"])
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_rows_of_different_lengths_same_as_sklearn(penalty, average, dtype):
    # CSR rows with 0 to 20 entries (some empty): the decision values of four rows
    # of different lengths are computed together
    X, y = make_classification(n_samples=400, n_features=20, random_state=0)
    X[np.random.RandomState(1).rand(*X.shape) < np.linspace(0, 1, 400)[:, None]] = 0
    X = sp.csr_matrix(X.astype(dtype))
    assert len(set(np.diff(X.indptr))) > 15 and np.diff(X.indptr).min() == 0
    params = dict(penalty=penalty, alpha=0.001, average=average, max_iter=10)
    ref = SGDClassifier(
        loss="perceptron", learning_rate="constant", eta0=1.0, random_state=0, **params
    )
    ref = _quiet_fit(ref, X, y)
    ours = _quiet_fit(PerceptronClassifier(**params), X, y)
    # sklearn keeps a binary problem's _standard_coef 1-d
    standard = (ref._standard_coef if average else ref.coef_).reshape(1, -1)
    np.testing.assert_array_equal(ours._standard_coef, standard)
    np.testing.assert_array_equal(ours.intercept_, ref.intercept_.astype(dtype))
    assert ours.n_iter_ == ref.n_iter_
    if average:
        _assert_averaged_coef_close(ours.coef_, ref.coef_, standard, penalty)


@pytest.mark.parametrize(
    "params",
    [
        dict(early_stopping=True),
        dict(early_stopping=True, penalty="l2", alpha=1e-3),
        dict(class_weight="balanced"),
        dict(class_weight={0: 2.0, 1: 1.0, 2: 0.5}),
        dict(fit_intercept=False, penalty="elasticnet"),
        dict(eta0=0.1, tol=None, max_iter=7),
    ],
)
def test_options_same_as_sklearn(params):
    X, y = _multiclass()
    sample_weight = np.random.RandomState(0).rand(len(y))
    for target in (y, (y == 0).astype(int)):
        ref = _quiet_fit(Perceptron(**params), X, target, sample_weight=sample_weight)
        ours = _quiet_fit(
            PerceptronClassifier(**params), X, target, sample_weight=sample_weight
        )
        np.testing.assert_array_equal(ours.coef_, ref.coef_)
        np.testing.assert_array_equal(ours.intercept_, ref.intercept_)
        assert ours.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_sample_weights_same_as_sklearn(dtype):
    # A sample of weight 0 is not learnt from, but its loss still counts in the
    # objective of the stopping rule, with its label's sign.
    X, y = _multiclass()
    sample_weight = np.random.RandomState(0).rand(len(y))
    sample_weight[::3] = 0.0
    for target in (y, (y == 0).astype(int)):
        ref = _quiet_fit(
            Perceptron(), X.astype(dtype), target, sample_weight=sample_weight
        )
        ours = _quiet_fit(
            PerceptronClassifier(), X.astype(dtype), target, sample_weight=sample_weight
        )
        assert ours.n_iter_ == ref.n_iter_
        np.testing.assert_array_equal(ours.coef_, ref.coef_)
        np.testing.assert_array_equal(ours.intercept_, ref.intercept_.astype(dtype))


def test_partial_fit_warm_start_and_init_same_as_sklearn():
    X, y = _multiclass()
    ref, ours = Perceptron(penalty="l2"), PerceptronClassifier(penalty="l2")
    for k in range(3):
        part = slice(100 * k, 100 * (k + 1))
        ref.partial_fit(X[part], y[part], classes=[0, 1, 2])
        ours.partial_fit(X[part], y[part], classes=[0, 1, 2])
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    assert ours.t_ == ref.t_

    ref = _quiet_fit(Perceptron(warm_start=True, max_iter=3), X, y)
    ours = _quiet_fit(PerceptronClassifier(warm_start=True, max_iter=3), X, y)
    _quiet_fit(ref, X, y)
    _quiet_fit(ours, X, y)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)

    # sklearn trains coef_init in place, so each model gets its own copy
    ref = _quiet_fit(Perceptron(), X, y, coef_init=np.ones((3, 10)))
    coef_init = np.ones((3, 10))
    ours = _quiet_fit(PerceptronClassifier(), X, y, coef_init=coef_init)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    np.testing.assert_array_equal(coef_init, 1.0)  # ours leaves it untouched


def test_n_jobs_gives_identical_model():
    X, y = _multiclass()
    one = _quiet_fit(PerceptronClassifier(n_jobs=1), X, y)
    two = _quiet_fit(PerceptronClassifier(n_jobs=2), X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.intercept_, two.intercept_)


def test_deterministic_random_state():
    X, y = _multiclass()
    a = _quiet_fit(PerceptronClassifier(random_state=7), X, y)
    b = _quiet_fit(PerceptronClassifier(random_state=7), X, y)
    c = _quiet_fit(PerceptronClassifier(random_state=8), X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.coef_.tobytes() != c.coef_.tobytes()


def test_averaged_at_least_as_accurate_on_noisy_labels():
    X, y = make_classification(
        n_samples=3000, n_features=20, n_informative=10, flip_y=0.2, random_state=0
    )  # flip_y=0.2 reassigns 20% of labels at random: about 10% are wrong
    X_tr, y_tr, X_te, y_te = X[:2000], y[:2000], X[2000:], y[2000:]
    plain, averaged = [], []
    for seed in range(3):
        params = dict(random_state=seed, max_iter=20, tol=None)
        plain.append(PerceptronClassifier(**params).fit(X_tr, y_tr).score(X_te, y_te))
        model = PerceptronClassifier(average=True, **params).fit(X_tr, y_tr)
        averaged.append(model.score(X_te, y_te))
    assert np.mean(averaged) >= np.mean(plain)


# ------------------------------------------------------------------- Ctrl-C
def _interrupt_at_call(monkeypatch, call):
    """Make the epoch kernel raise KeyboardInterrupt right after its ``call``-th
    call has updated the weights (Ctrl-C lands once the kernel returns)."""
    real_epoch = kernels.perceptron_epoch
    calls = itertools.count(1)

    def interrupted_epoch(*args):
        real_epoch(*args)
        if next(calls) == call:
            raise KeyboardInterrupt

    monkeypatch.setattr(kernels, "perceptron_epoch", interrupted_epoch)


@pytest.mark.parametrize(
    "dataset, call",
    # The one-vs-rest problems train side by side, so calls 10-12 are epoch 4 of
    # the 3 problems; the binary problem's epoch 4 is call 4.
    [("multiclass", 10), ("multiclass", 12), ("binary", 4)],
    ids=["ovr-first-problem", "ovr-last-problem", "binary"],
)
@pytest.mark.parametrize(
    "params",
    [{}, {"average": True, "penalty": "l1"}, {"n_jobs": 2}],
    ids=["plain", "averaged-l1", "threads"],
)
def test_keyboard_interrupt_keeps_the_last_complete_epoch(
    monkeypatch, dataset, call, params
):
    X, y = DATASETS[dataset]()
    params = dict(params, max_iter=20, tol=None)
    _interrupt_at_call(monkeypatch, call)
    with pytest.warns(TrainingInterruptedWarning, match="last complete epoch"):
        model = PerceptronClassifier(**params).fit(X, y)
    monkeypatch.undo()
    three = _quiet_fit(PerceptronClassifier(**{**params, "max_iter": 3}), X, y)
    np.testing.assert_array_equal(model.coef_, three.coef_)
    np.testing.assert_array_equal(model.intercept_, three.intercept_)
    assert (model.n_iter_, model.t_) == (three.n_iter_, three.t_) == (3, 901)
    np.testing.assert_array_equal(model.predict(X), three.predict(X))
    # and training goes on from there as from the 3-epoch model
    model.partial_fit(X, y)
    three.partial_fit(X, y)
    np.testing.assert_array_equal(model.coef_, three.coef_)


def test_keyboard_interrupt_in_the_first_epoch_or_in_partial_fit(monkeypatch):
    X, y = _multiclass()
    _interrupt_at_call(monkeypatch, 2)
    with pytest.warns(TrainingInterruptedWarning):
        model = PerceptronClassifier().fit(X, y)
    # no epoch completed: the initial (zero) model, which still predicts
    assert (model.n_iter_, model.t_) == (0, 1.0)
    np.testing.assert_array_equal(model.coef_, np.zeros((3, 10)))
    np.testing.assert_array_equal(model.predict(X), np.zeros(300))

    monkeypatch.undo()
    model = PerceptronClassifier().partial_fit(X, y, classes=[0, 1, 2])
    before = model.coef_.copy(), model.intercept_.copy(), model.t_
    _interrupt_at_call(monkeypatch, 3)
    with pytest.warns(TrainingInterruptedWarning):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model.coef_, before[0])
    np.testing.assert_array_equal(model.intercept_, before[1])
    assert (model.n_iter_, model.t_) == (0, before[2])


def test_same_model_without_sklearn_callback_api(monkeypatch):
    # scikit-learn < 1.9 has no sklearn.callback: the fit must not need it
    monkeypatch.delattr(CallbackSupportMixin, "_init_callback_context", raising=False)
    assert not hasattr(PerceptronClassifier(), "_init_callback_context")
    X, y = _multiclass()
    ours = _quiet_fit(PerceptronClassifier(max_iter=5), X, y)
    ref = _quiet_fit(Perceptron(max_iter=5), X, y)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    assert ours.n_iter_ == ref.n_iter_ == 5


# ---------------------------------------------------------------- sklearn tooling
def test_grid_search_pipeline_and_pickle():
    X, y = _iris()
    grid = GridSearchCV(
        PerceptronClassifier(max_iter=20),
        {"eta0": [0.1, 1.0], "penalty": [None, "l2"], "alpha": [1e-4, 1e-2]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_score_ > 0.6

    pipe = make_pipeline(StandardScaler(), PerceptronClassifier()).fit(X, y)
    assert pipe.score(X, y) > 0.8

    model = PerceptronClassifier(average=True).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))
    np.testing.assert_array_equal(clone.coef_, model.coef_)


def test_pandas_input_and_feature_names():
    X, y = _iris()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = PerceptronClassifier().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c", "d"])
    ref = PerceptronClassifier().fit(X, y)
    np.testing.assert_array_equal(model.predict(frame), ref.predict(X))


def test_densify_sparsify_and_string_labels():
    X, y = _iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = PerceptronClassifier().fit(X, labels)
    dense_pred = model.predict(X)
    assert set(dense_pred) <= set(labels)
    model.sparsify()
    assert sp.issparse(model.coef_)
    np.testing.assert_array_equal(model.predict(X), dense_pred)
    model.partial_fit(X, labels)  # training continues from the dense weights
    model.densify()
    assert isinstance(model.coef_, np.ndarray)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "make_input, error",
    [
        (lambda X, y: (np.where(X > 5, np.nan, X), y), ValueError),
        (lambda X, y: (np.where(X > 5, np.inf, X), y), ValueError),
        (lambda X, y: (X[:, 0], y), ValueError),
        (lambda X, y: (X[:0], y[:0]), ValueError),
        (lambda X, y: (X.astype(str).astype(object) + "x", y), ValueError),
        (lambda X, y: (X, np.zeros_like(y)), ValueError),
        (lambda X, y: (X, y[:-1]), ValueError),
    ],
    ids=["nan", "inf", "1d", "empty", "strings", "one-class", "y-length"],
)
def test_bad_input_raises_and_keeps_fitted_model(make_input, error):
    X, y = _iris()
    model = PerceptronClassifier().fit(X, y)
    before = model.predict(X).copy(), model.coef_.copy(), model.n_features_in_
    bad_X, bad_y = make_input(X, y)
    with pytest.raises(error):
        model.fit(bad_X, bad_y)
    np.testing.assert_array_equal(model.predict(X), before[0])
    np.testing.assert_array_equal(model.coef_, before[1])
    assert model.n_features_in_ == before[2]


def test_bad_sample_weight_and_feature_count():
    X, y = _iris()
    model = PerceptronClassifier().fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="Negative values"):
        model.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError):
        model.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="class"):
        model.fit(X[:, :3], np.zeros_like(y))  # fails after n_features_in_ reset
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == 4
    model.predict(X)


def test_non_finite_training_raises_before_publishing():
    X, y = _iris()
    model = PerceptronClassifier().fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="overflow"):
        model.set_params(eta0=1e308).fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)


@pytest.mark.parametrize(
    "params",
    [
        dict(penalty="l3"),
        dict(alpha=-1.0),
        dict(l1_ratio=1.5),
        dict(max_iter=0),
        dict(eta0=0.0),
        dict(tol=-1.0),
        dict(validation_fraction=1.0),
        dict(n_iter_no_change=0),
        dict(class_weight="auto"),
        dict(average=-1),
    ],
)
def test_invalid_hyperparameters(params):
    X, y = _iris()
    with pytest.raises(InvalidParameterError):
        PerceptronClassifier(**params).fit(X, y)


def test_partial_fit_errors():
    X, y = _iris()
    with pytest.raises(ValueError, match="classes must be passed"):
        PerceptronClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        PerceptronClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="balanced"):
        PerceptronClassifier(class_weight="balanced").partial_fit(
            X, y, classes=[0, 1, 2]
        )
    model = PerceptronClassifier().partial_fit(X, y, classes=[0, 1, 2])
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="average was switched on"):
        model.set_params(average=True).partial_fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)


# -------------------------------------------------------------------- kernels
def _python_xorshift_shuffle(order, seed):
    """Slow reference: sklearn's ``SequentialDataset.shuffle`` step by step."""
    order = list(order)
    for i in range(len(order) - 1):
        seed ^= (seed << 13) & 0xFFFFFFFF
        seed ^= seed >> 17
        seed ^= (seed << 5) & 0xFFFFFFFF
        j = i + (seed % 2147483648) % (len(order) - i)
        order[i], order[j] = order[j], order[i]
    return order


def test_shuffle_kernel_matches_reference():
    order = np.arange(57, dtype=np.int32)
    expected = _python_xorshift_shuffle(order, 123456789)
    kernels.xorshift_shuffle(order, 123456789)
    np.testing.assert_array_equal(order, expected)


def _fused_axpy(a, w, aw):
    """``aw + a * w`` rounded once, from exact rationals (what an FMA gives)."""
    exact = [Fraction(float(a)) * Fraction(float(x)) + Fraction(float(y))
             for x, y in zip(w, aw)]  # fmt: skip
    return np.array([float(v) for v in exact]).astype(w.dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reset_wscale_rounds_like_reference_blas(dtype):
    # The fold of the averaged weights: aw = (aw + a * w) * (1 / b), w *= wscale,
    # with the product and the sum rounded separately on every CPU. numpy's
    # elementwise multiply and add never fuse, so they are the reference.
    rng = np.random.RandomState(0)
    w = rng.standard_normal(200).astype(dtype)
    a, b, wscale = dtype(1 / 3), 7.0, 1e-3
    # aw nearly cancels a * w, where a fused multiply-add rounds differently
    aw = (-(np.float64(a) * w) * (1 + 1e-3 * rng.rand(200))).astype(dtype)
    state = kernels.new_state(0.0, 0.0)
    state[kernels.AVERAGE_A], state[kernels.AVERAGE_B] = a, b
    state[kernels.WSCALE] = wscale
    expected_aw = (aw + a * w) * dtype(1 / b)
    expected_w = w * dtype(wscale)
    fused_aw = _fused_axpy(a, w, aw) * dtype(1 / b)
    assert np.mean(fused_aw != expected_aw) > 0.3  # the test tells the two apart

    kernels.reset_wscale(w, aw, state, True)
    np.testing.assert_array_equal(aw, expected_aw)
    np.testing.assert_array_equal(w, expected_w)
    assert (state[kernels.AVERAGE_A], state[kernels.AVERAGE_B]) == (0.0, 1.0)
    assert state[kernels.WSCALE] == 1.0


FIT_AND_HASH = textwrap.dedent(
    """
    import hashlib, warnings
    import numpy as np
    from sklearn.datasets import make_classification
    from skdeep.estimators.perceptron import PerceptronClassifier

    warnings.simplefilter("ignore")
    X, y = make_classification(n_samples=300, n_features=10, n_informative=5,
                               n_classes=3, random_state=0)
    digest = hashlib.sha256()
    for dtype in (np.float64, np.float32):
        for params in ({}, {"average": True, "penalty": "l2", "alpha": 0.01}):
            model = PerceptronClassifier(max_iter=20, **params)
            model.fit(X.astype(dtype), y)
            digest.update(model.coef_.tobytes() + model.intercept_.tobytes())
    print(digest.hexdigest())
    """
)


def test_same_bits_when_compiled_for_a_baseline_cpu(tmp_path):
    # The kernels fuse no multiply-add and reorder no sum, so code compiled for the
    # generic CPU of the architecture (SSE2 on x86-64) gives the bits of code
    # compiled for this one (AVX-512 or whatever it has).
    env = {**os.environ, "NUMBA_CPU_NAME": "generic", "NUMBA_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CPU_FEATURES", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    run = [sys.executable, "-c", FIT_AND_HASH]
    elsewhere = subprocess.run(run, env=env, check=True, capture_output=True, text=True)
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        exec(FIT_AND_HASH, {})
    assert elsewhere.stdout.strip() == here.getvalue().strip()


def test_docstring_examples():
    result = doctest.testmod(perceptron_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
