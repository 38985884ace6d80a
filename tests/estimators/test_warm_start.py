"""A warm-started fit continues exactly where the previous one stopped.

Three ``warm_start`` fits of 10 epochs give the model of one fit of 30 epochs, bit
for bit, because everything an epoch draws or counts continues: the shuffling
stream, the kernels' random stream (dropout masks, the denoising noise), the
optimizer's state (moments, velocities, update counts) and the schedule's
(the rate reached, its epoch and sample counters, the adaptive schedule's count
of epochs without improvement). Likewise for ``partial_fit``, one epoch a call.

What restarts with ``early_stopping=True``, as in scikit-learn: each fit draws
its validation split again from a fresh ``check_random_state(random_state)`` (the
first fit drew its split after the weight initialization's draws, so later fits
validate on other rows; with an integer ``random_state`` every later fit on the
same ones), and ends on the weights of the best validation score seen in any fit
so far (the scores of different splits compared), so warm fits with early
stopping are not one long fit.
"""

import warnings

import numpy as np
import pytest

from skdeep import CNNClassifier, DenoisingAutoencoder, MLPClassifier, MLPRegressor

RNG = np.random.RandomState(0)
X = RNG.rand(40, 16)
Y_CLASS = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.7)
Y_REG = X[:, 0] - 2 * X[:, 3]

#: Never stop before max_iter (unless the case sets its own stopping rule).
NO_STOP = dict(tol=0.0, n_iter_no_change=np.inf)

CASES = {
    "mlp_adam_shuffle_dropout": (
        MLPClassifier,
        dict(hidden_layer_sizes=(8,), dropout=0.2, batch_size=8, **NO_STOP),
        X,
        Y_CLASS,
    ),
    "mlp_sgd_invscaling": (
        MLPRegressor,
        dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate="invscaling",
             learning_rate_init=0.05, batch_size=8, **NO_STOP),
        X,
        Y_REG,
    ),
    # tol=0.5 makes every epoch count as "no improvement": the adaptive schedule
    # divides the rate by 5 every seventh epoch, with the count of epochs without
    # improvement at 3 and 6 when the warm starts begin.
    "mlp_sgd_adaptive": (
        MLPRegressor,
        dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate="adaptive",
             learning_rate_init=0.05, batch_size=8, tol=0.5, n_iter_no_change=6),
        X,
        Y_REG,
    ),
    "mlp_sgd_step_momentum": (
        MLPClassifier,
        dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate="step",
             lr_step_size=4, learning_rate_init=0.05, batch_size=8, **NO_STOP),
        X,
        Y_CLASS,
    ),
    "cnn_dropout": (
        CNNClassifier,
        dict(filters=(2,), kernel_size=3, hidden_layer_sizes=(6,), dropout=0.2,
             batch_size=8, **NO_STOP),
        X,
        Y_CLASS,
    ),
    "denoising_autoencoder": (
        DenoisingAutoencoder,
        dict(n_components=2, hidden_layer_sizes=(6,), dropout=0.1, batch_size=8,
             **NO_STOP),
        X,
        None,
    ),
}  # fmt: skip


def _fit(est, X, y, method="fit"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = getattr(est, method)
        return fit(X) if y is None else fit(X, y)


def _assert_same_training(continued, whole):
    """The same model, history and optimizer state, bit for bit."""
    np.testing.assert_array_equal(continued._params, whole._params, strict=True)
    np.testing.assert_array_equal(continued._state, whole._state, strict=True)
    assert continued.loss_curve_ == whole.loss_curve_
    assert continued.t_ == whole.t_
    for key in ("state1", "state2", "step"):
        np.testing.assert_array_equal(
            continued._optimizer[key], whole._optimizer[key], strict=True
        )
    assert continued._optimizer["schedule"] == whole._optimizer["schedule"]
    assert continued._optimizer["epochs"] == whole._optimizer["epochs"]
    np.testing.assert_array_equal(continued._rng_state, whole._rng_state)


@pytest.mark.parametrize("case", list(CASES))
def test_three_warm_fits_of_10_epochs_are_one_fit_of_30(case):
    cls, params, X, y = CASES[case]
    whole = _fit(cls(**params, max_iter=30, random_state=0), X, y)
    continued = cls(**params, max_iter=10, warm_start=True, random_state=0)
    for _ in range(3):
        _fit(continued, X, y)
    assert len(continued.loss_curve_) == len(whole.loss_curve_) == 30
    _assert_same_training(continued, whole)


@pytest.mark.parametrize("case", list(CASES))
def test_partial_fit_epochs_are_fit_epochs(case):
    cls, params, X, y = CASES[case]
    whole = _fit(cls(**params, max_iter=5, random_state=0), X, y)
    continued = cls(**params, random_state=0)
    for _ in range(5):
        if y is not None and cls is not MLPRegressor:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                continued.partial_fit(X, y, classes=np.unique(y))
        else:
            _fit(continued, X, y, "partial_fit")
    _assert_same_training(continued, whole)


def test_the_optimizer_changes_restart_it():
    """Changing the solver between warm fits starts a fresh optimizer (the kept
    state belongs to the other rule); the schedule restarts from the new
    settings when they change."""
    params = dict(hidden_layer_sizes=(8,), batch_size=8, max_iter=5, random_state=0)
    est = _fit(MLPClassifier(**params, warm_start=True), X, Y_CLASS)
    assert est._optimizer["solver"] == "adam"
    _fit(est.set_params(solver="sgd"), X, Y_CLASS)
    assert est._optimizer["solver"] == "sgd"
    assert est._optimizer["step"][0] == 5 * 5  # five epochs of five batches


def test_early_stopping_draws_the_split_again_and_ends_on_the_best_epoch():
    """As in scikit-learn: each warm fit draws its validation split again, from a
    fresh ``check_random_state(random_state)`` (the first fit's split came after
    its weight initialization's draws, so later fits validate on other rows), and
    the best score and weights carry over, so a warm fit whose scores never beat
    the earlier best ends on the earlier best weights."""
    params = dict(hidden_layer_sizes=(8,), batch_size=8, early_stopping=True,
                  validation_fraction=0.25, n_iter_no_change=100, tol=0.0,
                  random_state=0)  # fmt: skip
    warm = MLPClassifier(**params, max_iter=10, warm_start=True)
    _fit(warm, X, Y_CLASS)
    # The first fit ends on its best epoch: a fresh fit stopped there.
    best = int(np.argmax(warm.validation_scores_)) + 1
    truncated = _fit(MLPClassifier(**{**params, "max_iter": best}), X, Y_CLASS)
    np.testing.assert_array_equal(warm._params, truncated._params, strict=True)
    first_best = warm.best_validation_score_
    _fit(warm, X, Y_CLASS)
    assert len(warm.validation_scores_) == 20
    # On its own split, no epoch of the second fit beats the first fit's best
    # (these data): the second fit ends on the first fit's best weights.
    assert max(warm.validation_scores_[10:]) < first_best
    assert warm.best_validation_score_ == first_best
    np.testing.assert_array_equal(warm._params, truncated._params, strict=True)
