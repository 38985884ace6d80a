"""The epoch loop of the stochastic solvers (sgd, adam, adagrad, rmsprop).

One compiled call per epoch runs every mini-batch; between epochs, Python shuffles
(with scikit-learn's exact random calls), records the history, updates the learning
rate and decides when to stop, with scikit-learn's criteria:

* without early stopping, an epoch does not improve when
  ``loss > best_loss - tol``; with it, when ``val_score < best_val_score + tol``;
* when more than ``n_iter_no_change`` consecutive epochs do not improve, training
  stops (or, with the adaptive schedule, the rate is divided by 5);
* with early stopping, the weights of the best validation score are restored.

A non-finite loss or weight ends training at once with a
:class:`~skdeep.exceptions.TrainingDivergedWarning`; the weights and optimizer state
of the last finite epoch are restored.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep._kernels import codes
from skdeep._kernels.rng import new_rng_state
from skdeep._kernels.training import train_epoch
from skdeep.exceptions import TrainingDivergedWarning, TrainingInterruptedWarning
from skdeep.training.data import KernelInput
from skdeep.training.history import TrainingHistory
from skdeep.training.optimizer import OptimizerState


@dataclass
class StochasticConfig:
    """Settings of a stochastic fit, resolved from the estimator's parameters."""

    batch_size: int
    max_iter: int
    shuffle: bool
    tol: float
    n_iter_no_change: float
    alpha: float
    loss_code: int
    dropout_rates: np.ndarray
    momentum: float
    nesterovs_momentum: bool
    beta_1: float
    beta_2: float
    epsilon: float
    verbose: bool
    early_stopping: bool


