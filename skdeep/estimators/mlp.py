"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's."""

from numbers import Integral, Real

from sklearn.utils.metaestimators import available_if

from skdeep.estimators._base import BaseNetwork
from skdeep.estimators._mlp_docs import (
    CLASS_WEIGHT_PARAMETER,
    CLASSES_ATTRIBUTE,
    CLASSIFIER_OUT_ACTIVATION,
    SHARED_ATTRIBUTES,
    SHARED_PARAMETERS,
)
from skdeep.estimators._tasks import ClassifierTask, RegressorTask, check_stochastic
from skdeep.network.network import Network
from skdeep.network.specs import BatchNorm, Dense, Dropout
from skdeep.utils._compat import Interval, StrOptions, _fit_context
from skdeep.utils.validation import check_layer_sizes, dropout_rates

#: The constraints of the dense architecture's parameters.
DENSE_CONSTRAINTS: dict = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "batch_norm": ["boolean"],
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
}


class DenseArchitecture:
    """A stack of fully connected layers on the rows of X (the MLPs)."""

    def _as_2d(self, X):
        return X, None

    def _check_sample_shape(self, sample_shape) -> None:
        """Rows are rows: nothing to check beyond their width."""

    def _resolve_input_shape(self, n_features, sample_shape, first) -> tuple:
        return (n_features,)

    def _build_network(self, data) -> Network:
        hidden = check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        rates = dropout_rates(self.dropout, len(hidden), self.solver)
        specs = []
        for units, rate in zip(hidden, rates):
            if self.batch_norm:  # the normalization carries the activation
                momentum = float(self.batch_norm_momentum)
                specs.append(Dense(units, "identity"))
                specs.append(BatchNorm(self.activation, momentum))
            else:
                specs.append(Dense(units, self.activation))
            if rate > 0:
                specs.append(Dropout(rate))
        specs.append(Dense(data.Y.shape[1], data.out_activation))
        return Network(data.input_shape, tuple(specs))


class MLPClassifier(ClassifierTask, DenseArchitecture, BaseNetwork):
    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **DENSE_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        batch_norm_momentum=0.1,
        lr_decay=0.95,
        lr_step_size=10,
        class_weight=None,
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
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target labels (a label-indicator matrix for multilabel).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    @available_if(check_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

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
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class MLPRegressor(RegressorTask, DenseArchitecture, BaseNetwork):
    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **DENSE_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        batch_norm_momentum=0.1,
        lr_decay=0.95,
        lr_step_size=10,
    ):
        self.loss = loss
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
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight)

    @available_if(check_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Unlike scikit-learn 1.9, ``partial_fit`` does not exist for
        ``solver='lbfgs'`` (scikit-learn silently runs a full fit there).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True)


MLPClassifier.__doc__ = f"""Multi-layer perceptron classifier, trained in Numba kernels.

A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: same
parameters, defaults, attributes and results (from the same initial weights it
computes the same updates), plus ``dropout``, the 'adagrad' and 'rmsprop' solvers,
the 'exponential' and 'step' schedules and ``class_weight``. Optimizes log-loss
with a softmax output (multiclass) or logistic outputs (binary and multilabel).

Parameters
----------
{SHARED_PARAMETERS}
{CLASS_WEIGHT_PARAMETER}
Attributes
----------
{CLASSES_ATTRIBUTE}
{SHARED_ATTRIBUTES}
{CLASSIFIER_OUT_ACTIVATION}
See Also
--------
MLPRegressor : The regression counterpart.
sklearn.neural_network.MLPClassifier : The scikit-learn model this replaces.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from skdeep import MLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0)
>>> clf.fit(X, y).score(X, y) > 0.9
True
>>> clf.predict_proba(X[:2]).shape
(2, 3)
"""

MLPRegressor.__doc__ = f"""Multi-layer perceptron regressor, trained in Numba kernels.

A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: same
parameters (``loss`` first), defaults, attributes and results from the same initial
weights, plus ``dropout``, the 'adagrad' and 'rmsprop' solvers and the
'exponential' and 'step' schedules. Optimizes the squared error (identity output)
or the Poisson deviance (exponential output).

Parameters
----------
loss : {{'squared_error', 'poisson'}}, default='squared_error'
    The loss; 'poisson' needs non-negative targets and uses an exp output.

{SHARED_PARAMETERS}
Attributes
----------
{SHARED_ATTRIBUTES}
out_activation_ : str
    'identity' for squared error, 'exp' for Poisson.

See Also
--------
MLPClassifier : The classification counterpart.
sklearn.neural_network.MLPRegressor : The scikit-learn model this replaces.

Examples
--------
>>> from sklearn.datasets import make_regression
>>> from skdeep import MLPRegressor
>>> X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=0)
>>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
>>> reg.fit(X, y).score(X, y) > 0.95
True
"""
