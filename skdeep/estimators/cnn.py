"""CNNClassifier and CNNRegressor: convolutional networks configured by
hyperparameters alone, trained by skdeep's network engine."""

from math import isqrt
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from skdeep.estimators._base import BaseNetwork
from skdeep.estimators._fitted import fitted_attribute
from skdeep.estimators._tasks import ClassifierTask, RegressorTask, check_stochastic
from skdeep.network.network import Network
from skdeep.network.specs import (
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    MaxPool2D,
    ResidualAdd,
    Shortcut,
)
from skdeep.utils._compat import Interval, StrOptions, _fit_context
from skdeep.utils.validation import check_layer_sizes, is_positive_int

#: The constraints of the convolutional architecture's parameters.
CONV_CONSTRAINTS: dict = {
    "input_shape": [None, tuple, list],
    "filters": ["array-like", Interval(Integral, 1, None, closed="left")],
    "kernel_size": ["array-like", Interval(Integral, 1, None, closed="left")],
    "strides": ["array-like", Interval(Integral, 1, None, closed="left")],
    "padding": [StrOptions({"same", "valid"})],
    "pool_size": [None, "array-like", Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "weight_init": [StrOptions({"glorot", "pytorch"})],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
    "global_pool": [None, StrOptions({"avg", "max"})],
    "residual": ["boolean"],
    "residual_block_size": [Interval(Integral, 1, None, closed="left")],
}

#: The settings given per convolution block (or once for every block).
BLOCK_PARAMS = ("filters", "kernel_size", "strides", "pool_size")


def flatten_images(X, signals=False):
    """``(X_2d, image_shape)``: 3-D ``(n, H, W)`` and 4-D ``(n, C, H, W)`` arrays
    are reshaped to ``(n, C*H*W)`` (channels-first) and their ``(C, H, W)`` is
    returned (with ``signals``, 3-D X is ``(n, C, L)`` signals, returned as the
    images ``(C, 1, L)``); anything else is returned unchanged with ``None`` (2-D
    input is validated by scikit-learn, which also gives its usual errors)."""
    if sp.issparse(X) or hasattr(X, "iloc"):
        return X, None
    ndim = getattr(X, "ndim", None)
    if ndim is None and isinstance(X, list | tuple):
        try:
            array = np.asarray(X)
        except ValueError:
            return X, None
        if array.ndim in (3, 4) and array.dtype != object:
            X, ndim = array, array.ndim
    if ndim not in (3, 4):
        if ndim is not None and ndim > 4:
            raise ValueError(
                f"X must be 2-D (n_samples, C*H*W), 3-D (n_samples, H, W) or 4-D "
                f"(n_samples, C, H, W); got {ndim} dimensions."
            )
        return X, None
    X = np.asarray(X)
    if ndim == 3:
        shape = (X.shape[1], 1, X.shape[2]) if signals else (1, *X.shape[1:])
    else:
        shape = tuple(X.shape[1:])
    return X.reshape(X.shape[0], int(np.prod(shape))), tuple(int(s) for s in shape)


def _normalize_shape(input_shape) -> tuple:
    """``input_shape`` as the network's ``(C, H, W)``: a signal ``(C, L)`` is the
    image ``(C, 1, L)``."""
    shape = tuple(input_shape)
    if len(shape) not in (2, 3) or any(not is_positive_int(s) for s in shape):
        raise ValueError(
            f"input_shape must be (C, L) for 1-D signals or (C, H, W) for images, "
            f"of positive integers; got {input_shape!r}."
        )
    if len(shape) == 2:
        shape = (shape[0], 1, shape[1])
    return tuple(int(s) for s in shape)


def reads_signals(estimator) -> bool:
    """Whether the estimator reads 1-D signals: ``input_shape`` is ``(C, L)``."""
    shape = estimator.input_shape
    return shape is not None and hasattr(shape, "__len__") and len(shape) == 2


def _per_block(value, n_blocks: int, name: str) -> list:
    """An int (same for every block) or one value per block."""
    if value is None or isinstance(value, Integral | np.integer):
        return [value] * n_blocks
    values = list(value)
    if len(values) != n_blocks:
        raise ValueError(
            f"{name} must be an int or have one entry per block of filters "
            f"({n_blocks}), got {len(values)}."
        )
    return values


class ConvArchitecture:
    """Convolution blocks on images, then dense layers (the CNNs).

    Each block is a convolution then ``activation`` then max-pooling; the
    single-row images inferred from a 2-D X whose width is not a square are the
    one case where kernels and windows are clipped to fit (see "Input shape" in the
    class docstrings).
    """

    def _as_2d(self, X):
        return flatten_images(X, signals=reads_signals(self))

    def _check_sample_shape(self, image_shape) -> None:
        if image_shape is not None and image_shape != self.input_shape_:
            raise ValueError(
                f"X holds images of shape {image_shape}, but {type(self).__name__} "
                f"was fitted on images of shape {self.input_shape_} (C, H, W)."
            )

    def _check_fitted_attributes(self, network) -> None:
        """``input_shape_`` is the fitted network's input shape."""
        super()._check_fitted_attributes(network)
        shape = fitted_attribute(self, "input_shape_")
        if not isinstance(shape, tuple) or shape != tuple(network.input_shape):
            raise ValueError(
                f"input_shape_ is {shape!r}, but the fitted network reads images of "
                f"shape {tuple(network.input_shape)} (C, H, W); fit the model again "
                "to change it."
            )

    def _resolve_input_shape(self, n_features, image_shape, first) -> tuple:
        if not first:
            return self.input_shape_
        if self.input_shape is not None:
            shape = _normalize_shape(self.input_shape)
            if image_shape is not None and image_shape != shape:
                raise ValueError(
                    f"X holds images of shape {image_shape}, but input_shape="
                    f"{self.input_shape!r} (as (C, H, W): {shape})."
                )
            if int(np.prod(shape)) != n_features:
                raise ValueError(
                    f"input_shape={self.input_shape!r} has {int(np.prod(shape))} "
                    f"values per image (C*H*W), but X has {n_features} features."
                )
        elif image_shape is not None:
            shape = image_shape
        else:
            side = isqrt(n_features)
            square = side >= 2 and side * side == n_features
            shape = (1, side, side) if square else (1, 1, n_features)
        self.input_shape_ = shape
        # Only the single-row image inferred from 2-D X clips its kernels.
        self._clip_to_rows = (
            self.input_shape is None and image_shape is None and shape[1] == 1
        )
        return shape

    def _check_block_params(self) -> list:
        """The blocks' ``(filters, kernel, stride, pool)``, each entry checked to
        be a positive integer (the constraints check scalars only; a pool of None
        means no pooling)."""
        for name in BLOCK_PARAMS:
            value = getattr(self, name)
            entries = value if hasattr(value, "__iter__") else [value]
            if name == "pool_size":
                entries = [v for v in entries if v is not None]
            if not all(is_positive_int(v) for v in entries):
                raise ValueError(
                    f"{name} must be a positive integer or one per convolution "
                    f"block, got {value!r}."
                )
        filters = self.filters
        filters = (
            [filters] if isinstance(filters, Integral | np.integer) else list(filters)
        )
        if not filters:
            raise ValueError(f"filters must be positive integers, got {filters}.")
        n = len(filters)
        return list(zip(
            filters,
            _per_block(self.kernel_size, n, "kernel_size"),
            _per_block(self.strides, n, "strides"),
            _per_block(self.pool_size, n, "pool_size"),
        ))  # fmt: skip

    def _check_residual(self, blocks) -> int:
        """The number of blocks per shortcut group (0 without shortcuts), checked
        against the blocks: a group's blocks keep the length of their input
        (``padding='same'``), only its first block may stride and only its last
        block may pool (after the addition)."""
        if not self.residual:
            return 0
        size = int(self.residual_block_size)
        if len(blocks) % size:
            raise ValueError(
                f"residual=True needs the number of convolution blocks "
                f"({len(blocks)}) to be a multiple of residual_block_size={size}."
            )
        if self.padding != "same":
            raise ValueError(
                "residual=True needs padding='same' (a shortcut adds a group's input "
                "to its output, which must keep its length)."
            )
        for i, (_, _, stride, pool) in enumerate(blocks):
            if i % size and stride != 1:
                raise ValueError(
                    f"residual=True: only the first block of each group of "
                    f"residual_block_size={size} may have strides > 1 (block {i} "
                    f"has {stride})."
                )
            if (i + 1) % size and pool not in (None, 1):
                raise ValueError(
                    f"residual=True: only the last block of each group of "
                    f"residual_block_size={size} may pool (block {i} has "
                    f"pool_size={pool})."
                )
        return size

    def _normalized(self, specs, activation) -> None:
        """Append batch normalization carrying ``activation`` (a layer before it
        then has no activation of its own)."""
        specs.append(BatchNorm(activation, float(self.batch_norm_momentum)))

    def _conv_specs(self, blocks, shape, group) -> list:
        """The convolution blocks (convolution, batch normalization, activation,
        shortcuts, pooling) on images of ``shape``."""
        clip = getattr(self, "_clip_to_rows", False)
        one_d = reads_signals(self)
        bn = bool(self.batch_norm)
        act = self.activation
        specs = []
        group_input, group_shape = -1, shape  # a shortcut group's input
        for i, (filters, k, stride, pool) in enumerate(blocks):
            if group and i % group == 0:
                group_input, group_shape = len(specs) - 1, shape
            ends_group = bool(group) and (i + 1) % group == 0
            if clip:
                kh, kw = min(k, shape[1]), min(k, shape[2])
            else:
                kh, kw = (1, k) if one_d else (k, k)
            own = "identity" if bn or ends_group else act
            conv = Conv2D(int(filters), int(kh), int(kw), int(stride), self.padding,
                          own)  # fmt: skip
            shape = _fits(conv, shape, f"Convolution block {i}")
            specs.append(conv)
            if bn:
                self._normalized(specs, "identity" if ends_group else act)
            if ends_group:
                main = len(specs) - 1
                first_stride = int(blocks[i + 1 - group][2])
                if shape[0] != group_shape[0] or first_stride > 1:
                    # A 1x1 convolution (and normalization) matches the widths.
                    specs.append(Shortcut(group_input))
                    specs.append(Conv2D(int(filters), 1, 1, first_stride, "same"))
                    if bn:
                        self._normalized(specs, "identity")
                    specs.append(ResidualAdd(main, act))
                else:
                    specs.append(ResidualAdd(group_input, act))
            pool = 1 if pool is None else int(pool)
            if clip:
                pool = min(pool, shape[1], shape[2])
            if pool > 1:
                pooling = MaxPool2D(1, pool) if one_d else MaxPool2D(pool, pool)
                shape = _fits(pooling, shape, f"Pooling of block {i}",
                              " Use a smaller pool_size or None.")  # fmt: skip
                specs.append(pooling)
        return specs

    def _init_parameters(self, network, random_state, dtype):
        """scikit-learn's Glorot initialization (``weight_init='glorot'``) or
        PyTorch's ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (``'pytorch'``)."""
        factor = 2.0 if self.activation in ("logistic", "sigmoid") else 6.0
        return network.init(random_state, dtype, factor, scheme=self.weight_init)

    def _build_network(self, data) -> Network:
        blocks = self._check_block_params()
        group = self._check_residual(blocks)
        hidden = check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        rate = float(self.dropout)
        if self.solver == "lbfgs" and rate > 0:
            raise ValueError(
                "dropout is not supported with solver='lbfgs' (it makes the "
                "objective random, which breaks the line search); use a stochastic "
                "solver."
            )
        try:
            specs = self._conv_specs(blocks, data.input_shape, group)
        except ValueError as exc:
            settings = ", ".join(
                f"{name}={getattr(self, name)!r}" for name in (*BLOCK_PARAMS, "padding")
            )
            raise ValueError(
                f"{exc} (images of shape {data.input_shape}, {settings})"
            ) from None
        if self.global_pool is None:
            specs.append(Flatten())
        else:
            specs.append(GlobalPool(self.global_pool))
        if rate > 0:
            specs.append(Dropout(rate))
        for units in hidden:
            if self.batch_norm:
                specs.append(Dense(units, "identity"))
                self._normalized(specs, self.activation)
            else:
                specs.append(Dense(units, self.activation))
            if rate > 0:
                specs.append(Dropout(rate))
        specs.append(Dense(data.Y.shape[1], data.out_activation))
        return Network(data.input_shape, tuple(specs))

    @property
    def filters_(self) -> list:
        """The learned kernels of each convolution block.

        One array ``(C_out, C_in, kh, kw)`` per block (views into ``coefs_``; the
        1x1 convolutions of shortcuts are not blocks).
        """
        check_is_fitted(self)
        network, _, _ = self._fitted_model()
        kernels = [c for c in self.coefs_ if c.ndim == 4]
        convs = [layer for layer in network.parametric_layers
                 if isinstance(layer.spec, Conv2D)]  # fmt: skip
        after_shortcut = {
            id(network.layers[i + 1])
            for i, layer in enumerate(network.layers[:-1])
            if isinstance(layer.spec, Shortcut)
        }
        return [k for k, layer in zip(kernels, convs)
                if id(layer) not in after_shortcut]  # fmt: skip


def _fits(spec, shape, what, hint="") -> tuple:
    """``spec``'s output shape on ``shape``, or a ValueError saying ``what`` does
    not fit."""
    try:
        return spec.output_shape(shape)
    except ValueError as exc:
        c, h, w = shape
        raise ValueError(
            f"{what} does not fit its {c}x{h}x{w} input: {exc}{hint}"
        ) from None


class CNNClassifier(ClassifierTask, ConvArchitecture, BaseNetwork):
    """Convolutional neural network classifier, trained in Numba kernels.

    Configured by hyperparameters alone: convolution blocks on images or 1-D
    signals, then dense layers.

    Convolution, pooling, flatten, dropout and dense layers run in skdeep's one
    network engine (the MLPs' training loop, solvers, schedules and early stopping).
    Optimizes log-loss with a softmax output (multiclass) or logistic outputs
    (binary and multilabel).

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

    The defaults (two blocks of 32 and 64 3x3 'same' filters with 2x2 pooling, 128
    dense units, adam at 0.001, batches of 64, up to 50 epochs) reach about 98-99%
    accuracy on held-out 8x8 digits (``load_digits`` scaled to [0, 1]).

    Parameters
    ----------
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

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer, as in the MLPs ('lbfgs' trains full-batch).

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

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=50
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, the early-stopping split, shuffling and dropout
        masks. The same seed and data give bit-identical weights, for any number of
        Numba threads.

    tol : float, default=1e-4
        Tolerance of the stopping criterion (as in the MLPs).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Reuse the previous solution and optimizer state as the starting point of
        the next fit (the architecture must not change).

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

    dropout : float, default=0.0
        Inverted-dropout rate of the flattened features and of the dense hidden
        layers during training; no dropout at predict time.

    weight_init : {'glorot', 'pytorch'}, default='glorot'
        How the weights and biases of the convolutions and dense layers are drawn,
        layer by layer, weights then biases, from ``U(-r, r)``:

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

    loss_ : float
        The loss at the end of training (last epoch's mean loss including the L2
        term).

    best_loss_ : float
        Minimum training loss reached.

    loss_curve_ : list of float
        Training loss per epoch.

    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        Validation loss per epoch with early stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the solver.

    n_features_in_ : int
        Number of features (``C*H*W``) seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs run by the last call.

    n_layers_ : int
        Number of layers, input and output included (convolutions, poolings and
        dense layers; flatten is free and not counted).

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

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **CONV_CONSTRAINTS,
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
        global_pool: str | None = None,
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
        residual: bool = False,
        residual_block_size: int = 3,
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
        max_fun: int = 15000,
        dropout: float = 0.0,
        weight_init: str = "glorot",
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
        self.global_pool = global_pool
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.residual = residual
        self.residual_block_size = residual_block_size
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
        self.weight_init = weight_init
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "CNNClassifier":
        """Fit the network to images X and labels y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, C*H*W), \
