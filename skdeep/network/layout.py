"""Describe a stack of dense layers as the integer table and flat vector kernels read.

The parameter vector holds every layer's weight matrix (row-major, shape
``(fan_in, fan_out)``) and then every layer's bias: the order of scikit-learn's
``_pack``. ``coefs_`` and ``intercepts_`` of a fitted estimator are views into it.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from skdeep._kernels import codes


@dataclass(frozen=True)
class DenseLayout:
    """Shapes and offsets of a fully connected network.

    Parameters
    ----------
    layer_units : tuple of int
        Units per layer, input first: ``(n_features, *hidden, n_outputs)``.
    hidden_activation : str
        Activation of every hidden layer.
    out_activation : str
        Activation of the output layer.
    """

    layer_units: tuple
    hidden_activation: str
    out_activation: str

    @property
    def n_layers(self) -> int:
        """Number of weight layers (``len(layer_units) - 1``)."""
        return len(self.layer_units) - 1

    @property
    def n_weights(self) -> int:
        """Number of weight (not bias) parameters."""
        u = self.layer_units
        return sum(u[i] * u[i + 1] for i in range(self.n_layers))

    @property
    def n_params(self) -> int:
        """Total number of parameters."""
        return self.n_weights + sum(self.layer_units[1:])

    @property
    def total_units(self) -> int:
        """Units per row summed over all weight layers (the work-buffer row size)."""
        return sum(self.layer_units[1:])

    @property
    def aux_units(self) -> int:
        """Per-row slots of the auxiliary kernel buffers (dense layers need none)."""
        return 0

    def conv_scratch(self, capacity: int, dtype):
        """Scratch of the convolution layers: None, a dense network has none (and
        kernels called without it never compile the convolution branches)."""
        return None

    def table(self) -> np.ndarray:
        """The int64 layer table, one row per layer, columns ``codes.COL_*``.

        Cached per layout and read-only, so repeated predictions do not rebuild it.
        """
        return _cached_table(self)

    def _build_table(self) -> np.ndarray:
        table = np.zeros((self.n_layers, codes.N_TABLE_COLUMNS), dtype=np.int64)
        w_offset, b_offset, unit_offset = 0, self.n_weights, 0
        for i in range(self.n_layers):
            n_in, n_out = self.layer_units[i], self.layer_units[i + 1]
            last = i == self.n_layers - 1
            activation = self.out_activation if last else self.hidden_activation
            row = table[i]
            row[codes.COL_KIND] = codes.DENSE
            row[codes.COL_N_IN] = n_in
            row[codes.COL_N_OUT] = n_out
            row[codes.COL_W_OFFSET] = w_offset
            row[codes.COL_W_SIZE] = n_in * n_out
            row[codes.COL_B_OFFSET] = b_offset
            row[codes.COL_B_SIZE] = n_out
            row[codes.COL_ACTIVATION] = codes.ACTIVATION_CODES[activation]
            row[codes.COL_UNIT_OFFSET] = unit_offset
            w_offset += n_in * n_out
            b_offset += n_out
            unit_offset += n_out
        table.flags.writeable = False
        return table

    def is_packed_in(self, params, coefs, intercepts) -> bool:
        """True when ``coefs`` and ``intercepts`` are still views into ``params``."""
        return params is not None and all(
            a.base is params for a in (*coefs, *intercepts)
        )

    def views(self, params: np.ndarray) -> tuple[list, list]:
        """``(coefs, intercepts)``: lists of views into ``params``."""
        coefs, intercepts = [], []
        w_offset, b_offset = 0, self.n_weights
        for i in range(self.n_layers):
            n_in, n_out = self.layer_units[i], self.layer_units[i + 1]
            coefs.append(
                params[w_offset : w_offset + n_in * n_out].reshape(n_in, n_out)
            )
            intercepts.append(params[b_offset : b_offset + n_out])
            w_offset += n_in * n_out
            b_offset += n_out
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype) -> np.ndarray:
        """A new flat parameter vector holding copies of the given layers."""
        params = np.empty(self.n_params, dtype=dtype)
        views = self.views(params)
        for view, value in zip(views[0] + views[1], list(coefs) + list(intercepts)):
            expected = view.shape
            if np.shape(value) != expected:
                raise ValueError(
                    f"A layer's parameters have shape {np.shape(value)}, expected "
                    f"{expected} for layer_units={self.layer_units}."
                )
            view[...] = value
        return params

    def glorot_init(self, random_state: np.random.RandomState, dtype) -> np.ndarray:
        """scikit-learn's initialization, drawn in its order.

        Per layer, ``W`` then ``b`` are drawn from ``U(-r, r)`` with
        ``r = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for a logistic hidden
        activation and 6 otherwise. Identical draws to sklearn's MLP for the same
        ``random_state``.
        """
        factor = 2.0 if self.hidden_activation in ("logistic", "sigmoid") else 6.0
        coefs, intercepts = [], []
        for i in range(self.n_layers):
            fan_in, fan_out = self.layer_units[i], self.layer_units[i + 1]
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(random_state.uniform(-bound, bound, fan_out))
        return self.pack(coefs, intercepts, dtype)


@lru_cache(maxsize=64)
def _cached_table(layout: DenseLayout) -> np.ndarray:
    return layout._build_table()
