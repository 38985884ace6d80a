"""Layer specs: each kind of layer as plain, immutable data.

A network is a sequence of these (:class:`~skdeep.network.network.Network`). A spec
knows what its layer does to a sample's shape, which parameters it has, how many
buffer slots its kernels need, and how to fill its row of the layer table that the
kernels read (:mod:`skdeep._kernels.codes`). Adding a layer kind means a spec here,
its forward and backward kernels, and their tests: nothing in the estimators or the
training loop.

Shapes are per sample, without the batch axis: ``(n,)`` for a vector, ``(C, H, W)``
for a channels-first image. A vector layer takes any shape and reads it flattened
(channels-first, C order), which is free: a row's block already is that vector.
"""

from dataclasses import dataclass, fields
from math import prod, sqrt
from typing import ClassVar

import numpy as np

from skdeep._kernels import codes
from skdeep.network.conv_shapes import conv2d_output_shape, pool2d_output_shape


@dataclass(frozen=True)
class LayerSpec:
    """What every layer spec provides; the defaults describe a layer without
    parameters, buffers or geometry that keeps the shape of its input."""

    #: The row kind (``codes.*``), or None for a layer that only reshapes.
    kind: ClassVar[int | None] = None
    #: The optional kernel family the layer needs (see ``_kernels.network``):
    #: None for the core (dense, dropout), ``"spatial"``, ``"coding"`` or
    #: ``"norm"``.
    family: ClassVar[str | None] = None
    #: Whether the layer draws from the kernels' random stream in training.
    draws_random: ClassVar[bool] = False
    #: Whether ``n_layers_`` counts the layer (regularizers and the autoencoders'
    #: code layers are not counted, as scikit-learn counts layers of units).
    counted: ClassVar[bool] = True

    @property
    def activation(self) -> str:
        """The activation applied to the row's output."""
        return "identity"

    def output_shape(self, shape: tuple) -> tuple:
        """The shape of a sample's output; ValueError if the input does not fit."""
        return shape

    def weight_shape(self, shape: tuple) -> tuple:
        """Shape of the weights (penalised by L2), or ``()`` for none."""
        return ()

    def bias_size(self, shape: tuple) -> int:
        """Number of parameters without L2 penalty (biases)."""
        return 0

    def fans(self, shape: tuple) -> tuple:
        """``(fan_in, fan_out)`` of the weights, for Glorot initialization."""
        return (0, 0)

    def init_bound(self, shape: tuple, factor: float, scheme: str = "glorot") -> float:
        """The bound ``r`` of the initial weights and biases, ``U(-r, r)``.

        ``scheme='glorot'``: Glorot's ``sqrt(factor / (fan_in + fan_out))``
        (scikit-learn's MLP). ``scheme='pytorch'``: ``1 / sqrt(fan_in)``, what
        PyTorch's ``nn.Linear`` and ``nn.Conv2d`` draw (kaiming-uniform with
        ``a = sqrt(5)``: ``gain sqrt(3 / fan_in)`` with ``gain = sqrt(1 / 3)``;
        their biases ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``)."""
        fan_in, fan_out = self.fans(shape)
        if scheme == "pytorch":
            return 1.0 / sqrt(fan_in)
        return sqrt(factor / (fan_in + fan_out))

    def float_slots(self, shape: tuple) -> int:
        """Per-sample float values the row keeps between its passes."""
        return 0

    def int_slots(self, shape: tuple) -> int:
        """Per-sample int32 values the row keeps between its passes."""
        return 0

    def stat_size(self, shape: tuple) -> int:
        """Float values of per-batch statistics the row keeps."""
        return 0

    def state_size(self, shape: tuple) -> int:
        """Fitted values of the row that are not trained by the gradient."""
        return 0

    def initial_biases(self, shape: tuple):
        """Fixed initial values of the biases (an array of ``bias_size``
        values), or None when they are drawn with the weights."""
        return None

    def initial_state(self, shape: tuple) -> np.ndarray:
        """The state before any training (``state_size`` values)."""
        return np.zeros(self.state_size(shape))

    def min_batch(self, shape: tuple) -> int:
        """The fewest samples a training batch may have (batch normalization of
        one value per channel needs two)."""
        return 1

    def fill_row(self, row, values, shape: tuple, out_shape: tuple) -> None:
        """Write the row's kind-specific columns (``COL_CODE``, geometry) and
        real-valued settings (``values``, columns ``codes.VAL_*``)."""


def _size(shape: tuple) -> int:
    return int(prod(shape))


@dataclass(frozen=True)
class Dense(LayerSpec):
    """Fully connected layer: ``activation(x W + b)`` on the flattened input."""

    units: int
    activation_name: str = "identity"
    kind: ClassVar[int] = codes.DENSE

    @property
    def activation(self) -> str:
        return self.activation_name

    def output_shape(self, shape):
        return (self.units,)

    def weight_shape(self, shape):
        return (_size(shape), self.units)

    def bias_size(self, shape):
        return self.units

    def fans(self, shape):
        return (_size(shape), self.units)


