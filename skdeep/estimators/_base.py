"""What every network estimator shares: the training parameters and the one ``_fit``.

:class:`BaseNetwork` holds the parameters of training (solver, schedule, stopping,
regularization) and the fit behind ``fit`` and ``partial_fit``. A concrete estimator
combines it with a task (:mod:`skdeep.estimators._tasks`: what the targets are, the
output layer and loss, the validation score, the prediction methods) and an
architecture (which :class:`~skdeep.network.network.Network` it builds). The fit:

1. works on a copy of the estimator and publishes the result in one step at the end
   (:mod:`skdeep.estimators._fitting`), so a failed fit leaves a fitted model
   exactly as it was and a concurrent ``predict`` sees the old model or the new;
2. validates the input (task) and builds the network (architecture), or, on a warm
   start or ``partial_fit``, checks the architecture did not change;
3. initializes the parameters (scikit-learn's draws) or continues from the fitted
   ones, with the optimizer's state, the history and the random streams;
4. trains with L-BFGS or the stochastic loop, through an epoch runner;
5. publishes the fitted attributes (all plain data: arrays, numbers, strings,
   tuples, dicts and scikit-learn objects).

Every inference method goes through :meth:`BaseNetwork._fitted_model`, which checks
that the fitted attributes the kernels read agree with the network in shape and
dtype before any kernel runs.
"""

from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import assert_all_finite, check_is_fitted

from skdeep._kernels.rng import new_rng_state
from skdeep._kernels.structs import Objective
from skdeep.estimators._fitted import (
    are_views,
    check_n_features,
    check_parameter_arrays,
    check_params,
    check_rng_state,
    check_state,
    fitted_network,
    restored_views,
)
from skdeep.estimators._fitting import fitting, publish
from skdeep.estimators._inference import InferenceCheck, checked_model
from skdeep.estimators._persistence import VersionedStateMixin
from skdeep.network.inference import network_output, prediction_threads
from skdeep.network.inputs import kernel_rows
from skdeep.network.network import Network
from skdeep.training.callbacks import start_fit_task
from skdeep.training.history import TrainingHistory
from skdeep.training.lbfgs import LBFGS_CHUNK, run_lbfgs
from skdeep.training.loop import StochasticSettings, run_stochastic
from skdeep.training.optimizer import OptimizerState
from skdeep.training.runner import NetworkRunner
from skdeep.training.schedules import LearningRateSchedule
from skdeep.utils._compat import CallbackSupportMixin, Interval, Options, StrOptions
from skdeep.utils.threads import kernel_threads

STOCHASTIC_SOLVERS = ("sgd", "adam", "adagrad", "rmsprop")

#: The constraints of the training parameters every network estimator has.
TRAINING_CONSTRAINTS: dict = {
    "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [
        StrOptions({"constant", "invscaling", "adaptive", "exponential", "step"})
    ],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "lr_decay": [Interval(Real, 0, 1, closed="right")],
    "lr_step_size": [Interval(Integral, 1, None, closed="left")],
    "activation": [
        StrOptions({"identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu"})
    ],
}


@dataclass
class FitData:
    """A validated training set, as the task prepared it.

    Attributes
    ----------
    X : ndarray or sparse matrix
        The validated inputs, 2-D, in the training dtype.
    input_shape : tuple of int
        Shape of one sample for the network.
    Y : ndarray or None
        The 2-D target matrix in the training dtype, None when the network
        reconstructs its input.
    sample_weight : ndarray or None
        The weights the loss uses (class weights included).
    user_sample_weight : ndarray or None
        The weights the user passed (for the validation score).
    out_activation : str
        The output layer's activation.
    loss : int
        The loss code (``codes.*``).
    lengths : ndarray or None
        Each row's number of valid time steps (sequences padded at the end), or
        None when every row is read whole.
    """

    X: object
    input_shape: tuple
    Y: np.ndarray | None
    sample_weight: np.ndarray | None
    user_sample_weight: np.ndarray | None
    out_activation: str
    loss: int
    lengths: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]


@lru_cache(maxsize=128)
def network_from_data(data) -> Network:
    """The :class:`Network` of a fitted estimator's plain-data ``_network``."""
    return Network.from_data(data)


