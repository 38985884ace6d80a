"""Recurrent layers (simple RNN, LSTM, GRU) as rows of the layer table, with
back-propagation through time.

:func:`~skdeep._kernels.network.forward` and
:func:`~skdeep._kernels.network.backward` call these two kernels for every row when
the network has recurrent layers (their ``recurrent`` argument, a
:class:`~skdeep._kernels.structs.RecurrentScratch`, is not None; other networks
never compile this code). The cells' step formulas are in
:mod:`skdeep._kernels.cells`.

A row reads samples of ``T`` steps of ``F`` values (``COL_STEPS``,
``COL_FEATURES``; a sample's block is its ``(T, F)`` sequence, time-major) with
``D`` directions (``COL_DIRECTIONS``: 1, or 2 for a bidirectional layer, whose
second direction reads ``t = L-1, ..., 0`` of a sample of length ``L``) of ``H``
units (``COL_UNITS``) of cell ``COL_CODE``. It writes, per sample, every step's
states ``(T, D*H)`` (``COL_SEQUENCES = 1``, for a stacked layer above it; zeros at
the steps past a sample's length) or the last states ``(D*H,)`` (the forward
direction's after step ``L-1``, the backward direction's after step 0), the
directions side by side.

Parameters, per direction (``G`` gates per unit, ``GH = G*H``): the weights are a
``(F + H, GH)`` block ``[W_ih^T; W_hh^T]`` of the parameter vector (from
``COL_W_OFFSET``; ``x W_ih^T + h W_hh^T`` is one row of products), the biases
``b_ih | b_hh`` (``2 GH`` values from ``COL_B_OFFSET``), PyTorch's tensors
transposed and its gate order kept.

Per batch and direction: one matrix product projects every step of every sample
(``(T n, F) x (F, GH)``); each step adds one product of the previous states
``(n, H) x (H, GH)``; backward, each step computes the previous state's gradient
with one product ``(n, GH) x (GH, H)`` (with ``W_hh`` copied once per batch into
PyTorch's layout, which BLAS reads faster), and the weight, bias and input
gradients come from one product each over all steps.

Per-sample slots (``work.floats`` from ``COL_AUX_OFFSET``; a block of per-sample
size ``s`` holds ``capacity * s`` values, of which a batch of ``n`` uses the first
``n * s``, time-major: step ``t``'s ``(n, m)`` rows at ``t n m``):

==========  ============  ====================================================
block       size          holds
==========  ============  ====================================================
inputs      T F           the input, time-major; its gradient in the backward
per direction:
gates       T GH          pre-activations, then gate values, then ``da``
states      (T + 1) H     ``h`` with a zero slot before the first step read
cells       (T + 1) H     LSTM ``c`` (like ``states``); absent otherwise
extra       T H           LSTM ``tanh(c)``; GRU ``W_hn h + b_hn``, then its
                          gradient; absent for the simple RNN
shared:
scratch     3 H + GH      ``dh``, ``dh_prev``, ``dc`` and the GRU's recurrent
                          product (forward) or its gradient (backward)
==========  ============  ====================================================

The forward direction keeps ``h_t`` in state slot ``t + 1`` (slot 0 is
``h_{-1} = 0``), the backward one in slot ``t`` (slot ``T`` is its zero start), so
that for both the previous states of all steps form one ``(T n, H)`` matrix aligned
with the gates'. Every product and sum runs in a fixed order on one thread: the
results do not depend on Numba's thread count.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.blas import gemm_strided
from skdeep._kernels.cells import (
    gru_backward,
    gru_forward,
    is_active,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from skdeep._kernels.codes import (
    CELL_GRU,
    CELL_LSTM,
    COL_AUX_OFFSET,
    COL_B_OFFSET,
    COL_CODE,
    COL_DIRECTIONS,
    COL_FEATURES,
    COL_KIND,
    COL_SEQUENCES,
    COL_STEPS,
    COL_UNITS,
    COL_W_OFFSET,
    RECURRENT,
)


@kernel
def gates_per_unit(cell):
    """4 for the LSTM, 3 for the GRU, 1 for the simple RNN."""
    if cell == CELL_LSTM:
        return 4
    if cell == CELL_GRU:
        return 3
    return 1


@kernel
def direction_slots(cell, steps, units):
    """Per-sample float slots of one direction (see the module docstring)."""
    gh = gates_per_unit(cell) * units
    size = steps * gh + (steps + 1) * units
    if cell == CELL_LSTM:
        size += (steps + 1) * units + steps * units
    elif cell == CELL_GRU:
        size += steps * units
    return size


@kernel
def row_slots(table, layer):
    """Per-sample float slots of a recurrent row: what
    :meth:`skdeep.network.specs.Recurrent.float_slots` reserves."""
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    H = table[layer, COL_UNITS]
    gh = gates_per_unit(cell) * H
    return (
        T * table[layer, COL_FEATURES]
        + table[layer, COL_DIRECTIONS] * direction_slots(cell, T, H)
        + 3 * H
        + gh
    )


@kernel
def _blocks(work, table, layer, n, d):
    """``(gates, states, cells, extra)`` of direction ``d``, each the first ``n``
    samples' values of its slot block (``cells`` / ``extra`` empty when the cell
    has none)."""
    capacity = work.sample_weight.shape[0]
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    H = table[layer, COL_UNITS]
    gh = gates_per_unit(cell) * H
    start = capacity * (
        table[layer, COL_AUX_OFFSET]
        + T * table[layer, COL_FEATURES]
        + d * direction_slots(cell, T, H)
    )
    gates = work.floats[start : start + n * T * gh]
    start += capacity * T * gh
    states = work.floats[start : start + n * (T + 1) * H]
    start += capacity * (T + 1) * H
    n_cells = (T + 1) * H if cell == CELL_LSTM else 0
    cells = work.floats[start : start + n * n_cells]
    start += capacity * n_cells
    n_extra = T * H if cell == CELL_LSTM or cell == CELL_GRU else 0
    extra = work.floats[start : start + n * n_extra]
    return gates, states, cells, extra


@kernel
def _inputs(work, table, layer, n):
    """The time-major copy of the row's input (first slot block)."""
    start = work.sample_weight.shape[0] * table[layer, COL_AUX_OFFSET]
    return work.floats[start : start + n * table[layer, COL_STEPS]
                       * table[layer, COL_FEATURES]]  # fmt: skip


