"""CNNClassifier and CNNRegressor: convolutional networks configured by
hyperparameters alone, trained by skdeep's Numba engine."""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdeep.estimators._cnn_base import CNN_CONSTRAINTS, CNNMixin
from skdeep.estimators._cnn_docs import CNN_ATTRIBUTES, CNN_PARAMETERS, INPUT_RULES
from skdeep.estimators._mlp_docs import (
    CLASS_WEIGHT_PARAMETER,
    CLASSES_ATTRIBUTE,
    CLASSIFIER_OUT_ACTIVATION,
)
from skdeep.estimators.mlp import MLPClassifier, MLPRegressor
from skdeep.utils._compat import StrOptions, _fit_context

_X_DOC = """X : {array-like, sparse matrix} of shape (n_samples, C*H*W), \
(n_samples, H, W) or (n_samples, C, H, W)
            The images, flattened channels-first or not."""


class CNNClassifier(CNNMixin, MLPClassifier):
    _parameter_constraints: dict = {
        **CNN_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        input_shape: tuple | None = None,
        filters=(32, 64),
        kernel_size=3,
        strides=1,
        padding: str = "same",
        pool_size=2,
        hidden_layer_sizes=(128,),
        activation: str = "relu",
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size=64,
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 50,
        shuffle: bool = True,
        random_state=None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
        class_weight=None,
    ):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "CNNClassifier":
        """Fit the network to images X and labels y.

        Parameters
        ----------
        {X}

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target labels (a label-indicator matrix for multilabel).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None, classes=None) -> "CNNClassifier":
        """Update the model with a single epoch over the given images.

        Parameters
        ----------
        {X}

        y : array-like of shape (n_samples,)
            The target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            All classes across calls; required on the first call.

        Returns
        -------
        self : object
            The updated model.
        """
        return super().partial_fit(X, y, sample_weight=sample_weight, classes=classes)

    def predict(self, X) -> np.ndarray:
        """Predict the class of each image.

        Parameters
        ----------
        {X}

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return super().predict(X)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class for each image.

        Parameters
        ----------
        {X}

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        return super().predict_proba(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of the probability of each class for each image.

        Parameters
        ----------
        {X}

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        return super().predict_log_proba(X)


class CNNRegressor(CNNMixin, MLPRegressor):
    _parameter_constraints: dict = {
        **CNN_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        *,
        input_shape: tuple | None = None,
        filters=(32, 64),
        kernel_size=3,
        strides=1,
        padding: str = "same",
        pool_size=2,
        hidden_layer_sizes=(128,),
        activation: str = "relu",
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size=64,
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 50,
        shuffle: bool = True,
        random_state=None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
        loss: str = "squared_error",
    ):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size
        self.loss = loss

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "CNNRegressor":
        """Fit the network to images X and targets y.

        Parameters
        ----------
        {X}

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None) -> "CNNRegressor":
        """Update the model with a single epoch over the given images.

        Parameters
        ----------
        {X}

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated model.
        """
        return super().partial_fit(X, y, sample_weight=sample_weight)

    def predict(self, X) -> np.ndarray:
        """Predict the target of each image.

        Parameters
        ----------
        {X}

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return super().predict(X)


for _cls in (CNNClassifier, CNNRegressor):
    for _name in (
        "fit",
        "partial_fit",
        "predict",
        "predict_proba",
        "predict_log_proba",
    ):
        _method = _cls.__dict__.get(_name)
        if _method is not None:
            _method.__doc__ = _method.__doc__.replace("{X}", _X_DOC)

CNNClassifier.__doc__ = f"""Convolutional neural network classifier, trained in
Numba kernels and configured by hyperparameters alone.

Convolution, pooling, flatten, dropout and dense layers run in skdeep's one
network engine (the MLPs' training loop, solvers, schedules and early stopping).
Optimizes log-loss with a softmax output (multiclass) or logistic outputs
(binary and multilabel).

{INPUT_RULES}
The defaults (two blocks of 32 and 64 3x3 'same' filters with 2x2 pooling, 128
dense units, adam at 0.001, batches of 64, up to 50 epochs) reach about 98-99%
accuracy on held-out 8x8 digits (``load_digits`` scaled to [0, 1]).

Parameters
----------
{CNN_PARAMETERS}
{CLASS_WEIGHT_PARAMETER}
Attributes
----------
{CLASSES_ATTRIBUTE}
{CNN_ATTRIBUTES}
{CLASSIFIER_OUT_ACTIVATION}
See Also
--------
CNNRegressor : The regression counterpart.
MLPClassifier : The same estimator without convolutions.

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from skdeep.estimators.cnn import CNNClassifier
>>> X, y = load_digits(return_X_y=True)
>>> X = X[:300] / 16.0
>>> clf = CNNClassifier(filters=(8,), hidden_layer_sizes=(), max_iter=20,
...                     learning_rate_init=0.01, random_state=0).fit(X, y[:300])
>>> clf.input_shape_
(1, 8, 8)
>>> clf.score(X, y[:300]) > 0.9
True
>>> clf.filters_[0].shape
(8, 1, 3, 3)
"""

CNNRegressor.__doc__ = f"""Convolutional neural network regressor, trained in
Numba kernels and configured by hyperparameters alone.

The regression counterpart of :class:`CNNClassifier`: same layers, engine and
input rules, with an identity output and the squared error (or an exponential
output and the Poisson deviance with ``loss='poisson'``).

{INPUT_RULES}
Parameters
----------
{CNN_PARAMETERS}
loss : {{'squared_error', 'poisson'}}, default='squared_error'
    The loss; 'poisson' needs non-negative targets and uses an exp output.

Attributes
----------
{CNN_ATTRIBUTES}
out_activation_ : str
    'identity' for squared error, 'exp' for Poisson.

See Also
--------
CNNClassifier : The classification counterpart.
MLPRegressor : The same estimator without convolutions.

Examples
--------
>>> import numpy as np
>>> from skdeep.estimators.cnn import CNNRegressor
>>> rng = np.random.RandomState(0)
>>> images = rng.rand(200, 6, 6)
>>> y = images[:, :3, :3].mean(axis=(1, 2))  # brightness of the top-left corner
>>> reg = CNNRegressor(filters=(4,), hidden_layer_sizes=(16,), max_iter=100,
...                    random_state=0).fit(images, y)
>>> reg.input_shape_
(1, 6, 6)
>>> reg.predict(images[:2]).shape
(2,)
"""


def precompile() -> None:
    """Compile (or load from the disk cache) the CNN kernels for float32 and
    float64 by fitting a tiny classifier and regressor once and predicting."""
    rng = np.random.RandomState(0)
    for dtype in (np.float64, np.float32):
        X = rng.uniform(size=(6, 16)).astype(dtype)
        y = np.arange(6) % 2
        for cls in (CNNClassifier, CNNRegressor):
            est = cls(filters=(2,), hidden_layer_sizes=(2,), max_iter=1, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, y)
            est.predict(X)
