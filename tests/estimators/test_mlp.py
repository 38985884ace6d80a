"""MLPClassifier / MLPRegressor behaviour: the sklearn API, skdeep's additions, and
what happens with bad input or a diverging fit."""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_regression,
)
from sklearn.model_selection import (
    GridSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skdeep import MLPClassifier, MLPRegressor
from skdeep.exceptions import TrainingDivergedWarning

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:300], y[:300]


# ----------------------------------------------------------------- accuracy
@pytest.mark.parametrize("loader", [load_digits, load_iris, load_breast_cancer])
def test_accuracy_within_one_point_of_sklearn(loader):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        StandardScaler().fit_transform(X), y, stratify=y, random_state=0
    )
    scores = {}
    for name, cls in (("skdeep", MLPClassifier), ("sklearn", sk.MLPClassifier)):
        accs = [
            cls(max_iter=300, random_state=seed)
            .fit(X_train, y_train)
            .score(X_test, y_test)
            for seed in range(3)
        ]
        scores[name] = np.mean(accs)
    assert abs(scores["skdeep"] - scores["sklearn"]) <= 0.01


def test_regression_r2_within_001_of_sklearn():
    X, y = make_regression(n_samples=600, n_features=10, noise=5.0, random_state=0)
    y = y / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    ours = MLPRegressor(hidden_layer_sizes=(64,), max_iter=400, random_state=0)
    theirs = sk.MLPRegressor(hidden_layer_sizes=(64,), max_iter=400, random_state=0)
    r2_ours = ours.fit(X_train, y_train).score(X_test, y_test)
    r2_theirs = theirs.fit(X_train, y_train).score(X_test, y_test)
    assert r2_ours > 0.9
    assert abs(r2_ours - r2_theirs) <= 0.01


# ----------------------------------------------------------------- targets
def test_string_and_categorical_labels(small):
    X, y = small
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )[y]
    clf = MLPClassifier(hidden_layer_sizes=(20,), max_iter=100, random_state=0)
    pred = clf.fit(X, names).predict(X)
    assert set(pred) <= set(names)
    assert (pred == names).mean() > 0.9
    cat = pd.Series(names, dtype="category")
    pred_cat = clone(clf).fit(X, cat).predict(X)
    np.testing.assert_array_equal(pred_cat, pred)


def test_multilabel_predict_proba_shape():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 5)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    clf.fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == (100, 3)
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 3)
    assert (clf.predict(X) == Y).mean() > 0.9


def test_multioutput_regression():
    X, Y = make_regression(n_samples=200, n_features=5, n_targets=3, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0
    ).fit(X, Y / Y.std())
    assert reg.predict(X).shape == (200, 3)
    assert reg.score(X, Y / Y.std()) > 0.95


def test_predict_proba_is_a_distribution(small):
    X, y = small
    clf = MLPClassifier(hidden_layer_sizes=(10,), max_iter=20, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    binary = clone(clf).fit(X, y % 2).predict_proba(X)
    assert binary.shape == (X.shape[0], 2)
    np.testing.assert_allclose(binary.sum(axis=1), 1.0)


# -------------------------------------------------------- skdeep additions
def test_class_weight_balanced_equals_sample_weight(small):
    X, y = small
    from sklearn.utils.class_weight import compute_sample_weight

    a = MLPClassifier(
        hidden_layer_sizes=(10,), max_iter=5, random_state=0, class_weight="balanced"
    ).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(10,), max_iter=5, random_state=0).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    for ca, cb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(ca, cb)


def test_class_weight_shifts_predictions_to_the_heavy_class():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 2)
    y = (X[:, 0] + 0.5 * rng.randn(400) > 0).astype(int)
    plain = MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0)
    heavy = clone(plain).set_params(class_weight={0: 1.0, 1: 20.0})
    assert heavy.fit(X, y).predict(X).mean() > plain.fit(X, y).predict(X).mean()


@pytest.mark.parametrize("dropout", [0.2, [0.5, 0.1]])
def test_dropout_trains_and_is_off_at_predict(small, dropout):
    X, y = small
    clf = MLPClassifier(
        hidden_layer_sizes=(40, 20), dropout=dropout, max_iter=60, random_state=0
    ).fit(X, y)
    assert clf.score(X, y) > 0.9
    # Predict is deterministic: no mask at inference.
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    no_drop = clone(clf).set_params(dropout=0.0).fit(X, y)
    assert not np.array_equal(no_drop.coefs_[0], clf.coefs_[0])


