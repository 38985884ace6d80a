"""Integer codes that cached kernels branch on.

Cached kernels never receive functions as arguments (their disk cache would never be
reused); they receive these module constants instead. The Python side maps the
user-facing strings to codes through the dictionaries at the bottom.
"""

# Activations (hidden and output).
IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
LEAKY_RELU = 4
SOFTMAX = 5
EXP = 6

#: Slope of ``leaky_relu`` for negative inputs (PyTorch's default).
LEAKY_SLOPE = 0.01

# Losses, each paired with its canonical output activation so that the gradient with
# respect to the output pre-activation is ``prediction - target``.
SQUARED_ERROR = 0  # identity output
CATEGORICAL_CROSSENTROPY = 1  # softmax output
BINARY_CROSSENTROPY = 2  # logistic output (binary and multilabel)
POISSON = 3  # exp output

# Update rules.
SGD = 0
ADAM = 1
ADAGRAD = 2
RMSPROP = 3

# Layer kinds in the layer table. Spatial layers (convolution, pooling) read and
# write channels-first images: a layer's (n, C*H*W) block of the flat buffers IS
# the (n, C, H, W) tensor, so flattening before a dense layer is free.
DENSE = 0
CONV2D = 1  # weights (C_out, C_in, kh, kw), bias (C_out,)
MAXPOOL2D = 2  # window and stride COL_KERNEL_H, no parameters

# Columns of the integer layer table (one row per layer). Every layer reads
# ``n_in`` values per row and writes ``n_out``; its weights are the ``w_size`` values
# of the parameter vector from ``w_offset`` (shaped by the layer kind: (n_in, n_out)
# for dense) and its biases the ``b_size`` values from ``b_offset``. Layers with
# spatial structure describe their channels-first geometry in the columns after.
COL_KIND = 0
COL_N_IN = 1
COL_N_OUT = 2
COL_W_OFFSET = 3
COL_W_SIZE = 4
COL_B_OFFSET = 5
COL_B_SIZE = 6
COL_ACTIVATION = 7
COL_UNIT_OFFSET = 8  # start of this layer's units in the per-row activation buffer
COL_AUX_OFFSET = 9  # start of this layer's per-row slots in the auxiliary buffers
COL_C_IN = 10
COL_H_IN = 11
COL_W_IN = 12
COL_C_OUT = 13
COL_H_OUT = 14
COL_W_OUT = 15
COL_KERNEL_H = 16
COL_KERNEL_W = 17
COL_STRIDE = 18
COL_PAD_TOP = 19
COL_PAD_LEFT = 20
N_TABLE_COLUMNS = 21

# Indices into the float64 hyper-parameter vector of the update rules.
HYPER_LR = 0
HYPER_MOMENTUM = 1
HYPER_BETA_1 = 2
HYPER_BETA_2 = 3
HYPER_EPSILON = 4
HYPER_NESTEROV = 5
N_HYPER = 6

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
