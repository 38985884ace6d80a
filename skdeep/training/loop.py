"""The epoch loop of the stochastic solvers (sgd, adam, adagrad, rmsprop).

One compiled call per epoch (an epoch runner, :mod:`skdeep.training.runner`) runs
every mini-batch; between epochs, Python shuffles (with scikit-learn's exact random
calls), records the history, updates the learning rate and decides when to stop,
with scikit-learn's criteria:

* without early stopping, an epoch does not improve when
  ``loss > best_loss - tol``; with it, when ``val_score < best_val_score + tol``;
* when more than ``n_iter_no_change`` consecutive epochs do not improve, training
  stops (or, with the adaptive schedule, the rate is divided by 5);
* with early stopping, the weights of the best validation score are restored.

Divergence is contained. A non-finite loss or weight ends training at once and the
epoch is rolled back (weights, fitted state such as batch normalization's running
statistics, optimizer state, random streams). After training,
the model is kept only if it is usable: its outputs on the training samples are
finite and small enough that their squares are
(:func:`~skdeep.training.runner.outputs_limit`), and its training loss is at most
the fit's first epoch's or within :data:`SANE_LOSS_FACTOR` of the fit's best:
a loss that blew up from 0.1 to 1e111 without ever overflowing is a divergence
too, a noisy loss that drifts from a lucky 0.009 back to 0.09 is not. If the last
epoch is not usable it is rolled back; if the epoch before it is not usable
either, a ``ValueError`` is raised and the estimator keeps its previous state.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep.exceptions import TrainingDivergedWarning, TrainingInterruptedWarning
from skdeep.training.history import TrainingHistory
from skdeep.training.optimizer import OptimizerState
from skdeep.utils.threads import adapt_threads

#: The model kept must have a training loss at most this many times the best loss
#: of the fit, or at most the first epoch's; a model whose loss blew up by more is
#: no better than a non-finite one.
SANE_LOSS_FACTOR = 10.0


@dataclass
class StochasticSettings:
    """Settings of a stochastic fit, resolved from the estimator's parameters."""

    max_iter: int
    shuffle: bool
    tol: float
    n_iter_no_change: float
    momentum: float
    nesterovs_momentum: bool
    beta_1: float
    beta_2: float
    epsilon: float
    verbose: bool
    early_stopping: bool


class _EpochStart:
    """What an epoch changes, as it was when the epoch began, to roll it back: the
    weights, the fitted state (running statistics), the optimizer state, the
    kernels' random stream and the shuffling state (the random state and the
    order of the samples, ``order``, which every epoch shuffles in place)."""

    def __init__(self, params, state, optimizer, runner, random_state,
                 order) -> None:  # fmt: skip
        self.params = params.copy()
        self.state = state.copy()
        self.optimizer = optimizer.copy()
        self.rng_state = runner.rng_state.copy()
        self.shuffle_state = random_state.get_state()
        self._order = order
        self.order = order.copy()
        self.n_done = 0  # samples the epoch trained on

    def take(self, params, state, optimizer, runner, random_state) -> None:
        self.params[:] = params
        self.state[:] = state
        self.optimizer = optimizer.copy()
        self.rng_state[:] = runner.rng_state
        self.shuffle_state = random_state.get_state()
        self.order[:] = self._order

    def restore(self, params, state, optimizer, runner, random_state) -> None:
        params[:] = self.params
        state[:] = self.state
        optimizer.restore(self.optimizer)
        runner.rng_state[:] = self.rng_state
        random_state.set_state(self.shuffle_state)
        self._order[:] = self.order


