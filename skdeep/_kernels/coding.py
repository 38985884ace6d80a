"""The autoencoders' layers as rows of the layer table.

:func:`~skdeep._kernels.network.forward` and
:func:`~skdeep._kernels.network.backward` call these two kernels for every row when
the network has such layers (their ``coding`` argument is not None; without them
this code is never compiled). They only wire the table row to the kernels of
:mod:`skdeep._kernels.corruption` and :mod:`skdeep._kernels.latent`:

* ``CORRUPTION`` reads the noise code from ``COL_CODE``, its level from
  ``VAL_RATE`` and the column minima and maxima (``n_in`` each) from the network's
  state at ``COL_STATE_OFFSET``;
* ``SPARSITY`` keeps the batch means of its input in ``work.stats`` at
  ``COL_STAT_OFFSET``; target ``VAL_TARGET``, weight ``VAL_WEIGHT``;
* ``GAUSSIAN`` keeps, per sample, its noise (``n_out`` values) and its KL
  divergence (one value) in ``work.floats`` from ``COL_AUX_OFFSET``; KL weight
  ``VAL_WEIGHT``.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    COL_AUX_OFFSET,
    COL_CODE,
    COL_KIND,
    COL_N_IN,
    COL_N_OUT,
    COL_STAT_OFFSET,
    COL_STATE_OFFSET,
    CORRUPTION,
    GAUSSIAN,
    SPARSITY,
    VAL_RATE,
    VAL_TARGET,
    VAL_WEIGHT,
)
from skdeep._kernels.corruption import corrupt
from skdeep._kernels.latent import (
    gaussian_backward,
    gaussian_forward,
    sparsity_backward,
    sparsity_forward,
)


@kernel
def _gaussian_slots(net, work, layer, n):
    """``(eps, kl_rows)``: a GAUSSIAN row's per-sample noise and KL divergence."""
    c = net.table[layer, COL_N_OUT]
    capacity = work.sample_weight.shape[0]
    start = capacity * net.table[layer, COL_AUX_OFFSET]
    eps = work.floats[start : start + n * c]
    kl_start = start + capacity * c
    return eps, work.floats[kl_start : kl_start + n]


@kernel
def coding_forward(inp, out, net, layer, n, training, rng, work):
    """Forward pass of an autoencoder row; returns its penalty (0 for other rows
    and for the identity at prediction)."""
    table = net.table
    kind = table[layer, COL_KIND]
    m = table[layer, COL_N_OUT]
    if kind == CORRUPTION:
        if training:
            d = table[layer, COL_N_IN]
            start = table[layer, COL_STATE_OFFSET]
            corrupt(inp, n, d, table[layer, COL_CODE], net.values[layer, VAL_RATE],
                    net.state[start : start + d], net.state[start + d : start + 2 * d],
                    rng, out)  # fmt: skip
        else:
            for i in range(n * m):
                out[i] = inp[i]
    elif kind == SPARSITY:
        start = table[layer, COL_STAT_OFFSET]
        return sparsity_forward(inp, n, m, net.values[layer, VAL_TARGET],
                                net.values[layer, VAL_WEIGHT],
                                work.stats[start : start + m], out)  # fmt: skip
    elif kind == GAUSSIAN:
        eps, kl_rows = _gaussian_slots(net, work, layer, n)
        return gaussian_forward(inp, n, m, net.values[layer, VAL_WEIGHT], training,
                                rng, eps, kl_rows, out)  # fmt: skip
    return 0.0


@kernel
def coding_backward(inp, delta, d_inp, net, layer, n, work):
    """Backward pass of an autoencoder row (after :func:`coding_forward` in
    training mode): write the gradient with respect to its input into ``d_inp``.
    Nothing flows back through a ``CORRUPTION`` row (it reads the input data)."""
    table = net.table
    kind = table[layer, COL_KIND]
    m = table[layer, COL_N_OUT]
    if kind == SPARSITY:
        start = table[layer, COL_STAT_OFFSET]
        sparsity_backward(delta, n, m, net.values[layer, VAL_TARGET],
                          net.values[layer, VAL_WEIGHT],
                          work.stats[start : start + m], d_inp)  # fmt: skip
    elif kind == GAUSSIAN:
        eps, _ = _gaussian_slots(net, work, layer, n)
        gaussian_backward(inp, delta, n, m, net.values[layer, VAL_WEIGHT], eps, d_inp)


@kernel
def add_row_penalties(net, work, n, out):
    """Add to ``out`` (n,) the per-sample penalty of every GAUSSIAN row (its KL
    divergence, unweighted), as written by the last forward pass."""
    for layer in range(net.table.shape[0]):
        if net.table[layer, COL_KIND] == GAUSSIAN:
            _, kl_rows = _gaussian_slots(net, work, layer, n)
            for i in range(n):
                out[i] += kl_rows[i]
