"""A network as data: an immutable sequence of layer specs on an input shape.

:class:`Network` is the one place that turns any sequence of
:mod:`~skdeep.network.specs` into what the kernels read and what the estimators
publish:

* the layer table (one row per layer with a kind; ``Flatten`` has none) and the
  layers' real-valued settings;
* the flat parameter vector: every layer's weights first, then every layer's biases
  (scikit-learn's ``_pack`` order), with ``coefs_``/``intercepts_`` as views;
* the fitted state vector of the layers that keep non-trained values;
* scikit-learn's Glorot initialization, drawn in its order;
* the work buffers and optional-family scratch of the kernels for a batch size.

It is rebuilt from plain data (:meth:`Network.to_data` / :meth:`Network.from_data`),
so a fitted estimator stores only tuples, dicts, strings and numbers.
"""

from dataclasses import dataclass
from functools import cached_property
from math import prod

import numba
import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.recurrent import CHUNK_ROWS, MIN_CHUNK_ROWS, SMALL_PRODUCT
from skdeep._kernels.spatial import kept_values
from skdeep._kernels.structs import (
    NetworkArrays,
    Norm,
    RecurrentScratch,
    SpatialScratch,
    Work,
)
from skdeep.network.specs import (
    LayerSpec,
    ResidualAdd,
    Shortcut,
    spec_from_data,
    spec_to_data,
)


