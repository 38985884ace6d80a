"""What CNNClassifier and CNNRegressor add to the MLPs: image input and the layout.

The CNNs are the MLP estimators with a different network: they reuse
:class:`~skdeep.estimators._mlp_base.BaseMLP`'s ``_fit`` (validation, stochastic
training loop, early stopping, warm start, state restored on failure) and only
override its hooks: how X is read (2-D, 3-D or 4-D), which layout is built, the
dropout rate of each layer, and prediction (with BLAS pinned to one thread, as the
convolution kernels call BLAS inside their parallel loops).
"""

from math import isqrt
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from skdeep.estimators._mlp_base import STOCHASTIC_SOLVERS, BaseMLP
from skdeep.network.conv_layout import build_conv_layout
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils.threads import kernel_threads
from skdeep.utils.validation import is_positive_int

CNN_CONSTRAINTS: dict = {
    **{k: v for k, v in BaseMLP._parameter_constraints.items() if k != "max_fun"},
    "input_shape": [None, tuple, list],
    "filters": ["array-like", Interval(Integral, 1, None, closed="left")],
    "kernel_size": ["array-like", Interval(Integral, 1, None, closed="left")],
    "strides": ["array-like", Interval(Integral, 1, None, closed="left")],
    "padding": [StrOptions({"same", "valid"})],
    "pool_size": [None, "array-like", Interval(Integral, 1, None, closed="left")],
    "solver": [StrOptions(set(STOCHASTIC_SOLVERS))],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}

#: The settings given per convolution block (or once for every block).
BLOCK_PARAMS = ("filters", "kernel_size", "strides", "pool_size")


def flatten_images(X):
    """``(X_2d, image_shape)``: 3-D ``(n, H, W)`` and 4-D ``(n, C, H, W)`` arrays
    are reshaped to ``(n, C*H*W)`` (channels-first) and their ``(C, H, W)`` is
    returned; anything else is returned unchanged with ``None`` (2-D input is
    validated by scikit-learn, which also gives its usual errors)."""
    if sp.issparse(X) or hasattr(X, "iloc"):
        return X, None
    ndim = getattr(X, "ndim", None)
    if ndim is None and isinstance(X, (list, tuple)):
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
    shape = (1, *X.shape[1:]) if ndim == 3 else tuple(X.shape[1:])
    return X.reshape(X.shape[0], int(np.prod(shape))), tuple(int(s) for s in shape)


def _normalize_shape(input_shape) -> tuple:
    shape = tuple(input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or any(
        isinstance(s, bool) or not isinstance(s, Integral | np.integer) or s < 1
        for s in shape
    ):
        raise ValueError(
            f"input_shape must be (H, W) or (C, H, W) of positive integers, got "
            f"{input_shape!r}."
        )
    return tuple(int(s) for s in shape)


class CNNMixin:
    """Overrides of BaseMLP's hooks for convolutional networks; mix in first."""

    def _resolve_input_shape(self, n_features, image_shape):
        """``(input_shape, clip)`` for a first fit, or a ValueError."""
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
            return shape, False
        if image_shape is not None:
            return image_shape, False
        side = isqrt(n_features)
        if side * side == n_features:
            return (1, side, side), True
        return (1, 1, n_features), True

    def _check_image_shape(self, image_shape):
        if image_shape is not None and image_shape != self.input_shape_:
            raise ValueError(
                f"X holds images of shape {image_shape}, but {type(self).__name__} "
                f"was fitted on images of shape {self.input_shape_} (C, H, W)."
            )

    def _validate_input(self, X, y, incremental, reset):
        X, image_shape = flatten_images(X)
        if not reset:
            self._check_image_shape(image_shape)
        X, Y = super()._validate_input(X, y, incremental, reset)
        if reset:
            self.input_shape_, self._clip_sizes = self._resolve_input_shape(
                X.shape[1], image_shape
            )
        return X, Y

    def _check_block_params(self):
        """Refuse entries of the per-block settings that are not positive integers
        (the constraints check scalars only; None in pool_size means no pooling)."""
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

    def _build_layout(self, n_features, n_outputs, out_activation):
        self._check_block_params()
        filters = self.filters
        if isinstance(filters, Integral | np.integer):
            filters = (filters,)
        try:
            return build_conv_layout(
                self.input_shape_,
                filters,
                self.kernel_size,
                self.strides,
                self.padding,
                self.pool_size,
                self._hidden_sizes(),
                n_outputs,
                self.activation,
                out_activation,
                clip=self._clip_sizes,
            )
        except ValueError as exc:
            settings = ", ".join(
                f"{name}={getattr(self, name)!r}" for name in (*BLOCK_PARAMS, "padding")
            )
            raise ValueError(
                f"{exc} (images of shape {self.input_shape_}, {settings})"
            ) from None

    def _fitted_layout(self):
        return self._layout

    def _check_architecture(self, hidden):
        layout = self._build_layout(
            self.n_features_in_, self.n_outputs_, self.out_activation_
        )
        if layout.layers() != self._layout.layers():
            raise ValueError(
                "The architecture (filters, kernel_size, strides, padding, "
                "pool_size or hidden_layer_sizes) changed since the model was "
                "fitted; fit it again without warm_start to change it."
            )

    def _layer_dropout_rates(self, layout, rates):
        return layout.dropout_rates(float(self.dropout))

    def _publish(self, layout, params, history, optimizer, out_activation):
        super()._publish(layout, params, history, optimizer, out_activation)
        self._layout = layout

    @property
    def filters_(self) -> list:
        """The learned kernels of each convolution block, ``(C_out, C_in, kh, kw)``
        (views of the first ``len(filters)`` entries of ``coefs_``)."""
        check_is_fitted(self)
        return self.coefs_[: self._layout.n_conv]

    def _network_output(self, X):
        check_is_fitted(self)
        X, image_shape = flatten_images(X)
        self._check_image_shape(image_shape)
        # The convolution kernels call BLAS inside their parallel loops.
        with kernel_threads():
            return super()._network_output(X)
