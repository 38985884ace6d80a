"""What the four autoencoders share: parameters, validation, ``_fit`` and inference.

An autoencoder is fitted as two networks in one flat parameter vector (see
:class:`~skdeep.network.autoencoder.AutoencoderLayout`), trained by the MLPs' epoch
loop (:func:`~skdeep.training.stochastic.run_stochastic`) with an autoencoder epoch
kernel. Subclasses choose the code activation, the variant code and any extra
network (the adversarial discriminator).
"""

import copy
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import assert_all_finite, check_is_fitted

from skdeep._kernels import codes
from skdeep._kernels.autoencoder import PLAIN
from skdeep._kernels.autoencoder_epochs import score_rows
from skdeep._kernels.corruption import NOISE_NONE
from skdeep._kernels.rng import new_rng_state
from skdeep._kernels.sampling import fill_normal
from skdeep.estimators._mlp_base import _CALLBACK_KEYS, STOCHASTIC_SOLVERS, BaseMLP
from skdeep.estimators._persistence import VersionedStateMixin
from skdeep.network.autoencoder import AutoencoderLayout
from skdeep.network.inference import PREDICT_CHUNK, network_output
from skdeep.training.autoencoder import AutoencoderTerms, autoencoder_runner
from skdeep.training.callbacks import EpochCallbacks
from skdeep.training.data import KernelInput
from skdeep.training.history import TrainingHistory
from skdeep.training.optimizer import OptimizerState
from skdeep.training.schedules import LearningRateSchedule
from skdeep.training.stochastic import StochasticConfig, run_stochastic
from skdeep.utils._compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    validate_data,
)
from skdeep.utils.threads import kernel_threads
from skdeep.utils.validation import check_layer_sizes

LOSS_CODES = {
    "squared_error": codes.SQUARED_ERROR,
    "binary_crossentropy": codes.BINARY_CROSSENTROPY,
}

_SHARED_WITH_MLP = (
    "activation", "alpha", "batch_size", "learning_rate", "learning_rate_init",
    "power_t", "max_iter", "shuffle", "random_state", "tol", "verbose", "warm_start",
    "momentum", "nesterovs_momentum", "early_stopping", "validation_fraction",
    "beta_1", "beta_2", "epsilon", "n_iter_no_change", "lr_decay", "lr_step_size",
)  # fmt: skip


def _writeable(X):
    """``X``, copied if read-only: the kernels are compiled for writeable arrays, and
    a read-only one would compile (and cache) a second specialization of each."""
    data = X.data if sp.issparse(X) else X
    return X if data.flags.writeable else X.copy()


