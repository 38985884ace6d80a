"""Forward and backward propagation through the whole layer table.

The network is data: an int64 layer table (one row per layer, columns named in
``codes.COL_*``), a flat parameter vector and flat work buffers. A layer's ``(n, m)``
activations for a batch of ``n <= capacity`` rows live at
``buf[capacity * unit_offset : capacity * unit_offset + n * m]``; every view is a
C-contiguous reshape of a 1-D slice, so BLAS gets contiguous operands and nothing is
allocated per batch.

The parameter vector holds every layer's weights first, then every layer's biases
(scikit-learn's ``_pack`` order), so L-BFGS can hand its iterate straight to the
kernels.

Convolution and pooling layers (:mod:`skdeep._kernels.spatial`) run only when the
trailing ``conv_scratch`` argument is given. Numba prunes a branch on ``arg is not
None`` when the argument is omitted (typed None), so a dense-only call never
compiles the (parallel, costly to compile) convolution kernels.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.activations import activate, activation_backward
from skdeep._kernels.codes import (
    COL_ACTIVATION,
    COL_B_OFFSET,
    COL_B_SIZE,
    COL_KIND,
    COL_N_IN,
    COL_N_OUT,
    COL_UNIT_OFFSET,
    COL_W_OFFSET,
    COL_W_SIZE,
    DENSE,
)
from skdeep._kernels.dense import dense_backward, dense_forward
from skdeep._kernels.dropout import dropout_backward, dropout_forward
from skdeep._kernels.losses import output_delta
from skdeep._kernels.spatial import spatial_backward, spatial_forward


@kernel
def unit_view(buf, table, layer, n, capacity):
    """The ``(n, n_out)`` block of ``buf`` that holds ``layer``'s units."""
    m = table[layer, COL_N_OUT]
    start = capacity * table[layer, COL_UNIT_OFFSET]
    return buf[start : start + n * m].reshape((n, m))


@kernel
def weight_view(params, table, layer):
    """The ``(n_in, n_out)`` weight matrix of dense ``layer`` inside ``params``."""
    n_in = table[layer, COL_N_IN]
    n_out = table[layer, COL_N_OUT]
    start = table[layer, COL_W_OFFSET]
    return params[start : start + n_in * n_out].reshape((n_in, n_out))


@kernel
def bias_view(params, table, layer):
    """The bias vector of ``layer`` inside ``params``."""
    start = table[layer, COL_B_OFFSET]
    return params[start : start + table[layer, COL_B_SIZE]]


@kernel
def forward(X, params, table, capacity, acts, rates, training, rng, masks, dropped,
            aux, aux_int, conv_scratch=None):  # fmt: skip
    """Propagate the batch ``X`` (n, n_features) through every layer.

    Writes each layer's activations into ``acts``. When ``training`` is true and a
    hidden layer has a positive dropout rate, its dropped-out copy goes to
    ``dropped`` (mask in ``masks``) and feeds the next layer. Returns the output
    activations (a view into ``acts``). Networks with convolution or pooling layers
    need ``conv_scratch`` (see :mod:`skdeep._kernels.spatial`).
    """
    n = X.shape[0]
    n_layers = table.shape[0]
    inp = X
    for layer in range(n_layers):
        Z = unit_view(acts, table, layer, n, capacity)
        kind = table[layer, COL_KIND]
        if kind == DENSE:
            dense_forward(
                inp,
                weight_view(params, table, layer),
                bias_view(params, table, layer),
                Z,
            )
        if conv_scratch is not None:
            if kind != DENSE:
                spatial_forward(inp, Z, params, table, layer, capacity, aux_int,
                                conv_scratch)  # fmt: skip
        activate(Z, table[layer, COL_ACTIVATION])
        inp = Z
        # Networks without dropout pass masks=None: Numba then prunes this branch,
        # so their kernels never compile the dropout code.
        if masks is not None:
            if training and layer < n_layers - 1 and rates[layer] > 0.0:
                D = unit_view(dropped, table, layer, n, capacity)
                masks_view = unit_view(masks, table, layer, n, capacity)
                dropout_forward(Z, rates[layer], rng, masks_view, D)
                inp = D
    return inp


