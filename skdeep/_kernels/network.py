"""Forward and backward propagation through the whole layer table.

The network is data (a :class:`~skdeep._kernels.structs.NetworkArrays`): an int64
table with one row per layer (columns ``codes.COL_*``), the layers' real-valued
settings, the flat parameter vector and the fitted state. A row's values for a
batch of ``n <= capacity`` samples live at ``work.acts[capacity * unit_offset :]``,
``n * n_out`` of them; every view is a 1-D slice, so nothing is allocated per batch.

Each row reads the output of the row before it (the first row reads the batch),
writes its pre-activation into its own block and applies its activation in place.
The layer kinds are dispatched here; the optional families run only when their
trailing argument is not None:

* ``spatial``: convolution and pooling (:mod:`skdeep._kernels.spatial`), their
  :class:`~skdeep._kernels.structs.SpatialScratch`;
* ``coding``: the autoencoders' layers (:mod:`skdeep._kernels.coding`);
* ``norm``: batch normalization (:mod:`skdeep._kernels.norm`), a
  :class:`~skdeep._kernels.structs.Norm`;
* ``recurrent``: recurrent layers (:mod:`skdeep._kernels.recurrent`), their
  :class:`~skdeep._kernels.structs.RecurrentScratch`.

Shortcuts (residual networks, only with spatial layers) break the chain: a branch
row reads an earlier row's output (or the input), a ``RESIDUAL_ADD`` row adds one
to the row before's, and a row whose output feeds two rows gets both gradients
(the later consumer's share goes through a side block; ``codes.COL_SOURCE``).
Without shortcuts the loops run exactly as a plain chain.

Numba prunes a branch on ``arg is not None`` when the argument is None, so a
network without such layers never compiles their (costly) code, and one compiled
variant serves every network made of the same families. A new family is a new
trailing argument of the kernels that take these four, set by
:meth:`skdeep.network.network.Network.family_arguments`.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.activations import activate, activation_backward
from skdeep._kernels.blas import dot
from skdeep._kernels.codes import (
    COL_ACTIVATION,
    COL_AUX_OFFSET,
    COL_B_OFFSET,
    COL_B_SIZE,
    COL_BRANCH,
    COL_KIND,
    COL_N_IN,
    COL_N_OUT,
    COL_SIDE_FROM,
    COL_SIDE_OFFSET,
    COL_SOURCE,
    COL_UNIT_OFFSET,
    COL_W_OFFSET,
    COL_W_SIZE,
    CORRUPTION,
    DENSE,
    DROPOUT,
    RESIDUAL_ADD,
    VAL_RATE,
)
from skdeep._kernels.coding import coding_backward, coding_forward
from skdeep._kernels.dense import dense_backward, dense_forward
from skdeep._kernels.dropout import dropout_backward, dropout_forward
from skdeep._kernels.norm import norm_backward, norm_forward
from skdeep._kernels.recurrent import recurrent_backward, recurrent_forward
from skdeep._kernels.residual import add_block, copy_block, residual_forward
from skdeep._kernels.spatial import spatial_backward, spatial_forward


@kernel
def block(buffer, table, layer, n, capacity):
    """The ``n * n_out`` values of ``buffer`` that hold ``layer``'s block."""
    start = capacity * table[layer, COL_UNIT_OFFSET]
    return buffer[start : start + n * table[layer, COL_N_OUT]]


@kernel
def _source(x, work, table, source, n, capacity):
    """The block of row ``source``, or the batch ``x`` when ``source < 0``."""
    if source < 0:
        return x
    return block(work.acts, table, source, n, capacity)


@kernel
def _side(work, table, layer, n, size, capacity):
    """``layer``'s side block: ``n * size`` values of ``work.deltas``."""
    start = capacity * table[layer, COL_SIDE_OFFSET]
    return work.deltas[start : start + n * size]


@kernel
def _finish_delta(work, table, source, d_src, a_src, n, capacity, spatial):
    """Row ``source``'s delta ``d_src`` has been written by its first consumer:
    add its later consumer's side block (shortcuts), then multiply by its
    activation's derivative at its outputs ``a_src``."""
    size = n * table[source, COL_N_OUT]
    if spatial is not None:
        later = table[source, COL_SIDE_FROM]
        if later >= 0:
            add_block(_side(work, table, later, n, table[source, COL_N_OUT],
                            capacity), d_src, size)  # fmt: skip
    activation_backward(a_src, d_src, size, table[source, COL_ACTIVATION])