def recurrent_chunks(n: int, units: int, gate_units: int) -> int:
    """Chunks a batch of ``n`` is cut into by a recurrent row's kernels
    (:func:`skdeep._kernels.recurrent.chunk_rows`, the same rule)."""
    rows = min(CHUNK_ROWS, SMALL_PRODUCT // max(1, units * gate_units))
    if rows < MIN_CHUNK_ROWS or n <= rows:
        return 1
    chunks = -(-n // rows)
    rows = -(-n // chunks)
    return -(-n // rows)


#: Values per prediction chunk (samples x values per sample): bounds the memory of
#: a prediction to a few tens of MB whatever the number of samples.
PREDICT_BUDGET = 2**21

#: Most samples per prediction chunk.
PREDICT_CHUNK = 4096


@dataclass(frozen=True)
class Layer:
    """A spec placed in a network: its shapes and where its data lives."""

    spec: LayerSpec
    input_shape: tuple
    output_shape: tuple
    row: int | None  # table row, None for a spec without one (Flatten)
    weight_offset: int
    bias_offset: int
    state_offset: int

    @property
    def weight_shape(self) -> tuple:
        return self.spec.weight_shape(self.input_shape)

    @property
    def n_weights(self) -> int:
        shape = self.weight_shape
        return int(prod(shape)) if shape else 0

    @property
    def n_biases(self) -> int:
        return self.spec.bias_size(self.input_shape)

    @property
    def has_parameters(self) -> bool:
        return self.n_weights + self.n_biases > 0

    @property
    def has_weights(self) -> bool:
        """Whether the layer has weights (an entry of ``coefs_`` and
        ``intercepts_``; batch normalization has only parameters without L2)."""
        return self.n_weights > 0


@dataclass(frozen=True)
class Network:
    """An immutable sequence of layer specs applied to samples of ``input_shape``.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one input sample, e.g. ``(n_features,)`` or ``(C, H, W)``.
    specs : tuple of LayerSpec
        The layers, input side first.

    Raises
    ------
    ValueError
        When a layer does not fit the output of the one before it.
    """

    input_shape: tuple
    specs: tuple

    def __post_init__(self):
        self.layers  # noqa: B018 - resolve (and so validate) the shapes now

    # ------------------------------------------------------------- geometry
    @cached_property
    def layers(self) -> tuple:
        """Every spec with its shapes and offsets (a :class:`Layer` each)."""
        n_weights = sum(
            int(prod(s.weight_shape(shape))) if s.weight_shape(shape) else 0
            for s, shape in self._shapes()
        )
        layers = []
        row = w_offset = state_offset = 0
        b_offset = n_weights
        for spec, shape in self._shapes():
            layer = Layer(
                spec,
                shape,
                spec.output_shape(shape),
                None if spec.kind is None else row,
                w_offset,
                b_offset,
                state_offset,
            )
            layers.append(layer)
            row += spec.kind is not None
            w_offset += layer.n_weights
            b_offset += layer.n_biases
            state_offset += spec.state_size(shape)
        return tuple(layers)

    def _shapes(self):
        """``(spec, input shape)`` pairs. A ``Shortcut``'s input (and output) is
        its source's output; a ``ResidualAdd``'s source must have its shape."""
        shape = tuple(int(s) for s in self.input_shape)
        outputs = []
        for i, spec in enumerate(self.specs):
            if isinstance(spec, Shortcut):
                shape = self._source_shape(spec, i, outputs)
            yield spec, shape
            shape = spec.output_shape(shape)
            if isinstance(spec, ResidualAdd):
                other = self._source_shape(spec, i, outputs)
                if other != shape:
                    raise ValueError(
                        f"a residual add needs its source (spec {spec.source}) to "
                        f"have the shape {shape} of its input, got {other}"
                    )
            outputs.append(shape)

    def _source_shape(self, spec, index: int, outputs: list) -> tuple:
        if spec.source == -1:
            return tuple(int(s) for s in self.input_shape)
        if not 0 <= spec.source < index - 1 + isinstance(spec, Shortcut):
            raise ValueError(
                f"{type(spec).__name__} of spec {index} must read an earlier spec "
                f"(or -1, the input) other than the one before it, got "
                f"{spec.source}"
            )
        return outputs[spec.source]

    @property
    def rows(self) -> tuple:
        """The layers that have a table row, in order."""
        return tuple(layer for layer in self.layers if layer.row is not None)

    @property
    def output_shape(self) -> tuple:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def n_inputs(self) -> int:
        """Values per input sample."""
        return int(prod(self.input_shape))

    @property
    def n_outputs(self) -> int:
        """Values per output sample."""
        return int(prod(self.output_shape))

    @property
    def n_weights(self) -> int:
        return sum(layer.n_weights for layer in self.layers)

    @property
    def n_params(self) -> int:
        """Length of the parameter vector."""
        return self.n_weights + sum(layer.n_biases for layer in self.layers)

    @property
    def n_state(self) -> int:
        """Length of the fitted state vector."""
        return sum(layer.spec.state_size(layer.input_shape) for layer in self.layers)

    @property
    def families(self) -> frozenset:
        """The optional kernel families the network needs."""
        return frozenset(s.family for s in self.specs if s.family is not None)

    def rows_before(self, n_specs: int) -> int:
        """Number of table rows of the first ``n_specs`` specs."""
        return sum(layer.row is not None for layer in self.layers[:n_specs])

    # ---------------------------------------------------------------- table
    @cached_property
    def _tables(self) -> tuple:
        """``(table, values)`` of every row, offsets counted from the first."""
        rows = self.rows
        table = np.zeros((len(rows), codes.N_TABLE_COLUMNS), dtype=np.int64)
        values = np.zeros((len(rows), codes.N_TABLE_VALUES), dtype=np.float64)
        unit = aux = ints = stat = 0
        for i, layer in enumerate(rows):
            spec, shape = layer.spec, layer.input_shape
            row = table[i]
            row[codes.COL_KIND] = spec.kind
            row[codes.COL_N_IN] = int(prod(shape))
            row[codes.COL_N_OUT] = int(prod(layer.output_shape))
            row[codes.COL_W_OFFSET] = layer.weight_offset
            row[codes.COL_W_SIZE] = layer.n_weights
            row[codes.COL_B_OFFSET] = layer.bias_offset
            row[codes.COL_B_SIZE] = layer.n_biases
            row[codes.COL_ACTIVATION] = codes.ACTIVATION_CODES[spec.activation]
            row[codes.COL_UNIT_OFFSET] = unit
            row[codes.COL_AUX_OFFSET] = aux
            row[codes.COL_INT_OFFSET] = ints
            row[codes.COL_STAT_OFFSET] = stat
            row[codes.COL_STATE_OFFSET] = layer.state_offset
            spec.fill_row(row, values[i], shape, layer.output_shape)
            unit += int(prod(layer.output_shape))
            aux += spec.float_slots(shape)
            ints += spec.int_slots(shape)
            stat += spec.stat_size(shape)
        self._link_shortcuts(table, unit)
        return table, values

    def _link_shortcuts(self, table, n_units) -> None:
        """Fill the shortcut columns (``codes.COL_SOURCE``): which rows read an
        earlier row, and which gradients go through side blocks (per-sample
        offsets in ``work.deltas`` after the ``n_units`` of the rows' blocks)."""
        table[:, codes.COL_SIDE_OFFSET] = -1
        table[:, codes.COL_SIDE_FROM] = -1
        out_row = []  # per spec: the row holding its output (-1: the input)
        current, branch = -1, None
        consumers = {}  # row (-1: the input) -> rows reading it
        for layer in self.layers:
            spec = layer.spec
            if isinstance(spec, Shortcut):
                branch = current = -1 if spec.source < 0 else out_row[spec.source]
            elif layer.row is not None:
                r = layer.row
                if branch is not None:
                    if isinstance(spec, ResidualAdd):
                        raise ValueError("a residual add cannot start a shortcut")
                    table[r, codes.COL_BRANCH] = 1
                    table[r, codes.COL_SOURCE] = branch
                    consumers.setdefault(branch, []).append(r)
                    branch = None
                else:
                    consumers.setdefault(r - 1, []).append(r)
                if isinstance(spec, ResidualAdd):
                    if r == 0:
                        raise ValueError("a residual add cannot be the first layer")
                    source = -1 if spec.source < 0 else out_row[spec.source]
                    if source == r - 1:
                        raise ValueError("a residual add cannot add a row to itself")
                    table[r, codes.COL_SOURCE] = source
                    consumers.setdefault(source, []).append(r)
                current = r
            out_row.append(current)
        if branch is not None:
            raise ValueError("a shortcut must be followed by a layer")
        if len(consumers) == len(table) and all(
            c == [r + 1] for r, c in consumers.items()
        ):
            return  # a plain chain
        side = n_units
        for r in range(-1, len(table) - 1):
            readers = sorted(consumers.get(r, []))
            if not readers and r >= 0:
                raise ValueError(f"the output of table row {r} is not used")
            if len(readers) > 2:
                raise ValueError(
                    f"the output of table row {r} feeds {len(readers)} layers; at "
                    "most two are supported"
                )
            if r >= 0 and table[r, codes.COL_KIND] in (codes.DROPOUT,
                                                       codes.CORRUPTION):  # fmt: skip
                if any(table[c, codes.COL_BRANCH] or table[c, codes.COL_KIND]
                       == codes.RESIDUAL_ADD for c in readers):  # fmt: skip
                    raise ValueError("a shortcut cannot read a dropout or noise row")
            if len(readers) == 2:
                later = readers[1]
                table[later, codes.COL_SIDE_OFFSET] = side
                if r >= 0:
                    table[r, codes.COL_SIDE_FROM] = later
                    side += int(table[r, codes.COL_N_OUT])
                else:
                    side += self.n_inputs

    @cached_property
    def _side_units(self) -> int:
        """Per-sample values of the side blocks (gradients of rows whose output
        feeds two rows) after the rows' blocks in ``work.deltas``."""
        table = self._tables[0]
        total = 0
        for r in range(table.shape[0]):
            if table[r, codes.COL_SIDE_OFFSET] >= 0:
                total += int(table[r, codes.COL_N_IN if table[r, codes.COL_BRANCH]
                                   else codes.COL_N_OUT])  # fmt: skip
        return total

    @cached_property
    def _runs(self) -> dict:
        """Tables of contiguous runs of rows, by ``(start, stop)``."""
        return {}

    def _run(self, rows: slice) -> tuple:
        """``(table, values, sizes)`` of the table rows ``rows`` (a contiguous
        run, e.g. an autoencoder's encoder), read-only, with the per-sample and
        per-batch buffer offsets rebased so that the run's buffers start at 0;
        ``sizes`` are its ``(units, float slots, int slots, stats)`` per sample."""
        start, stop, step = rows.indices(len(self.rows))
        if step != 1 or stop <= start:
            raise ValueError(f"table rows must be a non-empty run, got {rows}.")
        key = (start, stop)
        if key not in self._runs:
            full_table, full_values = self._tables
            if self._side_units and (start, stop) != (0, len(self.rows)):
                raise ValueError("a network with shortcuts runs as a whole only.")
            table = full_table[start:stop].copy()
            values = full_values[start:stop].copy()
            sizes = []
            layers = self.rows[start:stop]
            for column, size in (
                (codes.COL_UNIT_OFFSET, lambda lay: int(prod(lay.output_shape))),
                (
                    codes.COL_AUX_OFFSET,
                    lambda lay: lay.spec.float_slots(lay.input_shape),
                ),
                (codes.COL_INT_OFFSET, lambda lay: lay.spec.int_slots(lay.input_shape)),
                (
                    codes.COL_STAT_OFFSET,
                    lambda lay: lay.spec.stat_size(lay.input_shape),
                ),
            ):
                table[:, column] -= table[0, column]
                sizes.append(int(table[-1, column]) + size(layers[-1]))
            table.flags.writeable = False
            values.flags.writeable = False
            self._runs[key] = (table, values, tuple(sizes))
        return self._runs[key]

    @property
    def table(self) -> np.ndarray:
        """The read-only int64 layer table (columns ``codes.COL_*``)."""
        return self._run(slice(None))[0]

    @property
    def values(self) -> np.ndarray:
        """The read-only float64 layer settings (columns ``codes.VAL_*``)."""
        return self._run(slice(None))[1]

    def arrays(self, params, state, rows=slice(None)) -> NetworkArrays:
        """The network (or its run of table rows ``rows``, with its own buffer
        offsets) as the kernels take it."""
        table, values, _ = self._run(rows)
        return NetworkArrays(table, values, params, state)

    # ------------------------------------------------------------ parameters
    @property
    def parametric_layers(self) -> tuple:
        """The layers with weights: one entry each in ``coefs_`` and
        ``intercepts_``."""
        return tuple(layer for layer in self.layers if layer.has_weights)

    def batch_norm_views(self, params: np.ndarray, state: np.ndarray) -> list:
        """Per batch-normalization layer, ``{'scale', 'shift', 'running_mean',
        'running_var'}``: views of ``params`` and ``state``, one value per
        channel."""
        views = []
        for layer in self.layers:
            if layer.spec.kind == codes.BATCHNORM:
                c = layer.n_biases // 2
                b, s = layer.bias_offset, layer.state_offset
                views.append({
                    "scale": params[b : b + c],
                    "shift": params[b + c : b + 2 * c],
                    "running_mean": state[s : s + c],
                    "running_var": state[s + c : s + 2 * c],
                })  # fmt: skip
        return views

    def views(self, params: np.ndarray) -> tuple[list, list]:
        """``(coefs, intercepts)``: per layer with parameters, its weights (shaped
        ``weight_shape``: ``(fan_in, fan_out)`` dense, ``(C_out, C_in, kh, kw)``
        convolution) and its biases, as views into ``params``."""
        coefs, intercepts = [], []
        for layer in self.parametric_layers:
            w = layer.weight_offset
            coefs.append(params[w : w + layer.n_weights].reshape(layer.weight_shape))
            b = layer.bias_offset
            intercepts.append(params[b : b + layer.n_biases])
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype, names=("coefs_", "intercepts_"),
             out=None):  # fmt: skip
        """A new parameter vector (or ``out``, written in place) holding copies of
        ``coefs`` and ``intercepts``; other parameters (batch normalization's) are
        left as they are (uninitialized in a new vector).

        Raises
        ------
        ValueError
            Naming the attribute (``names``) and the layer whose array has the
            wrong number of layers or shape, or is not a real-valued array.
        """
        params = np.empty(self.n_params, dtype=dtype) if out is None else out
        expected = self.views(params)
        for name, given, views in zip(names, (coefs, intercepts), expected):
            if not isinstance(given, list | tuple) or len(given) != len(views):
                count = len(given) if isinstance(given, list | tuple) else "no list"
                raise ValueError(
                    f"{name} must be a list of {len(views)} arrays for this "
                    f"network, got {count}."
                )
            for i, (view, value) in enumerate(zip(views, given)):
                value = np.asarray(value)
                if value.shape != view.shape or value.dtype.kind not in "fiu":
                    raise ValueError(
                        f"{name}[{i}] has shape {value.shape} and dtype "
                        f"{value.dtype}; this network needs a real-valued array of "
                        f"shape {view.shape}."
                    )
                view[...] = value
        return params

    def init(self, random_state: np.random.RandomState, dtype, factor: float = 6.0,
             scheme: str = "glorot"):  # fmt: skip
        """scikit-learn's initialization, drawn in its order.

        Per layer with parameters, ``W`` then ``b`` are drawn from ``U(-r, r)``
        with ``r = sqrt(factor / (fan_in + fan_out))``: scikit-learn's MLP uses
        ``factor = 2`` for a logistic hidden activation and 6 otherwise (for a
        convolution ``fan_in = C_in kh kw`` and ``fan_out = C_out kh kw``).
        Identical draws to scikit-learn's MLP for the same ``random_state``.
        ``scheme='pytorch'`` draws in the same order from PyTorch's bound
        ``r = 1 / sqrt(fan_in)`` instead (``factor`` is then unused). A layer
        may choose its own bound (:meth:`LayerSpec.init_bound`; a recurrent
        layer uses PyTorch's ``1 / sqrt(units)`` in both schemes).
        """
        if scheme not in ("glorot", "pytorch"):
            raise ValueError(f"scheme must be 'glorot' or 'pytorch', got {scheme!r}.")
        coefs, intercepts = [], []
        for layer in self.parametric_layers:
            bound = layer.spec.init_bound(layer.input_shape, factor, scheme)
            coefs.append(random_state.uniform(-bound, bound, layer.weight_shape))
            intercepts.append(random_state.uniform(-bound, bound, layer.n_biases))
        params = self.pack(coefs, intercepts, dtype)
        for layer in self.layers:
            fixed = layer.spec.initial_biases(layer.input_shape)
            if fixed is not None:
                params[layer.bias_offset : layer.bias_offset + layer.n_biases] = fixed
        return params

    def initial_state(self, dtype) -> np.ndarray:
        """The fitted state before training (batch normalization's running mean
        0 and variance 1; zeros elsewhere)."""
        state = np.zeros(self.n_state, dtype=dtype)
        for layer in self.layers:
            size = layer.spec.state_size(layer.input_shape)
            if size:
                start = layer.state_offset
                state[start : start + size] = layer.spec.initial_state(
                    layer.input_shape
                )
        return state

    @property
    def min_batch(self) -> int:
        """The fewest samples a training batch may have (2 with batch
        normalization of one value per channel, as for a dense layer)."""
        return max((lay.spec.min_batch(lay.input_shape) for lay in self.layers),
                   default=1)  # fmt: skip

    def state_of(self, state: np.ndarray, spec_index: int) -> np.ndarray:
        """The view of ``state`` that belongs to spec ``spec_index``."""
        layer = self.layers[spec_index]
        start = layer.state_offset
        return state[start : start + layer.spec.state_size(layer.input_shape)]

    # ---------------------------------------------------------------- buffers
    def work(self, capacity: int, dtype, *, rows=slice(None), backward=True,
             grad_part=False) -> Work:  # fmt: skip
        """Buffers for batches of up to ``capacity`` samples through the run of
        table rows ``rows`` (a prediction needs no gradients: ``backward=False``)."""
        table, _, (units, aux, ints, stat) = self._run(rows)
        n_in = int(table[0, codes.COL_N_IN])
        n_out = int(table[-1, codes.COL_N_OUT])
        return Work(
            x=np.empty(capacity * n_in, dtype=dtype),
            y=np.empty(capacity * n_out, dtype=dtype),
            sample_weight=np.empty(capacity, dtype=dtype),
            acts=np.empty(capacity * units, dtype=dtype),
            deltas=np.empty(
                capacity * (units + self._side_units) if backward else 0, dtype=dtype
            ),
            floats=np.empty(capacity * aux, dtype=dtype),
            ints=np.empty(capacity * ints, dtype=np.int32),
            stats=np.empty(stat, dtype=dtype),
            grad_part=np.empty(self.n_params if grad_part else 0, dtype=dtype),
            lengths=np.full(
                capacity if "recurrent" in self.families else 0,
                codes.ALL_STEPS,
                dtype=np.int64,
            ),
        )

    def family_arguments(self, capacity: int, dtype, *, backward=True,
                         running=codes.RUNNING_KEEP) -> tuple:  # fmt: skip
        """The kernels' trailing family arguments ``(spatial, coding, norm,
        recurrent)`` (see :mod:`skdeep._kernels.network`): each None when the
        network has no layer of that family (its code is then not compiled),
        else what its kernels need. ``running`` (``codes.RUNNING_*``) is what
        training-mode passes do with batch normalization's running statistics."""
        spatial = None
        if "spatial" in self.families:
            spatial = self._spatial_scratch(capacity if backward else 0, dtype)
        coding = True if "coding" in self.families else None
        norm = Norm(int(running)) if "norm" in self.families else None
        recurrent = None
        if "recurrent" in self.families:
            recurrent = self._recurrent_scratch(capacity if backward else 0, dtype)
        return spatial, coding, norm, recurrent

    def _recurrent_scratch(self, capacity: int, dtype) -> RecurrentScratch:
        """Scratch of the recurrent rows (:mod:`skdeep._kernels.recurrent`);
        ``capacity = 0`` for prediction (no gradient blocks)."""
        layers = [layer for layer in self.rows if layer.spec.kind == codes.RECURRENT]
        weights = biases = parts = 0
        for layer in layers:
            spec = layer.spec
            d, width, gh = layer.weight_shape
            weights = max(weights, d * gh * spec.units)
            biases = max(biases, d * gh)
            chunks = recurrent_chunks(capacity, spec.units, gh)
            if chunks > 1:
                parts = max(parts, d * chunks * width * gh)
        return RecurrentScratch(
            np.empty(weights, dtype=dtype),
            np.empty(biases, dtype=dtype),
            np.empty(parts, dtype=dtype),
            np.array([1.0, 0.0, 1.0, 1.0], dtype=dtype),
        )

    def _spatial_scratch(self, capacity: int, dtype) -> SpatialScratch:
        convs = [layer for layer in self.rows if layer.spec.kind == codes.CONV2D]
        if not convs:
            empty = np.empty(0, dtype=dtype)
            return SpatialScratch(empty, empty, empty)
        cols = [int(prod(layer.weight_shape[1:])) * int(prod(layer.output_shape[1:]))
                for layer in convs]  # fmt: skip
        max_part = max(layer.n_weights + layer.n_biases for layer in convs)
        slots = max(1, numba.get_num_threads())
        return SpatialScratch(
            np.empty(slots * max(cols), dtype=dtype),
            np.empty(capacity * max_part, dtype=dtype),
            np.empty(kept_values(cols, capacity), dtype=dtype),
        )

    def predict_capacity(self, rows=slice(None)) -> int:
        """Samples per prediction chunk through the run of table rows ``rows``,
        so that a chunk's buffers stay near 16 MB."""
        table, _, (units, aux, ints, _) = self._run(rows)
        per_sample = int(table[0, codes.COL_N_IN]) + units + aux + ints
        return int(min(PREDICT_CHUNK, max(1, PREDICT_BUDGET // per_sample)))

    @property
    def draws_random(self) -> bool:
        """Whether training draws from the kernels' random stream (dropout, noise,
        sampling)."""
        return any(spec.draws_random for spec in self.specs)

    def parameter_layout(self) -> tuple:
        """What fitted parameters must fit: the input shape, each parametric
        layer's weight shape and bias count, the state length and the output
        shape (not the dropout rates, noise levels or activations, which a warm
        start may change)."""
        return (
            tuple(self.input_shape),
            tuple((layer.weight_shape, layer.n_biases) for layer in self.layers),
            self.n_state,
            self.output_shape,
        )

    # ------------------------------------------------------------ plain data
    def to_data(self) -> tuple:
        """The network as plain, hashable data: ``(input_shape, specs)`` with each
        spec ``(class name, ((field, value), ...))``."""
        return (
            tuple(int(s) for s in self.input_shape),
            tuple(spec_to_data(spec) for spec in self.specs),
        )

    @classmethod
    def from_data(cls, data) -> "Network":
        """The network :meth:`to_data` described."""
        input_shape, specs = data
        return cls(tuple(input_shape), tuple(spec_from_data(spec) for spec in specs))
