"""RNNClassifier and RNNRegressor: recurrent networks (LSTM, GRU, simple RNN) for
sequences and time series, trained by skdeep's network engine."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from skdeep.estimators._base import BaseNetwork, network_from_data
from skdeep.estimators._tasks import ClassifierTask, RegressorTask, check_stochastic
from skdeep.network.inference import network_output
from skdeep.network.inputs import kernel_rows
from skdeep.network.network import Network
from skdeep.network.specs import Dense, Dropout, Recurrent
from skdeep.utils._compat import Interval, StrOptions, _fit_context, validate_data
from skdeep.utils.threads import kernel_threads
from skdeep.utils.validation import check_layer_sizes, dropout_rates, is_positive_int

#: The constraints of the recurrent architecture's parameters.
RECURRENT_CONSTRAINTS: dict = {
    "cell": [StrOptions({"lstm", "gru", "rnn"})],
    "recurrent_units": ["array-like", Interval(Integral, 1, None, closed="left")],
    "bidirectional": ["boolean"],
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "input_shape": [None, tuple, list],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
}


class SequenceInput(NamedTuple):
    """What :func:`read_sequences` found in ``X``.

    Attributes
    ----------
    shape : tuple of (n_timesteps, n_features) or None
        The shape of 3-D ``X``'s sequences; None for 2-D ``X``.
    padding : ndarray of shape (n_samples,) or None
        Each row's number of trailing NaN values (in the flattened time-major
        row); None when ``X`` has no NaN.
    """

    shape: tuple | None
    padding: np.ndarray | None


def read_sequences(X):
    """``(X_2d, SequenceInput)``: 3-D ``X`` flattened to ``(n, T*F)`` (time-major),
    and the NaN padding at the end of each row replaced by zeros.

    Raises
    ------
    ValueError
        If a row has NaN other than at its end (a NaN inside a sequence), or only
        NaN. Other input (sparse matrices, strings, wrong dimensions) is returned
        unchanged for scikit-learn's validation to report.
    """
    if sp.issparse(X):
        return X, SequenceInput(None, None)
    frame = hasattr(X, "columns") and hasattr(X, "fillna")
    shape = None
    if not frame:
        try:
            array = np.asarray(X)
        except (TypeError, ValueError):
            return X, SequenceInput(None, None)
        if array.ndim > 3:
            raise ValueError(
                "X must be 3-D (n_samples, n_timesteps, n_features) or 2-D "
                f"(n_samples, n_timesteps); got {array.ndim} dimensions."
            )
        if array.ndim == 3:
            shape = tuple(int(s) for s in array.shape[1:])
            X = array = array.reshape(array.shape[0], -1)
    else:
        try:
            array = X.to_numpy()
        except (TypeError, ValueError):
            return X, SequenceInput(shape, None)
    if array.ndim != 2 or array.dtype.kind != "f":
        return X, SequenceInput(shape, None)
    missing = np.isnan(array)
    if not missing.any():
        return X, SequenceInput(shape, None)
    padding = np.cumprod(missing[:, ::-1], axis=1).sum(axis=1)
    inside = np.flatnonzero(missing.sum(axis=1) > padding)
    if inside.size:
        raise ValueError(
            "Input X contains NaN inside a sequence (row "
            f"{int(inside[0])}): only the end of a sequence may be padded with NaN "
            "(in every feature of the padded steps)."
        )
    empty = np.flatnonzero(padding == array.shape[1])
    if empty.size:
        raise ValueError(
            f"Input X contains NaN only in row {int(empty[0])}: every sequence "
            "needs at least one valid time step."
        )
    X = X.fillna(0.0) if frame else np.where(missing, 0, array).astype(array.dtype)
    return X, SequenceInput(shape, padding)


def step_lengths(padding, steps: int, features: int) -> np.ndarray | None:
    """Each row's number of valid steps from its trailing NaN count (None: no
    padding).

    Raises
    ------
    ValueError
        If a padded step is NaN in some features only.
    """
    if padding is None:
        return None
    ragged = np.flatnonzero(padding % features)
    if ragged.size:
        raise ValueError(
            f"Input X contains NaN in some features of a time step only (row "
            f"{int(ragged[0])}): a padded step must be NaN in every one of its "
            f"{features} features."
        )
    return (steps - padding // features).astype(np.int64)


def _normalize_shape(input_shape) -> tuple:
    shape = tuple(input_shape)
    if len(shape) != 2 or not all(is_positive_int(s) for s in shape):
        raise ValueError(
            "input_shape must be (n_timesteps, n_features) of positive integers, "
            f"got {input_shape!r}."
        )
    return tuple(int(s) for s in shape)


class _Sequences(NamedTuple):
    """Validated prediction input: 2-D rows, their steps and lengths."""

    X: object
    steps: int
    lengths: np.ndarray | None


class RecurrentArchitecture:
    """Recurrent layers on sequences, then dense layers (the RNNs).

    Comes before the task in the estimators' bases: it reads 3-D and NaN-padded
    input before the task's validation, and predicts for any number of steps.
    """

    # ------------------------------------------------------------ input
    def _as_2d(self, X):
        return read_sequences(X)

    def _check_sample_shape(self, sequences) -> None:
        if sequences.shape is not None and sequences.shape != self.input_shape_:
            raise ValueError(
                f"X holds sequences of shape {sequences.shape}, but "
                f"{type(self).__name__} was fitted on sequences of shape "
                f"{self.input_shape_} (n_timesteps, n_features); continued "
                "training needs the same shape (pad with NaN at the end)."
            )

    def _resolve_input_shape(self, n_features, sequences, first) -> tuple:
        if not first:
            return self.input_shape_
        if self.input_shape is not None:
            shape = _normalize_shape(self.input_shape)
            if sequences.shape is not None and sequences.shape != shape:
                raise ValueError(
                    f"X holds sequences of shape {sequences.shape}, but "
                    f"input_shape={self.input_shape!r}."
                )
            if shape[0] * shape[1] != n_features:
                raise ValueError(
                    f"input_shape={self.input_shape!r} has {shape[0] * shape[1]} "
                    f"values per sequence (n_timesteps * n_features), but X has "
                    f"{n_features} features."
                )
        elif sequences.shape is not None:
            shape = sequences.shape
        else:
            shape = (n_features, 1)  # a univariate series per row
        self.input_shape_ = shape
        return shape

    def _sequence_lengths(self, sequences):
        steps, features = self.input_shape_
        return step_lengths(sequences.padding, steps, features)

    def _inference_rows(self, X):
        check_is_fitted(self)
        X, sequences = read_sequences(X)
        steps, features = self.input_shape_
        if sequences.shape is not None and sequences.shape[0] != steps:
            # Another number of steps: the network reads any; check the features.
            if sequences.shape[1] != features:
                raise ValueError(
                    f"X holds sequences of {sequences.shape[1]} features, but "
                    f"{type(self).__name__} was fitted on {features}."
                )
            steps = sequences.shape[0]
            X = check_array(X, dtype=(np.float64, np.float32))
        else:
            self._check_sample_shape(sequences)
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )
        return _Sequences(X, steps, step_lengths(sequences.padding, steps, features))

    def _network_output(self, sequences, layers=slice(None)):
        network, params, state = self._fitted_model()
        if sequences.steps != network.input_shape[0]:
            specs = network.to_data()[1]
            network = network_from_data(
                ((sequences.steps, network.input_shape[1]), specs)
            )
        X = self._check_inference_input(sequences.X, network, params.dtype)
        with kernel_threads():
            out, _ = network_output(
                network, params, state, kernel_rows(X, lengths=sequences.lengths),
                layers=layers,
            )  # fmt: skip
        return out

    # ------------------------------------------------------------ network
    def _build_network(self, data) -> Network:
        units = check_layer_sizes(self.recurrent_units, "recurrent_units")
        if not units:
            raise ValueError(
                "recurrent_units must hold at least one layer size, got "
                f"{self.recurrent_units!r}."
            )
        hidden = check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        rates = dropout_rates(self.dropout, len(units) + len(hidden), self.solver)
        specs = []
        for k, size in enumerate(units):
            if k and rates[k - 1] > 0:
                specs.append(Dropout(rates[k - 1]))
            specs.append(Recurrent(self.cell, size, bool(self.bidirectional),
                                   sequences=k < len(units) - 1))  # fmt: skip
        for k, size in enumerate(hidden):
            rate = rates[len(units) - 1 + k]
            if rate > 0:
                specs.append(Dropout(rate))
            specs.append(Dense(size, self.activation))
        if rates and rates[-1] > 0:
            specs.append(Dropout(rates[-1]))
        specs.append(Dense(data.Y.shape[1], data.out_activation))
        return Network(data.input_shape, tuple(specs))

    def _runner(self, network, rows, objective, capacity, rng_state):
        clip = 0.0 if self.clip_norm is None else float(self.clip_norm)
        return super()._runner(network, rows, objective._replace(clip_norm=clip),
                               capacity, rng_state)  # fmt: skip

    @property
    def recurrent_weights_(self) -> list:
        """The recurrent layers' weights in PyTorch's layout.

        Per recurrent layer, per direction, PyTorch's ``weight_ih``,
        ``weight_hh``, ``bias_ih`` and ``bias_hh`` (views of the fitted
        parameters; see the class docstring).
        """
        check_is_fitted(self)
        network = network_from_data(self._network)
        coefs, intercepts = network.views(self._params[: network.n_params])
        layers = []
        for layer, coef, intercept in zip(network.parametric_layers, coefs,
                                          intercepts):  # fmt: skip
            spec = layer.spec
            if not isinstance(spec, Recurrent):
                continue
            n_in = layer.input_shape[1]
            gh = spec.gate_units
            directions = []
            for d in range(spec.directions):
                bias = intercept[d * 2 * gh : (d + 1) * 2 * gh]
                directions.append({
                    "weight_ih": coef[d, :n_in].T,
                    "weight_hh": coef[d, n_in:].T,
                    "bias_ih": bias[:gh],
                    "bias_hh": bias[gh:],
                })  # fmt: skip
            layers.append(directions)
        return layers

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class RNNClassifier(RecurrentArchitecture, ClassifierTask, BaseNetwork):
    """Recurrent neural network classifier (LSTM, GRU or simple RNN).

    For sequences and time series, trained in Numba kernels.

    The recurrent layers run in skdeep's one network engine, with the MLPs' training
    loop, solvers (L-BFGS included), schedules, early stopping, class and sample
    weights, warm starts, ``partial_fit``, callbacks and divergence containment.
    Optimizes log-loss with a softmax output (multiclass) or logistic outputs
    (binary and multilabel) on the last states of the sequences.

    **Input.** ``X`` is 3-D ``(n_samples, n_timesteps, n_features)`` (time steps by
    features, as Keras and PyTorch's ``batch_first=True``), or 2-D: ``(n_samples,
    n_timesteps)``, one univariate series per row (so scalers, pandas and
    scikit-learn's checks work), or, with ``input_shape=(n_timesteps, n_features)``,
    ``(n_samples, n_timesteps * n_features)`` flattened time-major (step 0's features,
    then step 1's...). Data laid out as aeon and sktime do, ``(n_cases, n_channels,
    n_timepoints)``, is read with ``X.transpose(0, 2, 1)``.

    **Variable length.** Sequences of different lengths are padded at the end with
    NaN in every feature: each sequence is read up to its last valid step (its state
    there is the one the output layer sees; a bidirectional layer's backward direction
    starts there). A NaN anywhere else (inside a sequence, or in some features of a
    step only) is a ValueError, as in every other estimator, and so is a sequence with
    no valid step. At prediction, 3-D ``X`` may have any number of time steps (the
    number of features must match); 2-D ``X`` must have the fitted number of columns.

    **Architecture.** One recurrent layer per entry of ``recurrent_units`` (each
    stacked layer reads every step's states of the one below; with
    ``bidirectional=True`` each layer reads the sequence forwards and backwards and
    concatenates the two states), then the dense layers ``hidden_layer_sizes`` with
    ``activation`` on the last layer's final states, then the output layer (as in the
    MLPs). The cells are exactly PyTorch's ``nn.LSTM``, ``nn.GRU`` (reset gate
    applied as ``r * (W_hn h + b_hn)``) and ``nn.RNN`` (tanh); recurrent weights and
    biases are initialized from ``U(-1/sqrt(units), 1/sqrt(units))`` as in PyTorch,
    the dense layers with scikit-learn's Glorot bound.

    Parameters
    ----------
    cell : {'lstm', 'gru', 'rnn'}, default='lstm'
        The recurrent cell: long short-term memory, gated recurrent unit, or the
        simple (Elman) recurrent network with tanh.

    recurrent_units : int or array-like of int, default=(64,)
        Units (hidden state size) of each stacked recurrent layer, input side first.

    bidirectional : bool, default=False
        Whether each recurrent layer also reads the sequences backwards; its output
        is then twice as wide (forward states, then backward states).

    hidden_layer_sizes : array-like of int, default=()
        Units of the dense layers between the last recurrent layer's states and the
        output layer; ``()`` connects the states to the output directly.

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the dense hidden layers (the cells have their own).

    input_shape : tuple of (n_timesteps, n_features), default=None
        Shape of one sequence, to read 2-D ``X`` as flattened time-major sequences
        of ``n_features`` values per step. None reads 2-D ``X`` as one feature per
        step and 3-D ``X`` as it is.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer, as in the MLPs.

    alpha : float, default=0.0001
        Strength of the L2 penalty, scaled as in scikit-learn (divided by the
        sum of sample weights of the batch).

    batch_size : int or 'auto', default=64
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule, applied to every stochastic solver (scikit-learn
        applies it to 'sgd' only). 'exponential' multiplies the rate by
        ``lr_decay`` every epoch, 'step' every ``lr_step_size`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=100
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

    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate, during training only, of the inputs of every layer
        after the first (the outputs of each recurrent and dense hidden layer): one
        rate for all or one per layer (``len(recurrent_units) +
        len(hidden_layer_sizes)`` rates). Not available with 'lbfgs'.

    clip_norm : float, default=None
        When set, each mini-batch's whole gradient (all weights and biases, the L2
        term included) is scaled down to at most this Euclidean norm before the
        update, as ``torch.nn.utils.clip_grad_norm_`` does:
        ``g <- g * clip_norm / (||g|| + 1e-6)`` when that factor is below 1. It keeps
        the exploding gradients of long sequences from throwing training off; 1 to 5
        are common values. None does not clip; 'lbfgs' ignores it.

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

    input_shape_ : tuple of (n_timesteps, n_features)
        Shape of one training sequence.

    recurrent_weights_ : list of list of dict
        Per recurrent layer (input side first), per direction (forward, then
        backward), PyTorch's tensors as views into the fitted parameters:
        ``'weight_ih'`` of shape ``(G*units, n_in)``, ``'weight_hh'`` of shape
        ``(G*units, units)``, ``'bias_ih'`` and ``'bias_hh'`` of shape ``(G*units,)``,
        with ``G`` gates stacked in PyTorch's order: ``i|f|g|o`` (LSTM), ``r|z|n``
        (GRU), one (RNN); ``n_in`` is ``n_features`` for the first layer, the layer
        below's ``units`` (twice that, when bidirectional) for the others. They load
        into ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` as ``weight_ih_l{k}`` (and
        ``..._reverse``), and so on.

    coefs_ : list of ndarray
        Weights of every layer with parameters, views into one parameter vector:
        for a recurrent layer ``(D, n_in + units, G*units)``, per direction
        ``[W_ih^T; W_hh^T]`` (``recurrent_weights_`` presents them transposed, as
        PyTorch stores them); then the dense matrices ``(n_fan_in, n_fan_out)``.

    intercepts_ : list of ndarray
        Biases of every layer with parameters: for a recurrent layer ``2 D G units``
        values, per direction ``b_ih`` then ``b_hh``.

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

    n_features_in_ : int
        Number of columns of X seen during fit (``n_timesteps * n_features``).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call.

    n_layers_ : int
        Number of layers, input and output included (recurrent and dense layers).

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        'softmax' for multiclass, 'logistic' for binary and multilabel.

    See Also
    --------
    RNNRegressor : The regression counterpart.
    MLPClassifier : A dense network on the flattened sequences.

    Examples
    --------
    Which of two frequencies a noisy sine has (100 series of 20 steps):

    >>> import numpy as np
    >>> from skdeep import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 100)
    >>> t = np.arange(20)
    >>> X = np.sin(np.outer(1 + y, t) * 0.3) + 0.1 * rng.randn(100, 20)
    >>> clf = RNNClassifier(cell="gru", recurrent_units=16, learning_rate_init=0.01,
    ...                     max_iter=30, random_state=0).fit(X[:, :, None], y)
    >>> clf.input_shape_
    (20, 1)
    >>> clf.score(X[:, :, None], y) > 0.9
    True
    >>> [w.shape for w in clf.recurrent_weights_[0][0].values()]
    [(48, 1), (48, 16), (48,), (48,)]

    Data in aeon's and sktime's layout, ``(n_cases, n_channels, n_timepoints)``:

    >>> X_aeon = X[:, None, :]  # one channel
    >>> clf.predict(X_aeon.transpose(0, 2, 1)).shape
    (100,)
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **RECURRENT_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        cell: str = "lstm",
        recurrent_units=(64,),
        bidirectional: bool = False,
        hidden_layer_sizes=(),
        activation: str = "relu",
        input_shape: tuple | None = None,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size=64,
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 100,
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
        max_fun: int = 15000,
        dropout=0.0,
        clip_norm: float | None = None,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
        class_weight=None,
    ):
        self.cell = cell
        self.recurrent_units = recurrent_units
        self.bidirectional = bidirectional
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_shape = input_shape
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
        self.clip_norm = clip_norm
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "RNNClassifier":
        """Fit the network to sequences X and labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps)
            The sequences (see the input rules above); NaN pads the end of
            shorter ones.

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
    def partial_fit(self, X, y, sample_weight=None, classes=None) -> "RNNClassifier":
        """Update the model with a single epoch over the given sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps)
            The sequences, of the fitted shape.

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


