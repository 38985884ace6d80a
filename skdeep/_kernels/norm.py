"""Batch normalization as rows of the layer table (the ``norm`` family).

:func:`~skdeep._kernels.network.forward` and
:func:`~skdeep._kernels.network.backward` call these two kernels for every row when
the network has batch-normalization rows (their ``norm`` argument, a
:class:`~skdeep._kernels.structs.Norm`, is not None; other networks never compile
this code). They wire a ``BATCHNORM`` row to :mod:`skdeep._kernels.batchnorm`:

* the row reads ``n_in = C P`` values per sample: ``C = COL_C_IN`` channels (a
  dense layer's features, with ``P = 1``) of ``P`` positions each;
* its scale ``gamma`` and shift ``beta`` are the ``2 C`` parameters at
  ``COL_B_OFFSET`` (with the biases, so without L2 penalty);
* its running mean and variance are the ``2 C`` values of the fitted state at
  ``COL_STATE_OFFSET``, its momentum ``VAL_MOMENTUM``;
* the batch's mean, ``1 / sqrt(var + eps)`` and total weight ``N`` (``2 C + 1``
  values) live in ``work.stats`` at ``COL_STAT_OFFSET`` between the forward and
  the backward pass; at prediction the first ``C`` of those hold
  ``1 / sqrt(running_var + eps)`` (prediction buffers are per call).

A training-mode pass normalizes with the batch's statistics (weighted by
``work.sample_weight``) and treats the running ones as ``norm.running`` says; a
prediction-mode pass normalizes with the running statistics.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.batchnorm import (
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    batchnorm_statistics,
)
from skdeep._kernels.codes import (
    BATCHNORM,
    COL_B_OFFSET,
    COL_C_IN,
    COL_KIND,
    COL_N_IN,
    COL_STAT_OFFSET,
    COL_STATE_OFFSET,
    VAL_MOMENTUM,
)


@kernel
def norm_forward(inp, out, net, layer, n, training, work, norm):
    """Forward pass of a batch-normalization row: write ``gamma xhat + beta`` into
    ``out`` (nothing for other rows)."""
    table = net.table
    if table[layer, COL_KIND] != BATCHNORM:
        return
    C = table[layer, COL_C_IN]
    P = table[layer, COL_N_IN] // C
    b = table[layer, COL_B_OFFSET]
    gamma = net.params[b : b + C]
    beta = net.params[b + C : b + 2 * C]
    s = table[layer, COL_STATE_OFFSET]
    running_mean = net.state[s : s + C]
    running_var = net.state[s + C : s + 2 * C]
    t = table[layer, COL_STAT_OFFSET]
    mean = work.stats[t : t + C]
    inv_std = work.stats[t + C : t + 2 * C]
    if training:
        count = batchnorm_statistics(inp, work.sample_weight, n, C, P, mean, inv_std,
                                     running_mean, running_var,
                                     net.values[layer, VAL_MOMENTUM],
                                     norm.running)  # fmt: skip
        work.stats[t + 2 * C] = count
        batchnorm_forward(inp, n, C, P, gamma, beta, mean, inv_std, out)
    else:
        batchnorm_inference(inp, n, C, P, gamma, beta, running_mean, running_var,
                            mean, out)  # fmt: skip


@kernel
def norm_backward(inp, delta, d_inp, need_d_inp, net, grad, layer, n, work):
    """Backward pass of a batch-normalization row, after :func:`norm_forward` in
    training mode: its raw ``gamma`` and ``beta`` gradients into ``grad`` and, when
    ``need_d_inp``, the input gradient into ``d_inp``."""
    table = net.table
    if table[layer, COL_KIND] != BATCHNORM:
        return
    C = table[layer, COL_C_IN]
    P = table[layer, COL_N_IN] // C
    b = table[layer, COL_B_OFFSET]
    t = table[layer, COL_STAT_OFFSET]
    batchnorm_backward(inp, delta, work.sample_weight, n, C, P,
                       net.params[b : b + C], work.stats[t : t + C],
                       work.stats[t + C : t + 2 * C], work.stats[t + 2 * C],
                       grad[b : b + C], grad[b + C : b + 2 * C], d_inp,
                       need_d_inp)  # fmt: skip
