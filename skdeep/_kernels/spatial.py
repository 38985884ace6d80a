"""Convolution and max-pooling as rows of the layer table.

:func:`~skdeep._kernels.network.forward` and
:func:`~skdeep._kernels.network.backward` call these two kernels for every row when
the network has spatial layers (their ``spatial`` argument, the
:class:`~skdeep._kernels.structs.SpatialScratch`, is not None; a dense network never
compiles this code). They only wire the table row to the kernels of
:mod:`skdeep._kernels.conv2d` and :mod:`skdeep._kernels.pooling`:

* a row's ``(n, C*H*W)`` block is reshaped, without a copy, to the channels-first
  ``(n, C, H, W)`` tensor (``COL_C_IN, COL_H_IN, COL_W_IN`` in, ``COL_C_OUT,
  COL_H_OUT, COL_W_OUT`` out), which is also why flattening before a dense layer
  costs nothing; a 1-D signal ``(C, L)`` is the image ``(C, 1, L)``;
* a convolution's weights are the ``(C_out, C_in, kh, kw)`` block of the parameter
  vector at ``COL_W_OFFSET``, its bias the ``C_out`` values at ``COL_B_OFFSET``;
* a pooling row's arg-max (written forward, read backward) lives in its int32
  per-sample slots of ``work.ints`` from ``COL_INT_OFFSET``;
* a global pooling row (:mod:`skdeep._kernels.global_pool`) reduces each of its
  ``COL_C_IN`` channels over its ``COL_H_IN * COL_W_IN`` positions, by mean or
  maximum (``COL_CODE``), the maximum's position in its int32 slots.

The scratch's ``cols`` holds one im2col matrix per thread slot (``max_k`` values
each, the largest ``C_in*kh*kw*H_out*W_out`` of the network; any number of slots
gives the same bits) and ``parts`` the per-sample weight and bias gradients of the
backward pass (``capacity * max(C_out*C_in*kh*kw + C_out)`` values; empty when only
the forward pass runs). Rows run one after the other, so every convolution shares
both. Gradients are batch sums, like ``dense_backward``'s.

``kept`` (training only) holds the im2col matrices of a batch from the forward
pass to the backward one, ``capacity * C_in*kh*kw*H_out*W_out`` values per
convolution, for the convolutions that fit, in table order, within
:data:`KEPT_VALUES` (:func:`kept_values`; the rest unroll their input again in the
backward pass). Both passes locate a row's block with :func:`_kept` from the table
and the buffer's length alone, and a row whose block does not fit keeps none.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    COL_B_OFFSET,
    COL_C_IN,
    COL_C_OUT,
    COL_CODE,
    COL_H_IN,
    COL_H_OUT,
    COL_INT_OFFSET,
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
    GLOBAL_POOL,
    MAXPOOL2D,
)
from skdeep._kernels.conv2d import conv2d_backward, conv2d_forward
from skdeep._kernels.global_pool import global_pool_backward, global_pool_forward
from skdeep._kernels.pooling import maxpool2d_backward, maxpool2d_forward


@kernel
def _images_in(a, table, layer, n):
    """The row's input block (n * C_in*H*W values) as ``(n, C_in, H, W)``."""
    size = n * table[layer, COL_C_IN] * table[layer, COL_H_IN] * table[layer, COL_W_IN]
    return a[:size].reshape(
        (n, table[layer, COL_C_IN], table[layer, COL_H_IN], table[layer, COL_W_IN])
    )