def test_dropout_rejected_with_wrong_length_or_lbfgs(small):
    X, y = small
    with pytest.raises(ValueError, match="one rate per hidden layer"):
        MLPClassifier(hidden_layer_sizes=(5, 5), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match="dropout rates must be in"):
        MLPClassifier(hidden_layer_sizes=(5,), dropout=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="lbfgs", dropout=0.1).fit(X, y)


@pytest.mark.parametrize("solver", ["adagrad", "rmsprop"])
def test_new_solvers_learn(small, solver):
    X, y = small
    clf = MLPClassifier(
        hidden_layer_sizes=(30,),
        solver=solver,
        max_iter=40,
        learning_rate_init=0.01,
        random_state=0,
    )
    assert clf.fit(X, y).score(X, y) > 0.95


@pytest.mark.parametrize("schedule", ["exponential", "step"])
def test_schedules_applied_to_adam(small, schedule):
    X, y = small
    clf = MLPClassifier(
        hidden_layer_sizes=(10,),
        max_iter=12,
        learning_rate=schedule,
        lr_decay=0.5,
        lr_step_size=4,
        random_state=0,
        tol=0.0,
        n_iter_no_change=100,
    ).fit(X, y)
    expected = 0.001 * (0.5**12 if schedule == "exponential" else 0.5**3)
    assert clf._optimizer["schedule"]["current"] == pytest.approx(expected)


def test_warm_start_keeps_optimizer_state(small):
    X, y = small
    clf = MLPClassifier(
        hidden_layer_sizes=(10,),
        max_iter=3,
        warm_start=True,
        random_state=0,
        shuffle=False,
    ).fit(X, y)
    steps = clf._optimizer["step"][0]
    moment = clf._optimizer["state1"].copy()
    clf.fit(X, y)
    assert clf._optimizer["step"][0] == 2 * steps
    assert not np.array_equal(clf._optimizer["state1"], moment)
    # Two warm fits of 3 epochs are exactly one fit of 6 epochs.
    six = MLPClassifier(
        hidden_layer_sizes=(10,), max_iter=6, random_state=0, shuffle=False
    ).fit(X, y)
    for a, b in zip(clf.coefs_, six.coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    assert len(clf.loss_curve_) == 6


def test_partial_fit_equals_fit_epochs(small):
    X, y = small
    full = MLPClassifier(
        hidden_layer_sizes=(10,), max_iter=4, shuffle=False, random_state=0
    ).fit(X, y)
    inc = MLPClassifier(hidden_layer_sizes=(10,), shuffle=False, random_state=0)
    for _ in range(4):
        inc.partial_fit(X, y, classes=np.unique(y))
    assert inc.n_iter_ == 1
    assert inc.t_ == 4 * X.shape[0]
    for a, b in zip(inc.coefs_, full.coefs_):
        np.testing.assert_allclose(a, b, atol=1e-13)


def test_partial_fit_rules(small):
    X, y = small
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=np.unique(y))
    clf = MLPClassifier(hidden_layer_sizes=(5,)).partial_fit(
        X[y < 5], y[y < 5], classes=np.arange(5)
    )
    with pytest.raises(ValueError, match=r"not in `self\.classes_`"):
        clf.partial_fit(X, y)
    # No partial_fit for L-BFGS, in either class (sklearn's regressor silently
    # runs a full fit).
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")


def test_early_stopping_restores_best_and_records_validation_loss(digits):
    X, y = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(30,),
        early_stopping=True,
        max_iter=200,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    scores = clf.validation_scores_
    assert clf.best_validation_score_ == max(scores)
    assert len(clf.validation_loss_curve_) == len(scores) == clf.n_iter_
    assert clf.best_loss_ is None
    # Stopped after n_iter_no_change + 1 epochs without improvement.
    best_epoch = int(np.argmax(scores))
    assert clf.n_iter_ - 1 - best_epoch >= clf.n_iter_no_change


def test_verbose_prints_sklearn_lines(small, capsys):
    X, y = small
    MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, verbose=True).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Iteration 1, loss = ")
    assert out[1].startswith("Iteration 2, loss = ")


