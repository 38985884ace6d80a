"""Output shapes and buffer checks for the convolution and pooling kernels.

Pure Python, no Numba: the kernels in :mod:`skdeep._kernels.conv2d` and
:mod:`skdeep._kernels.pooling` trust the shapes they are given, so every shape is
computed and checked here, once per fit, before any kernel runs.

Padding follows TensorFlow's rule for ``'same'``, which for stride 1 is also
PyTorch's ``padding='same'``::

    H_out     = ceil(H / s)
    pad_total = max((H_out - 1) * s + k - H, 0)
    pad_top   = pad_total // 2          (the odd pixel goes to the bottom/right)

and ``'valid'`` means no padding: ``H_out = (H - k) // s + 1``. Only ``pad_top`` and
``pad_left`` are passed to the kernels; the bottom/right padding is implied by the
output size (positions beyond the image read as zero).

Pooling is max-pooling with window ``ph x pw`` and the same stride in floor mode
(PyTorch's default, ``ceil_mode=False``): ``H_out = H // ph``, and the last
``H % ph`` rows and ``W % pw`` columns, which do not fill a whole window, are
ignored.
"""

import numpy as np

__all__ = [
    "check_conv2d_buffers",
    "check_maxpool2d_buffers",
    "conv2d_output_shape",
    "pool2d_output_shape",
]

_PADDINGS = ("same", "valid")


def _output_size(size, k, stride, padding, axis):
    """One spatial axis: ``(size_out, pad_before)``."""
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        pad_total = max((out - 1) * stride + k - size, 0)
        return out, pad_total // 2
    if size < k:
        raise ValueError(
            f"Input {axis} {size} is smaller than the kernel {axis} {k}; "
            "with padding='valid' the output would be empty. Use padding='same' "
            "or a smaller kernel."
        )
    return (size - k) // stride + 1, 0


