"""scikit-learn's callback API (sklearn.callback): one epoch is one sub-task."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeep import CNNClassifier, MLPClassifier, MLPRegressor

callback = pytest.importorskip("sklearn.callback")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:300]), y[:300]


class Recorder:
    """A FitCallback that records hooks and can stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.epoch_scores = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(f"begin {context.task_name}")

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):  # fmt: skip
        self.events.append(f"end {context.task_name}")
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.epoch_scores.append(fitted_estimator.score(X, y))
            return self.stop_after is not None and (
                len(self.epoch_scores) >= self.stop_after
            )
        return False

    def teardown(self, estimator, context):
        self.events.append("teardown")


PARAMS = dict(hidden_layer_sizes=(16,), shuffle=False, random_state=0, max_iter=6)


def test_each_epoch_is_a_task_with_the_model_of_that_epoch(digits):
    X, y = digits
    recorder = Recorder()
    clf = MLPClassifier(**PARAMS).set_callbacks(recorder).fit(X, y)
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events.count("begin epoch") == 6 == clf.n_iter_
    assert recorder.events.count("end epoch") == 6
    # The model handed over after epoch k is the model a k-epoch fit returns.
    for k in (1, 3, 6):
        ref = MLPClassifier(**{**PARAMS, "max_iter": k}).fit(X, y)
        assert recorder.epoch_scores[k - 1] == ref.score(X, y)
    # Callbacks observe, they do not change the fit.
    plain = MLPClassifier(**PARAMS).fit(X, y)
    for a, b in zip(clf.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)


def test_a_callback_can_stop_training(digits):
    X, y = digits
    clf = MLPClassifier(**PARAMS).set_callbacks(Recorder(stop_after=2)).fit(X, y)
    assert clf.n_iter_ == 2
    ref = MLPClassifier(**{**PARAMS, "max_iter": 2}).fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], ref.coefs_[0])


def test_scoring_monitor_records_every_epoch_also_in_grid_search(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    MLPRegressor(**PARAMS).set_callbacks(callback.ScoringMonitor(scoring="r2")).fit(
        X, y.astype(float)
    )
    clf = MLPClassifier(**{**PARAMS, "max_iter": 3}).set_callbacks(monitor)
    GridSearchCV(clf, {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2).fit(X, y)
    rows = monitor.get_logs().data
    # 4 cross-validation fits and the refit, each with 3 epochs and the fit task.
    assert len(rows) == 5 * (3 + 1)
    assert {row["task_name"] for row in rows} == {"fit", "epoch"}
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in rows)


def test_cnn_epochs_are_tasks_too(digits):
    X, y = digits
    recorder = Recorder()
    CNNClassifier(filters=(2,), hidden_layer_sizes=(), max_iter=2,
                  random_state=0).set_callbacks(recorder).fit(X, y)  # fmt: skip
    assert recorder.events.count("end epoch") == 2


def test_failed_fit_still_tears_callbacks_down(digits):
    X, y = digits
    recorder = Recorder()
    clf = MLPClassifier(**PARAMS).set_callbacks(recorder)
    with pytest.raises(ValueError):
        clf.fit(np.full_like(X, np.nan), y)
    clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            clf.fit(X, y[:-1])
    assert recorder.events.count("setup") == recorder.events.count("teardown")


def test_progress_bar_runs():
    pytest.importorskip("rich")
    X, y = load_digits(return_X_y=True)
    MLPClassifier(max_iter=2).set_callbacks(callback.ProgressBar()).fit(X, y)


class _AutoencoderScores(Recorder):
    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        if context.task_name == "epoch":
            self.epoch_scores.append(fitted_estimator.score(X))
        return False


def test_autoencoder_epochs_are_tasks_with_their_model(digits):
    from skdeep import DenoisingAutoencoder

    X, _ = digits
    recorder = _AutoencoderScores()
    params = dict(n_components=4, max_iter=3, shuffle=False, random_state=0)
    dae = DenoisingAutoencoder(**params).set_callbacks(recorder).fit(X)
    assert len(recorder.epoch_scores) == 3
    one = DenoisingAutoencoder(**{**params, "max_iter": 1}).fit(X)
    assert recorder.epoch_scores[0] == one.score(X)
    assert recorder.epoch_scores[-1] == dae.score(X)


# ------------------------------------------------------------------ perceptron
class _PerceptronRecorder(Recorder):
    """Keeps the model handed over after each epoch."""

    def __init__(self, stop_after=None):
        super().__init__(stop_after)
        self.models = []

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):  # fmt: skip
        if context.task_name == "epoch":
            self.models.append(fitted_estimator)
        return super().on_fit_task_end(
            estimator, context, X=X, y=y, fitted_estimator=fitted_estimator
        )