# --------------------------------------------------------- input handling
def test_sparse_input_matches_dense(small):
    X, y = small
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = MLPClassifier(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    dense.fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = clone(dense).fit(fmt(X), y)
        for a, b in zip(sparse.coefs_, dense.coefs_):
            np.testing.assert_allclose(a, b, atol=1e-12)
        np.testing.assert_allclose(
            sparse.predict_proba(fmt(X)), dense.predict_proba(X), atol=1e-12
        )


def test_pandas_feature_names_kept_and_checked(small):
    X, y = small
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    clf.fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    np.testing.assert_array_equal(clf.predict(df), clf.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"px0": "other"}))


def test_fortran_noncontiguous_and_readonly_inputs_work(small):
    X, y = small
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    ref = clf.predict_proba(X)
    wide = np.repeat(X, 2, axis=1)[:, ::2]
    readonly = X.copy()
    readonly.flags.writeable = False
    for variant in (np.asfortranarray(X), wide, readonly):
        np.testing.assert_array_equal(clf.predict_proba(variant), ref)
        refit = clone(clf).fit(variant, y)
        np.testing.assert_array_equal(refit.coefs_[0], clf.coefs_[0])


BAD_X = {
    "nan": (
        lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
        "NaN",
    ),
    "inf": (
        lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X),
        "infinity",
    ),
    "1d": (lambda X: X[:, 0], "Expected 2D array"),
    "empty": (lambda X: X[:0], "0 sample"),
    "strings": (lambda X: np.full(X.shape, "a", dtype=object), "could not convert"),
}


@pytest.mark.parametrize("case", list(BAD_X))
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_bad_X_is_a_clear_error(small, case, cls):
    X, y = small
    make_bad, message = BAD_X[case]
    bad = make_bad(X)
    yy = y[: bad.shape[0]] if bad.ndim else y
    with pytest.raises(ValueError, match=message):
        cls(max_iter=2).fit(bad, yy)
    if bad.ndim == 2 and bad.shape[0]:
        fitted = cls(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
        with pytest.raises(ValueError, match=message):
            fitted.predict(bad)


def test_other_bad_inputs(small):
    X, y = small
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :10])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Negative values in data"):
        MLPClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        MLPClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="class"):
        MLPClassifier().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -np.ones(len(y)))


