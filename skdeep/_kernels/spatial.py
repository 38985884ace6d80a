"""Convolution and max-pooling as layers of the layer table.

:func:`~skdeep._kernels.network.forward` and
:func:`~skdeep._kernels.network.backpropagate` call these two kernels for every
layer whose kind is not ``DENSE``. They only wire the table row to the kernels of
:mod:`skdeep._kernels.conv2d` and :mod:`skdeep._kernels.pooling`:

* a layer's ``(n, C*H*W)`` block of the flat buffers is reshaped, without a copy,
  to the channels-first ``(n, C, H, W)`` tensor (``COL_C_IN, COL_H_IN, COL_W_IN`` in,
  ``COL_C_OUT, COL_H_OUT, COL_W_OUT`` out), which is also why flattening before a
  dense layer costs nothing;
* a convolution's weights are the ``(C_out, C_in, kh, kw)`` block of the parameter
  vector at ``COL_W_OFFSET``, its bias the ``C_out`` values at ``COL_B_OFFSET``;
* a pooling layer's arg-max (written forward, read backward) lives in its per-row
  slots of ``aux_int`` from ``COL_AUX_OFFSET``, stored as int32 (see ``_argmax``).

``conv_scratch`` is the tuple ``(cols, parts)``: ``cols`` of shape
``(S, max_k)`` holds the im2col matrices of the ``S`` slots (any ``S >= 1`` gives
the same bits; ``max_k`` is the largest ``C_in*kh*kw*H_out*W_out`` of the network)
and the 1-D ``parts`` holds the per-sample weight and bias gradients of the
backward pass (``capacity * max(C_out*C_in*kh*kw + C_out)`` values; may be empty
when only the forward pass runs). Layers run one after the other, so every
convolution shares both. Gradients are batch sums, like ``dense_backward``'s.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    COL_AUX_OFFSET,
    COL_B_OFFSET,
    COL_C_IN,
    COL_C_OUT,
    COL_H_IN,
    COL_H_OUT,
    COL_KERNEL_H,
    COL_KERNEL_W,
    COL_KIND,
    COL_N_OUT,
    COL_PAD_LEFT,
    COL_PAD_TOP,
    COL_STRIDE,
    COL_W_IN,
    COL_W_OFFSET,
    COL_W_OUT,
    CONV2D,
    MAXPOOL2D,
)
from skdeep._kernels.conv2d import conv2d_backward, conv2d_forward
from skdeep._kernels.pooling import maxpool2d_backward, maxpool2d_forward


@kernel
def _images_in(a, table, layer, n):
    """The layer's input block ``a`` (n, C_in*H*W) as ``(n, C_in, H, W)``."""
    return a.reshape(
        (n, table[layer, COL_C_IN], table[layer, COL_H_IN], table[layer, COL_W_IN])
    )


@kernel
def _images_out(a, table, layer, n):
    """The layer's output block ``a`` (n, C_out*H_out*W_out) as 4-D."""
    return a.reshape(
        (n, table[layer, COL_C_OUT], table[layer, COL_H_OUT], table[layer, COL_W_OUT])
    )


@kernel
def _filters(params, table, layer):
    """The ``(C_out, C_in, kh, kw)`` weights of a convolution inside ``params``."""
    c_out = table[layer, COL_C_OUT]
    c_in = table[layer, COL_C_IN]
    kh = table[layer, COL_KERNEL_H]
    kw = table[layer, COL_KERNEL_W]
    start = table[layer, COL_W_OFFSET]
    return params[start : start + c_out * c_in * kh * kw].reshape((c_out, c_in, kh, kw))


@kernel
def _bias(params, table, layer):
    start = table[layer, COL_B_OFFSET]
    return params[start : start + table[layer, COL_C_OUT]]


