"""Parameter and attribute documentation shared by RNNClassifier and RNNRegressor."""

from skdeep.estimators._docs import compose
from skdeep.estimators._mlp_docs import SHARED_ATTRIBUTES, SHARED_PARAMETERS

INPUT_RULES = """\
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
"""

_RNN_PARAMETERS_OWN = """\
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

batch_size : int or 'auto', default=64
    Mini-batch size; 'auto' is ``min(200, n_samples)``.

max_iter : int, default=100
    Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

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
"""

RNN_PARAMETERS = compose(
    [
        "cell",
        "recurrent_units",
        "bidirectional",
        "hidden_layer_sizes",
        "activation",
        "input_shape",
        "solver",
        "alpha",
        "batch_size",
        "learning_rate",
        "learning_rate_init",
        "power_t",
        "max_iter",
        "shuffle",
        "random_state",
        "tol",
        "verbose",
        "warm_start",
        "momentum",
        "nesterovs_momentum",
        "early_stopping",
        "validation_fraction",
        "beta_1",
        "beta_2",
        "epsilon",
        "n_iter_no_change",
        "max_fun",
        "dropout",
        "clip_norm",
        "lr_decay",
        "lr_step_size",
    ],
    SHARED_PARAMETERS,
    _RNN_PARAMETERS_OWN,
)

_RNN_ATTRIBUTES_OWN = """\
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

n_features_in_ : int
    Number of columns of X seen during fit (``n_timesteps * n_features``).

n_layers_ : int
    Number of layers, input and output included (recurrent and dense layers).
"""

RNN_ATTRIBUTES = compose(
    [
        "input_shape_",
        "recurrent_weights_",
        "coefs_",
        "intercepts_",
        "loss_",
        "best_loss_",
        "loss_curve_",
        "validation_scores_",
        "validation_loss_curve_",
        "best_validation_score_",
        "t_",
        "n_features_in_",
        "feature_names_in_",
        "n_iter_",
        "n_layers_",
        "n_outputs_",
    ],
    SHARED_ATTRIBUTES,
    _RNN_ATTRIBUTES_OWN,
)
