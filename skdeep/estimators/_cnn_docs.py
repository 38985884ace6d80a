"""Parameter and attribute documentation shared by CNNClassifier and CNNRegressor."""

from skdeep.estimators._docs import compose
from skdeep.estimators._mlp_docs import SHARED_ATTRIBUTES, SHARED_PARAMETERS

INPUT_RULES = """\
**Input shape.** ``X`` may be 2-D ``(n_samples, C*H*W)`` (images flattened
channels-first, so scalers, pandas, pipelines and scikit-learn's checks work),
3-D ``(n_samples, H, W)`` (one channel) or 4-D ``(n_samples, C, H, W)``. The
image shape is, in order of precedence: ``input_shape`` when given (it must
match X); the shape of 3-D/4-D ``X``; for 2-D ``X``, one square channel when
``n_features`` is a perfect square of at least 4, and otherwise a single-row
image ``1 x n_features``.

**1-D signals.** ``input_shape=(C, L)`` (two entries) reads ``C`` channels of
length ``L``: 2-D ``X`` is ``(n_samples, C*L)`` (channel-major) and 3-D ``X`` is
``(n_samples, C, L)`` -- with a two-entry ``input_shape``, and only then, 3-D X
holds signals rather than one-channel images. Convolutions and pooling run along
``L`` (``1 x kernel_size`` kernels, ``1 x pool_size`` windows, 'same' padding
with the extra zero on the right for an even kernel, as PyTorch's): a signal is
the image ``(C, 1, L)``, which is its ``input_shape_``.

Only in the single-row case inferred from 2-D ``X`` are the kernel and
pooling sizes clipped to each block's feature map, so that any number of
features works (a 1-row image gets ``1 x k`` kernels and no pooling); in every
other case (square 2-D rows included) a kernel larger than the image with
``padding='valid'`` or a pooling window larger than the feature map raises
``ValueError``.

**Architecture.** One block per entry of ``filters``: convolution (``filters[i]``
channels, ``kernel_size`` x ``kernel_size``, ``strides``, ``padding``) ->
batch normalization (with ``batch_norm``) -> ``activation`` -> max-pooling
(``pool_size`` x ``pool_size``, stride ``pool_size``, floor mode), then flatten
(channels-first) or global pooling (``global_pool``), then the dense layers
``hidden_layer_sizes`` with ``activation`` (and batch normalization), then the
output layer. With ``residual``, each group of ``residual_block_size`` blocks
adds its input to its last block's (normalized) convolution before that block's
activation, through a 1x1 convolution (and batch normalization) when the group
changes the number of channels or strides. ``dropout`` applies to the flattened
or pooled features and to each dense hidden layer during training. Weights are
Glorot-uniform initialized (convolution fan-in ``C_in*kh*kw``, fan-out
``C_out*kh*kw``).

**Time-series recipes.** The FCN of Wang, Yan and Oates (2017) on series of
length ``L`` is ``CNNClassifier(input_shape=(1, L), filters=(128, 256, 128),
kernel_size=(8, 5, 3), pool_size=None, batch_norm=True, global_pool='avg',
hidden_layer_sizes=(), batch_size=16)``; their ResNet is the same with
``filters=(64,) * 3 + (128,) * 3 + (128,) * 3``, ``kernel_size=(8, 5, 3) * 3``
and ``residual=True``.
"""