(n_samples, H, W) or (n_samples, C, H, W)
            The images, flattened channels-first or not.

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
    def partial_fit(self, X, y, sample_weight=None, classes=None) -> "CNNClassifier":
        """Update the model with a single epoch over the given images.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, C*H*W), \
(n_samples, H, W) or (n_samples, C, H, W)
            The images, flattened channels-first or not.

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


class CNNRegressor(RegressorTask, ConvArchitecture, BaseNetwork):
    """Convolutional neural network regressor, trained in Numba kernels.

    Configured by hyperparameters alone: convolution blocks on images or 1-D
    signals, then dense layers.

    The regression counterpart of :class:`CNNClassifier`: same layers, engine and
    input rules, with an identity output and the squared error (or an exponential
    output and the Poisson deviance with ``loss='poisson'``).

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

    Parameters
    ----------
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

    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss; 'poisson' needs non-negative targets and uses an exp output.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer, as in the MLPs ('lbfgs' trains full-batch).

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

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=50
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, the early-stopping split, shuffling and dropout
        masks. The same seed and data give bit-identical weights, for any number of
        Numba threads.

    tol : float, default=1e-4
        Tolerance of the stopping criterion (as in the MLPs).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Reuse the previous solution and optimizer state as the starting point of
        the next fit (the architecture must not change).

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

    dropout : float, default=0.0
        Inverted-dropout rate of the flattened features and of the dense hidden
        layers during training; no dropout at predict time.

    weight_init : {'glorot', 'pytorch'}, default='glorot'
        How the weights and biases of the convolutions and dense layers are drawn,
        layer by layer, weights then biases, from ``U(-r, r)``:

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
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

    loss_ : float
        The loss at the end of training (last epoch's mean loss including the L2
        term).

    best_loss_ : float
        Minimum training loss reached.

    loss_curve_ : list of float
        Training loss per epoch.

    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.

    validation_loss_curve_ : list of float or None
        Validation loss per epoch with early stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the solver.

    n_features_in_ : int
        Number of features (``C*H*W``) seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    n_iter_ : int
        Number of epochs run by the last call.

    n_layers_ : int
        Number of layers, input and output included (convolutions, poolings and
        dense layers; flatten is free and not counted).

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

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        **CONV_CONSTRAINTS,
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
        global_pool: str | None = None,
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
        residual: bool = False,
        residual_block_size: int = 3,
        hidden_layer_sizes=(128,),
        activation: str = "relu",
        loss: str = "squared_error",
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
        max_fun: int = 15000,
        dropout: float = 0.0,
        weight_init: str = "glorot",
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.pool_size = pool_size
        self.global_pool = global_pool
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.residual = residual
        self.residual_block_size = residual_block_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.weight_init = weight_init
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "CNNRegressor":
        """Fit the network to images X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, C*H*W), \
(n_samples, H, W) or (n_samples, C, H, W)
            The images, flattened channels-first or not.

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
    def partial_fit(self, X, y, sample_weight=None) -> "CNNRegressor":
        """Update the model with a single epoch over the given images.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, C*H*W), \
(n_samples, H, W) or (n_samples, C, H, W)
            The images, flattened channels-first or not.

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