@kernel
def _scratch(work, table, layer, n):
    """``(dh, dh_prev, dc, rh)`` of the shared block: ``n * H`` values each,
    ``rh`` ``n * GH``."""
    capacity = work.sample_weight.shape[0]
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    H = table[layer, COL_UNITS]
    gh = gates_per_unit(cell) * H
    start = capacity * (
        table[layer, COL_AUX_OFFSET]
        + T * table[layer, COL_FEATURES]
        + table[layer, COL_DIRECTIONS] * direction_slots(cell, T, H)
    )
    dh = work.floats[start : start + n * H]
    dh_prev = work.floats[start + capacity * H : start + capacity * H + n * H]
    dc = work.floats[start + 2 * capacity * H : start + 2 * capacity * H + n * H]
    at = start + 3 * capacity * H
    return dh, dh_prev, dc, work.floats[at : at + n * gh]


@kernel
def _slot(t, reverse):
    """``(previous, current)`` state slots of step ``t`` of a direction."""
    if reverse:
        return t + 1, t
    return t, t + 1


@kernel
def recurrent_forward(inp, out, net, layer, n, work, scratch):
    """Forward pass of a recurrent row (other rows are left alone): read the
    ``n`` sequences ``inp`` and write the states into ``out``, keeping what the
    backward pass needs in the row's slots."""
    table = net.table
    if table[layer, COL_KIND] != RECURRENT:
        return
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    F = table[layer, COL_FEATURES]
    H = table[layer, COL_UNITS]
    D = table[layer, COL_DIRECTIONS]
    sequences = table[layer, COL_SEQUENCES] != 0
    gh = gates_per_unit(cell) * H
    dh_out = D * H
    lengths = work.lengths
    overwrite = scratch.scalars[0:2]
    accumulate = scratch.scalars[2:4]
    one = scratch.scalars[0]
    xt = _inputs(work, table, layer, n)
    for i in range(n):
        for t in range(T):
            src = (i * T + t) * F
            dst = (t * n + i) * F
            for j in range(F):
                xt[dst + j] = inp[src + j]
    _, _, _, rh = _scratch(work, table, layer, n)
    for d in range(D):
        reverse = d == 1
        w0 = table[layer, COL_W_OFFSET] + d * (F + H) * gh
        b0 = table[layer, COL_B_OFFSET] + d * 2 * gh
        W = net.params[w0 : w0 + (F + H) * gh]
        W_hh = W[F * gh :]
        gates, states, cells, extra = _blocks(work, table, layer, n, d)
        # Every step's input projection plus the biases (the GRU's b_hn is added
        # inside the reset gate's product).
        gemm_strided(False, False, T * n, gh, F, overwrite, xt, F, W, gh, gates, gh)
        both = 2 * H if cell == CELL_GRU else gh
        for r in range(T * n):
            row = r * gh
            for j in range(both):
                gates[row + j] += net.params[b0 + j] + net.params[b0 + gh + j]
            for j in range(both, gh):
                gates[row + j] += net.params[b0 + j]
        start = T * n * H if reverse else 0
        for j in range(n * H):
            states[start + j] = 0.0
        if cell == CELL_LSTM:
            for j in range(n * H):
                cells[start + j] = 0.0
        for s in range(T):
            t = T - 1 - s if reverse else s
            prev, cur = _slot(t, reverse)
            a = gates[t * n * gh :]
            h_prev = states[prev * n * H :]
            h = states[cur * n * H :]
            if cell == CELL_GRU:
                if s == 0:
                    for j in range(n * gh):
                        rh[j] = 0.0
                else:
                    gemm_strided(False, False, n, gh, H, overwrite, h_prev, H, W_hh,
                                 gh, rh, gh)  # fmt: skip
                gru_forward(a, rh, net.params[b0 + gh + 2 * H :], extra[t * n * H :],
                            h_prev, h, lengths, t, n, H, one)  # fmt: skip
            else:
                if s > 0:
                    gemm_strided(False, False, n, gh, H, accumulate, h_prev, H, W_hh,
                                 gh, a, gh)  # fmt: skip
                if cell == CELL_LSTM:
                    lstm_forward(a, h_prev, cells[prev * n * H :],
                                 h, cells[cur * n * H :], extra[t * n * H :], lengths,
                                 t, n, H)  # fmt: skip
                else:
                    rnn_forward(a, h_prev, h, lengths, t, n, H)
            if sequences:
                for i in range(n):
                    o = (i * T + t) * dh_out + d * H
                    if is_active(lengths, i, t):
                        for j in range(H):
                            out[o + j] = h[i * H + j]
                    else:
                        for j in range(H):
                            out[o + j] = 0.0
        if not sequences:
            last = 0 if reverse else T * n * H
            for i in range(n):
                for j in range(H):
                    out[i * dh_out + d * H + j] = states[last + i * H + j]