PERCEPTRON = dict(max_iter=6, tol=None, random_state=0)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("average", [False, True])
def test_perceptron_epochs_are_tasks_with_the_model_of_that_epoch(
    digits, binary, average
):
    from sklearn.linear_model import Perceptron, SGDClassifier

    from skdeep import PerceptronClassifier

    X, y = digits
    y = y % 2 if binary else y
    params = dict(PERCEPTRON, average=average)
    recorder = _PerceptronRecorder()
    clf = PerceptronClassifier(**params).set_callbacks(recorder).fit(X, y)
    assert recorder.events.count("begin epoch") == 6 == clf.n_iter_
    assert recorder.events.count("end epoch") == 6
    # The model handed over after epoch k is the one a k-epoch fit returns.
    for k in (1, 2, 6):
        ref = PerceptronClassifier(**{**params, "max_iter": k}).fit(X, y)
        model = recorder.models[k - 1]
        np.testing.assert_array_equal(model.coef_, ref.coef_)
        np.testing.assert_array_equal(model.intercept_, ref.intercept_)
        assert (model.n_iter_, model.t_) == (ref.n_iter_, ref.t_) == (k, k * 300 + 1)
        assert recorder.epoch_scores[k - 1] == ref.score(X, y)
    # Callbacks observe, they do not change the fit: still scikit-learn's model.
    if average:
        sk = SGDClassifier(loss="perceptron", penalty=None, learning_rate="constant",
                           eta0=1.0, **params)  # fmt: skip
    else:
        sk = Perceptron(**PERCEPTRON)
    sk.fit(X, y)
    np.testing.assert_array_equal(clf.intercept_, sk.intercept_)
    if not average:
        np.testing.assert_array_equal(clf.coef_, sk.coef_)
        return
    # The averaged coef_ within what sklearn's CPU-dependent axpy allows (see
    # test_perceptron._assert_averaged_coef_close, penalty=None): it may fuse
    # ``aw + a * w`` and skdeep does not, so one rounding of the product and two of
    # the sum and the scaled result, bound u |w| + 4 u |avg| with a factor 2 to spare.
    w = sk._standard_coef.reshape(sk.coef_.shape)  # (n_features,) when binary
    np.testing.assert_array_equal(clf._standard_coef, w)
    eps = np.finfo(sk.coef_.dtype).eps
    bound = eps * (np.abs(w) + 4 * np.abs(sk.coef_))
    assert np.all(np.abs(clf.coef_ - sk.coef_) <= bound)


def test_perceptron_epochs_end_when_every_problem_converged(digits):
    from skdeep import PerceptronClassifier

    X, y = digits
    recorder = _PerceptronRecorder()
    clf = PerceptronClassifier(random_state=0).set_callbacks(recorder).fit(X, y)
    assert 1 < clf.n_iter_ < 1000  # converged (tol=1e-3) before max_iter
    assert recorder.events.count("end epoch") == clf.n_iter_


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_callback_can_stop_the_perceptron(digits, n_jobs):
    from skdeep import PerceptronClassifier

    X, y = digits
    params = dict(PERCEPTRON, n_jobs=n_jobs)
    clf = PerceptronClassifier(**params).set_callbacks(_PerceptronRecorder(2))
    clf.fit(X, y)
    ref = PerceptronClassifier(**{**params, "max_iter": 2}).fit(X, y)
    assert clf.n_iter_ == 2 and clf.t_ == ref.t_
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    np.testing.assert_array_equal(clf.intercept_, ref.intercept_)


def test_perceptron_scoring_monitor_in_grid_search_and_partial_fit(digits):
    from skdeep import PerceptronClassifier

    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = PerceptronClassifier(**{**PERCEPTRON, "max_iter": 3}).set_callbacks(monitor)
    GridSearchCV(clf, {"eta0": [0.1, 1.0]}, cv=2, n_jobs=2).fit(X, y)
    rows = monitor.get_logs().data
    # 4 cross-validation fits and the refit, each with 3 epochs and the fit task.
    assert len(rows) == 5 * (3 + 1)
    assert {row["task_name"] for row in rows} == {"fit", "epoch"}
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in rows)

    recorder = Recorder()
    clf = PerceptronClassifier(random_state=0).set_callbacks(recorder)
    clf.partial_fit(X, y, classes=np.unique(y))
    assert recorder.events.count("end epoch") == 1
    ref = PerceptronClassifier(random_state=0).partial_fit(X, y, np.unique(y))
    assert recorder.epoch_scores == [ref.score(X, y)]


def test_perceptron_progress_bar_runs(digits):
    pytest.importorskip("rich")
    from skdeep import PerceptronClassifier

    X, y = digits
    PerceptronClassifier(max_iter=3).set_callbacks(callback.ProgressBar()).fit(X, y)