class BaseAutoencoder(
    VersionedStateMixin,
    CallbackSupportMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class of the autoencoders; use a subclass."""

    _parameter_constraints: dict = {
        **{name: BaseMLP._parameter_constraints[name] for name in _SHARED_WITH_MLP},
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "out_activation": [StrOptions({"auto", "identity", "sigmoid"})],
        "loss": [StrOptions({"squared_error", "binary_crossentropy"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "solver": [StrOptions(set(STOCHASTIC_SOLVERS))],
    }

    #: Activation of the code layer (the encoder's last layer).
    _code_activation = "identity"
    #: Variant code of the reconstruction kernel.
    _variant = PLAIN

    @abstractmethod
    def __init__(
        self, *, n_components, hidden_layer_sizes, activation, out_activation, loss,
        dropout, solver, alpha, batch_size, learning_rate, learning_rate_init,
        power_t, max_iter, shuffle, random_state, tol, verbose, warm_start,
        momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1,
        beta_2, epsilon, n_iter_no_change, lr_decay, lr_step_size,
    ):  # fmt: skip
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.out_activation = out_activation
        self.loss = loss
        self.dropout = dropout
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
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
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    # ------------------------------------------------------------ variant hooks
    def _stats_per_component(self) -> int:
        return 1

    def _discriminator_sizes(self):
        return None

    def _terms(self, X, loss_code, first_pass) -> AutoencoderTerms:
        """Variant settings for the kernels (called after validation)."""
        empty = np.zeros(0)
        return AutoencoderTerms(
            variant=self._variant, loss_code=loss_code, noise_code=NOISE_NONE,
            noise_level=0.0, col_min=empty, col_max=empty, sparsity_target=0.0,
            sparsity_weight=0.0, beta=0.0, dropout=float(self.dropout),
        )  # fmt: skip

    def _check_variant_params(self) -> None:
        """Raise ValueError for invalid combinations of the variant's parameters."""

    def _runner(self, data, layout, terms, batch, rng, dtype):
        return autoencoder_runner(
            data, layout, terms, batch, float(self.alpha), rng, dtype
        )

    def _optimizer_size(self, layout) -> tuple[int, int]:
        """``(state length, number of update counters)`` of the optimizer."""
        return layout.n_params, 1

    def _publish_extra(self, layout, views) -> None:
        """Publish variant-specific attributes of a successful fit."""

    # ---------------------------------------------------------------- fitting
    def _hidden_sizes(self) -> tuple[int, ...]:
        return check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")

    def _resolve_loss(self, X) -> str:
        return self.loss

    def _resolve_out_activation(self, loss: str) -> str:
        out = self.out_activation
        if out == "auto":
            return "logistic" if loss == "binary_crossentropy" else "identity"
        if out == "identity" and loss == "binary_crossentropy":
            raise ValueError(
                "loss='binary_crossentropy' needs out_activation='sigmoid' (or "
                "'auto'): the reconstruction must lie in (0, 1)."
            )
        return "logistic" if out == "sigmoid" else out

    @staticmethod
    def _data_range(X) -> tuple[float, float]:
        if sp.issparse(X):
            values = X.data
            low = min(values.min(), 0.0) if values.size else 0.0
            high = max(values.max(), 0.0) if values.size else 0.0
            if values.size < X.shape[0] * X.shape[1]:
                low, high = min(low, 0.0), max(high, 0.0)
            return float(low), float(high)
        return float(X.min()), float(X.max())

    def _fit(self, X, incremental=False):
        # Any exception leaves the estimator exactly as it was before the call.
        saved_state = dict(self.__dict__)
        try:
            return self._fit_unsafe(X, incremental)
        except BaseException:
            in_flight = {k: v for k, v in vars(self).items() if k in _CALLBACK_KEYS}
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            self.__dict__.update(in_flight)
            raise

    def _fit_unsafe(self, X, incremental):
        hidden = self._hidden_sizes()
        self._check_variant_params()
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
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=first_pass,
        )
        if not first_pass and X.dtype != self.coefs_[0].dtype:
            X = X.astype(self.coefs_[0].dtype)
            # float64 values beyond float32's range become inf when cast.
            assert_all_finite(X, input_name="X")
        X = _writeable(X)
        dtype = X.dtype
        n_features = X.shape[1]
        loss = self._resolve_loss(X) if first_pass else self.reconstruction_loss_
        out_activation = self._resolve_out_activation(loss)
        if loss == "binary_crossentropy":
            low, high = self._data_range(X)
            if low < 0 or high > 1:
                raise ValueError(
                    "loss='binary_crossentropy' needs data in [0, 1]; got values in "
                    f"[{low:g}, {high:g}]. Scale the data (e.g. MinMaxScaler) or use "
                    "loss='squared_error'."
                )
        layout = AutoencoderLayout(
            n_features=n_features,
            hidden=hidden,
            n_components=int(self.n_components),
            activation=self.activation,
            code_activation=self._code_activation,
            out_activation=out_activation,
            stats_per_component=self._stats_per_component(),
            discriminator=self._discriminator_sizes(),
        )
        random_state = check_random_state(self.random_state)
        if first_pass:
            params = layout.init(random_state, dtype)
            history = TrainingHistory.fresh(self.early_stopping)
            optimizer = None
        else:
            if out_activation != self.out_activation_:
                raise ValueError(
                    "out_activation changed since the model was fitted; fit it again "
                    "without warm_start to change it."
                )
            try:
                params = layout.pack(self._blocks(), dtype)
            except ValueError as exc:
                raise ValueError(
                    "The architecture changed since the model was fitted; fit it "
                    "again without warm_start to change it."
                ) from exc
            history = self._history.copy()
            optimizer = self._optimizer.copy()
        terms = self._terms(X, LOSS_CODES[loss], first_pass)
        data = KernelInput.from_validated(X)
        optimizer = self._prepare_optimizer(optimizer, layout, dtype)
        train_rows, validate = self._split(data, layout, loss, random_state)
        batch = self._batch_size(train_rows.shape[0])
        rng = new_rng_state(random_state) if first_pass else self._rng_state.copy()
        config = StochasticConfig(
            batch_size=batch,
            max_iter=self.max_iter,
            shuffle=bool(self.shuffle),
            tol=float(self.tol),
            n_iter_no_change=self.n_iter_no_change,
            alpha=float(self.alpha),
            loss_code=LOSS_CODES[loss],
            dropout_rates=np.zeros(1),
            momentum=float(self.momentum),
            nesterovs_momentum=bool(self.nesterovs_momentum),
            beta_1=float(self.beta_1),
            beta_2=float(self.beta_2),
            epsilon=float(self.epsilon),
            verbose=bool(self.verbose),
            early_stopping=bool(self.early_stopping),
        )
        run_epoch = self._runner(data, layout, terms, batch, rng, dtype)
        fit_task, epoch_callbacks = self._start_callbacks(
            X, layout, history, optimizer, loss, out_activation, rng
        )
        with kernel_threads():
            run_stochastic(
                data, None, None, None, params, optimizer, history, config,
                random_state, train_rows, validate, incremental, run_epoch=run_epoch,
                callbacks=epoch_callbacks,
                outputs_finite=lambda p: self._outputs_finite(
                    layout, p, data, train_rows, LOSS_CODES[loss]),
                rng_state=rng,
            )  # fmt: skip
        if not np.all(np.isfinite(params)):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may "
                "contain large values and need to be preprocessed."
            )
        self._publish(layout, params, history, optimizer, loss, out_activation, rng)
        if fit_task is not None:
            fit_task.call_on_fit_task_end(
                estimator=self, X=X, reconstruction_attributes={}
            )
        return self

    def _start_callbacks(self, X, layout, history, optimizer, loss, out_act, rng):
        """Open the fit task of scikit-learn's callbacks; one sub-task per epoch
        (see :class:`~skdeep.training.callbacks.EpochCallbacks`)."""
        if not hasattr(self, "_init_callback_context"):
            return None, None
        fit_task = self._init_callback_context(max_subtasks=self.max_iter)
        fit_task.call_on_fit_task_begin(estimator=self, X=X)

        def fitted_attributes(params):
            model = copy.copy(self)
            model._publish(
                layout, params, history.copy(), optimizer, loss, out_act, rng.copy()
            )
            return vars(model)

        callbacks = EpochCallbacks(fit_task, self, X, None, None, fitted_attributes)
        return fit_task, callbacks

    def _prepare_optimizer(self, optimizer, layout, dtype):
        schedule = LearningRateSchedule(
            kind=self.learning_rate,
            initial=float(self.learning_rate_init),
            power_t=float(self.power_t),
            decay=float(self.lr_decay),
            step_size=int(self.lr_step_size),
        )
        size, n_counters = self._optimizer_size(layout)
        if optimizer is None or optimizer.solver != self.solver:
            fresh = OptimizerState.create(self.solver, size, dtype, schedule)
            fresh.step = np.zeros(n_counters, dtype=np.int64)
            return fresh
        old = optimizer.schedule
        if vars(old) | {"current": None} != vars(schedule) | {"current": None}:
            optimizer.schedule = schedule
        return optimizer

    def _batch_size(self, n_train: int) -> int:
        if self.batch_size == "auto":
            return max(1, min(200, n_train))
        return int(np.clip(self.batch_size, 1, max(n_train, 1)))

    def _split(self, data, layout, loss, random_state):
        """Training rows and the early-stopping callback (mean ``score_samples``)."""
        n_samples = data.n_rows
        if not self.early_stopping:
            return np.arange(n_samples, dtype=np.int64), None
        from sklearn.model_selection import train_test_split  # slow import

        train_rows, val_rows = train_test_split(
            np.arange(n_samples, dtype=np.int64),
            random_state=random_state,
            test_size=self.validation_fraction,
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        val_rows = np.ascontiguousarray(val_rows)

        def validate(params):
            scores = self._score_rows(layout, params, data, val_rows, LOSS_CODES[loss])
            score = float(np.mean(scores))
            return score, -score

        return np.ascontiguousarray(train_rows), validate

    def _publish(self, layout, params, history, optimizer, loss, out_activation, rng):
        """Commit the result of a successful fit to the estimator's attributes."""
        views = layout.views(params)
        (enc_coefs, enc_intercepts), (dec_coefs, dec_intercepts) = views[:2]
        self.coefs_ = enc_coefs + dec_coefs
        self.intercepts_ = enc_intercepts + dec_intercepts
        self.n_encoder_layers_ = len(enc_coefs)
        self.reconstruction_loss_ = loss
        self.out_activation_ = out_activation
        self.n_iter_ = history.n_iter
        self.t_ = history.t
        self.loss_ = history.loss
        self.loss_curve_ = history.loss_curve
        self.best_loss_ = history.best_loss
        self.validation_scores_ = history.validation_scores
        self.best_validation_score_ = history.best_validation_score
        self._n_features_out = layout.n_components
        self._history = history
        self._optimizer = optimizer
        self._rng_state = rng
        self._publish_extra(layout, views)

    # -------------------------------------------------------------- inference
    def _layout(self) -> AutoencoderLayout:
        """The fitted model's layout."""
        k = self.n_encoder_layers_
        return AutoencoderLayout(
            n_features=self.coefs_[0].shape[0],
            hidden=tuple(c.shape[1] for c in self.coefs_[: k - 1]),
            n_components=self.coefs_[k].shape[0],
            activation=self.activation,
            code_activation=self._code_activation,
            out_activation=self.out_activation_,
            stats_per_component=self.coefs_[k - 1].shape[1] // self.coefs_[k].shape[0],
            discriminator=self._fitted_discriminator_sizes(),
        )

    def _fitted_discriminator_sizes(self):
        return None

    def _blocks(self) -> list:
        """``[(coefs, intercepts)]`` per network of the fitted model."""
        k = self.n_encoder_layers_
        return [
            (self.coefs_[:k], self.intercepts_[:k]),
            (self.coefs_[k:], self.intercepts_[k:]),
        ]

    def _fitted_params(self):
        layout = self._layout()
        return layout, layout.pack(self._blocks(), self.coefs_[0].dtype)

    def _validated(self, X) -> KernelInput:
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
            assert_all_finite(X, input_name="X")
        return KernelInput.from_validated(_writeable(X))

    def _outputs_finite(self, layout, params, data, rows, loss_code) -> bool:
        """True when the codes and the per-row scores of ``rows`` are finite."""
        codes = network_output(layout.encoder, layout.split(params)[0], data, rows)
        if not np.isfinite(codes).all():
            return False
        return bool(np.isfinite(self._score_rows(layout, params, data, rows,
                                                 loss_code)).all())  # fmt: skip

    def _score_rows(self, layout, params, data, rows, loss_code):
        enc_params, dec_params = layout.split(params)[:2]
        out = np.empty(rows.shape[0], dtype=params.dtype)
        if rows.shape[0]:
            enc, dec = layout.encoder, layout.decoder
            score_rows(
                *data.arrays(), rows, enc_params, dec_params, enc.table(),
                dec.table(), self._variant, loss_code, enc.total_units,
                dec.total_units, PREDICT_CHUNK, out,
            )  # fmt: skip
        return out

    def transform(self, X):
        """Encode ``X``: the codes (for the variational autoencoder, the posterior
        mean), without noise or sampling.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the dtype of the fitted weights.
        """
        data = self._validated(X)
        layout, params = self._fitted_params()
        stats = network_output(layout.encoder, layout.split(params)[0], data)
        return np.ascontiguousarray(stats[:, : layout.n_components])

    def inverse_transform(self, X):
        """Decode codes back to input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstructions.
        """
        check_is_fitted(self)
        layout, params = self._fitted_params()
        Z = check_array(X, dtype=(np.float64, np.float32))
        if Z.shape[1] != layout.n_components:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects "
                f"{layout.n_components} (n_components)."
            )
        Z = np.ascontiguousarray(Z, dtype=params.dtype)
        assert_all_finite(Z, input_name="X")
        return network_output(
            layout.decoder, layout.split(params)[1], KernelInput.from_validated(Z)
        )

    def score_samples(self, X):
        """Per-sample negative reconstruction loss (higher is better).

        ``-rec(x, g(f(x)))`` with the loss summed over the features: ``1/2 ||x -
        x_hat||^2`` or the binary cross-entropy. No noise or sampling is involved,
        so the result is deterministic.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The score of each sample.
        """
        data = self._validated(X)
        layout, params = self._fitted_params()
        rows = np.arange(data.n_rows, dtype=np.int64)
        return self._score_rows(
            layout, params, data, rows, LOSS_CODES[self.reconstruction_loss_]
        )

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean score.
        """
        return float(np.mean(self.score_samples(X)))

    def _sample(self, n_samples, random_state):
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(
            n_samples, Integral | np.integer
        ):
            raise ValueError(
                f"n_samples must be a positive integer, got {n_samples!r}."
            )
        if n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
        rng = new_rng_state(check_random_state(random_state))
        Z = np.empty((int(n_samples), self._n_features_out), dtype=self.coefs_[0].dtype)
        fill_normal(rng, Z)
        return self.inverse_transform(Z)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