def conv2d_output_shape(height, width, kernel_size, stride=1, padding="valid"):
    """Output size and leading padding of a 2-D convolution.

    Parameters
    ----------
    height, width : int
        Spatial size of the input image.
    kernel_size : int or tuple of (int, int)
        Kernel size ``k`` or ``(kh, kw)``.
    stride : int, default=1
        Stride ``s`` along both axes.
    padding : {'same', 'valid'}, default='valid'
        ``'same'`` pads so that ``H_out = ceil(H / s)`` (extra pixel at the
        bottom/right); ``'valid'`` does not pad.

    Returns
    -------
    height_out, width_out, pad_top, pad_left : int
        The output size and the padding to pass to the kernels.

    Raises
    ------
    ValueError
        If an argument is invalid, or with ``padding='valid'`` when the image is
        smaller than the kernel.

    Examples
    --------
    >>> conv2d_output_shape(28, 28, 5, padding="valid")
    (24, 24, 0, 0)
    >>> conv2d_output_shape(28, 28, 4, padding="same")
    (28, 28, 1, 1)
    >>> conv2d_output_shape(7, 7, 3, stride=2, padding="same")
    (4, 4, 1, 1)
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    _check_positive(height, "height")
    _check_positive(width, "width")
    _check_positive(stride, "stride")
    if padding not in _PADDINGS:
        raise ValueError(f"padding must be one of {_PADDINGS}, got {padding!r}.")
    h_out, pad_top = _output_size(height, kh, stride, padding, "height")
    w_out, pad_left = _output_size(width, kw, stride, padding, "width")
    return h_out, w_out, pad_top, pad_left


def pool2d_output_shape(height, width, pool_size):
    """Output size of a pooling with window ``pool_size`` and the same stride.

    Floor mode: the ragged last rows/columns (``height % ph``, ``width % pw``) are
    ignored, as in PyTorch's ``MaxPool2d`` default.

    Parameters
    ----------
    height, width : int
        Spatial size of the input.
    pool_size : int or tuple of (int, int)
        Window size ``p`` or ``(ph, pw)``; the stride equals the window.

    Returns
    -------
    height_out, width_out : int
        ``height // ph`` and ``width // pw``.

    Raises
    ------
    ValueError
        If the input is smaller than one window.

    Examples
    --------
    >>> pool2d_output_shape(24, 24, 2)
    (12, 12)
    >>> pool2d_output_shape(7, 9, 2)
    (3, 4)
    >>> pool2d_output_shape(1, 150, (1, 3))
    (1, 50)
    """
    _check_positive(height, "height")
    _check_positive(width, "width")
    ph, pw = _pair(pool_size, "pool_size")
    if height < ph or width < pw:
        raise ValueError(
            f"Input of size {height}x{width} is smaller than the pooling window "
            f"{ph}x{pw}."
        )
    return height // ph, width // pw


def check_conv2d_buffers(
    X,
    W,
    b,
    stride,
    pad_top,
    pad_left,
    out,
    cols,
    delta=None,
    dW=None,
    db=None,
    dX=None,
    dW_part=None,
    db_part=None,
    kept=None,
):
    """Check that arrays fit the conv kernels; raise ``ValueError`` otherwise.

    Buffers may be larger than the batch along axis 0 (allocated once for the
    largest batch); pass the batch-sized slices ``buf[:n]`` to the kernels.
    ``dX`` may be ``None`` (not checked) when the kernel is called with
    ``need_dX=False``; ``kept`` (the kept im2col matrices) holds ``N`` matrices
    or none.
    """
    arrays = {"X": X, "W": W, "b": b, "out": out, "cols": cols}
    optional = {
        "kept": kept,
        "delta": delta,
        "dW": dW,
        "db": db,
        "dX": dX,
        "dW_part": dW_part,
        "db_part": db_part,
    }
    arrays.update({k: v for k, v in optional.items() if v is not None})
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray):
            raise ValueError(f"{name} must be a numpy array.")
        if a.dtype != X.dtype or a.dtype not in (np.float32, np.float64):
            raise ValueError(
                f"{name} has dtype {a.dtype}; all arrays must share X's dtype "
                "(float32 or float64)."
            )
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous.")
    if X.ndim != 4 or W.ndim != 4:
        raise ValueError("X must be (N, C_in, H, W) and W (C_out, C_in, kh, kw).")
    n, c_in, h, w = X.shape
    c_out, c_in_w, kh, kw = W.shape
    if c_in_w != c_in:
        raise ValueError(f"W has {c_in_w} input channels, X has {c_in}.")
    if b.shape != (c_out,):
        raise ValueError(f"b must have shape ({c_out},), got {b.shape}.")
    if stride < 1 or pad_top < 0 or pad_left < 0:
        raise ValueError("stride must be >= 1 and the padding >= 0.")
    if out.ndim != 4 or out.shape[:2] != (n, c_out):
        raise ValueError(f"out must have shape ({n}, {c_out}, H_out, W_out).")
    h_out, w_out = out.shape[2:]
    if h_out < 1 or w_out < 1:
        raise ValueError("out must have a non-empty spatial size.")
    # The last window must start inside the image or its top/left padding.
    last_row = (h_out - 1) * stride - pad_top
    last_col = (w_out - 1) * stride - pad_left
    if last_row > h - 1 or last_col > w - 1:
        raise ValueError("out is too large for the input, stride and padding.")
    k = c_in * kh * kw
    if cols.ndim != 3 or cols.shape[0] < 1 or cols.shape[1:] != (k, h_out * w_out):
        raise ValueError(
            f"cols must have shape (S, {k}, {h_out * w_out}) with S >= 1, "
            f"got {cols.shape}."
        )
    if kept is not None and kept.shape[0] and kept.shape != (n, k, h_out * w_out):
        raise ValueError(
            f"kept must have shape ({n}, {k}, {h_out * w_out}) or "
            f"(0, {k}, {h_out * w_out}), got {kept.shape}."
        )
    expected = {
        "delta": out.shape,
        "dW": W.shape,
        "db": b.shape,
        "dX": X.shape,
        "dW_part": (n, *W.shape),
        "db_part": (n, c_out),
    }
    for name, shape in expected.items():
        a = arrays.get(name)
        if a is not None and a.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {a.shape}.")


def check_maxpool2d_buffers(X, pool_size, out, argmax, delta=None, dX=None):
    """Check that arrays fit the max-pool kernels (``pool_size`` an int or a
    ``(ph, pw)`` pair); raise ``ValueError`` otherwise."""
    if X.ndim != 4 or X.dtype not in (np.float32, np.float64):
        raise ValueError("X must be a float32/float64 array of shape (N, C, H, W).")
    n, c, h, w = X.shape
    h_out, w_out = pool2d_output_shape(h, w, pool_size)
    shape = (n, c, h_out, w_out)
    if out.shape != shape or out.dtype != X.dtype:
        raise ValueError(f"out must have shape {shape} and dtype {X.dtype}.")
    if argmax.shape != shape or argmax.dtype not in (np.int32, np.int64):
        raise ValueError(f"argmax must be int32 or int64 of shape {shape}.")
    if h * w > np.iinfo(argmax.dtype).max:
        raise ValueError("argmax dtype too small for the image size.")
    if delta is not None and (delta.shape != shape or delta.dtype != X.dtype):
        raise ValueError(f"delta must have shape {shape} and dtype {X.dtype}.")
    if dX is not None and (dX.shape != X.shape or dX.dtype != X.dtype):
        raise ValueError(f"dX must have shape {X.shape} and dtype {X.dtype}.")
    arrays = (("X", X), ("out", out), ("argmax", argmax), ("delta", delta), ("dX", dX))
    for name, a in arrays:
        if a is None:
            continue
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous.")


def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints.")
        kh, kw = value
    else:
        kh = kw = value
    _check_positive(kh, name)
    _check_positive(kw, name)
    return int(kh), int(kw)


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