class BaseNetwork(
    VersionedStateMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the network estimators; use a concrete estimator.

    Subclasses define ``__init__`` (scikit-learn needs explicit signatures) and the
    task and architecture hooks below.
    """

    _parameter_constraints: dict = TRAINING_CONSTRAINTS

    # ---------------------------------------------------------- task hooks
    @abstractmethod
    def _fit_data(self, X, y, sample_weight, incremental, first, classes) -> FitData:
        """Validate ``X, y`` (setting the input attributes on this, the copy being
        fitted; ``classes`` is ``partial_fit``'s) and return the training set."""

    @abstractmethod
    def _validation_score(self, outputs, losses, rows, data) -> float:
        """The early-stopping score of the validation ``rows`` of ``data`` from the
        network's ``outputs`` and per-sample ``losses`` on them."""

    def _stratify(self, data: FitData):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    def _reconstructs(self) -> bool:
        """Whether the network's targets are its inputs."""
        return False

    # -------------------------------------------------- architecture hooks
    @abstractmethod
    def _build_network(self, data: FitData) -> Network:
        """The network to train on ``data`` (ValueError if the settings do not fit
        the data)."""

    def _runner(self, network, rows, objective, capacity, rng_state):
        """The epoch runner of the fit."""
        return NetworkRunner(network, rows, objective, capacity, rng_state)

    def _publish_architecture(self, network, params, runner) -> None:
        """Publish the architecture's own fitted attributes (e.g. a CNN's
        ``input_shape_``)."""

    def _draws_random(self, network) -> bool:
        """Whether training draws from the kernels' random stream."""
        return network.draws_random

    def _parameter_size(self, network) -> int:
        """Length of the parameter vector (an adversarial autoencoder adds its
        discriminator's)."""
        return network.n_params

    def _init_parameters(self, network, random_state, dtype):
        """scikit-learn's initialization of the parameters."""
        factor = 2.0 if self.activation in ("logistic", "sigmoid") else 6.0
        return network.init(random_state, dtype, factor)

    def _fitted_parameters(self, network, dtype):
        """The fitted parameter vector, checked against ``network``."""
        return self._packed_params(network, dtype)

    def _optimizer_layout(self, network) -> tuple[int, int]:
        """``(state length, number of update counters)`` of the optimizer."""
        return self._parameter_size(network), 1

    # -------------------------------------------------------------- fitting
    def _fit(self, X, y=None, sample_weight=None, incremental=False, classes=None):
        with fitting(self) as model:
            fit_task, X_checked = model._train(X, y, sample_weight, incremental,
                                               classes, self)  # fmt: skip
            publish(self, model)
        if fit_task is not None:
            # The fit task ends with the fitted model published, for the
            # callbacks that read it (a ScoringMonitor scores it).
            fit_task.call_on_fit_task_end(
                estimator=self, X=X_checked, y=y, reconstruction_attributes={}
            )
        return self

    def _first_pass(self, incremental) -> bool:
        return not hasattr(self, "_network") or (
            not self.warm_start and not incremental
        )

    def _check_training_settings(self, incremental) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True needs a validation set; got "
                f"validation_fraction={self.validation_fraction!r}."
            )

    def _train(self, X, y, sample_weight, incremental, classes, callback_owner):
        """Fit this copy of the estimator (see the module docstring); return the
        callbacks' fit task (to be ended once the model is published) and the
        validated X."""
        self._check_training_settings(incremental)
        first = self._first_pass(incremental)
        if not first:
            # What a continued fit starts from agrees with itself (as it must for
            # prediction) before anything is read from it.
            self._fitted_model()
        data = self._fit_data(X, y, sample_weight, incremental, first, classes)
        dtype = data.X.dtype
        network = self._build_network(data)
        if not first:
            previous = fitted_network(self)
            if previous.parameter_layout() != network.parameter_layout():
                raise ValueError(
                    "The architecture changed since the model was fitted (a layer "
                    "setting, the input shape or the outputs); fit it again "
                    "without warm_start to change it."
                )
        random_state = check_random_state(self.random_state)
        if first:
            params = self._init_parameters(network, random_state, dtype)
            state = self._initial_state(network, data, dtype)
            history = TrainingHistory.fresh(self.early_stopping)
            optimizer = None
            rng_state = None  # drawn after the split, as scikit-learn's draws go
        else:
            params = self._fitted_parameters(network, dtype)
            state = self._updated_state(network, data, dtype)
            history = TrainingHistory.from_data(self._history)
            optimizer = (
                None if self._optimizer is None
                else OptimizerState.from_data(self._optimizer)
            )  # fmt: skip
            rng_state = check_rng_state(self)
        rows = kernel_rows(data.X, data.Y, data.sample_weight, data.lengths)
        objective = Objective(int(data.loss), float(self.alpha), self._reconstructs())
        lbfgs = self.solver == "lbfgs"
        if lbfgs:  # full batch: scikit-learn ignores early_stopping there
            train_rows, validate = np.arange(data.n_samples, dtype=np.int64), None
        else:
            train_rows, validate = self._split(data, network, state, rows, objective,
                                               random_state)  # fmt: skip
        if rng_state is None:
            # Only networks that draw take a seed from random_state, so that the
            # others consume it exactly as scikit-learn does.
            rng_state = (
                new_rng_state(random_state) if self._draws_random(network)
                else np.zeros(1, dtype=np.uint64)
            )  # fmt: skip
        if not first and self.shuffle and self._shuffle_state is not None:
            # Continue the shuffling stream of the previous fit (the split above
            # is drawn afresh, as scikit-learn draws it).
            random_state = np.random.RandomState()
            random_state.set_state(self._shuffle_state)
        capacity = (
            min(LBFGS_CHUNK, train_rows.shape[0]) if lbfgs
            else self._batch_size(train_rows.shape[0])
        )  # fmt: skip
        if lbfgs and "norm" in network.families:
            capacity = train_rows.shape[0]  # full-batch statistics: one chunk
        if capacity < network.min_batch:
            reason = "batch_size=1" if train_rows.shape[0] > 1 else "1 sample to fit"
            raise ValueError(
                "Batch normalization of dense layers needs training batches of at "
                f"least {network.min_batch} samples, but every batch would hold 1 "
                f"sample ({reason}). Use a larger batch_size or more samples."
            )
        runner = self._runner(network, rows, objective, capacity, rng_state)
        fit_task, callbacks = start_fit_task(
            callback_owner,
            data.X,
            y,
            None
            if data.user_sample_weight is None
            else {"sample_weight": data.user_sample_weight},
            0 if lbfgs else self.max_iter,
            lambda p: self._snapshot(
                network, p, state, runner, history, optimizer, data.out_activation
            ),
        )
        with kernel_threads():
            if lbfgs:
                n_iter, loss, curve = run_lbfgs(
                    runner, params, state, train_rows, max_iter=self.max_iter,
                    max_fun=self.max_fun, tol=float(self.tol),
                    verbose=bool(self.verbose),
                )  # fmt: skip
                history.n_iter = n_iter
                history.loss = loss
                history.loss_curve.extend(curve)
            else:
                optimizer = self._prepare_optimizer(optimizer, network, dtype)
                order = self._sample_order(first, train_rows.shape[0])
                run_stochastic(
                    runner, params, state, optimizer, history,
                    self._stochastic_settings(), random_state, train_rows, validate,
                    incremental, callbacks, order,
                )  # fmt: skip
                # Where the shuffling left the samples' order, for a continued fit.
                self._shuffle_order = order.astype(
                    np.int32 if order.shape[0] < 2**31 else np.int64
                )
        self._publish(network, params, state, runner, history, optimizer,
                      random_state, data.out_activation)  # fmt: skip
        return fit_task, data.X

    def _initial_state(self, network, data, dtype) -> np.ndarray:
        """The fitted state vector of a first fit (layers that keep data-derived
        values fill it)."""
        return network.initial_state(dtype)

    def _updated_state(self, network, data, dtype) -> np.ndarray:
        """The fitted state vector of a continued fit."""
        return check_state(self, network, dtype).copy()

    def _sample_order(self, first, n_train) -> np.ndarray:
        """The order of the ``n_train`` training samples the epochs start from:
        the one the previous fit's shuffling left, on a continued fit over as many
        samples, else ``range(n_train)`` (see ``run_stochastic``)."""
        previous = None if first else getattr(self, "_shuffle_order", None)
        if (
            self.shuffle
            and isinstance(previous, np.ndarray)
            and previous.shape == (n_train,)
            and np.array_equal(np.sort(previous), np.arange(n_train))
        ):
            return previous.astype(np.int64)
        return np.arange(n_train, dtype=np.int64)

    def _stochastic_settings(self) -> StochasticSettings:
        return StochasticSettings(
            max_iter=self.max_iter,
            shuffle=bool(self.shuffle),
            tol=float(self.tol),
            n_iter_no_change=self.n_iter_no_change,
            momentum=float(self.momentum),
            nesterovs_momentum=bool(self.nesterovs_momentum),
            beta_1=float(self.beta_1),
            beta_2=float(self.beta_2),
            epsilon=float(self.epsilon),
            verbose=bool(self.verbose),
            early_stopping=bool(self.early_stopping),
        )

    def _schedule(self) -> LearningRateSchedule:
        return LearningRateSchedule(
            kind=self.learning_rate,
            initial=float(self.learning_rate_init),
            power_t=float(self.power_t),
            decay=float(self.lr_decay),
            step_size=int(self.lr_step_size),
        )

    def _prepare_optimizer(self, optimizer, network, dtype) -> OptimizerState:
        """The optimizer to train with: a fresh one, or the fitted one (its moments
        and the rate reached are kept across warm starts unless the solver or the
        schedule's settings changed)."""
        schedule = self._schedule()
        size, n_steps = self._optimizer_layout(network)
        if optimizer is None or optimizer.solver != self.solver:
            return OptimizerState.create(self.solver, size, dtype, schedule, n_steps)
        if (
            optimizer.state1.shape != (size,)
            or optimizer.state2.shape != (size if self.solver == "adam" else 0,)
            or optimizer.step.shape != (n_steps,)
        ):
            raise ValueError(
                "The fitted optimizer state (_optimizer) does not match the fitted "
                "network; fit the model again without warm_start."
            )
        optimizer.state1 = optimizer.state1.astype(dtype, copy=False)
        optimizer.state2 = optimizer.state2.astype(dtype, copy=False)
        if not optimizer.schedule.same_settings(schedule):
            optimizer.schedule = schedule
        return optimizer

    def _batch_size(self, n_train: int) -> int:
        if self.batch_size == "auto":
            return max(1, min(200, n_train))
        if self.batch_size > n_train:
            import warnings

            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                stacklevel=5,
            )
        return int(np.clip(self.batch_size, 1, max(1, n_train)))

    def _split(self, data, network, state, rows, objective, random_state):
        """Training samples and the validation callback of early stopping."""
        n_samples = data.n_samples
        if not self.early_stopping:
            return np.arange(n_samples, dtype=np.int64), None
        from sklearn.model_selection import train_test_split  # slow import

        train_rows, val_rows = train_test_split(
            np.arange(n_samples, dtype=np.int64),
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=self._stratify(data),
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        train_rows = np.ascontiguousarray(train_rows)
        val_rows = np.ascontiguousarray(val_rows)
        weights = (
            np.ones(val_rows.shape[0]) if data.sample_weight is None
            else np.asarray(data.sample_weight, dtype=np.float64)[val_rows]
        )  # fmt: skip

        def validate(params):
            outputs, losses = network_output(
                network, params, state, rows, val_rows, objective=objective
            )
            loss = float(np.dot(weights, losses) / weights.sum())
            if not np.all(np.isfinite(outputs)):
                return np.nan, loss
            return float(self._validation_score(outputs, losses, val_rows, data)), loss

        return train_rows, validate

    def _snapshot(self, network, params, state, runner, history, optimizer,
                  out_activation) -> dict:  # fmt: skip
        """The fitted attributes of the model at ``params`` (for callbacks)."""
        from copy import copy

        model = copy(self)
        model._publish(network, params.copy(), state.copy(), runner,
                       TrainingHistory.from_data(history.to_data()), optimizer,
                       None, out_activation)  # fmt: skip
        return vars(model)

    def _publish(self, network, params, state, runner, history, optimizer,
                 random_state, out_activation) -> None:  # fmt: skip
        """Set the fitted attributes of a successful fit on this copy."""
        self._inference_check = InferenceCheck()
        n_net = network.n_params
        self.coefs_, self.intercepts_ = network.views(params[:n_net])
        self._params = params
        self._state = state
        self._network = network.to_data()
        self.n_layers_ = 1 + sum(layer.spec.counted for layer in network.rows)
        self.n_outputs_ = network.n_outputs
        self.out_activation_ = out_activation
        self.n_iter_ = history.n_iter
        self.t_ = history.t
        self.loss_ = history.loss
        self.loss_curve_ = history.loss_curve
        self.best_loss_ = history.best_loss if self.solver != "lbfgs" else None
        self.validation_scores_ = history.validation_scores
        self.validation_loss_curve_ = history.validation_loss_curve
        self.best_validation_score_ = history.best_validation_score
        self._no_improvement_count = history.no_improvement_count
        self._history = history.to_data()
        self._optimizer = None if optimizer is None else optimizer.to_data()
        self._rng_state = runner.rng_state.copy()
        self._shuffle_state = None if random_state is None else random_state.get_state()
        self._publish_architecture(network, params, runner)

    # ------------------------------------------------------------ inference
    def _packed_params(self, network, dtype=None) -> np.ndarray:
        """The parameter vector the fitted ``coefs_``/``intercepts_`` describe,
        checked against ``network``: a ValueError names the attribute whose shape
        or dtype does not fit, before any kernel runs."""
        params = check_params(self, self._parameter_size(network))
        check_parameter_arrays(self, ("coefs_", "intercepts_"), params.dtype)
        n_net = network.n_params
        coefs, intercepts = self.coefs_, self.intercepts_
        views = are_views(coefs, intercepts, network, params[:n_net])
        dtype = params.dtype if dtype is None else np.dtype(dtype)
        if views:
            return params if params.dtype == dtype else params.astype(dtype)
        # coefs_ or intercepts_ were replaced: pack (and check) them again.
        packed = params.astype(dtype)
        network.pack(coefs, intercepts, dtype, out=packed[:n_net])
        return packed

    def _fitted_model(self, state=None):
        """``(network, params, state)`` of the fitted model, checked against each
        other (shapes and dtypes) before any kernel reads them; the check is
        reused while the fitted attributes are those it checked
        (:func:`~skdeep.estimators._inference.checked_model`)."""
        return checked_model(self, self._check_fitted_model)

    def _check_fitted_model(self):
        """:meth:`_fitted_model`, checked in full."""
        if "_network" not in vars(self):  # not fitted: scikit-learn's error
            check_is_fitted(self)
        network = fitted_network(self)
        params = self._packed_params(network)
        fitted_state = check_state(self, network, params.dtype)
        check_n_features(self, network)
        self._check_fitted_attributes(network)
        return network, params, fitted_state

    def _check_fitted_attributes(self, network) -> None:
        """Check the task's and the architecture's own fitted attributes against
        ``network`` (ValueError naming the attribute); hooks extend it through
        ``super()``."""

    def _check_inference_input(self, X, network, dtype):
        """Cast a validated ``X`` to the model's dtype and check its width against
        the network (not only against ``n_features_in_``)."""
        if X.dtype != dtype:
            X = X.astype(dtype)
            # float64 values beyond float32's range become inf when cast.
            assert_all_finite(X, input_name="X")
        if X.shape[1] != network.n_inputs:
            raise ValueError(
                f"X has {X.shape[1]} features, but the fitted network reads "
                f"{network.n_inputs}."
            )
        return X

    @property
    def batch_norm_layers_(self) -> list:
        """The batch-normalization layers' parameters and running estimates.

        Per batch-normalization layer, input side first, a dict of its
        ``'scale'`` (gamma) and ``'shift'`` (beta) parameters and its
        ``'running_mean'`` and ``'running_var'`` estimates, one value per feature
        or channel (views into the fitted parameters and state); empty without
        ``batch_norm``.
        """
        network, _, _ = self._fitted_model()
        return network.batch_norm_views(self._params[: network.n_params], self._state)

    def _network_output(self, X, layers=slice(None)):
        """Validated forward pass over a validated 2-D ``X``."""
        network, params, state = self._fitted_model()
        X = self._check_inference_input(X, network, params.dtype)
        threads = prediction_threads(network, X.shape[0], layers)
        with kernel_threads(max_threads=threads):
            out, _ = network_output(network, params, state, kernel_rows(X),
                                    layers=layers)  # fmt: skip
        return out

    def __setstate__(self, state):
        super().__setstate__(state)
        params = state.get("_params")
        if isinstance(params, np.ndarray) and "_network" in state:
            # Pickling (and copying) copies views apart: make coefs_/intercepts_
            # views again where they hold the parameters' values.
            try:
                network = network_from_data(state["_network"])
                size = self._parameter_size(network)
            except (TypeError, ValueError, KeyError):
                return
            if params.shape == (size,):
                self._restore_views(network, params)

    def _restore_views(self, network, params) -> None:
        """After unpickling, make the fitted weight attributes views into
        ``params`` again, unless they were replaced by other values."""
        views = restored_views(
            getattr(self, "coefs_", None),
            getattr(self, "intercepts_", None),
            network.views(params[: network.n_params]),
        )
        if views is not None:
            self.coefs_, self.intercepts_ = views

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
