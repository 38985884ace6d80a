"""CNNClassifier and CNNRegressor: scikit-learn compatibility, accuracy, input rules,
determinism and errors."""

import pickle
import warnings

import numba
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdeep.estimators import _base
from skdeep.estimators.cnn import CNNClassifier, CNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(filters=(4,), hidden_layer_sizes=(16,), random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_digits_accuracy_2d_input(digits):
    # Documented settings for the >= 98% figure on a stratified 25% holdout.
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = CNNClassifier(filters=(32,), dropout=0.25, max_iter=40, random_state=0)
    clf.fit(X_train, y_train)
    assert clf.input_shape_ == (1, 8, 8)
    assert clf.score(X_test, y_test) >= 0.98


def test_2d_3d_and_4d_input_give_the_same_model(digits):
    X, y = digits
    X, y = X[:300], y[:300]
    params = dict(SMALL, max_iter=3)
    fits = [
        CNNClassifier(**params).fit(X, y),
        CNNClassifier(**params).fit(X.reshape(-1, 8, 8), y),
        CNNClassifier(**params).fit(X.reshape(-1, 1, 8, 8), y),
        CNNClassifier(input_shape=(1, 8, 8), **params).fit(X, y),
    ]
    for clf in fits[1:]:
        assert clf.input_shape_ == (1, 8, 8)
        for a, b in zip(fits[0].coefs_, clf.coefs_):
            assert_array_equal(a, b)
    # Any fitted model predicts 2-D, 3-D and 4-D input alike.
    expected = fits[0].predict_proba(X)
    assert_array_equal(fits[1].predict_proba(X), expected)
    assert_array_equal(fits[2].predict_proba(X.reshape(-1, 8, 8)), expected)
    assert_array_equal(fits[3].predict_proba(X.reshape(-1, 1, 8, 8)), expected)


def test_three_channel_input():
    rng = np.random.RandomState(0)
    X = rng.rand(120, 3, 6, 6)
    y = (X[:, 0].mean(axis=(1, 2)) > X[:, 2].mean(axis=(1, 2))).astype(int)
    clf = CNNClassifier(filters=(6,), hidden_layer_sizes=(), max_iter=60,
                        learning_rate_init=0.01, random_state=0).fit(X, y)  # fmt: skip
    assert clf.input_shape_ == (3, 6, 6)
    assert clf.filters_[0].shape == (6, 3, 3, 3)
    assert clf.filters_[0].base is clf._params  # a view, as coefs_
    assert clf.score(X, y) > 0.9
    assert_array_equal(clf.predict(X.reshape(120, -1)), clf.predict(X))


def test_regressor_learns_region_brightness():
    rng = np.random.RandomState(0)
    X = rng.rand(1000, 8, 8)
    y = X[:, :4, :4].mean(axis=(1, 2))  # mean brightness of the top-left quarter
    y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    reg = CNNRegressor(filters=(8,), pool_size=None, hidden_layer_sizes=(),
                       max_iter=100, random_state=0).fit(X_train, y_train)  # fmt: skip
    assert reg.score(X_test, y_test) > 0.9


def test_grid_search_over_filters_and_kernel_size_in_two_jobs(digits):
    X, y = digits
    grid = GridSearchCV(
        CNNClassifier(hidden_layer_sizes=(), max_iter=5, random_state=0),
        {"filters": [(2,), (4,)], "kernel_size": [2, 3]},
        cv=2,
        n_jobs=2,
    ).fit(X[:200], y[:200])
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.filters_[0].shape[2] == grid.best_params_["kernel_size"]


def test_pipeline_with_min_max_scaler(digits):
    X, y = digits
    clf = CNNClassifier(**SMALL, max_iter=30, learning_rate_init=0.01)
    pipe = make_pipeline(MinMaxScaler(), clf)
    pipe.fit(X[:300] * 16.0, y[:300])
    assert pipe.score(X[:300] * 16.0, y[:300]) > 0.9


def test_pickle_round_trip_predicts_identically(digits):
    X, y = digits
    clf = CNNClassifier(**SMALL, max_iter=3).fit(X[:200], y[:200])
    clone = pickle.loads(pickle.dumps(clf))
    assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    assert clone.coefs_[0].base is clone._params
    assert clone.filters_[0].base is clone._params


def test_bit_identical_with_random_state_and_thread_counts(digits):
    X, y = digits
    X, y = X[:256], y[:256]
    params = dict(filters=(4, 6), hidden_layer_sizes=(8,), dropout=0.1, max_iter=2,
                  random_state=3)  # fmt: skip
    before = numba.get_num_threads()
    fits = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS), 1):
            numba.set_num_threads(threads)
            fits.append(CNNClassifier(**params).fit(X, y))
    finally:
        numba.set_num_threads(before)
    for other in fits[1:]:
        assert_array_equal(other._params, fits[0]._params)
    other_seed = CNNClassifier(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(other_seed._params, fits[0]._params)


def test_float32_partial_fit_sample_and_class_weight(digits):
    X, y = digits
    X32 = X[:200].astype(np.float32)
    clf = CNNClassifier(**SMALL, max_iter=2, class_weight="balanced")
    clf.fit(X32, y[:200], sample_weight=np.linspace(0.5, 1.5, 200))
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X32).dtype == np.float32
    n_iter = clf.n_iter_
    clf.partial_fit(X32, y[:200])
    assert clf.n_iter_ == 1 and clf.t_ == (n_iter + 1) * 200
    assert np.allclose(clf.predict_proba(X32).sum(axis=1), 1.0, atol=1e-5)
    log_p = clf.predict_log_proba(X32)
    assert np.allclose(np.exp(log_p), clf.predict_proba(X32), atol=1e-6)
    reg = CNNRegressor(**SMALL, max_iter=1).partial_fit(X32, y[:200].astype(float))
    assert reg.predict(X32).shape == (200,)