@pytest.mark.parametrize(
    "params",
    [
        dict(hidden_layer_sizes=0),
        dict(hidden_layer_sizes=(5, -1)),
        dict(activation="swish"),
        dict(solver="newton"),
        dict(alpha=-1.0),
        dict(batch_size=0),
        dict(learning_rate="cosine"),
        dict(learning_rate_init=0.0),
        dict(max_iter=0),
        dict(momentum=1.5),
        dict(validation_fraction=1.0),
        dict(beta_1=1.0),
        dict(epsilon=0.0),
        dict(n_iter_no_change=0),
        dict(dropout=1.0),
        dict(dropout=-0.1),
        dict(lr_decay=0.0),
        dict(lr_step_size=0),
        dict(class_weight="uniform"),
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_invalid_hyperparameters(small, params):
    X, y = small
    with pytest.raises((InvalidParameterError, ValueError)) as info:
        MLPClassifier(**params).fit(X, y)
    name = next(iter(params))
    assert name in str(info.value)


def test_failed_fit_leaves_fitted_model_intact(small):
    X, y = small
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in vars(clf).items()}
    for bad_call in (
        lambda: clf.fit(np.full_like(X, np.nan), y),
        lambda: clf.fit(X, y[:-5]),
        lambda: clf.set_params(warm_start=True).fit(X, y + 100),
        lambda: clf.partial_fit(X, y + 100),
    ):
        with pytest.raises(ValueError):
            bad_call()
        clf.set_params(warm_start=False)
        np.testing.assert_array_equal(clf.predict_proba(X), before)
        assert clf.n_features_in_ == 64
        assert set(vars(clf)) == set(state)


def test_diverging_fit_never_predicts_nan(small):
    X, y = small
    clf = MLPClassifier(
        solver="sgd", learning_rate_init=10.0, momentum=0.9, max_iter=50, random_state=0
    )
    for est, X_fit, y_fit in ((clf, X * 1e3, y), (_diverging_regressor(), X, y * 1e6)):
        # Clipped log-loss may stay finite; whether or not the fit diverges, the
        # model it keeps must predict finite values, or the fit says it diverged
        # (and there is no model).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingDivergedWarning)
            try:
                est.fit(X_fit, y_fit)
            except ValueError as exc:
                assert "diverged" in str(exc) and "learning_rate_init" in str(exc)
                assert not hasattr(est, "coefs_")
                continue
        assert np.all(np.isfinite(est.predict(X)))
        assert all(np.all(np.isfinite(c)) for c in est.coefs_ + est.intercepts_)


def _diverging_regressor():
    return MLPRegressor(
        solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0
    )


# ------------------------------------------------------ sklearn ecosystem
def test_pipeline_gridsearch_and_cross_val(digits):
    X, y = digits
    X, y = X[:600], y[:600]
    pipe = make_pipeline(MinMaxScaler(), MLPClassifier(max_iter=30, random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            "mlpclassifier__hidden_layer_sizes": [(20,), (40,)],
            "mlpclassifier__alpha": [1e-4, 1e-2],
            "mlpclassifier__learning_rate_init": [1e-3, 1e-2],
            "mlpclassifier__dropout": [0.0, 0.2],
        },
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert grid.best_score_ > 0.85
    scores = cross_val_score(
        make_pipeline(StandardScaler(), MLPRegressor(max_iter=50, random_state=0)),
        X,
        y.astype(float),
        cv=3,
    )
    assert np.all(scores > 0.3)


def test_pickle_and_joblib_round_trip(small, tmp_path):
    X, y = small
    for est in (
        MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y),
        MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y),
    ):
        again = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(again.predict(X), est.predict(X))
        joblib.dump(est, tmp_path / "m.joblib")
        np.testing.assert_array_equal(
            joblib.load(tmp_path / "m.joblib").predict(X), est.predict(X)
        )
        # A loaded model keeps training where it left off.
        if isinstance(est, MLPClassifier):
            again.partial_fit(X, y)
            assert again.t_ == est.t_ + X.shape[0]


def test_same_seed_same_bits_in_one_process(small):
    X, y = small
    params = dict(hidden_layer_sizes=(16,), max_iter=5, dropout=0.1, random_state=3)
    a = MLPClassifier(**params).fit(X, y)
    b = MLPClassifier(**params).fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ca, cb)
    c = MLPClassifier(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_fitted_model_keeps_its_dtype(small):
    X, y = small
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
    clf.fit(X.astype(np.float32), y)
    clf.partial_fit(X, y)  # float64 X continues the float32 model in float32
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    warm = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, warm_start=True)
    warm.fit(X.astype(np.float32), y).fit(X, y)
    assert warm.coefs_[0].dtype == np.float32


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_a_consistent_model(
    small, monkeypatch, early_stopping
):
    """Ctrl-C right after an epoch's kernel returns: the model keeps the last
    recorded epoch's weights, its history and optimizer state match, and a
    warning says training was interrupted."""
    import skdeep.training.runner as stochastic
    from skdeep.exceptions import TrainingInterruptedWarning

    X, y = small
    real_epoch = stochastic.train_epoch
    calls = []

    def interrupted_epoch(*args):
        calls.append(1)
        result = real_epoch(*args)  # the weights are updated, then Ctrl-C
        if len(calls) == 4:
            raise KeyboardInterrupt
        return result

    params = dict(
        hidden_layer_sizes=(10,),
        shuffle=False,
        random_state=0,
        early_stopping=early_stopping,
        n_iter_no_change=50,
    )
    monkeypatch.setattr(stochastic, "train_epoch", interrupted_epoch)
    with pytest.warns(TrainingInterruptedWarning, match="interrupted"):
        clf = MLPClassifier(max_iter=20, **params).fit(X, y)
    monkeypatch.setattr(stochastic, "train_epoch", real_epoch)
    three = MLPClassifier(max_iter=3, **params).fit(X, y)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    assert clf._optimizer["step"][0] == three._optimizer["step"][0]
    for a, b in zip(clf.coefs_ + clf.intercepts_, three.coefs_ + three.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(clf.predict_proba(X)))