@dataclass(frozen=True)
class Conv2D(LayerSpec):
    """2-D convolution (cross-correlation, channels-first) then ``activation``.

    ``padding='same'`` pads ``k - 1`` in total for stride 1, the extra value at the
    bottom/right for an even kernel (PyTorch's rule); ``'valid'`` does not pad.
    """

    filters: int
    kernel_h: int
    kernel_w: int
    stride: int = 1
    padding: str = "valid"
    activation_name: str = "identity"
    kind: ClassVar[int] = codes.CONV2D
    family: ClassVar[str] = "spatial"

    @property
    def activation(self) -> str:
        return self.activation_name

    def _geometry(self, shape):
        if len(shape) != 3:
            raise ValueError(f"a convolution needs (C, H, W) input, got {shape}")
        _, h, w = shape
        h_out, w_out, pad_top, pad_left = conv2d_output_shape(
            h, w, (self.kernel_h, self.kernel_w), self.stride, self.padding
        )
        return h_out, w_out, pad_top, pad_left

    def output_shape(self, shape):
        h_out, w_out, _, _ = self._geometry(shape)
        return (self.filters, h_out, w_out)

    def weight_shape(self, shape):
        return (self.filters, shape[0], self.kernel_h, self.kernel_w)

    def bias_size(self, shape):
        return self.filters

    def fans(self, shape):
        area = self.kernel_h * self.kernel_w
        return (shape[0] * area, self.filters * area)

    def fill_row(self, row, values, shape, out_shape):
        _, _, pad_top, pad_left = self._geometry(shape)
        _fill_geometry(row, shape, out_shape)
        row[codes.COL_KERNEL_H] = self.kernel_h
        row[codes.COL_KERNEL_W] = self.kernel_w
        row[codes.COL_STRIDE] = self.stride
        row[codes.COL_PAD_TOP] = pad_top
        row[codes.COL_PAD_LEFT] = pad_left


@dataclass(frozen=True)
class MaxPool2D(LayerSpec):
    """Max-pooling with a ``pool_h x pool_w`` window and the same stride (floor
    mode: ragged last rows and columns are ignored)."""

    pool_h: int
    pool_w: int
    kind: ClassVar[int] = codes.MAXPOOL2D
    family: ClassVar[str] = "spatial"

    def output_shape(self, shape):
        if len(shape) != 3:
            raise ValueError(f"pooling needs (C, H, W) input, got {shape}")
        c, h, w = shape
        h_out, w_out = pool2d_output_shape(h, w, (self.pool_h, self.pool_w))
        return (c, h_out, w_out)

    def int_slots(self, shape):
        return _size(self.output_shape(shape))

    def fill_row(self, row, values, shape, out_shape):
        _fill_geometry(row, shape, out_shape)
        row[codes.COL_KERNEL_H] = self.pool_h
        row[codes.COL_KERNEL_W] = self.pool_w
        row[codes.COL_STRIDE] = self.pool_w


@dataclass(frozen=True)
class Flatten(LayerSpec):
    """Reads the input as one vector (channels-first, C order). It has no row:
    a block already is that vector."""

    counted: ClassVar[bool] = False

    def output_shape(self, shape):
        return (_size(shape),)


@dataclass(frozen=True)
class Dropout(LayerSpec):
    """Inverted dropout with rate ``rate`` during training; identity at
    prediction."""

    counted: ClassVar[bool] = False

    rate: float
    kind: ClassVar[int] = codes.DROPOUT
    draws_random: ClassVar[bool] = True

    def float_slots(self, shape):
        return _size(shape)  # the mask

    def fill_row(self, row, values, shape, out_shape):
        values[codes.VAL_RATE] = self.rate


@dataclass(frozen=True)
class Corruption(LayerSpec):
    """Denoising noise on the input during training (``noise`` in
    ``codes.NOISE_CODES``, ``level`` its sigma or probability); its state holds the
    column minima then maxima of the training data (for salt-and-pepper noise)."""

    counted: ClassVar[bool] = False

    noise: str
    level: float
    kind: ClassVar[int] = codes.CORRUPTION
    draws_random: ClassVar[bool] = True
    family: ClassVar[str] = "coding"

    def state_size(self, shape):
        return 2 * _size(shape)

    def fill_row(self, row, values, shape, out_shape):
        row[codes.COL_CODE] = codes.NOISE_CODES[self.noise]
        values[codes.VAL_RATE] = self.level