@kernel
def _cols(conv_scratch, table, layer):
    """The ``(S, C_in*kh*kw, H_out*W_out)`` im2col scratch of a convolution."""
    cols = conv_scratch[0]
    slots = cols.shape[0]
    k = table[layer, COL_C_IN] * table[layer, COL_KERNEL_H] * table[layer, COL_KERNEL_W]
    hw = table[layer, COL_H_OUT] * table[layer, COL_W_OUT]
    flat = cols.reshape(slots * cols.shape[1])
    return flat[: slots * k * hw].reshape((slots, k, hw))


@kernel
def _argmax(aux_int, table, layer, n, capacity):
    """A pooling layer's arg-max block, ``(n, C, H_out, W_out)``, as **int32**.

    The layer's int64 slots are reinterpreted as twice as many int32 values and
    the first ``n * n_out`` are used: the pooling kernel vectorizes only with a
    32-bit arg-max (7x faster forward, measured; see
    :mod:`skdeep._kernels.pooling`). Offsets into one plane fit easily.
    """
    start = capacity * table[layer, COL_AUX_OFFSET]
    m = n * table[layer, COL_N_OUT]
    block = aux_int[start : start + m].view(np.int32)[:m]
    return _images_out(block, table, layer, n)


@kernel
def spatial_forward(inp, Z, params, table, layer, capacity, aux_int, conv_scratch):
    """Forward pass of the spatial ``layer``: write its pre-activation into ``Z``.

    ``inp`` is the ``(n, C_in*H*W)`` input block, ``Z`` the ``(n, n_out)`` output
    block. Convolution: ``Z = conv2d(inp, W) + b``; max-pooling: ``Z = maxpool(inp)``
    with the arg-max stored for :func:`spatial_backward`.
    """
    n = Z.shape[0]
    X4 = _images_in(inp, table, layer, n)
    Z4 = _images_out(Z, table, layer, n)
    kind = table[layer, COL_KIND]
    if kind == CONV2D:
        conv2d_forward(
            X4,
            _filters(params, table, layer),
            _bias(params, table, layer),
            table[layer, COL_STRIDE],
            table[layer, COL_PAD_TOP],
            table[layer, COL_PAD_LEFT],
            Z4,
            _cols(conv_scratch, table, layer),
        )
    elif kind == MAXPOOL2D:
        maxpool2d_forward(
            X4,
            table[layer, COL_KERNEL_H],
            Z4,
            _argmax(aux_int, table, layer, n, capacity),
        )


@kernel
def spatial_backward(inp, delta, d_inp, need_d_inp, params, grad, table, layer,
                     capacity, aux_int, conv_scratch):  # fmt: skip
    """Backward pass of the spatial ``layer``, after :func:`spatial_forward`.

    ``delta`` is the gradient with respect to the layer's pre-activation. A
    convolution writes its raw weight and bias gradients (batch sums) into its
    blocks of ``grad``; when ``need_d_inp``, the gradient with respect to ``inp`` is
    written into ``d_inp`` (same shape as ``inp``). Max-pooling has no parameters
    and routes ``delta`` to each window's arg-max.
    """
    n = delta.shape[0]
    X4 = _images_in(inp, table, layer, n)
    dX4 = _images_in(d_inp, table, layer, n)
    delta4 = _images_out(delta, table, layer, n)
    kind = table[layer, COL_KIND]
    if kind == CONV2D:
        W = _filters(params, table, layer)
        c_out, c_in, kh, kw = W.shape
        w_size = c_out * c_in * kh * kw
        parts = conv_scratch[1]
        conv2d_backward(
            X4,
            W,
            delta4,
            table[layer, COL_STRIDE],
            table[layer, COL_PAD_TOP],
            table[layer, COL_PAD_LEFT],
            _filters(grad, table, layer),
            _bias(grad, table, layer),
            dX4,
            need_d_inp,
            _cols(conv_scratch, table, layer),
            parts[: n * w_size].reshape((n, c_out, c_in, kh, kw)),
            parts[n * w_size : n * (w_size + c_out)].reshape((n, c_out)),
        )
    elif kind == MAXPOOL2D:
        if need_d_inp:
            maxpool2d_backward(delta4, _argmax(aux_int, table, layer, n, capacity), dX4)