def test_non_square_features_are_one_row_images():
    rng = np.random.RandomState(0)
    X, y = rng.rand(40, 7), np.arange(40) % 2
    clf = CNNClassifier(filters=(3,), kernel_size=5, padding="valid",
                        max_iter=2).fit(X, y)  # fmt: skip
    assert clf.input_shape_ == (1, 1, 7)
    assert clf.filters_[0].shape == (3, 1, 1, 5)  # kernel clipped, no pooling
    assert clf.n_layers_ == 4  # input, conv, dense hidden, output


def test_warm_start_refuses_a_changed_architecture(digits):
    X, y = digits
    clf = CNNClassifier(**SMALL, max_iter=1, warm_start=True).fit(X[:100], y[:100])
    clf.set_params(filters=(5,))
    with pytest.raises(ValueError, match="architecture"):
        clf.fit(X[:100], y[:100])
    assert clf.filters_[0].shape[0] == 4  # the fitted model is untouched


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: errors must come before any kernel runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(_base, "run_stochastic", refuse)


@pytest.mark.parametrize(
    ("params", "X", "match"),
    [
        ({"input_shape": (7, 7)}, np.zeros((4, 64)), "has 49 values per image"),
        ({"input_shape": (1, 4, 4)}, np.zeros((4, 8, 8)), "X holds images of shape"),
        ({"input_shape": (2, -1, 4)}, np.zeros((4, 8)), "input_shape must be"),
        ({"kernel_size": 5, "padding": "valid"}, np.zeros((4, 3, 3)), "smaller than"),
        ({"pool_size": 4}, np.zeros((4, 2, 2)), "Pooling of block 0"),
        ({}, np.full((4, 16), np.nan), "NaN"),
        ({}, np.zeros((4, 2, 2, 2, 2)), "2-D .* 3-D .* or 4-D"),
    ],
)
def test_bad_input_fails_before_training(no_training, params, X, match):
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**params).fit(X, np.arange(4) % 2)


def test_bad_input_at_predict_time(digits):
    X, y = digits
    clf = CNNClassifier(**SMALL, max_iter=1).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(X[:5, :60])
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.predict(np.zeros((5, 4, 16)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((5, 64), np.nan))


def test_fit_warns_at_max_iter(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            CNNClassifier(**SMALL, max_iter=1).fit(X[:50], y[:50])