_CNN_PARAMETERS_OWN = """\
input_shape : tuple of (C, L) or (C, H, W), default=None
    Shape of one sample: ``(C, L)`` for 1-D signals of ``C`` channels, ``(C, H,
    W)`` for images; None infers an image shape from X (see the input-shape
    rules above). A two-entry shape was ``(H, W)`` of one channel before 1-D
    signals existed; write ``(1, H, W)`` for such images.

filters : array-like of int, default=(32, 64)
    Number of output channels of each convolution block (one block per entry).

kernel_size : int or array-like of int, default=3
    Side of the square convolution kernels, for all blocks or one per block.

strides : int or array-like of int, default=1
    Convolution stride, for all blocks or one per block.

padding : {'same', 'valid'}, default='same'
    'same' pads with zeros so that the output has ``ceil(H / stride)`` rows
    (odd padding pixel at the bottom/right); 'valid' does not pad.

pool_size : int, array-like of int or None, default=2
    Max-pooling window (and stride) after each block's activation; None or 1
    for no pooling. One value for all blocks or one per block.

global_pool : {'avg', 'max'} or None, default=None
    Reduce each channel of the last block to its mean ('avg') or maximum
    ('max') over all positions instead of flattening: the dense layers then
    see one value per channel, whatever the length or size of the input.

batch_norm : bool, default=False
    Follow each convolution and each dense hidden layer by batch
    normalization, before its activation: per channel over all positions (and
    samples) for convolutions, per unit for dense layers. Training normalizes
    with the mini-batch's mean and biased variance, weighted by
    ``sample_weight`` as frequency weights (a weight of 2 counts like a
    repeated sample); prediction uses running estimates (see
    ``batch_norm_momentum``). The scales and shifts start at 1 and 0 and have
    no L2 penalty. A convolution is normalized over all the positions of a
    batch, so a batch of one sample works; a dense hidden layer cannot be
    normalized over one sample (a batch_size or training set of one sample is
    then an error, and an epoch whose last batch would hold a single sample
    leaves it out).

batch_norm_momentum : float, default=0.1
    Momentum ``m`` of batch normalization's running estimates, PyTorch's
    convention: after every training batch ``running = (1 - m) running + m
    batch``, the running variance taking the batch's unbiased variance. In
    (0, 1].

residual : bool, default=False
    Shortcut connections (residual network): each group of
    ``residual_block_size`` consecutive blocks adds its input to its last
    block's convolution output (after batch normalization) before that block's
    activation; the input goes through a 1x1 convolution (and batch
    normalization) when the group changes the number of channels or has
    strides. Needs ``padding='same'``, strides only in a group's first block and
    pooling only in its last.

residual_block_size : int, default=3
    Number of convolution blocks per shortcut group; ``len(filters)`` must be
    a multiple of it when ``residual=True``.

hidden_layer_sizes : array-like of int, default=(128,)
    Units of the dense layers between the flattened features and the output;
    ``()`` connects the features to the output directly.

activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
    Activation of the convolutions and of the dense hidden layers.

solver : {'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
    The stochastic weight optimizer ('lbfgs' is not offered for CNNs).

alpha : float, default=0.0001
    Strength of the L2 penalty on all weights (not the biases), scaled as in
    scikit-learn's MLP.

batch_size : int or 'auto', default=64
    Mini-batch size; 'auto' is ``min(200, n_samples)``. Small batches make
    more updates per epoch, which suits the small image sets CNNs are used on.

learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
    Learning-rate schedule, as in the MLPs.

learning_rate_init : float, default=0.001
    The initial learning rate.

max_iter : int, default=50
    Maximum number of epochs.

random_state : int, RandomState instance or None, default=None
    Seeds weight initialization, the early-stopping split, shuffling and dropout
    masks. The same seed and data give bit-identical weights, for any number of
    Numba threads.

tol : float, default=1e-4
    Tolerance of the stopping criterion (as in the MLPs).

warm_start : bool, default=False
    Reuse the previous solution and optimizer state as the starting point of
    the next fit (the architecture must not change).

dropout : float, default=0.0
    Inverted-dropout rate of the flattened features and of the dense hidden
    layers during training; no dropout at predict time.

weight_init : {'glorot', 'pytorch'}, default='glorot'
    How the weights and biases of the convolutions and dense layers are drawn,
    layer by layer, weights then biases, from ``U(-r, r)``:

    - 'glorot': scikit-learn's MLP initialization,
      ``r = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` for a logistic
      activation), with ``fan_in = C_in kh kw`` and ``fan_out = C_out kh kw``
      for a convolution;
    - 'pytorch': PyTorch's default for ``nn.Conv2d`` and ``nn.Linear``
      (kaiming-uniform with ``a = sqrt(5)``), ``r = 1 / sqrt(fan_in)``. It
      trained the digits CNN of ``benchmarks/bench_cnn.py`` to 0.940 held-out
      accuracy against 0.933 for 'glorot' (mean of 5 seeds; PyTorch itself
      0.948), and is what to use to compare with a PyTorch network.

    Batch normalization starts at scale 1 and shift 0 either way.
"""

CNN_PARAMETERS = compose(
    [
        "input_shape",
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "pool_size",
        "global_pool",
        "batch_norm",
        "batch_norm_momentum",
        "residual",
        "residual_block_size",
        "hidden_layer_sizes",
        "activation",
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
        "dropout",
        "weight_init",
        "lr_decay",
        "lr_step_size",
    ],
    SHARED_PARAMETERS,
    _CNN_PARAMETERS_OWN,
)

_CNN_ATTRIBUTES_OWN = """\
input_shape_ : tuple of (C, H, W)
    Shape of one input image (``(C, 1, L)`` for signals of ``input_shape=(C,
    L)``).

filters_ : list of ndarray of shape (C_out, C_in, kh, kw)
    The learned kernels of each convolution block, input side first (views into
    ``coefs_``, without the 1x1 convolutions of shortcuts; ``filters_[0][o, c]``
    is the kernel that maps input channel ``c`` to output channel ``o``, ready
    for ``plt.imshow``).

coefs_ : list of ndarray
    Weights of every layer with weights: the convolution kernels
    ``(C_out, C_in, kh, kw)`` first (with residual groups, a shortcut's 1x1
    kernel after its group's blocks), then the dense matrices ``(n_fan_in,
    n_fan_out)``. Views into one parameter vector. Batch normalization's
    parameters are in ``batch_norm_layers_``.

intercepts_ : list of ndarray of shape (n_fan_out,)
    Bias of each layer with parameters (one per output channel for
    convolutions).

best_loss_ : float
    Minimum training loss reached.

loss_curve_ : list of float
    Training loss per epoch.

validation_loss_curve_ : list of float or None
    Validation loss per epoch with early stopping, else None.

n_features_in_ : int
    Number of features (``C*H*W``) seen during fit.

n_iter_ : int
    Number of epochs run by the last call.

n_layers_ : int
    Number of layers, input and output included (convolutions, poolings and
    dense layers; flatten is free and not counted).
"""

CNN_ATTRIBUTES = compose(
    [
        "input_shape_",
        "filters_",
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
        "batch_norm_layers_",
    ],
    SHARED_ATTRIBUTES,
    _CNN_ATTRIBUTES_OWN,
)
