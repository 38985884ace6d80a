"""What MLPClassifier and MLPRegressor share: parameters, validation and ``_fit``."""

import copy
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import assert_all_finite, check_is_fitted

from skdeep._kernels import codes
from skdeep._kernels.losses import loss_sum
from skdeep.estimators._persistence import VersionedStateMixin
from skdeep.network.inference import network_output
from skdeep.network.layout import DenseLayout
from skdeep.training.callbacks import EpochCallbacks
from skdeep.training.data import KernelInput
from skdeep.training.history import TrainingHistory
from skdeep.training.lbfgs import run_lbfgs
from skdeep.training.optimizer import OptimizerState
from skdeep.training.schedules import LearningRateSchedule
from skdeep.training.stochastic import StochasticConfig, run_stochastic
from skdeep.utils._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    validate_data,
)
from skdeep.utils.threads import kernel_threads
from skdeep.utils.validation import check_layer_sizes

STOCHASTIC_SOLVERS = ("sgd", "adam", "adagrad", "rmsprop")

#: Attributes scikit-learn's callback machinery sets during a fit and removes after.
_CALLBACK_KEYS = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")

LOSS_CODES = {
    "identity": codes.SQUARED_ERROR,
    "softmax": codes.CATEGORICAL_CROSSENTROPY,
    "logistic": codes.BINARY_CROSSENTROPY,
    "exp": codes.POISSON,
}


