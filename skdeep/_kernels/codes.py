"""Every integer code and table column that cached kernels branch on, in one place.

Cached kernels never receive functions as arguments (their disk cache would never
be reused); they receive these module constants instead, and the Python side maps
the user-facing strings to codes through the dictionaries at the bottom.
"""

# ---------------------------------------------------------------- activations
IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
LEAKY_RELU = 4
SOFTMAX = 5  # output layer only (paired with the categorical cross-entropy)
EXP = 6  # output layer only (paired with the Poisson deviance)

#: Slope of ``leaky_relu`` for negative inputs (PyTorch's default).
LEAKY_SLOPE = 0.01

# --------------------------------------------------------------------- losses
# Each loss has a canonical output activation, for which the gradient with
# respect to the output pre-activation is ``prediction - target``.
SQUARED_ERROR = 0  # identity output (or logistic, for the autoencoders)
CATEGORICAL_CROSSENTROPY = 1  # softmax output
BINARY_CROSSENTROPY = 2  # logistic output (binary and multilabel)
POISSON = 3  # exp output

# --------------------------------------------------------------- update rules
SGD = 0
ADAM = 1
ADAGRAD = 2
RMSPROP = 3

# Indices into the float64 hyper-parameter vector of the update rules.
HYPER_LR = 0
HYPER_MOMENTUM = 1
HYPER_BETA_1 = 2
HYPER_BETA_2 = 3
HYPER_EPSILON = 4
HYPER_NESTEROV = 5
N_HYPER = 6

# ---------------------------------------------------------- perceptron penalties
# As in scikit-learn's ``PENALTY_TYPES`` (``PerceptronClassifier(penalty=...)``).
PENALTY_NONE = 0
PENALTY_L1 = 1
PENALTY_L2 = 2
PENALTY_ELASTICNET = 3

# ---------------------------------------------------------------- layer kinds
# A network is a table with one row per layer. Every row reads ``n_in`` values per
# sample (the output of the row before it, or the network's input) and writes
# ``n_out`` values per sample into its own block of the activation buffer, then
# applies its activation in place. Spatial layers read and write channels-first
# images: a row's ``(n, C*H*W)`` block IS the ``(n, C, H, W)`` tensor, so
# flattening before a dense layer is free and has no row.
DENSE = 0  # weights (n_in, n_out), bias (n_out,)
CONV2D = 1  # weights (C_out, C_in, kh, kw), bias (C_out,); 1-D signals have H = 1
MAXPOOL2D = 2  # window and stride COL_KERNEL_H x COL_KERNEL_W, no parameters
DROPOUT = 3  # inverted dropout with rate VAL_RATE (training only); mask in aux
CORRUPTION = 4  # denoising input noise COL_CODE (NOISE_*) of level VAL_RATE
SPARSITY = 5  # identity; adds VAL_WEIGHT * n * KL(VAL_TARGET || batch mean)
GAUSSIAN = 6  # [mu | log-variance] -> mu + sigma * eps; adds VAL_WEIGHT * KL
BATCHNORM = 7  # per feature / channel: gamma * (x - mean) / sqrt(var + eps) + beta
GLOBAL_POOL = 8  # (C, H, W) -> (C,): mean or maximum (COL_CODE) of each channel
RESIDUAL_ADD = 9  # the row before's output plus the output of row COL_SOURCE
RECURRENT = 10  # (T, F) sequences -> every step's state or the last; cell COL_CODE

# Cells of a RECURRENT row (COL_CODE), with PyTorch's gate order.
CELL_LSTM = 0  # gates i|f|g|o
CELL_GRU = 1  # gates r|z|n
CELL_RNN = 2  # h = tanh(W_ih x + b_ih + W_hh h + b_hh)

#: A sequence length meaning "every step of the input" (recurrent rows read
#: ``min(length, T)`` steps of each sample).
ALL_STEPS = 2**62

# Pooling codes of a GLOBAL_POOL row (COL_CODE).
POOL_AVG = 0
POOL_MAX = 1

#: Batch normalization's epsilon (PyTorch's).
BN_EPSILON = 1e-5

# What a training-mode forward pass does with the running statistics of the
# BATCHNORM rows (the ``norm`` family argument, ``structs.Norm``).
RUNNING_KEEP = 0  # leave them (L-BFGS evaluations, the adversarial extra steps)
RUNNING_AVERAGE = 1  # running = (1 - VAL_MOMENTUM) running + VAL_MOMENTUM batch
RUNNING_SET = 2  # running = batch (after L-BFGS: the full training set)