@kernel
def forward(x, net, work, n, training, rng, spatial, coding, norm, recurrent):
    """Propagate the batch ``x`` (``n`` samples of ``n_in`` values) through every
    row; return the output block and the sum of the rows' penalties.

    ``training`` turns on dropout and the autoencoders' noise and sampling, which
    draw from the random state ``rng``.
    """
    table = net.table
    capacity = work.sample_weight.shape[0]
    inp = x
    penalty = 0.0
    for layer in range(table.shape[0]):
        kind = table[layer, COL_KIND]
        n_in = table[layer, COL_N_IN]
        n_out = table[layer, COL_N_OUT]
        if not training and (kind == DROPOUT or kind == CORRUPTION):
            continue  # the identity at prediction: the next row reads inp as is
        if spatial is not None:
            if table[layer, COL_BRANCH] != 0:  # a shortcut's first row
                inp = _source(x, work, table, table[layer, COL_SOURCE], n, capacity)
        out = block(work.acts, table, layer, n, capacity)
        if kind == DENSE:
            w = table[layer, COL_W_OFFSET]
            b = table[layer, COL_B_OFFSET]
            dense_forward(inp, net.params[w:], net.params[b : b + n_out], out, n,
                          n_in, n_out)  # fmt: skip
        elif kind == DROPOUT:
            start = capacity * table[layer, COL_AUX_OFFSET]
            dropout_forward(inp, net.values[layer, VAL_RATE], training, rng,
                            work.floats[start:], out, n * n_out)  # fmt: skip
        if spatial is not None:
            spatial_forward(inp, out, net, layer, n, work, spatial)
            if kind == RESIDUAL_ADD:
                residual_forward(inp, _source(x, work, table, table[layer, COL_SOURCE],
                                              n, capacity), out, n * n_out)  # fmt: skip
        if coding is not None:
            penalty += coding_forward(inp, out, net, layer, n, training, rng, work)
        if norm is not None:
            norm_forward(inp, out, net, layer, n, training, work, norm)
        if recurrent is not None:
            recurrent_forward(inp, out, net, layer, n, work, recurrent)
        activate(out, n, n_out, table[layer, COL_ACTIVATION])
        inp = out
    return inp, penalty


