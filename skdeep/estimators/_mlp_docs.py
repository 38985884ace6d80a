"""Parameter and attribute documentation shared by MLPClassifier and MLPRegressor."""

SHARED_PARAMETERS = """\
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
"""

SHARED_ATTRIBUTES = """\
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
"""

CLASS_WEIGHT_PARAMETER = """\
class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into ``sample_weight``; 'balanced' uses
    ``n_samples / (n_classes * np.bincount(y))``.
"""

CLASSES_ATTRIBUTE = """\
classes_ : ndarray or list of ndarray of shape (n_classes,)
    Class labels.
"""

CLASSIFIER_OUT_ACTIVATION = """\
out_activation_ : str
    'softmax' for multiclass, 'logistic' for binary and multilabel.
"""
