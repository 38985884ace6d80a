"""Parameter and attribute documentation shared by the autoencoders."""

from skdeep.estimators._docs import compose
from skdeep.estimators._mlp_docs import SHARED_ATTRIBUTES, SHARED_PARAMETERS

_COMMON_PARAMETERS_OWN = """\
n_components : int, default=16
    Size of the code (the output width of :meth:`transform`).

hidden_layer_sizes : array-like of int, default=(64,)
    Hidden sizes of the encoder, input side first; the decoder mirrors them.
    An empty tuple gives a single-layer encoder and decoder.

activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
    Activation of the hidden layers.

out_activation : {'auto', 'identity', 'sigmoid'}, default='auto'
    Activation of the reconstruction: 'auto' is 'sigmoid' for
    ``loss='binary_crossentropy'`` and 'identity' for squared error. A sigmoid
    output with squared error is allowed (the output gradient includes the
    sigmoid's derivative); an identity output with cross-entropy is an error.

loss : {'squared_error', 'binary_crossentropy'}, default='squared_error'
    Reconstruction loss per sample, summed over the features:
    ``1/2 ||x - x_hat||^2``, or the binary cross-entropy for data in [0, 1]
    (data outside [0, 1] is an error).

dropout : float, default=0.0
    Inverted-dropout rate of the hidden layers of the encoder and decoder during
    training (never on the code or at transform time).

batch_norm : bool, default=False
    Follow each hidden layer of the encoder and of the decoder (not the code
    or the output) by batch normalization, before its activation: training
    normalizes with the mini-batch's statistics, ``transform`` and the other
    methods with running estimates. As in :class:`~skdeep.MLPRegressor`
    (full-batch statistics with 'lbfgs'; a batch of one sample is an error or
    left out).

solver : {'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
    The weight optimizer (as in :class:`~skdeep.MLPRegressor`).

alpha : float, default=0.0001
    L2 penalty on the weights, divided by the batch size as in the MLPs.

batch_size : int or 'auto', default='auto'
    Mini-batch size; 'auto' is ``min(200, n_samples)``.

learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
    Learning-rate schedule (as in the MLPs).

learning_rate_init : float, default=0.001
    Initial learning rate.

max_iter : int, default=200
    Maximum number of epochs.

shuffle : bool, default=True
    Whether to shuffle the rows each epoch.

random_state : int, RandomState instance or None, default=None
    Seeds the initialization, the early-stopping split, the shuffles and the
    kernel random stream (dropout masks, corruption noise, sampling). The same
    seed and data give bit-identical weights.

tol : float, default=1e-4
    Tolerance of the stopping criterion on the loss (or on the validation score).

warm_start : bool, default=False
    Continue from the previous weights and optimizer state on the next fit.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the rows, stop when the mean
    :meth:`score_samples` on them stops improving, and restore the best weights.

validation_fraction : float, default=0.1
    Fraction of the rows held out for early stopping.

n_iter_no_change : int, default=10
    Epochs without improvement of more than ``tol`` before stopping.
"""

COMMON_PARAMETERS = compose(
    [
        "n_components",
        "hidden_layer_sizes",
        "activation",
        "out_activation",
        "loss",
        "dropout",
        "batch_norm",
        "batch_norm_momentum",
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
        "lr_decay",
        "lr_step_size",
    ],
    SHARED_PARAMETERS,
    _COMMON_PARAMETERS_OWN,
)

_COMMON_ATTRIBUTES_OWN = """\
coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
    Weight matrices: the first ``n_encoder_layers_`` belong to the encoder
    (input to code), the rest to the decoder (code to input space).

intercepts_ : list of ndarray of shape (n_fan_out,)
    Bias vectors, in the same order as ``coefs_``.

n_encoder_layers_ : int
    Number of weight layers of the encoder (``len(hidden_layer_sizes) + 1``).

reconstruction_loss_ : str
    The reconstruction loss used: 'squared_error' or 'binary_crossentropy'.

out_activation_ : str
    Activation of the decoder's output ('identity' or 'logistic').

loss_ : float
    Training objective of the last epoch (mean over rows, L2 term included).

loss_curve_ : list of float
    Training objective per epoch.

best_loss_ : float or None
    Lowest training objective reached; None with early stopping.

validation_scores_ : list of float or None
    Mean :meth:`score_samples` of the validation rows per epoch with early
    stopping, else None.

n_iter_ : int
    Number of epochs run by the last call.

t_ : int
    Number of training rows seen by the solver.
"""

COMMON_ATTRIBUTES = compose(
    [
        "coefs_",
        "intercepts_",
        "n_encoder_layers_",
        "reconstruction_loss_",
        "out_activation_",
        "loss_",
        "loss_curve_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
        "n_iter_",
        "t_",
        "n_features_in_",
        "feature_names_in_",
        "batch_norm_layers_",
    ],
    SHARED_ATTRIBUTES,
    _COMMON_ATTRIBUTES_OWN,
)