@kernel
def backward(x, net, grad, work, n, d_input, spatial, coding, norm, recurrent):
    """Back-propagate the gradient written in the last row's block of
    ``work.deltas`` (the gradient of the loss with respect to the network's output
    pre-activation), after :func:`forward` in training mode on the same batch.

    Writes the raw parameter gradient of every row (batch sums, before any
    penalty or normalisation) into ``grad``, laid out like ``net.params``, and,
    when ``d_input`` is not empty, the gradient with respect to ``x`` into
    ``d_input``: that is how networks are chained (a generator's input gradient
    comes from the discriminator).
    """
    table = net.table
    capacity = work.sample_weight.shape[0]
    for layer in range(table.shape[0] - 1, -1, -1):
        kind = table[layer, COL_KIND]
        n_in = table[layer, COL_N_IN]
        n_out = table[layer, COL_N_OUT]
        delta = block(work.deltas, table, layer, n, capacity)
        source = layer - 1
        side = -1
        if spatial is not None:
            if table[layer, COL_BRANCH] != 0:  # a shortcut's first row
                source = table[layer, COL_SOURCE]
                side = table[layer, COL_SIDE_OFFSET]
        if source < 0:
            inp = x
            d_inp = d_input
            need = d_input.shape[0] > 0
        else:
            inp = block(work.acts, table, source, n, capacity)
            d_inp = block(work.deltas, table, source, n, capacity)
            need = True
        if side >= 0 and need:  # the source's other consumer writes its delta
            d_inp = _side(work, table, layer, n, n_in, capacity)
        if kind == DENSE:
            w = table[layer, COL_W_OFFSET]
            b = table[layer, COL_B_OFFSET]
            dense_backward(inp, net.params[w:], delta, grad[w:], grad[b : b + n_out],
                           d_inp, n, n_in, n_out, need)  # fmt: skip
        elif kind == DROPOUT:
            if need:
                mask = work.floats[capacity * table[layer, COL_AUX_OFFSET] :]
                rate = net.values[layer, VAL_RATE]
                dropout_backward(delta, mask, rate, d_inp, n * n_out)
        if spatial is not None:
            spatial_backward(inp, delta, d_inp, need, net, grad, layer, n, work,
                             spatial)  # fmt: skip
            if kind == RESIDUAL_ADD:
                copy_block(delta, d_inp, n * n_out)
                _add_backward(x, work, table, layer, delta, d_input, n, capacity,
                              spatial)  # fmt: skip
        if coding is not None:
            if need:
                coding_backward(inp, delta, d_inp, net, layer, n, work)
        if norm is not None:
            norm_backward(inp, delta, d_inp, need, net, grad, layer, n, work)
        if recurrent is not None:
            recurrent_backward(inp, delta, d_inp, need, net, grad, layer, n, work,
                               recurrent)  # fmt: skip
        if source >= 0 and side < 0:
            _finish_delta(work, table, source, d_inp, inp, n, capacity, spatial)
    if spatial is not None:
        if d_input.shape[0] > 0:
            # Shortcuts from the input: their side blocks join the input gradient.
            for layer in range(table.shape[0]):
                if (
                    (table[layer, COL_BRANCH] != 0
                     or table[layer, COL_KIND] == RESIDUAL_ADD)
                    and table[layer, COL_SOURCE] < 0
                    and table[layer, COL_SIDE_OFFSET] >= 0
                ):  # fmt: skip
                    add_block(_side(work, table, layer, n, table[0, COL_N_IN],
                                    capacity), d_input, d_input.shape[0])  # fmt: skip


@kernel
def _add_backward(x, work, table, layer, delta, d_input, n, capacity, spatial):
    """The gradient of a ``RESIDUAL_ADD`` row's second operand (row
    ``COL_SOURCE``, or the input): ``delta``, into the source's delta (finished
    there) or into the row's side block."""
    source = table[layer, COL_SOURCE]
    size = n * table[layer, COL_N_OUT]
    if table[layer, COL_SIDE_OFFSET] >= 0:
        if source >= 0 or d_input.shape[0] > 0:
            copy_block(delta, _side(work, table, layer, n, table[layer, COL_N_OUT],
                                    capacity), size)  # fmt: skip
    elif source < 0:
        if d_input.shape[0] > 0:
            copy_block(delta, d_input, size)
    else:
        d_src = block(work.deltas, table, source, n, capacity)
        copy_block(delta, d_src, size)
        _finish_delta(work, table, source, d_src, block(work.acts, table, source, n,
                                                        capacity), n, capacity,
                      spatial)  # fmt: skip


@kernel
def squared_weight_norm(net):
    """``sum over rows of ||W||_F^2`` (biases are not penalised), each row's term
    a BLAS dot product as scikit-learn computes it."""
    table = net.table
    total = 0.0
    for layer in range(table.shape[0]):
        weights = net.params[table[layer, COL_W_OFFSET] :]
        total += dot(weights, weights, table[layer, COL_W_SIZE])
    return total


@kernel
def finish_gradient(grad, net, alpha, sw_sum):
    """Turn a raw gradient into the gradient of the mean loss plus L2 penalty:
    ``dW = (dW + alpha W) / sw_sum`` and ``db = db / sw_sum`` for every row."""
    table = net.table
    params = net.params
    for layer in range(table.shape[0]):
        start = table[layer, COL_W_OFFSET]
        for i in range(start, start + table[layer, COL_W_SIZE]):
            grad[i] = (grad[i] + alpha * params[i]) / sw_sum
        start = table[layer, COL_B_OFFSET]
        for i in range(start, start + table[layer, COL_B_SIZE]):
            grad[i] = grad[i] / sw_sum


@kernel
def all_finite(values):
    """True when no entry of the 1-D array ``values`` is NaN or infinite."""
    for i in range(values.shape[0]):
        if not np.isfinite(values[i]):
            return False
    return True