def run_stochastic(
    runner,
    params: np.ndarray,
    state: np.ndarray,
    optimizer: OptimizerState,
    history: TrainingHistory,
    settings: StochasticSettings,
    random_state: np.random.RandomState,
    train_rows: np.ndarray,
    validate,
    incremental: bool,
    callbacks=None,
    sample_order=None,
) -> None:
    """Train ``params`` in place with ``runner``'s epochs; ``optimizer``,
    ``history``, ``random_state`` (the shuffling stream) and ``runner.rng_state``
    advance in place.

    ``train_rows`` are the samples to train on (the rest is the validation set);
    ``validate(params)`` returns ``(score, loss)`` on the validation set.
    ``callbacks`` (an :class:`~skdeep.training.callbacks.EpochCallbacks`) is told
    each epoch's begin and end, and can stop training. ``sample_order`` is the
    order of the training samples that the previous fit's shuffling left (each
    epoch shuffles it in place, as scikit-learn shuffles the previous epoch's
    order), so that a continued fit shuffles as one longer fit would have; None
    starts from ``range(len(train_rows))``.

    Raises
    ------
    ValueError
        When training diverged and no usable epoch is left (see the module
        docstring); the caller then keeps the estimator's previous state.
    """
    n_train = train_rows.shape[0]
    sample_idx = (
        np.arange(n_train, dtype=np.int64) if sample_order is None else sample_order
    )
    epoch_start = _EpochStart(params, state, optimizer, runner, random_state,
                              sample_idx)  # fmt: skip
    best_params = params.copy()
    best_state = state.copy()
    history.n_iter = 0
    # True while an epoch's updates are applied but not yet recorded: a Ctrl-C
    # then rolls the weights back so they match n_iter_ and loss_curve_.
    epoch_open = False
    diverged_epoch = 0  # the epoch rolled back for non-finite loss or weights
    first_epoch = len(history.loss_curve)  # this fit's epochs start here
    try:
        for _ in range(settings.max_iter):
            epoch_start.take(params, state, optimizer, runner, random_state)
            if settings.shuffle:
                # In place, with the draws of sklearn.utils.shuffle (which permutes
                # by random_state.shuffle of an arange) at a fifth of its cost.
                random_state.shuffle(sample_idx)
            order = train_rows[sample_idx]
            solver = optimizer.kernel_solver(
                settings.momentum,
                settings.nesterovs_momentum,
                settings.beta_1,
                settings.beta_2,
                settings.epsilon,
            )
            if callbacks is not None:
                callbacks.begin()
            epoch_open = True
            # The cores other processes left free meanwhile, and no more than the
            # network's parallel loops can use.
            adapt_threads(getattr(runner, "thread_cap", None))
            total, n_done, finite = runner.epoch(order, params, state, solver)
            if not finite:
                epoch_start.restore(params, state, optimizer, runner, random_state)
                if callbacks is not None:
                    callbacks.abandon()
                diverged_epoch = history.n_iter + 1
                break
            history.n_iter += 1
            optimizer.epochs += 1
            # n_done < n_train when a batch of one sample was left out (runner).
            epoch_start.n_done = n_done
            history.loss = total / n_done
            history.t += n_done
            history.loss_curve.append(history.loss)
            epoch_open = False
            if settings.verbose:
                print(f"Iteration {history.n_iter}, loss = {history.loss:.8f}")
            _update_no_improvement(history, settings, params, best_params, validate,
                                   state, best_state)  # fmt: skip
            optimizer.schedule.epoch_ends(optimizer.epochs, history.t)
            if callbacks is not None and callbacks.end(params):
                break
            if history.no_improvement_count > settings.n_iter_no_change:
                what = (
                    "Validation score" if settings.early_stopping else "Training loss"
                )
                msg = (
                    f"{what} did not improve more than tol={settings.tol:f} for "
                    f"{settings.n_iter_no_change} consecutive epochs."
                )
                if optimizer.schedule.on_plateau():
                    if settings.verbose:
                        print(msg + " Stopping.")
                    break
                if settings.verbose:
                    print(
                        msg + " Setting learning rate to "
                        f"{optimizer.schedule.current:f}"
                    )
                history.no_improvement_count = 0
            if incremental:
                break
            if history.n_iter == settings.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({settings.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=5,
                )
    except KeyboardInterrupt:
        if epoch_open:
            epoch_start.restore(params, state, optimizer, runner, random_state)
        if callbacks is not None:
            callbacks.abandon()
        warnings.warn(
            "Training interrupted by user; the model keeps the weights of its last "
            "complete epoch (or its best ones, with early stopping).",
            TrainingInterruptedWarning,
            stacklevel=5,
        )
    if settings.early_stopping:
        params[:] = best_params
        state[:] = best_state
    _keep_a_usable_epoch(
        runner, params, state, optimizer, history, settings, random_state,
        train_rows, epoch_start, diverged_epoch, first_epoch,
    )  # fmt: skip


def _usable(runner, params, state, history, settings, train_rows, first_epoch):
    """Whether the model at ``params`` may be kept (see the module docstring)."""
    if not runner.outputs_usable(train_rows, params, state):
        return False
    losses = history.loss_curve[first_epoch:]
    if settings.early_stopping or not losses:
        return True  # the best validation epoch, or no epoch of this fit
    return losses[-1] <= max(SANE_LOSS_FACTOR * min(losses), losses[0])


def _keep_a_usable_epoch(runner, params, state, optimizer, history, settings,
                         random_state, train_rows, epoch_start, diverged_epoch,
                         first_epoch):  # fmt: skip
    """Keep the trained model if it is usable, else the epoch before it if that
    one is; otherwise raise (module docstring)."""
    usable = _usable(runner, params, state, history, settings, train_rows,
                     first_epoch)  # fmt: skip
    rolled_back = False
    if (
        not usable
        and not (settings.early_stopping or diverged_epoch)
        and (history.n_iter)
    ):
        # The last epoch blew the outputs or the loss up: keep the one before it.
        epoch_start.restore(params, state, optimizer, runner, random_state)
        history.n_iter -= 1
        history.t -= epoch_start.n_done
        history.loss_curve.pop()
        history.loss = history.loss_curve[-1] if history.loss_curve else None
        usable = _usable(runner, params, state, history, settings, train_rows,
                         first_epoch)  # fmt: skip
        rolled_back = True
    if not usable:
        raise ValueError(
            "Training diverged: the network's outputs on the training data are not "
            "finite (or too large to use), or its training loss blew up (above "
            f"the first epoch's and {SANE_LOSS_FACTOR:g} times the best of this "
            "fit), and no earlier epoch of this fit is usable. Scale X and y (e.g. "
            "StandardScaler), or use a smaller learning_rate_init or a larger "
            "alpha."
        )
    if diverged_epoch:
        warnings.warn(
            f"Training diverged in epoch {diverged_epoch}: the loss or the weights "
            "became non-finite. Training stopped and the weights of the last "
            "finite epoch were kept. Try a smaller learning_rate_init, a larger "
            "alpha, or scaling the inputs (e.g. StandardScaler).",
            TrainingDivergedWarning,
            stacklevel=6,
        )
    elif rolled_back:
        warnings.warn(
            "Training diverged: the last epoch's weights overflow the network's "
            "outputs on the training data (or blew its loss up), so that epoch was "
            "rolled back. Try a smaller learning_rate_init, a larger alpha, or "
            "scaling X and y.",
            TrainingDivergedWarning,
            stacklevel=6,
        )


def _update_no_improvement(history, settings, params, best_params, validate, state,
                           best_state) -> None:  # fmt: skip
    """scikit-learn's ``_update_no_improvement_count`` (the best epoch keeps its
    fitted state with its weights)."""
    if settings.early_stopping:
        score, loss = validate(params)
        history.validation_scores.append(score)
        history.validation_loss_curve.append(loss)
        if settings.verbose:
            print(f"Validation score: {score:f}, validation loss: {loss:.8f}")
        if score < history.best_validation_score + settings.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        if score > history.best_validation_score:
            history.best_validation_score = score
            best_params[:] = params
            best_state[:] = state
    else:
        last = history.loss_curve[-1]
        if last > history.best_loss - settings.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        if last < history.best_loss:
            history.best_loss = last