class RNNRegressor(RecurrentArchitecture, RegressorTask, BaseNetwork):
    """Recurrent neural network regressor (LSTM, GRU or simple RNN).

    For sequences and time series, trained in Numba kernels.

    The regression counterpart of :class:`RNNClassifier`: same layers, engine and
    input rules, with an identity output and the squared error (or an exponential
    output and the Poisson deviance with ``loss='poisson'``).

    **Input.** ``X`` is 3-D ``(n_samples, n_timesteps, n_features)`` (time steps by
    features, as Keras and PyTorch's ``batch_first=True``), or 2-D: ``(n_samples,
    n_timesteps)``, one univariate series per row (so scalers, pandas and
    scikit-learn's checks work), or, with ``input_shape=(n_timesteps, n_features)``,
    ``(n_samples, n_timesteps * n_features)`` flattened time-major (step 0's features,
    then step 1's...). Data laid out as aeon and sktime do, ``(n_cases, n_channels,
    n_timepoints)``, is read with ``X.transpose(0, 2, 1)``.

    **Variable length.** Sequences of different lengths are padded at the end with
    NaN in every feature: each sequence is read up to its last valid step (its state
    there is the one the output layer sees; a bidirectional layer's backward direction
    starts there). A NaN anywhere else (inside a sequence, or in some features of a
    step only) is a ValueError, as in every other estimator, and so is a sequence with
    no valid step. At prediction, 3-D ``X`` may have any number of time steps (the
    number of features must match); 2-D ``X`` must have the fitted number of columns.

    **Architecture.** One recurrent layer per entry of ``recurrent_units`` (each
    stacked layer reads every step's states of the one below; with
    ``bidirectional=True`` each layer reads the sequence forwards and backwards and
    concatenates the two states), then the dense layers ``hidden_layer_sizes`` with
    ``activation`` on the last layer's final states, then the output layer (as in the
    MLPs). The cells are exactly PyTorch's ``nn.LSTM``, ``nn.GRU`` (reset gate
    applied as ``r * (W_hn h + b_hn)``) and ``nn.RNN`` (tanh); recurrent weights and
    biases are initialized from ``U(-1/sqrt(units), 1/sqrt(units))`` as in PyTorch,
    the dense layers with scikit-learn's Glorot bound.

    Parameters
    ----------
    cell : {'lstm', 'gru', 'rnn'}, default='lstm'
        The recurrent cell: long short-term memory, gated recurrent unit, or the
        simple (Elman) recurrent network with tanh.

    recurrent_units : int or array-like of int, default=(64,)
        Units (hidden state size) of each stacked recurrent layer, input side first.

    bidirectional : bool, default=False
        Whether each recurrent layer also reads the sequences backwards; its output
        is then twice as wide (forward states, then backward states).

    hidden_layer_sizes : array-like of int, default=()
        Units of the dense layers between the last recurrent layer's states and the
        output layer; ``()`` connects the states to the output directly.

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the dense hidden layers (the cells have their own).

    input_shape : tuple of (n_timesteps, n_features), default=None
        Shape of one sequence, to read 2-D ``X`` as flattened time-major sequences
        of ``n_features`` values per step. None reads 2-D ``X`` as one feature per
        step and 3-D ``X`` as it is.

    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss; 'poisson' needs non-negative targets and uses an exp output.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer, as in the MLPs.

    alpha : float, default=0.0001
        Strength of the L2 penalty, scaled as in scikit-learn (divided by the
        sum of sample weights of the batch).

    batch_size : int or 'auto', default=64
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule, applied to every stochastic solver (scikit-learn
        applies it to 'sgd' only). 'exponential' multiplies the rate by
        ``lr_decay`` every epoch, 'step' every ``lr_step_size`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=100
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

    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate, during training only, of the inputs of every layer
        after the first (the outputs of each recurrent and dense hidden layer): one
        rate for all or one per layer (``len(recurrent_units) +
        len(hidden_layer_sizes)`` rates). Not available with 'lbfgs'.

    clip_norm : float, default=None
        When set, each mini-batch's whole gradient (all weights and biases, the L2
        term included) is scaled down to at most this Euclidean norm before the
        update, as ``torch.nn.utils.clip_grad_norm_`` does:
        ``g <- g * clip_norm / (||g|| + 1e-6)`` when that factor is below 1. It keeps
        the exploding gradients of long sequences from throwing training off; 1 to 5
        are common values. None does not clip; 'lbfgs' ignores it.

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    input_shape_ : tuple of (n_timesteps, n_features)
        Shape of one training sequence.

    recurrent_weights_ : list of list of dict
        Per recurrent layer (input side first), per direction (forward, then
        backward), PyTorch's tensors as views into the fitted parameters:
        ``'weight_ih'`` of shape ``(G*units, n_in)``, ``'weight_hh'`` of shape
        ``(G*units, units)``, ``'bias_ih'`` and ``'bias_hh'`` of shape ``(G*units,)``,
        with ``G`` gates stacked in PyTorch's order: ``i|f|g|o`` (LSTM), ``r|z|n``
        (GRU), one (RNN); ``n_in`` is ``n_features`` for the first layer, the layer
        below's ``units`` (twice that, when bidirectional) for the others. They load
        into ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` as ``weight_ih_l{k}`` (and
        ``..._reverse``), and so on.

    coefs_ : list of ndarray
        Weights of every layer with parameters, views into one parameter vector:
        for a recurrent layer ``(D, n_in + units, G*units)``, per direction
        ``[W_ih^T; W_hh^T]`` (``recurrent_weights_`` presents them transposed, as
        PyTorch stores them); then the dense matrices ``(n_fan_in, n_fan_out)``.

    intercepts_ : list of ndarray
        Biases of every layer with parameters: for a recurrent layer ``2 D G units``
        values, per direction ``b_ih`` then ``b_hh``.

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

    n_features_in_ : int
        Number of columns of X seen during fit (``n_timesteps * n_features``).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call.

    n_layers_ : int
        Number of layers, input and output included (recurrent and dense layers).

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        'identity' for squared error, 'exp' for Poisson.

    See Also
    --------
    RNNClassifier : The classification counterpart.
    MLPRegressor : A dense network on the flattened sequences.

    Examples
    --------
    The sum of each sequence's values, for sequences of 3 to 10 steps padded with
    NaN at the end:

    >>> import numpy as np
    >>> from skdeep import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 1, size=(300, 10, 1))
    >>> lengths = rng.randint(3, 11, 300)
    >>> for i, length in enumerate(lengths):
    ...     X[i, length:] = np.nan
    >>> y = np.nansum(X[:, :, 0], axis=1)
    >>> reg = RNNRegressor(cell="gru", recurrent_units=16, learning_rate_init=0.01,
    ...                    max_iter=50, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    >>> reg.predict(X[:2, :5]).shape  # 3-D X may have any number of steps
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **RECURRENT_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        *,
        cell: str = "lstm",
        recurrent_units=(64,),
        bidirectional: bool = False,
        hidden_layer_sizes=(),
        activation: str = "relu",
        input_shape: tuple | None = None,
        loss: str = "squared_error",
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size=64,
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 100,
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
        max_fun: int = 15000,
        dropout=0.0,
        clip_norm: float | None = None,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ):
        self.cell = cell
        self.recurrent_units = recurrent_units
        self.bidirectional = bidirectional
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_shape = input_shape
        self.loss = loss
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
        self.clip_norm = clip_norm
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "RNNRegressor":
        """Fit the network to sequences X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps)
            The sequences (see the input rules above); NaN pads the end of
            shorter ones.

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
    def partial_fit(self, X, y, sample_weight=None) -> "RNNRegressor":
        """Update the model with a single epoch over the given sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
(n_samples, n_timesteps)
            The sequences, of the fitted shape.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit(X, y, sample_weight, incremental=True)