@kernel
def _images_out(a, table, layer, n):
    """The row's output block (n * n_out values) as ``(n, C_out, H_out, W_out)``."""
    return a[: n * table[layer, COL_N_OUT]].reshape(
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
def _im2col_shape(table, layer):
    """``(C_in*kh*kw, H_out*W_out)``: a convolution row's im2col matrix."""
    k = table[layer, COL_C_IN] * table[layer, COL_KERNEL_H] * table[layer, COL_KERNEL_W]
    return k, table[layer, COL_H_OUT] * table[layer, COL_W_OUT]


@kernel
def _cols(spatial, table, layer):
    """The ``(S, C_in*kh*kw, H_out*W_out)`` im2col scratch of a convolution."""
    k, hw = _im2col_shape(table, layer)
    slots = max(1, spatial.cols.shape[0] // max(1, k * hw))
    return spatial.cols[: slots * k * hw].reshape((slots, k, hw))


#: Most values of im2col matrices kept from the forward to the backward pass per
#: network (64 MB in float32): a batch's matrices are ``K / C_out`` times its
#: convolutions' outputs, too much to keep for large images or batches.
KEPT_VALUES = 1 << 24


def kept_values(cols_per_sample, capacity: int) -> int:
    """Length of the ``kept`` buffer for batches of up to ``capacity`` samples,
    given each convolution row's im2col values per sample in table order: the
    rows' blocks that fit, in that order, within :data:`KEPT_VALUES` (the rule
    :func:`_kept` follows)."""
    total = 0
    for per_sample in cols_per_sample:
        size = capacity * int(per_sample)
        if total + size <= KEPT_VALUES:
            total += size
    return total


@kernel
def _kept(spatial, table, layer, capacity, n):
    """The ``(n, K, H_out*W_out)`` block of ``spatial.kept`` where convolution row
    ``layer`` keeps its batch's im2col matrices, or ``(0, K, H_out*W_out)`` when
    it keeps none: the blocks of the rows before it that fit come first, each
    ``capacity`` samples long."""
    k, hw = _im2col_shape(table, layer)
    room = spatial.kept.shape[0]
    start = 0
    for row in range(layer):
        if table[row, COL_KIND] == CONV2D:
            rows, columns = _im2col_shape(table, row)
            size = capacity * rows * columns
            if start + size <= room:
                start += size
    if start + capacity * k * hw > room or n > capacity:
        return spatial.kept[:0].reshape((0, k, hw))
    return spatial.kept[start : start + n * k * hw].reshape((n, k, hw))


@kernel
def _argmax(work, table, layer, n):
    """A pooling row's int32 arg-max block, ``(n, C, H_out, W_out)``."""
    start = work.sample_weight.shape[0] * table[layer, COL_INT_OFFSET]
    return _images_out(work.ints[start:], table, layer, n)


@kernel
def _global_argmax(work, table, layer, n):
    """A global max-pooling row's int32 arg-max block, ``n * C`` values."""
    start = work.sample_weight.shape[0] * table[layer, COL_INT_OFFSET]
    return work.ints[start : start + n * table[layer, COL_C_IN]]


@kernel
def spatial_forward(inp, out, net, layer, n, work, spatial):
    """Forward pass of a spatial row: write its pre-activation into ``out``.

    Convolution: ``out = conv2d(inp, W) + b``; max-pooling: ``out = maxpool(inp)``
    with the arg-max stored for :func:`spatial_backward`.
    """
    table = net.table
    kind = table[layer, COL_KIND]
    if kind == CONV2D:
        conv2d_forward(
            _images_in(inp, table, layer, n),
            _filters(net.params, table, layer),
            _bias(net.params, table, layer),
            table[layer, COL_STRIDE],
            table[layer, COL_PAD_TOP],
            table[layer, COL_PAD_LEFT],
            _images_out(out, table, layer, n),
            _cols(spatial, table, layer),
            _kept(spatial, table, layer, work.sample_weight.shape[0], n),
        )
    elif kind == MAXPOOL2D:
        maxpool2d_forward(
            _images_in(inp, table, layer, n),
            table[layer, COL_KERNEL_H],
            table[layer, COL_KERNEL_W],
            _images_out(out, table, layer, n),
            _argmax(work, table, layer, n),
        )
    elif kind == GLOBAL_POOL:
        global_pool_forward(inp, n, table[layer, COL_C_IN],
                            table[layer, COL_H_IN] * table[layer, COL_W_IN],
                            table[layer, COL_CODE], out,
                            _global_argmax(work, table, layer, n))  # fmt: skip


@kernel
def spatial_backward(inp, delta, d_inp, need_d_inp, net, grad, layer, n, work,
                     spatial):  # fmt: skip
    """Backward pass of a spatial row, after :func:`spatial_forward`.

    ``delta`` is the gradient with respect to the row's pre-activation. A
    convolution writes its raw weight and bias gradients (batch sums) into its
    blocks of ``grad``; when ``need_d_inp``, the gradient with respect to ``inp``
    is written into ``d_inp``. Max-pooling has no parameters and routes ``delta``
    to each window's arg-max.
    """
    table = net.table
    kind = table[layer, COL_KIND]
    if kind == GLOBAL_POOL:
        if need_d_inp:
            global_pool_backward(delta, n, table[layer, COL_C_IN],
                                 table[layer, COL_H_IN] * table[layer, COL_W_IN],
                                 table[layer, COL_CODE],
                                 _global_argmax(work, table, layer, n),
                                 d_inp)  # fmt: skip
        return
    if kind != CONV2D and kind != MAXPOOL2D:
        return
    delta4 = _images_out(delta, table, layer, n)
    X4 = _images_in(inp, table, layer, n)
    # Without an input gradient the kernels do not touch dX: pass X in its place.
    dX4 = _images_in(d_inp, table, layer, n) if need_d_inp else X4
    if kind == CONV2D:
        W = _filters(net.params, table, layer)
        c_out, c_in, kh, kw = W.shape
        w_size = c_out * c_in * kh * kw
        parts = spatial.parts
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
            _cols(spatial, table, layer),
            _kept(spatial, table, layer, work.sample_weight.shape[0], n),
            parts[: n * w_size].reshape((n, c_out, c_in, kh, kw)),
            parts[n * w_size : n * (w_size + c_out)].reshape((n, c_out)),
        )
    elif kind == MAXPOOL2D:
        if need_d_inp:
            maxpool2d_backward(delta4, _argmax(work, table, layer, n), dX4)