@dataclass(frozen=True)
class SparsityPenalty(LayerSpec):
    """Identity that adds ``weight * n * sum_j KL(target || mean activation_j)``
    over the batch to the loss (sparse autoencoder)."""

    counted: ClassVar[bool] = False

    target: float
    weight: float
    kind: ClassVar[int] = codes.SPARSITY
    family: ClassVar[str] = "coding"

    def stat_size(self, shape):
        return _size(shape)

    def fill_row(self, row, values, shape, out_shape):
        values[codes.VAL_TARGET] = self.target
        values[codes.VAL_WEIGHT] = self.weight


@dataclass(frozen=True)
class GaussianLatent(LayerSpec):
    """Reparameterized sample of a Gaussian posterior from its ``[mean |
    log-variance]`` (training; the mean at prediction); adds ``beta`` times the KL
    divergence to ``N(0, I)`` to the loss (variational autoencoder)."""

    counted: ClassVar[bool] = False

    beta: float
    kind: ClassVar[int] = codes.GAUSSIAN
    draws_random: ClassVar[bool] = True
    family: ClassVar[str] = "coding"

    def output_shape(self, shape):
        size = _size(shape)
        if size % 2:
            raise ValueError(
                f"a Gaussian latent layer needs [mean | log-variance] input, got {size}"
                " values"
            )
        return (size // 2,)

    def float_slots(self, shape):
        return _size(shape) // 2 + 1  # the noise, then the KL divergence

    def fill_row(self, row, values, shape, out_shape):
        values[codes.VAL_WEIGHT] = self.beta


@dataclass(frozen=True)
class Recurrent(LayerSpec):
    """A recurrent layer over sequences of shape ``(T, F)`` (time-major): PyTorch's
    ``nn.LSTM`` (``cell='lstm'``), ``nn.GRU`` (``'gru'``) or ``nn.RNN`` with tanh
    (``'rnn'``), one layer of ``units`` per direction (two directions, side by side,
    when ``bidirectional``). Outputs every step's states ``(T, D*units)`` when
    ``sequences`` (to feed another recurrent layer), else the last states
    ``(D*units,)``. Sequences may end early (``Rows.lengths``): see
    :mod:`skdeep._kernels.recurrent`.

    Parameters per direction, with ``G`` gates per unit (4, 3, 1) in PyTorch's
    order: weights ``(F + units, G*units)`` = ``[W_ih^T; W_hh^T]``, so that
    ``coefs_`` has shape ``(D, F + units, G*units)``; biases ``b_ih | b_hh``
    (``2 G units`` per direction). All are initialized from
    ``U(-1/sqrt(units), 1/sqrt(units))``, as PyTorch does.
    """

    cell: str
    units: int
    bidirectional: bool = False
    sequences: bool = False
    kind: ClassVar[int] = codes.RECURRENT
    family: ClassVar[str] = "recurrent"

    def __post_init__(self):
        if self.cell not in codes.CELL_CODES:
            raise ValueError(
                f"cell must be one of {sorted(codes.CELL_CODES)}, got {self.cell!r}."
            )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def gate_units(self) -> int:
        """Width of the fused gate matrices, ``gates * units``."""
        return codes.CELL_GATES[self.cell] * self.units

    def _steps_features(self, shape) -> tuple:
        if len(shape) != 2:
            raise ValueError(
                f"a recurrent layer needs (n_timesteps, n_features) input, got {shape}"
            )
        return shape

    def output_shape(self, shape):
        steps, _ = self._steps_features(shape)
        width = self.directions * self.units
        return (steps, width) if self.sequences else (width,)

    def weight_shape(self, shape):
        _, features = self._steps_features(shape)
        return (self.directions, features + self.units, self.gate_units)

    def bias_size(self, shape):
        return self.directions * 2 * self.gate_units

    def fans(self, shape):
        _, features = self._steps_features(shape)
        return (features + self.units, self.gate_units)

    def init_bound(self, shape, factor, scheme="glorot"):
        return 1.0 / sqrt(self.units)  # PyTorch's, whatever the scheme

    def float_slots(self, shape):
        steps, features = self._steps_features(shape)
        h, gh = self.units, self.gate_units
        direction = steps * gh + (steps + 1) * h + 3 * h + gh
        if self.cell == "lstm":
            direction += (steps + 1) * h + steps * h
        elif self.cell == "gru":
            direction += steps * h
        return steps * features + self.directions * direction

    def fill_row(self, row, values, shape, out_shape):
        steps, features = self._steps_features(shape)
        row[codes.COL_CODE] = codes.CELL_CODES[self.cell]
        row[codes.COL_STEPS] = steps
        row[codes.COL_FEATURES] = features
        row[codes.COL_UNITS] = self.units
        row[codes.COL_DIRECTIONS] = self.directions
        row[codes.COL_SEQUENCES] = int(self.sequences)


@dataclass(frozen=True)
class BatchNorm(LayerSpec):
    """Batch normalization, then ``activation``: per feature of a vector input,
    per channel (over all positions) of a ``(C, H, W)`` input.

    Training normalizes with the batch's weighted mean and biased variance and
    moves the running estimates by ``momentum`` (PyTorch's convention; see
    :mod:`skdeep._kernels.batchnorm`); prediction uses the running estimates.
    Scale and shift (``2 C`` parameters, initialized 1 and 0) are stored with the
    biases, so without L2 penalty; the running mean and variance (initialized 0
    and 1) are the row's fitted state.
    """

    activation_name: str = "identity"
    momentum: float = 0.1
    kind: ClassVar[int] = codes.BATCHNORM
    family: ClassVar[str] = "norm"
    counted: ClassVar[bool] = False

    @property
    def activation(self) -> str:
        return self.activation_name

    @staticmethod
    def channels(shape) -> int:
        """Number of normalized channels (features of a vector input)."""
        return int(shape[0]) if len(shape) == 3 else _size(shape)

    def bias_size(self, shape):
        return 2 * self.channels(shape)

    def stat_size(self, shape):
        return 2 * self.channels(shape) + 1  # mean, 1/std, total weight

    def state_size(self, shape):
        return 2 * self.channels(shape)

    def initial_biases(self, shape):
        c = self.channels(shape)
        return np.concatenate([np.ones(c), np.zeros(c)])

    def initial_state(self, shape):
        c = self.channels(shape)
        return np.concatenate([np.zeros(c), np.ones(c)])

    def min_batch(self, shape):
        return 2 if self.channels(shape) == _size(shape) else 1

    def fill_row(self, row, values, shape, out_shape):
        row[codes.COL_C_IN] = row[codes.COL_C_OUT] = self.channels(shape)
        values[codes.VAL_MOMENTUM] = self.momentum


@dataclass(frozen=True)
class GlobalPool(LayerSpec):
    """Global average (``mode='avg'``) or max (``'max'``) pooling: each channel
    of a ``(C, H, W)`` input reduced to one value, ``(C,)``."""

    mode: str = "avg"
    kind: ClassVar[int] = codes.GLOBAL_POOL
    family: ClassVar[str] = "spatial"

    def output_shape(self, shape):
        if len(shape) != 3:
            raise ValueError(f"global pooling needs (C, H, W) input, got {shape}")
        if self.mode not in ("avg", "max"):
            raise ValueError(f"global pooling is 'avg' or 'max', got {self.mode!r}")
        return (shape[0],)

    def int_slots(self, shape):
        return shape[0] if self.mode == "max" else 0

    def fill_row(self, row, values, shape, out_shape):
        _fill_geometry(row, shape, (shape[0], 1, 1))
        row[codes.COL_CODE] = codes.POOL_MAX if self.mode == "max" else codes.POOL_AVG


@dataclass(frozen=True)
class Shortcut(LayerSpec):
    """Starts a shortcut branch: the next spec reads the output of spec
    ``source`` (its index in the network's specs; -1 for the network's input)
    instead of the output of the spec before it. It has no row."""

    source: int
    counted: ClassVar[bool] = False


@dataclass(frozen=True)
class ResidualAdd(LayerSpec):
    """Adds the output of spec ``source`` (-1: the network's input), of the same
    shape, to its input, then applies ``activation`` (a residual block's end)."""

    source: int
    activation_name: str = "identity"
    kind: ClassVar[int] = codes.RESIDUAL_ADD
    family: ClassVar[str] = "spatial"
    counted: ClassVar[bool] = False

    @property
    def activation(self) -> str:
        return self.activation_name


def _fill_geometry(row, shape, out_shape) -> None:
    row[codes.COL_C_IN], row[codes.COL_H_IN], row[codes.COL_W_IN] = shape
    row[codes.COL_C_OUT], row[codes.COL_H_OUT], row[codes.COL_W_OUT] = out_shape


#: Every spec class by name, to rebuild a network from plain data.
SPEC_CLASSES = {
    cls.__name__: cls
    for cls in (
        Dense,
        Conv2D,
        MaxPool2D,
        Flatten,
        Dropout,
        Corruption,
        SparsityPenalty,
        GaussianLatent,
        Recurrent,
        BatchNorm,
        GlobalPool,
        Shortcut,
        ResidualAdd,
    )
}


def spec_to_data(spec: LayerSpec) -> tuple:
    """``(class name, ((field, value), ...))``: the spec as plain, hashable data."""
    return type(spec).__name__, tuple(
        (f.name, getattr(spec, f.name)) for f in fields(spec)
    )


def spec_from_data(data) -> LayerSpec:
    """The spec :func:`spec_to_data` described."""
    name, values = data
    return SPEC_CLASSES[name](**dict(values))