@kernel
def backward(X, Y, sw, params, grad, table, capacity, acts, deltas, rates, masks,
             dropped, aux, aux_int, conv_scratch=None):  # fmt: skip
    """Back-propagate the canonical output gradient ``(P - Y) * sw``.

    Must follow :func:`forward` on the same batch. Writes the raw gradient
    (``X^T delta`` per layer, before any penalty or normalisation) into ``grad``,
    laid out like ``params``.
    """
    n = X.shape[0]
    last = table.shape[0] - 1
    output_delta(
        Y,
        unit_view(acts, table, last, n, capacity),
        sw,
        unit_view(deltas, table, last, n, capacity),
    )
    backpropagate(X, params, grad, table, capacity, acts, deltas, rates, masks,
                  dropped, aux, aux_int, X, False, conv_scratch)  # fmt: skip


@kernel
def backpropagate(X, params, grad, table, capacity, acts, deltas, rates, masks,
                  dropped, aux, aux_int, d_input, need_d_input,
                  conv_scratch=None):  # fmt: skip
    """Back-propagate a gradient already written at the top of the network.

    ``deltas`` must hold, in the last layer's block, the gradient of the loss with
    respect to the last layer's pre-activation. Writes the raw parameter gradient
    into ``grad`` and, when ``need_d_input``, the gradient with respect to the input
    ``X`` into ``d_input`` (same shape as ``X``): this is how networks are chained
    (an autoencoder's decoder hands its input gradient to the encoder).
    """
    n = X.shape[0]
    last = table.shape[0] - 1
    delta = unit_view(deltas, table, last, n, capacity)
    for layer in range(last, -1, -1):
        if layer == 0:
            inp = X
            d_inp = d_input
            need = need_d_input
        else:
            below = layer - 1
            inp = unit_view(acts, table, below, n, capacity)
            if masks is not None:
                if rates[below] > 0.0:
                    inp = unit_view(dropped, table, below, n, capacity)
            d_inp = unit_view(deltas, table, below, n, capacity)
            need = True
        kind = table[layer, COL_KIND]
        if kind == DENSE:
            dense_backward(
                inp,
                weight_view(params, table, layer),
                delta,
                weight_view(grad, table, layer),
                bias_view(grad, table, layer),
                d_inp,
                need,
            )
        if conv_scratch is not None:
            if kind != DENSE:
                spatial_backward(inp, delta, d_inp, need, params, grad, table, layer,
                                 capacity, aux_int, conv_scratch)  # fmt: skip
        if layer > 0:
            below = layer - 1
            if masks is not None:
                if rates[below] > 0.0:
                    dropout_backward(d_inp, unit_view(masks, table, below, n, capacity))
            activation_backward(
                unit_view(acts, table, below, n, capacity),
                d_inp,
                table[below, COL_ACTIVATION],
            )
        delta = d_inp


@kernel
def squared_weight_norm(params, table):
    """``sum over layers of ||W||_F^2`` (biases are not penalised)."""
    total = 0.0
    for layer in range(table.shape[0]):
        start = table[layer, COL_W_OFFSET]
        weights = params[start : start + table[layer, COL_W_SIZE]]
        total += np.dot(weights, weights)
    return total


@kernel
def finish_gradient(grad, params, table, alpha, sw_sum):
    """Turn a raw gradient into the gradient of the mean loss plus L2 penalty:
    ``dW = (dW + alpha W) / sw_sum`` and ``db = db / sw_sum``."""
    # Loops run over slices from index 0 so Numba can drop negative-index
    # handling and LLVM can vectorize them.
    for layer in range(table.shape[0]):
        w_start = table[layer, COL_W_OFFSET]
        w_stop = w_start + table[layer, COL_W_SIZE]
        dW = grad[w_start:w_stop]
        W = params[w_start:w_stop]
        for i in range(dW.shape[0]):
            dW[i] = (dW[i] + alpha * W[i]) / sw_sum
        b_start = table[layer, COL_B_OFFSET]
        db = grad[b_start : b_start + table[layer, COL_B_SIZE]]
        for i in range(db.shape[0]):
            db[i] = db[i] / sw_sum


@kernel
def all_finite(values):
    """True when no entry of the 1-D array ``values`` is NaN or infinite."""
    for i in range(values.shape[0]):
        if not np.isfinite(values[i]):
            return False
    return True
