"""Describe a convolutional network as the layer table and flat vector kernels read.

A :class:`ConvLayout` is a stack of convolution blocks (convolution -> activation ->
optional max-pooling) on a channels-first ``(C, H, W)`` image, followed by dense
layers. It offers the interface of :class:`~skdeep.network.layout.DenseLayout`
(``table()``, ``views()``, ``pack()``, ``glorot_init()``, ...), so the training loop,
inference and estimators use it unchanged.

* Layer table: one row per convolution, pooling and dense layer. Flatten is not a
  row: a spatial layer's ``(n, C*H*W)`` block of the flat buffers already is the
  flattened image (channels-first, C order, as PyTorch's ``Flatten``).
* Parameters: every weight block first, then every bias (the MLP's order); a
  convolution's weights are stored as ``(C_out, C_in, kh, kw)`` (PyTorch's order),
  a dense layer's as ``(fan_in, fan_out)`` (scikit-learn's). Pooling has none.
* Per-row auxiliary slots: each pooling layer keeps its arg-max there.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numba
import numpy as np

from skdeep._kernels import codes
from skdeep.network.conv_shapes import conv2d_output_shape, pool2d_output_shape

#: Values per prediction chunk (rows x units): bounds the memory of a prediction.
PREDICT_BUDGET = 2**21


class ConvBlock(NamedTuple):
    """One convolution block: ``filters`` kernels of ``kernel_h x kernel_w`` with
    ``stride`` and ``padding`` ('same' or 'valid'), then max-pooling with window
    ``pool`` (``1``: no pooling)."""

    filters: int
    kernel_h: int
    kernel_w: int
    stride: int
    padding: str
    pool: int


class LayerSpec(NamedTuple):
    """Geometry of one table row (spatial fields are 0 for dense layers)."""

    kind: int
    n_in: int
    n_out: int
    c_in: int = 0
    h_in: int = 0
    w_in: int = 0
    c_out: int = 0
    h_out: int = 0
    w_out: int = 0
    kernel_h: int = 0
    kernel_w: int = 0
    stride: int = 0
    pad_top: int = 0
    pad_left: int = 0

    @property
    def weight_shape(self) -> tuple:
        if self.kind == codes.CONV2D:
            return (self.c_out, self.c_in, self.kernel_h, self.kernel_w)
        if self.kind == codes.DENSE:
            return (self.n_in, self.n_out)
        return ()

    @property
    def n_weights(self) -> int:
        return int(np.prod(self.weight_shape)) if self.weight_shape else 0

    @property
    def n_biases(self) -> int:
        if self.kind == codes.CONV2D:
            return self.c_out
        return self.n_out if self.kind == codes.DENSE else 0


@dataclass(frozen=True)
class ConvLayout:
    """Shapes and offsets of a convolutional network.

    Parameters
    ----------
    input_shape : tuple of (int, int, int)
        ``(C, H, W)`` of the input image.
    blocks : tuple of ConvBlock
        The convolution blocks, input side first.
    hidden : tuple of int
        Units of the dense hidden layers after flattening.
    n_outputs : int
        Units of the output layer.
    hidden_activation : str
        Activation of the convolutions and of the dense hidden layers.
    out_activation : str
        Activation of the output layer.

    Raises
    ------
    ValueError
        When a block does not fit its input (``padding='valid'`` with an image
        smaller than the kernel, a pooling window larger than the feature map).
    """

    input_shape: tuple
    blocks: tuple
    hidden: tuple
    n_outputs: int
    hidden_activation: str
    out_activation: str

    def __post_init__(self):
        self.layers()  # validate the geometry now, before any kernel runs

    # ----------------------------------------------------------- geometry
    def layers(self) -> tuple:
        """The :class:`LayerSpec` of every table row (cached per layout)."""
        return _cached_layers(self)

    def _build_layers(self) -> tuple:
        c, h, w = self.input_shape
        specs = []
        for i, block in enumerate(self.blocks):
            try:
                h_out, w_out, pad_top, pad_left = conv2d_output_shape(
                    h, w, (block.kernel_h, block.kernel_w), block.stride, block.padding
                )
            except ValueError as exc:
                raise ValueError(
                    f"Convolution block {i} does not fit its {c}x{h}x{w} input: {exc}"
                ) from None
            specs.append(
                LayerSpec(
                    kind=codes.CONV2D,
                    n_in=c * h * w,
                    n_out=block.filters * h_out * w_out,
                    c_in=c, h_in=h, w_in=w,
                    c_out=block.filters, h_out=h_out, w_out=w_out,
                    kernel_h=block.kernel_h, kernel_w=block.kernel_w,
                    stride=block.stride, pad_top=pad_top, pad_left=pad_left,
                )
            )  # fmt: skip
            c, h, w = block.filters, h_out, w_out
            if block.pool > 1:
                try:
                    h_out, w_out = pool2d_output_shape(h, w, block.pool)
                except ValueError as exc:
                    raise ValueError(
                        f"Pooling of block {i} does not fit its {c}x{h}x{w} input: "
                        f"{exc} Use a smaller pool_size or None."
                    ) from None
                specs.append(
                    LayerSpec(
                        kind=codes.MAXPOOL2D,
                        n_in=c * h * w,
                        n_out=c * h_out * w_out,
                        c_in=c, h_in=h, w_in=w,
                        c_out=c, h_out=h_out, w_out=w_out,
                        kernel_h=block.pool, kernel_w=block.pool, stride=block.pool,
                    )
                )  # fmt: skip
                h, w = h_out, w_out
        n_in = c * h * w
        for n_out in (*self.hidden, self.n_outputs):
            specs.append(LayerSpec(codes.DENSE, n_in, n_out))
            n_in = n_out
        return tuple(specs)

    @property
    def n_features(self) -> int:
        """Number of input values per row, ``C * H * W``."""
        c, h, w = self.input_shape
        return c * h * w

    @property
    def layer_units(self) -> tuple:
        """Values per row of the input and of every layer's output (flattened)."""
        return (self.n_features, *(spec.n_out for spec in self.layers()))

    @property
    def n_layers(self) -> int:
        """Number of table rows (convolution, pooling and dense layers)."""
        return len(self.layers())

    @property
    def n_conv(self) -> int:
        """Number of convolution layers (the first ``n_conv`` entries of ``coefs_``)."""
        return len(self.blocks)

    @property
    def n_weights(self) -> int:
        """Number of weight (not bias) parameters."""
        return sum(spec.n_weights for spec in self.layers())

    @property
    def n_params(self) -> int:
        """Total number of parameters."""
        return self.n_weights + sum(spec.n_biases for spec in self.layers())

    @property
    def total_units(self) -> int:
        """Units per row summed over all layers (the work-buffer row size)."""
        return sum(spec.n_out for spec in self.layers())

    @property
    def aux_units(self) -> int:
        """Per-row auxiliary slots: the arg-max of every pooling layer."""
        return sum(s.n_out for s in self.layers() if s.kind == codes.MAXPOOL2D)

    @property
    def predict_chunk(self) -> int:
        """Rows per prediction chunk, so a chunk's buffers stay near 16 MB."""
        per_row = self.n_features + self.total_units + 2 * self.aux_units
        return int(min(4096, max(1, PREDICT_BUDGET // per_row)))

    # ------------------------------------------------------------- kernels
    def table(self) -> np.ndarray:
        """The int64 layer table (columns ``codes.COL_*``), cached and read-only."""
        return _cached_table(self)

    def _build_table(self) -> np.ndarray:
        specs = self.layers()
        table = np.zeros((len(specs), codes.N_TABLE_COLUMNS), dtype=np.int64)
        w_offset, b_offset = 0, self.n_weights
        unit_offset = aux_offset = 0
        hidden_code = codes.ACTIVATION_CODES[self.hidden_activation]
        for i, spec in enumerate(specs):
            row = table[i]
            row[codes.COL_KIND] = spec.kind
            row[codes.COL_N_IN] = spec.n_in
            row[codes.COL_N_OUT] = spec.n_out
            row[codes.COL_W_OFFSET] = w_offset
            row[codes.COL_W_SIZE] = spec.n_weights
            row[codes.COL_B_OFFSET] = b_offset
            row[codes.COL_B_SIZE] = spec.n_biases
            if i == len(specs) - 1:
                row[codes.COL_ACTIVATION] = codes.ACTIVATION_CODES[self.out_activation]
            elif spec.kind == codes.MAXPOOL2D:
                row[codes.COL_ACTIVATION] = codes.IDENTITY
            else:
                row[codes.COL_ACTIVATION] = hidden_code
            row[codes.COL_UNIT_OFFSET] = unit_offset
            row[codes.COL_AUX_OFFSET] = aux_offset
            row[codes.COL_C_IN : codes.COL_PAD_LEFT + 1] = spec[3:]
            w_offset += spec.n_weights
            b_offset += spec.n_biases
            unit_offset += spec.n_out
            if spec.kind == codes.MAXPOOL2D:
                aux_offset += spec.n_out
        table.flags.writeable = False
        return table

    def conv_scratch(self, capacity: int, dtype) -> tuple:
        """The ``(cols, parts)`` scratch of :mod:`skdeep._kernels.spatial`.

        ``cols`` has one im2col slot per Numba thread (results do not depend on the
        number of slots); ``parts`` holds per-sample gradients for batches of up to
        ``capacity`` rows (``capacity=0``: forward only).
        """
        convs = [s for s in self.layers() if s.kind == codes.CONV2D]
        max_cols = max(
            s.c_in * s.kernel_h * s.kernel_w * s.h_out * s.w_out for s in convs
        )
        max_part = max(s.n_weights + s.n_biases for s in convs)
        slots = max(1, numba.get_num_threads())
        cols = np.empty((slots, max_cols), dtype=dtype)
        return cols, np.empty(capacity * max_part, dtype=dtype)

    def dropout_rates(self, rate: float) -> np.ndarray:
        """Per-row dropout rates: ``rate`` on the flattened features (the output of
        the last convolution block) and on every dense hidden layer."""
        specs = self.layers()
        rates = np.zeros(len(specs), dtype=np.float64)
        first_dense = next(i for i, s in enumerate(specs) if s.kind == codes.DENSE)
        rates[first_dense - 1 : len(specs) - 1] = rate
        return rates

    # ---------------------------------------------------------- parameters
    def is_packed_in(self, params, coefs, intercepts) -> bool:
        """True when ``coefs`` and ``intercepts`` are still views into ``params``."""
        return params is not None and all(
            a.base is params for a in (*coefs, *intercepts)
        )

    def views(self, params: np.ndarray) -> tuple[list, list]:
        """``(coefs, intercepts)``: views into ``params`` of the layers with
        parameters (convolutions first, ``(C_out, C_in, kh, kw)``; then dense,
        ``(fan_in, fan_out)``)."""
        coefs, intercepts = [], []
        w_offset, b_offset = 0, self.n_weights
        for spec in self.layers():
            if spec.kind == codes.MAXPOOL2D:
                continue
            coefs.append(
                params[w_offset : w_offset + spec.n_weights].reshape(spec.weight_shape)
            )
            intercepts.append(params[b_offset : b_offset + spec.n_biases])
            w_offset += spec.n_weights
            b_offset += spec.n_biases
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype) -> np.ndarray:
        """A new flat parameter vector holding copies of the given layers."""
        params = np.empty(self.n_params, dtype=dtype)
        views = self.views(params)
        if len(coefs) != len(views[0]) or len(intercepts) != len(views[1]):
            raise ValueError(
                f"Expected {len(views[0])} weight and bias arrays, got "
                f"{len(coefs)} and {len(intercepts)}."
            )
        for view, value in zip(views[0] + views[1], list(coefs) + list(intercepts)):
            if np.shape(value) != view.shape:
                raise ValueError(
                    f"A layer's parameters have shape {np.shape(value)}, expected "
                    f"{view.shape}."
                )
            view[...] = value
        return params

    def glorot_init(self, random_state: np.random.RandomState, dtype) -> np.ndarray:
        """Glorot-uniform initialization, drawn layer by layer (``W`` then ``b``).

        ``W, b ~ U(-r, r)`` with ``r = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for a
        logistic activation and 6 otherwise (scikit-learn's MLP rule); for a
        convolution ``fan_in = C_in kh kw`` and ``fan_out = C_out kh kw``.
        """
        factor = 2.0 if self.hidden_activation in ("logistic", "sigmoid") else 6.0
        coefs, intercepts = [], []
        for spec in self.layers():
            if spec.kind == codes.MAXPOOL2D:
                continue
            if spec.kind == codes.CONV2D:
                area = spec.kernel_h * spec.kernel_w
                fan_in, fan_out = spec.c_in * area, spec.c_out * area
            else:
                fan_in, fan_out = spec.n_in, spec.n_out
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(random_state.uniform(-bound, bound, spec.weight_shape))
            intercepts.append(random_state.uniform(-bound, bound, spec.n_biases))
        return self.pack(coefs, intercepts, dtype)


@lru_cache(maxsize=64)
def _cached_layers(layout: ConvLayout) -> tuple:
    return layout._build_layers()


@lru_cache(maxsize=64)
def _cached_table(layout: ConvLayout) -> np.ndarray:
    return layout._build_table()


def _per_block(value, n_blocks: int, name: str) -> list:
    """An int (same for every block) or one value per block."""
    if value is None or isinstance(value, (int, np.integer)):
        return [value] * n_blocks
    values = list(value)
    if len(values) != n_blocks:
        raise ValueError(
            f"{name} must be an int or have one entry per block of filters "
            f"({n_blocks}), got {len(values)}."
        )
    return values


def build_conv_layout(
    input_shape,
    filters,
    kernel_size,
    strides,
    padding,
    pool_size,
    hidden,
    n_outputs,
    hidden_activation,
    out_activation,
    clip=False,
) -> ConvLayout:
    """Resolve the CNN hyperparameters into a :class:`ConvLayout`.

    ``kernel_size``, ``strides`` and ``pool_size`` are an int (every block) or one
    entry per block; a ``pool_size`` of None or 1 means no pooling. With ``clip``,
    kernel and pooling sizes are clipped to each block's feature map, so any image
    works (used when the image shape was inferred from a number of features);
    otherwise a block that does not fit raises ``ValueError``.

    Examples
    --------
    >>> layout = build_conv_layout((1, 8, 8), (16,), 3, 1, "same", 2, (), 10,
    ...                            "relu", "softmax")
    >>> layout.layer_units
    (64, 1024, 256, 10)
    >>> build_conv_layout((1, 1, 5), (4,), 3, 1, "valid", 2, (), 1, "relu",
    ...                   "identity", clip=True).layer_units
    (5, 12, 1)
    """
    filters = [int(f) for f in filters]
    if not filters or any(f < 1 for f in filters):
        raise ValueError(f"filters must be positive integers, got {filters}.")
    n_blocks = len(filters)
    kernels = _per_block(kernel_size, n_blocks, "kernel_size")
    stride_list = _per_block(strides, n_blocks, "strides")
    pools = _per_block(pool_size, n_blocks, "pool_size")
    c, h, w = input_shape
    blocks = []
    for i, (f, k, s, p) in enumerate(zip(filters, kernels, stride_list, pools)):
        k, s, p = int(k), int(s), 1 if p is None else int(p)
        if k < 1 or s < 1 or p < 1:
            raise ValueError("kernel_size, strides and pool_size must be >= 1.")
        kh, kw = (min(k, h), min(k, w)) if clip else (k, k)
        try:
            h_out, w_out, _, _ = conv2d_output_shape(h, w, (kh, kw), s, padding)
        except ValueError as exc:
            raise ValueError(
                f"Convolution block {i} does not fit its {c}x{h}x{w} input: {exc}"
            ) from None
        if clip:
            p = min(p, h_out, w_out)
        elif p > min(h_out, w_out):
            raise ValueError(
                f"Pooling of block {i} does not fit its {f}x{h_out}x{w_out} input: "
                f"the window {p}x{p} is larger. Use a smaller pool_size or None."
            )
        blocks.append(ConvBlock(f, kh, kw, s, padding, p))
        c, h, w = f, h_out // p, w_out // p
    return ConvLayout(
        tuple(int(v) for v in input_shape),
        tuple(blocks),
        tuple(int(u) for u in hidden),
        int(n_outputs),
        hidden_activation,
        out_activation,
    )