class BaseMLP(
    VersionedStateMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the multi-layer perceptrons; use a subclass.

    Holds the parameter constraints shared with scikit-learn's MLPs plus skdeep's
    additions, and the one ``_fit`` behind ``fit`` and ``partial_fit``.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [
            StrOptions(
                {"identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu"}
            )
        ],
        "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
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
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        lr_decay,
        lr_step_size,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate ``X, y``; return ``X`` and the 2-D target matrix."""

    @abstractmethod
    def _out_activation(self, Y):
        """Name of the output activation for the 2-D targets ``Y``."""

    @abstractmethod
    def _output_to_prediction(self, P):
        """Turn output activations into what ``predict`` returns."""

    @abstractmethod
    def _validation_targets(self, Y_val):
        """Targets of the validation rows in the form ``_score_function`` takes."""

    @abstractmethod
    def _score_function(self, y_true, y_pred, sample_weight=None):
        """Validation score used by early stopping (accuracy or R^2)."""

    def _effective_sample_weight(self, sample_weight, y):
        return sample_weight

    def _build_layout(self, n_features, n_outputs, out_activation):
        """The network to train: a dense stack here; the CNNs build a ConvLayout."""
        return DenseLayout(
            (n_features, *self._hidden_sizes(), n_outputs),
            self.activation,
            out_activation,
        )

    def _fitted_layout(self):
        """The layout of the fitted network, rebuilt from ``coefs_``."""
        units = (self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_))
        return DenseLayout(units, self.activation, self.out_activation_)

    def _check_architecture(self, hidden):
        """Refuse a warm start or partial_fit whose architecture changed."""
        if len(self.coefs_) != len(hidden) + 1 or any(
            c.shape[1] != h for c, h in zip(self.coefs_, hidden)
        ):
            raise ValueError(
                "hidden_layer_sizes changed since the model was fitted; fit it "
                "again without warm_start to change the architecture."
            )

    def _layer_dropout_rates(self, layout, rates):
        """Dropout rate of every layer of ``layout`` (one per table row)."""
        return rates

    def _stratify(self, Y):
        return None

    # ------------------------------------------------------------- fitting
    def _hidden_sizes(self) -> tuple[int, ...]:
        return check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")

    def _dropout_rates(self, n_hidden: int) -> np.ndarray:
        """Per-layer dropout rates (the output layer never drops)."""
        rates = np.zeros(n_hidden + 1, dtype=np.float64)
        if np.ndim(self.dropout) == 0:
            rates[:n_hidden] = float(self.dropout)
        else:
            try:
                given = np.asarray(self.dropout, dtype=np.float64).ravel()
            except (TypeError, ValueError):
                raise ValueError(
                    "dropout must be a float or a sequence of floats, got "
                    f"{self.dropout!r}."
                ) from None
            if given.shape[0] != n_hidden:
                raise ValueError(
                    f"dropout must be a float or have one rate per hidden layer "
                    f"({n_hidden}), got {given.shape[0]} rates."
                )
            rates[:n_hidden] = given
        if not np.all((rates >= 0) & (rates < 1)):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}.")
        if self.solver == "lbfgs" and np.any(rates > 0):
            raise ValueError(
                "dropout is not supported with solver='lbfgs' (it makes the "
                "objective random, which breaks the line search); use a stochastic "
                "solver."
            )
        return rates

    def _schedule(self) -> LearningRateSchedule:
        return LearningRateSchedule(
            kind=self.learning_rate,
            initial=float(self.learning_rate_init),
            power_t=float(self.power_t),
            decay=float(self.lr_decay),
            step_size=int(self.lr_step_size),
        )

    def _fit(self, X, y, sample_weight=None, incremental=False):
        # Any exception leaves the estimator exactly as it was before the call
        # (except the callback bookkeeping, which the fit context tears down).
        saved_state = dict(self.__dict__)
        try:
            return self._fit_unsafe(X, y, sample_weight, incremental)
        except BaseException:
            in_flight = {k: v for k, v in vars(self).items() if k in _CALLBACK_KEYS}
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            self.__dict__.update(in_flight)
            raise

    def _fit_unsafe(self, X, y, sample_weight, incremental):
        hidden = self._hidden_sizes()
        rates = self._dropout_rates(len(hidden))
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True needs a validation set; got "
                f"validation_fraction={self.validation_fraction!r}."
            )
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if not first_pass and X.dtype != self.coefs_[0].dtype:
            # A fitted model keeps its dtype: continuing a float32 model on float64
            # X trains in float32 (float64 values beyond its range are refused).
            X = X.astype(self.coefs_[0].dtype)
            assert_all_finite(X, input_name="X")
        dtype = X.dtype
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=dtype, ensure_non_negative=True
            )
        user_sample_weight = sample_weight
        sample_weight = self._effective_sample_weight(sample_weight, y)
        sw = (
            np.ones(n_samples, dtype=dtype)
            if sample_weight is None
            else np.asarray(sample_weight, dtype=dtype)
        )
        n_outputs = Y.shape[1]
        random_state = check_random_state(self.random_state)
        if first_pass:
            out_activation = self._out_activation(Y)
        else:
            out_activation = self.out_activation_
            self._check_architecture(hidden)
        layout = self._build_layout(n_features, n_outputs, out_activation)
        rates = self._layer_dropout_rates(layout, rates)
        if first_pass:
            params = layout.glorot_init(random_state, dtype)
            history = TrainingHistory.fresh(self.early_stopping)
            optimizer = None
        else:
            params = layout.pack(self.coefs_, self.intercepts_, dtype)
            history = self._history.copy()
            optimizer = getattr(self, "_optimizer", None)
            optimizer = None if optimizer is None else optimizer.copy()
        data = KernelInput.from_validated(X)
        Y = np.ascontiguousarray(Y, dtype=dtype)
        loss_code = LOSS_CODES[out_activation]
        fit_task, epoch_callbacks = self._start_callbacks(
            X, y, user_sample_weight, layout, history, out_activation
        )

        with kernel_threads():
            if self.solver == "lbfgs":
                n_iter, loss, curve = run_lbfgs(
                    data, Y, sw, layout, params,
                    alpha=float(self.alpha), loss_code=loss_code,
                    max_iter=self.max_iter, max_fun=self.max_fun,
                    tol=float(self.tol), verbose=bool(self.verbose),
                )  # fmt: skip
                history.n_iter = n_iter
                history.loss = loss
                history.loss_curve.extend(curve)
            else:
                optimizer = self._prepare_optimizer(optimizer, params)
                train_rows, validate = self._split(
                    data, Y, sw, user_sample_weight, layout, loss_code, random_state
                )
                batch_size = self._batch_size(train_rows.shape[0])
                config = StochasticConfig(
                    batch_size=batch_size,
                    max_iter=self.max_iter,
                    shuffle=bool(self.shuffle),
                    tol=float(self.tol),
                    n_iter_no_change=self.n_iter_no_change,
                    alpha=float(self.alpha),
                    loss_code=loss_code,
                    dropout_rates=rates,
                    momentum=float(self.momentum),
                    nesterovs_momentum=bool(self.nesterovs_momentum),
                    beta_1=float(self.beta_1),
                    beta_2=float(self.beta_2),
                    epsilon=float(self.epsilon),
                    verbose=bool(self.verbose),
                    early_stopping=bool(self.early_stopping),
                )
                run_stochastic(
                    data, Y, sw, layout, params, optimizer,
                    history, config, random_state, train_rows, validate, incremental,
                    callbacks=epoch_callbacks,
                    outputs_finite=lambda p: bool(np.isfinite(
                        network_output(layout, p, data, train_rows)).all()),
                )  # fmt: skip

        if not np.all(np.isfinite(params)):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may "
                "contain large values and need to be preprocessed."
            )
        self._publish(layout, params, history, optimizer, out_activation)
        if fit_task is not None:
            fit_task.call_on_fit_task_end(
                estimator=self, X=X, y=y, reconstruction_attributes={}
            )
        return self

    def _start_callbacks(self, X, y, sample_weight, layout, history, out_activation):
        """Open the fit task of scikit-learn's callbacks (when the installed
        scikit-learn has them and some are set); one sub-task per epoch."""
        if not hasattr(self, "_init_callback_context"):
            return None, None
        stochastic = self.solver in STOCHASTIC_SOLVERS
        fit_task = self._init_callback_context(
            max_subtasks=self.max_iter if stochastic else 0
        )
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        fit_task.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        if not stochastic:
            return fit_task, None

        def fitted_attributes(params):
            model = copy.copy(self)
            model._publish(layout, params, history.copy(), None, out_activation)
            return vars(model)

        return fit_task, EpochCallbacks(
            fit_task, self, X, y, metadata, fitted_attributes
        )

    def _prepare_optimizer(self, optimizer, params):
        schedule = self._schedule()
        if optimizer is None or optimizer.solver != self.solver:
            return OptimizerState.create(
                self.solver, params.shape[0], params.dtype, schedule
            )
        # Keep the moments (and the rate reached) across warm starts, unless the
        # schedule's settings changed.
        old = optimizer.schedule
        if (old.kind, old.initial, old.power_t, old.decay, old.step_size) != (
            schedule.kind,
            schedule.initial,
            schedule.power_t,
            schedule.decay,
            schedule.step_size,
        ):
            optimizer.schedule = schedule
        return optimizer

    def _batch_size(self, n_train: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            import warnings

            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_train))

    def _split(self, data, Y, sw, user_sw, layout, loss_code, random_state):
        """Training rows and the validation callback of early stopping."""
        n_samples = Y.shape[0]
        if not self.early_stopping:
            return np.arange(n_samples, dtype=np.int64), None
        from sklearn.model_selection import train_test_split  # slow import

        train_rows, val_rows = train_test_split(
            np.arange(n_samples, dtype=np.int64),
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=self._stratify(Y),
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        Y_val = np.ascontiguousarray(Y[val_rows])
        sw_val = np.ascontiguousarray(sw[val_rows])
        sw_val_score = None if user_sw is None else user_sw[val_rows]
        y_val = self._validation_targets(Y_val)

        def validate(params):
            P = network_output(layout, params, data, val_rows)
            loss = loss_sum(Y_val, P, sw_val, loss_code) / sw_val.sum()
            if not np.all(np.isfinite(P)):
                return np.nan, float(loss)
            y_pred = self._output_to_prediction(P)
            score = self._score_function(y_val, y_pred, sample_weight=sw_val_score)
            return float(score), float(loss)

        return train_rows, validate

    def _publish(self, layout, params, history, optimizer, out_activation):
        """Commit the result of a successful fit to the estimator's attributes."""
        self.coefs_, self.intercepts_ = layout.views(params)
        self._params = params
        self.n_layers_ = len(layout.layer_units)
        self.n_outputs_ = layout.layer_units[-1]
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
        self._history = history
        self._optimizer = optimizer

    # ------------------------------------------------------------ inference
    def _network_output(self, X):
        """Validated forward pass: output activations of shape (n, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        dtype = self.coefs_[0].dtype
        if X.dtype != dtype:
            X = X.astype(dtype)
            # float64 values beyond float32's range become inf when cast.
            assert_all_finite(X, input_name="X")
        layout = self._fitted_layout()
        params = getattr(self, "_params", None)
        if not layout.is_packed_in(params, self.coefs_, self.intercepts_):
            # coefs_ or intercepts_ were replaced by the user: pack them again.
            params = layout.pack(self.coefs_, self.intercepts_, dtype)
        return network_output(layout, params, KernelInput.from_validated(X))

    def __setstate__(self, state):
        super().__setstate__(state)
        params = state.get("_params")
        if params is not None and "coefs_" in state:
            # Pickling copies views apart; make coefs_/intercepts_ views again.
            layout = self._fitted_layout()
            if params.shape[0] == layout.n_params:
                self.coefs_, self.intercepts_ = layout.views(params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