def run_stochastic(
    data: KernelInput,
    Y: np.ndarray,
    sample_weight: np.ndarray,
    layout,
    params: np.ndarray,
    optimizer: OptimizerState,
    history: TrainingHistory,
    config: StochasticConfig,
    random_state: np.random.RandomState,
    train_rows: np.ndarray,
    validate: Callable | None,
    incremental: bool,
    run_epoch: Callable | None = None,
    callbacks=None,
    outputs_finite: Callable | None = None,
    rng_state: np.ndarray | None = None,
) -> None:
    """Train ``params`` of ``layout``'s network in place; ``optimizer`` and
    ``history`` are updated in place.

    ``train_rows`` are the rows of ``data`` to train on (the rest is the validation
    set); ``validate(params)`` returns ``(score, loss)`` on the validation set.
    ``run_epoch(order, params, hyper, optimizer)`` runs one compiled epoch over the
    rows ``order`` and returns ``(loss_total, n_done, finite)``; by default it is
    the MLP's :func:`~skdeep._kernels.training.train_epoch` (other models, such as
    the autoencoders, pass their own and may leave ``Y``, ``sample_weight`` and
    ``layout`` as None). ``callbacks`` (an
    :class:`~skdeep.training.callbacks.EpochCallbacks`) is told each epoch's begin
    and end, and can stop training. ``outputs_finite(params)`` tells whether the
    network's outputs on the training rows are finite: weights can stay finite yet
    be large enough to overflow them after the last update, which no batch loss
    has seen. Then the last epoch is rolled back (with a
    :class:`~skdeep.exceptions.TrainingDivergedWarning`), or, if that does not
    help, a ValueError is raised (the estimator then keeps its previous state).
    ``rng_state`` is the random stream ``run_epoch`` draws from (the autoencoders'
    noise and samples), if it outlives the fit: it is rolled back with the weights,
    so a warm start after a rolled-back epoch draws what a fit of the complete
    epochs would have drawn.
    """
    if run_epoch is None:
        run_epoch = _mlp_epoch(data, Y, sample_weight, layout, params, config,
                               random_state)  # fmt: skip
    n_train = train_rows.shape[0]
    epoch_start = _EpochStart(params, optimizer, rng_state)
    best_params = params.copy()
    sample_idx = np.arange(n_train, dtype=np.int64)
    history.n_iter = 0
    # True while an epoch's updates are applied but not yet recorded: a Ctrl-C
    # then rolls the weights back so they match n_iter_ and loss_curve_.
    epoch_open = False
    diverged_epoch = 0  # the epoch rolled back for non-finite loss or weights
    try:
        for _ in range(config.max_iter):
            if config.shuffle:
                # In place, with the draws of sklearn.utils.shuffle (which permutes
                # by random_state.shuffle of an arange) at a fifth of its cost.
                random_state.shuffle(sample_idx)
            order = train_rows[sample_idx]
            epoch_start.take(params, optimizer, rng_state)
            hyper = optimizer.hyper(
                config.momentum,
                config.nesterovs_momentum,
                config.beta_1,
                config.beta_2,
                config.epsilon,
            )
            if callbacks is not None:
                callbacks.begin()
            epoch_open = True
            total, _, finite = run_epoch(order, params, hyper, optimizer)
            if not finite:
                epoch_start.restore(params, optimizer, rng_state)
                if callbacks is not None:
                    callbacks.abandon()
                diverged_epoch = history.n_iter + 1
                break
            history.n_iter += 1
            optimizer.epochs += 1
            history.loss = total / n_train
            history.t += n_train
            history.loss_curve.append(history.loss)
            epoch_open = False
            if config.verbose:
                print(f"Iteration {history.n_iter}, loss = {history.loss:.8f}")
            _update_no_improvement(history, config, params, best_params, validate)
            optimizer.schedule.epoch_ends(optimizer.epochs, history.t)
            if callbacks is not None and callbacks.end(params):
                break
            if history.no_improvement_count > config.n_iter_no_change:
                what = "Validation score" if config.early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={config.tol:f} for "
                    f"{config.n_iter_no_change} consecutive epochs."
                )
                if optimizer.schedule.on_plateau():
                    if config.verbose:
                        print(msg + " Stopping.")
                    break
                if config.verbose:
                    print(
                        msg + " Setting learning rate to "
                        f"{optimizer.schedule.current:f}"
                    )
                history.no_improvement_count = 0
            if incremental:
                break
            if history.n_iter == config.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
    except KeyboardInterrupt:
        if epoch_open:
            epoch_start.restore(params, optimizer, rng_state)
        if callbacks is not None:
            callbacks.abandon()
        warnings.warn(
            "Training interrupted by user; the model keeps the weights of its last "
            "complete epoch (or its best ones, with early stopping).",
            TrainingInterruptedWarning,
            stacklevel=4,
        )
    if config.early_stopping:
        params[:] = best_params
    if outputs_finite is None or outputs_finite(params):
        if diverged_epoch:
            warnings.warn(
                f"Training diverged in epoch {diverged_epoch}: the loss or the "
                "weights became non-finite. Training stopped and the weights of the "
                "last finite epoch were kept. Try a smaller learning_rate_init, a "
                "larger alpha, or scaling the inputs (e.g. StandardScaler).",
                TrainingDivergedWarning,
                stacklevel=4,
            )
        return
    if not (config.early_stopping or diverged_epoch) and history.n_iter:
        # The last update overflowed the outputs: keep the epoch before it.
        epoch_start.restore(params, optimizer, rng_state)
        history.n_iter -= 1
        history.t -= n_train
        history.loss_curve.pop()
        history.loss = history.loss_curve[-1] if history.loss_curve else None
        if outputs_finite(params):
            warnings.warn(
                "Training diverged: the last epoch's weights overflow the network's "
                "outputs on the training data, so that epoch was rolled back. Try a "
                "smaller learning_rate_init, a larger alpha, or scaling X and y.",
                TrainingDivergedWarning,
                stacklevel=4,
            )
            return
    raise ValueError(
        "Training diverged: the network's outputs on the training data are not "
        "finite. Scale X and y (e.g. StandardScaler), or use a smaller "
        "learning_rate_init or a larger alpha."
    )