# Noise codes of a CORRUPTION row (COL_CODE).
NOISE_GAUSSIAN = 0  # x + level * N(0, 1)
NOISE_MASKING = 1  # 0 with probability level
NOISE_SALT_PEPPER = 2  # column minimum or maximum with probability level

# ------------------------------------------------------ integer table columns
COL_KIND = 0
COL_N_IN = 1  # values per sample read
COL_N_OUT = 2  # values per sample written
COL_W_OFFSET = 3  # weights: COL_W_SIZE values of the parameter vector from here
COL_W_SIZE = 4
COL_B_OFFSET = 5  # biases (and other parameters without L2 penalty)
COL_B_SIZE = 6
COL_ACTIVATION = 7
COL_UNIT_OFFSET = 8  # per-sample offset of the row's block in acts / deltas
COL_AUX_OFFSET = 9  # per-sample offset of the row's slots in work.floats
COL_INT_OFFSET = 10  # per-sample offset of the row's slots in work.ints (int32)
COL_STAT_OFFSET = 11  # offset of the row's per-batch statistics in work.stats
COL_STATE_OFFSET = 12  # offset of the row's fitted, non-trained state (state)
COL_CODE = 13  # a kind-specific code (the noise of a CORRUPTION row)
COL_C_IN = 14  # channels-first geometry of spatial rows
COL_H_IN = 15
COL_W_IN = 16
COL_C_OUT = 17
COL_H_OUT = 18
COL_W_OUT = 19
COL_KERNEL_H = 20
COL_KERNEL_W = 21
COL_STRIDE = 22
COL_PAD_TOP = 23
COL_PAD_LEFT = 24
# Shortcuts (residual networks). A row reads the row before it, except a branch
# row (COL_BRANCH = 1), which reads row COL_SOURCE (-1: the network's input); a
# RESIDUAL_ADD row adds row COL_SOURCE's output to the row before's. A row's input
# gradient goes into its source's delta block, overwriting it, unless the source
# has an earlier consumer: then into the row's side block at COL_SIDE_OFFSET (per
# sample, in work.deltas; -1 for none), which the source adds once that consumer
# has written its delta (the source's COL_SIDE_FROM names the row; -1 for none).
COL_SOURCE = 25
COL_BRANCH = 26
COL_SIDE_OFFSET = 27
COL_SIDE_FROM = 28
# Recurrent rows: a sample is T steps of F values (time-major), read by D
# directions of H units each; the row outputs every step's D*H states
# (COL_SEQUENCES = 1) or the last ones (0).
COL_STEPS = 29
COL_FEATURES = 30
COL_UNITS = 31
COL_DIRECTIONS = 32
COL_SEQUENCES = 33
N_TABLE_COLUMNS = 34

# --------------------------------------------------------- float table columns
VAL_RATE = 0  # dropout rate, noise level
VAL_TARGET = 1  # sparsity target
VAL_WEIGHT = 2  # sparsity weight, KL weight (beta)
VAL_MOMENTUM = 3  # batch normalization's running-statistics momentum
N_TABLE_VALUES = 4

# ------------------------------------------------------------ Python mappings
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "sigmoid": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
}

SOLVER_CODES = {"sgd": SGD, "adam": ADAM, "adagrad": ADAGRAD, "rmsprop": RMSPROP}

#: The loss each output activation of the MLPs and CNNs is paired with.
OUTPUT_LOSS_CODES = {
    "identity": SQUARED_ERROR,
    "softmax": CATEGORICAL_CROSSENTROPY,
    "logistic": BINARY_CROSSENTROPY,
    "exp": POISSON,
}

#: The autoencoders' reconstruction losses.
RECONSTRUCTION_LOSS_CODES = {
    "squared_error": SQUARED_ERROR,
    "binary_crossentropy": BINARY_CROSSENTROPY,
}

CELL_CODES = {"lstm": CELL_LSTM, "gru": CELL_GRU, "rnn": CELL_RNN}

#: Gates per unit of each cell: the width of its fused weight matrices is
#: ``gates * units``.
CELL_GATES = {"lstm": 4, "gru": 3, "rnn": 1}

PENALTY_CODES = {
    None: PENALTY_NONE,
    "l1": PENALTY_L1,
    "l2": PENALTY_L2,
    "elasticnet": PENALTY_ELASTICNET,
}

NOISE_CODES = {
    "gaussian": NOISE_GAUSSIAN,
    "masking": NOISE_MASKING,
    "salt_pepper": NOISE_SALT_PEPPER,
}
