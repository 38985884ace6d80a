"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's."""

from numbers import Integral, Real

from sklearn.utils.metaestimators import available_if

from skdeep.estimators._base import BaseNetwork
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
    """Multi-layer perceptron classifier, trained in Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: same
    parameters, defaults, attributes and results (from the same initial weights it
    computes the same updates), plus ``dropout``, the 'adagrad' and 'rmsprop' solvers,
    the 'exponential' and 'step' schedules and ``class_weight``. Optimizes log-loss
    with a softmax output (multiclass) or logistic outputs (binary and multilabel).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers. 'sigmoid' is an alias of 'logistic';
        'leaky_relu' has slope 0.01 for negative inputs.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer. 'adagrad' and 'rmsprop' are skdeep additions
        (rmsprop decays its squared-gradient average with ``beta_2``).

    alpha : float, default=0.0001
        Strength of the L2 penalty, scaled as in scikit-learn (divided by the
        sum of sample weights of the batch).

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule, applied to every stochastic solver (scikit-learn
        applies it to 'sgd' only). 'exponential' multiplies the rate by
        ``lr_decay`` every epoch, 'step' every ``lr_step_size`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, the early-stopping split, shuffling and dropout
        masks. The same seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion (as in scikit-learn).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Reuse the previous solution, and the optimizer's state (moments, step count,
        learning rate), as the starting point of the next fit. scikit-learn resets
        the optimizer's state.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the validation
        score stops improving; the best weights are restored.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Number of epochs without improvement of more than ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Inverted-dropout rate of the hidden layers during training, one value for
        all or one per hidden layer; no dropout at predict time. Not available
        with 'lbfgs'.

    batch_norm : bool, default=False
        Follow each hidden layer by batch normalization, before its activation:
        ``gamma (z - mean) / sqrt(var + 1e-5) + beta`` per unit. Training
        normalizes with the mini-batch's mean and biased variance, weighted by
        ``sample_weight`` as frequency weights (a weight of 2 counts like a
        repeated row); prediction uses running estimates (see
        ``batch_norm_momentum``). ``gamma`` and ``beta`` start at 1 and 0 and have
        no L2 penalty. With 'lbfgs' the whole training set is one batch, and the
        running estimates are its mean and unbiased variance at the solution. One
        sample cannot be normalized: a batch_size or training set of one sample is
        an error, and an epoch whose last batch would hold a single sample leaves
        it out (another sample at the next shuffle).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels.

    loss_ : float
        The loss at the end of training (last epoch's mean loss including the L2
        term).

    best_loss_ : float or None
        Minimum training loss reached; None with early stopping or 'lbfgs'.

    loss_curve_ : list of float
        Training loss per epoch (per iteration for 'lbfgs').

    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 term) per epoch with early stopping, else
        None. Not recorded by scikit-learn.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

    out_activation_ : str
        'softmax' for multiclass, 'logistic' for binary and multilabel.

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
    """Multi-layer perceptron regressor, trained in Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: same
    parameters (``loss`` first), defaults, attributes and results from the same initial
    weights, plus ``dropout``, the 'adagrad' and 'rmsprop' solvers and the
    'exponential' and 'step' schedules. Optimizes the squared error (identity output)
    or the Poisson deviance (exponential output).

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss; 'poisson' needs non-negative targets and uses an exp output.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers. 'sigmoid' is an alias of 'logistic';
        'leaky_relu' has slope 0.01 for negative inputs.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer. 'adagrad' and 'rmsprop' are skdeep additions
        (rmsprop decays its squared-gradient average with ``beta_2``).

    alpha : float, default=0.0001
        Strength of the L2 penalty, scaled as in scikit-learn (divided by the
        sum of sample weights of the batch).

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule, applied to every stochastic solver (scikit-learn
        applies it to 'sgd' only). 'exponential' multiplies the rate by
        ``lr_decay`` every epoch, 'step' every ``lr_step_size`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, the early-stopping split, shuffling and dropout
        masks. The same seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion (as in scikit-learn).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Reuse the previous solution, and the optimizer's state (moments, step count,
        learning rate), as the starting point of the next fit. scikit-learn resets
        the optimizer's state.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the validation
        score stops improving; the best weights are restored.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Number of epochs without improvement of more than ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Inverted-dropout rate of the hidden layers during training, one value for
        all or one per hidden layer; no dropout at predict time. Not available
        with 'lbfgs'.

    batch_norm : bool, default=False
        Follow each hidden layer by batch normalization, before its activation:
        ``gamma (z - mean) / sqrt(var + 1e-5) + beta`` per unit. Training
        normalizes with the mini-batch's mean and biased variance, weighted by
        ``sample_weight`` as frequency weights (a weight of 2 counts like a
        repeated row); prediction uses running estimates (see
        ``batch_norm_momentum``). ``gamma`` and ``beta`` start at 1 and 0 and have
        no L2 penalty. With 'lbfgs' the whole training set is one batch, and the
        running estimates are its mean and unbiased variance at the solution. One
        sample cannot be normalized: a batch_size or training set of one sample is
        an error, and an epoch whose last batch would hold a single sample leaves
        it out (another sample at the next shuffle).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    loss_ : float
        The loss at the end of training (last epoch's mean loss including the L2
        term).

    best_loss_ : float or None
        Minimum training loss reached; None with early stopping or 'lbfgs'.

    loss_curve_ : list of float
        Training loss per epoch (per iteration for 'lbfgs').

    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 term) per epoch with early stopping, else
        None. Not recorded by scikit-learn.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

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