def _mlp_epoch(data, Y, sample_weight, layout, params, config, random_state):
    """The MLP's epoch runner: work buffers allocated once per fit, and a closure
    over :func:`~skdeep._kernels.training.train_epoch`."""
    table = layout.table()
    batch = config.batch_size
    n_features = int(table[0, codes.COL_N_IN])
    n_outputs = Y.shape[1]
    dtype = params.dtype
    xbuf = np.empty(batch * n_features, dtype=dtype)
    ybuf = np.empty(batch * n_outputs, dtype=dtype)
    swbuf = np.empty(batch, dtype=dtype)
    acts = np.empty(batch * layout.total_units, dtype=dtype)
    aux = np.empty(batch * layout.aux_units, dtype=dtype)
    aux_int = np.empty(batch * layout.aux_units, dtype=np.int64)
    deltas = np.empty_like(acts)
    uses_dropout = bool(np.any(config.dropout_rates > 0))
    # Without dropout the kernels get None here and compile no dropout code.
    masks = np.empty_like(acts) if uses_dropout else None
    dropped = np.empty_like(acts) if uses_dropout else None
    # Only draw the dropout stream when needed, so fits without dropout consume the
    # random state exactly as scikit-learn does.
    rng = new_rng_state(random_state) if uses_dropout else np.zeros(1, np.uint64)
    grad = np.empty_like(params)
    # Convolution scratch only for networks that have convolution layers: a dense
    # network calls train_epoch without it, which keeps conv code out of its compile.
    scratch = layout.conv_scratch(batch, dtype)
    extra = () if scratch is None else (scratch,)

    def run_epoch(order, params, hyper, optimizer):
        return train_epoch(
            *data.arrays(), Y, sample_weight, order, batch,
            params, grad, table, config.dropout_rates, config.alpha,
            config.loss_code, codes.SOLVER_CODES[optimizer.solver], hyper,
            optimizer.step, optimizer.state1, optimizer.state2, rng,
            xbuf, ybuf, swbuf, acts, deltas, masks, dropped, aux, aux_int, *extra,
        )  # fmt: skip

    return run_epoch


class _EpochStart:
    """What an epoch changes, as it was when the epoch began, to roll it back:
    the weights, the optimizer state and the kernels' random stream (if any)."""

    def __init__(self, params, optimizer: OptimizerState, rng_state) -> None:
        self.params = params.copy()
        self.optimizer = optimizer.copy()
        self.rng_state = None if rng_state is None else rng_state.copy()

    def take(self, params, optimizer: OptimizerState, rng_state) -> None:
        self.params[:] = params
        self.optimizer = optimizer.copy()
        if rng_state is not None:
            self.rng_state[:] = rng_state

    def restore(self, params, optimizer: OptimizerState, rng_state) -> None:
        params[:] = self.params
        optimizer.state1[:] = self.optimizer.state1
        optimizer.state2[:] = self.optimizer.state2
        optimizer.step[:] = self.optimizer.step
        optimizer.epochs = self.optimizer.epochs
        optimizer.schedule = self.optimizer.schedule
        if rng_state is not None:
            rng_state[:] = self.rng_state


def _update_no_improvement(history, config, params, best_params, validate) -> None:
    """scikit-learn's ``_update_no_improvement_count``."""
    if config.early_stopping:
        score, loss = validate(params)
        history.validation_scores.append(score)
        history.validation_loss_curve.append(loss)
        if config.verbose:
            print(f"Validation score: {score:f}, validation loss: {loss:.8f}")
        if score < history.best_validation_score + config.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        if score > history.best_validation_score:
            history.best_validation_score = score
            best_params[:] = params
    else:
        last = history.loss_curve[-1]
        if last > history.best_loss - config.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        if last < history.best_loss:
            history.best_loss = last