@kernel
def recurrent_backward(inp, delta, d_inp, need_d_inp, net, grad, layer, n, work,
                       scratch):  # fmt: skip
    """Backward pass of a recurrent row (other rows are left alone), after
    :func:`recurrent_forward` on the same batch: back-propagate ``delta`` (the
    gradient with respect to the row's output) through time, write the raw
    weight and bias gradients (batch sums) into the row's blocks of ``grad`` and,
    when ``need_d_inp``, the gradient with respect to ``inp`` into ``d_inp``."""
    table = net.table
    if table[layer, COL_KIND] != RECURRENT:
        return
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    F = table[layer, COL_FEATURES]
    H = table[layer, COL_UNITS]
    D = table[layer, COL_DIRECTIONS]
    sequences = table[layer, COL_SEQUENCES] != 0
    gh = gates_per_unit(cell) * H
    dh_out = D * H
    lengths = work.lengths
    overwrite = scratch.scalars[0:2]
    accumulate = scratch.scalars[2:4]
    one = scratch.scalars[0]
    xt = _inputs(work, table, layer, n)
    W_t = scratch.weights[: gh * H]
    dh, dh_next, dc, drh = _scratch(work, table, layer, n)
    for d in range(D):
        reverse = d == 1
        w0 = table[layer, COL_W_OFFSET] + d * (F + H) * gh
        b0 = table[layer, COL_B_OFFSET] + d * 2 * gh
        W = net.params[w0 : w0 + (F + H) * gh]
        gates, states, cells, extra = _blocks(work, table, layer, n, d)
        # W_hh in PyTorch's (GH, H) layout: the step products read it untransposed.
        for k in range(H):
            for g in range(gh):
                W_t[g * H + k] = W[(F + k) * gh + g]
        for i in range(n):
            for j in range(H):
                dh[i * H + j] = 0.0 if sequences else delta[i * dh_out + d * H + j]
                dc[i * H + j] = 0.0
        for s in range(T - 1, -1, -1):
            t = T - 1 - s if reverse else s
            prev, cur = _slot(t, reverse)
            a = gates[t * n * gh :]
            if sequences:
                for i in range(n):
                    if is_active(lengths, i, t):
                        o = (i * T + t) * dh_out + d * H
                        for j in range(H):
                            dh[i * H + j] += delta[o + j]
            if cell == CELL_LSTM:
                lstm_backward(a, cells[prev * n * H :], extra[t * n * H :], dh, dc,
                              dh_next, lengths, t, n, H, one)  # fmt: skip
                a_hh = a
            elif cell == CELL_GRU:
                gru_backward(a, extra[t * n * H :], states[prev * n * H :], dh,
                             dh_next, drh, lengths, t, n, H, one)  # fmt: skip
                a_hh = drh
            else:
                rnn_backward(a, states[cur * n * H :], dh, dh_next, lengths, t, n,
                             H, one)  # fmt: skip
                a_hh = a
            if s > 0:
                gemm_strided(False, False, n, H, gh, accumulate, a_hh, gh, W_t, H,
                             dh_next, H)  # fmt: skip
                dh, dh_next = dh_next, dh
        # Weight gradients over all steps: [x; h_prev]^T da.
        g_w = grad[w0 : w0 + (F + H) * gh]
        gemm_strided(True, False, F, gh, T * n, overwrite, xt, F, gates, gh, g_w, gh)
        h_prev = states[n * H :] if reverse else states
        g_hh = g_w[F * gh :]
        if cell == CELL_GRU:
            gemm_strided(True, False, H, 2 * H, T * n, overwrite, h_prev, H, gates,
                         gh, g_hh, gh)  # fmt: skip
            gemm_strided(True, False, H, H, T * n, overwrite, h_prev, H, extra, H,
                         g_hh[2 * H :], gh)  # fmt: skip
        else:
            gemm_strided(True, False, H, gh, T * n, overwrite, h_prev, H, gates, gh,
                         g_hh, gh)  # fmt: skip
        g_ih = grad[b0 : b0 + gh]
        g_bhh = grad[b0 + gh : b0 + 2 * gh]
        for j in range(gh):
            g_ih[j] = 0.0
        for r in range(T * n):
            for j in range(gh):
                g_ih[j] += gates[r * gh + j]
        both = 2 * H if cell == CELL_GRU else gh
        for j in range(both):
            g_bhh[j] = g_ih[j]
        if cell == CELL_GRU:
            for j in range(H):
                g_bhh[2 * H + j] = 0.0
            for r in range(T * n):
                for j in range(H):
                    g_bhh[2 * H + j] += extra[r * H + j]
    if need_d_inp:
        # dx = sum over directions of da W_ih, time-major, then per sample.
        for d in range(D):
            w0 = table[layer, COL_W_OFFSET] + d * (F + H) * gh
            gates, _, _, _ = _blocks(work, table, layer, n, d)
            gemm_strided(False, True, T * n, F, gh, accumulate if d else overwrite,
                         gates, gh, net.params[w0:], gh, xt, F)  # fmt: skip
        for i in range(n):
            for t in range(T):
                src = (t * n + i) * F
                dst = (i * T + t) * F
                for j in range(F):
                    d_inp[dst + j] = xt[src + j]
