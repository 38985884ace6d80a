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

**Products.** Per batch and direction, one matrix product projects every step of
every sample, ``(T n, F) x (F, GH)``. Each step then adds one product of the
previous states, ``(m, H) x (H, GH)``; backward, each step computes the previous
states' gradient with one product ``(m, GH) x (GH, H)`` (``W_hh`` copied once per
batch into PyTorch's layout, which BLAS reads faster) and adds its share of the
weight gradients, ``x^T da`` and ``h_prev^T da``; the input gradient is one
product over all steps. The bias gradients are column sums.

**Chunks.** The ``m`` rows of a step's products are a *chunk* of the batch
(:func:`chunk_rows`): when a product of up to 32 rows stays within
:data:`SMALL_PRODUCT` multiply-adds, the batch is cut into such chunks, because
OpenBLAS runs products that small through its small-matrix kernels, ~1.35x faster
here than its packed path at 64 rows (measured on Zen 4 with the SkylakeX kernels:
110 against 82 GFLOP/s for ``(64, 64) x (64, 256)``); larger layers keep the whole
batch in one chunk, where the packed path is fastest. The chunks and the two
directions recur independently, so they run as parallel tasks (``prange``): each
writes its own rows, and its own copy of the weight gradient when the batch has
several chunks, which are then summed in chunk order. The chunks depend on the
batch and layer sizes only, so results are bit-identical for any number of Numba
threads.

**Slots.** Per sample (``work.floats`` from ``COL_AUX_OFFSET``; a block of
per-sample size ``s`` holds ``capacity * s`` values, of which a batch of ``n``
uses the first ``n * s``, time-major: step ``t``'s ``(n, w)`` rows at ``t n w``):

==========  ============  ====================================================
block       size          holds
==========  ============  ====================================================
inputs      T F           the input, time-major; its gradient in the backward
per direction:
gates       T GH          pre-activations, then gate values, then ``da``
states      (T + 1) H     ``h`` with a zero slot before the first step read
cells       (T + 1) H     LSTM ``c`` (like ``states``); absent otherwise
extra       T H           LSTM ``tanh(c)``; GRU ``W_hn h + b_hn``, then the
                          recurrent part of ``da_n``; absent for the simple RNN
scratch     3 H + GH      ``dh``, ``dh_prev``, ``dc`` and the GRU's recurrent
                          product (forward) or its gradient (backward)
==========  ============  ====================================================

The forward direction keeps ``h_t`` in state slot ``t + 1`` (slot 0 is
``h_{-1} = 0``), the backward one in slot ``t`` (slot ``T`` is its zero start).
"""

import numpy as np
from numba import prange

from skdeep._kernels._jit import jit, kernel
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

#: Multiply-adds up to which OpenBLAS (SkylakeX kernels, float32 and float64)
#: computes a product with its small-matrix kernels (``M N K <= 100^3``).
SMALL_PRODUCT = 1_000_000

#: Rows of a chunk in the small-product regime; the smallest chunk.
CHUNK_ROWS = 32
MIN_CHUNK_ROWS = 16

# Loops over a block with unsigned offsets: NumPy's negative-index wrap-around
# of signed ones keeps LLVM from vectorizing them.
_U = np.uint64


@kernel
def gates_per_unit(cell):
    """4 for the LSTM, 3 for the GRU, 1 for the simple RNN."""
    if cell == CELL_LSTM:
        return 4
    if cell == CELL_GRU:
        return 3
    return 1


@kernel
def chunk_rows(n, units, gate_units):
    """Rows per chunk of a batch of ``n`` (the last chunk may have fewer): at most
    :data:`CHUNK_ROWS` rows whose step products stay within
    :data:`SMALL_PRODUCT`, or the whole batch when fewer than
    :data:`MIN_CHUNK_ROWS` rows would."""
    rows = min(CHUNK_ROWS, SMALL_PRODUCT // max(1, units * gate_units))
    if rows < MIN_CHUNK_ROWS or n <= rows:
        return max(1, n)
    chunks = (n + rows - 1) // rows
    return (n + chunks - 1) // chunks


@kernel
def direction_slots(cell, steps, units):
    """Per-sample float slots of one direction (see the module docstring)."""
    gh = gates_per_unit(cell) * units
    size = steps * gh + (steps + 1) * units + 3 * units + gh
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
    return T * table[layer, COL_FEATURES] + table[layer, COL_DIRECTIONS] * (
        direction_slots(cell, T, table[layer, COL_UNITS])
    )


@kernel
def _blocks(work, table, layer, n, d):
    """``(gates, states, cells, extra, scratch)`` of direction ``d``, each the
    first ``n`` samples' values of its slot block (``cells`` / ``extra`` empty
    when the cell has none)."""
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
    start += capacity * n_extra
    scratch = work.floats[start : start + capacity * (3 * H + gh)]
    return gates, states, cells, extra, scratch


@kernel
def _inputs(work, table, layer, n):
    """The time-major copy of the row's input (first slot block)."""
    start = work.sample_weight.shape[0] * table[layer, COL_AUX_OFFSET]
    size = n * table[layer, COL_STEPS] * table[layer, COL_FEATURES]
    return work.floats[start : start + size]


@kernel
def _scratch_rows(scratch, capacity, units, gate_units, c0, c1):
    """``(dh, dh_prev, dc, rh)`` of the rows ``c0 <= i < c1`` in a direction's
    scratch block: ``H`` values per row each, ``rh`` ``GH``."""
    H = units
    dh = scratch[c0 * H : c1 * H]
    dh_prev = scratch[(capacity + c0) * H : (capacity + c1) * H]
    dc = scratch[(2 * capacity + c0) * H : (2 * capacity + c1) * H]
    base = 3 * capacity * H
    return dh, dh_prev, dc, scratch[base + c0 * gate_units : base + c1 * gate_units]


@kernel
def _reorder(src, dst, n, steps, width, to_time_major):
    """Copy ``n`` sequences of ``steps`` rows of ``width`` values between the
    sample-major ``(n, T, w)`` and the time-major ``(T, n, w)`` layouts."""
    N, T, W = _U(n), _U(steps), _U(width)
    for i in range(N):
        for t in range(T):
            by_sample = (i * T + t) * W
            by_time = (t * N + i) * W
            if to_time_major:
                for j in range(W):
                    dst[by_time + j] = src[by_sample + j]
            else:
                for j in range(W):
                    dst[by_sample + j] = src[by_time + j]


@kernel
def _column_sums(src, rows, width, out):
    """``out[j] = sum_r src[r * width + j]`` (rows in order)."""
    W = _U(width)
    for j in range(W):
        out[j] = 0.0
    for r in range(_U(rows)):
        row = r * W
        for j in range(W):
            out[j] += src[row + j]


@kernel
def _fill_zero(dst, size):
    for j in range(_U(size)):
        dst[j] = 0.0


@kernel
def _put_states(h, out, m, units, width, offset, lengths, t):
    """``out[i * width + offset + j] = h[i * units + j]`` for the ``m`` rows,
    when active at step ``t`` (else 0; ``t = -1``: every row)."""
    H, W, start = _U(units), _U(width), _U(offset)
    for i in range(m):
        dst = _U(i) * W + start
        src = _U(i) * H
        if is_active(lengths, i, t):
            for j in range(H):
                out[dst + j] = h[src + j]
        else:
            for j in range(H):
                out[dst + j] = 0.0


@kernel
def _add_states(delta, dh, m, units, width, offset, lengths, t):
    """``dh[i * units + j] += delta[i * width + offset + j]`` for the ``m`` rows
    active at step ``t`` (``t = -1``: every row)."""
    H, W, start = _U(units), _U(width), _U(offset)
    for i in range(m):
        src = _U(i) * W + start
        dst = _U(i) * H
        if is_active(lengths, i, t):
            for j in range(H):
                dh[dst + j] += delta[src + j]


@kernel
def _slot(t, reverse):
    """``(previous, current)`` state slots of step ``t`` of a direction."""
    if reverse:
        return t + 1, t
    return t, t + 1


@kernel
def _weights(net, layer, d):
    """``(W, b_ih, b_hh)`` of direction ``d``: the ``(F + H, GH)`` weight block
    and the two bias vectors, views of the parameters."""
    table = net.table
    F = table[layer, COL_FEATURES]
    H = table[layer, COL_UNITS]
    gh = gates_per_unit(table[layer, COL_CODE]) * H
    w0 = table[layer, COL_W_OFFSET] + d * (F + H) * gh
    b0 = table[layer, COL_B_OFFSET] + d * 2 * gh
    return (
        net.params[w0 : w0 + (F + H) * gh],
        net.params[b0 : b0 + gh],
        net.params[b0 + gh : b0 + 2 * gh],
    )


@kernel
def _forward_task(out, net, layer, n, work, scratch, d, c0, c1):
    """The recurrence of direction ``d`` over the rows ``c0 <= i < c1``."""
    table = net.table
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    F = table[layer, COL_FEATURES]
    H = table[layer, COL_UNITS]
    dh_out = table[layer, COL_DIRECTIONS] * H
    sequences = table[layer, COL_SEQUENCES] != 0
    gh = gates_per_unit(cell) * H
    reverse = d == 1
    m = c1 - c0
    capacity = work.sample_weight.shape[0]
    lengths = work.lengths[c0:c1] if work.lengths.shape[0] > 0 else work.lengths
    W, _, b_hh = _weights(net, layer, d)
    W_hh = W[F * gh :]
    bias = scratch.biases[d * gh : (d + 1) * gh]
    gates, states, cells, extra, block = _blocks(work, table, layer, n, d)
    _, _, _, rh = _scratch_rows(block, capacity, H, gh, c0, c1)
    start = (T * n if reverse else 0) + c0
    _fill_zero(states[start * H :], m * H)
    if cell == CELL_LSTM:
        _fill_zero(cells[start * H :], m * H)
    for s in range(T):
        t = T - 1 - s if reverse else s
        prev, cur = _slot(t, reverse)
        a = gates[(t * n + c0) * gh :]
        h_prev = states[(prev * n + c0) * H :]
        h = states[(cur * n + c0) * H :]
        if cell == CELL_GRU:
            if s == 0:
                _fill_zero(rh, m * gh)
            else:
                gemm_strided(False, False, m, gh, H, scratch.scalars[0:2], h_prev, H,
                             W_hh, gh, rh, gh)  # fmt: skip
            gru_forward(a, bias, rh, b_hh[2 * H :], extra[(t * n + c0) * H :],
                        h_prev, h, lengths, t, m, H, scratch.scalars[0])  # fmt: skip
        else:
            if s > 0:
                gemm_strided(False, False, m, gh, H, scratch.scalars[2:4], h_prev, H,
                             W_hh, gh, a, gh)  # fmt: skip
            if cell == CELL_LSTM:
                lstm_forward(a, bias, h_prev, cells[(prev * n + c0) * H :], h,
                             cells[(cur * n + c0) * H :], extra[(t * n + c0) * H :],
                             lengths, t, m, H)  # fmt: skip
            else:
                rnn_forward(a, bias, h_prev, h, lengths, t, m, H)
        if sequences:
            _put_states(h, out[c0 * T * dh_out :], m, H, T * dh_out,
                        t * dh_out + d * H, lengths, t)  # fmt: skip
    if not sequences:
        last = (0 if reverse else T * n) + c0
        _put_states(states[last * H :], out[c0 * dh_out :], m, H, dh_out, d * H,
                    lengths, -1)  # fmt: skip


@jit(parallel=True, error_model="numpy")
def _forward_tasks(out, net, layer, n, work, scratch, directions, rows):
    """Every (direction, chunk) recurrence, in parallel."""
    chunks = (n + rows - 1) // rows
    for task in prange(directions * chunks):
        c0 = (task % chunks) * rows
        _forward_task(out, net, layer, n, work, scratch, task // chunks, c0,
                      min(n, c0 + rows))  # fmt: skip


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
    gh = gates_per_unit(cell) * H
    xt = _inputs(work, table, layer, n)
    _reorder(inp, xt, n, T, F, True)
    both = 2 * H if cell == CELL_GRU else gh
    for d in range(D):
        W, b_ih, b_hh = _weights(net, layer, d)
        gates, _, _, _, _ = _blocks(work, table, layer, n, d)
        # Every step's input projection; the cells add the biases:
        # b_ih + b_hh, or b_in alone for the GRU's n gate (b_hn is inside r * ...).
        gemm_strided(False, False, T * n, gh, F, scratch.scalars[0:2], xt, F, W, gh,
                     gates, gh)  # fmt: skip
        bias = scratch.biases[d * gh : (d + 1) * gh]
        for j in range(gh):
            bias[j] = b_ih[j] + b_hh[j] if j < both else b_ih[j]
    _forward_tasks(out, net, layer, n, work, scratch, D, chunk_rows(n, H, gh))


@kernel
def _backward_task(delta, net, layer, n, work, scratch, d, c0, c1, part):
    """Back-propagation through time of direction ``d`` over the rows
    ``c0 <= i < c1``: their ``da`` (in the gates block), and their share of the
    weight gradient into ``part`` (a ``(F + H, GH)`` block, overwritten)."""
    table = net.table
    cell = table[layer, COL_CODE]
    T = table[layer, COL_STEPS]
    F = table[layer, COL_FEATURES]
    H = table[layer, COL_UNITS]
    dh_out = table[layer, COL_DIRECTIONS] * H
    sequences = table[layer, COL_SEQUENCES] != 0
    gh = gates_per_unit(cell) * H
    reverse = d == 1
    m = c1 - c0
    capacity = work.sample_weight.shape[0]
    lengths = work.lengths[c0:c1] if work.lengths.shape[0] > 0 else work.lengths
    accumulate = scratch.scalars[2:4]
    one = scratch.scalars[0]
    xt = _inputs(work, table, layer, n)
    W_t = scratch.weights[d * gh * H : (d + 1) * gh * H]
    gates, states, cells, extra, block = _blocks(work, table, layer, n, d)
    dh, dh_next, dc, drh = _scratch_rows(block, capacity, H, gh, c0, c1)
    g_hh = part[F * gh :]
    _fill_zero(part, (F + H) * gh)
    _fill_zero(dh, m * H)
    _fill_zero(dc, m * H)
    if not sequences:
        _add_states(delta[c0 * dh_out :], dh, m, H, dh_out, d * H, lengths, -1)
    for s in range(T - 1, -1, -1):
        t = T - 1 - s if reverse else s
        prev, cur = _slot(t, reverse)
        a = gates[(t * n + c0) * gh :]
        if sequences:
            _add_states(delta[c0 * T * dh_out :], dh, m, H, T * dh_out,
                        t * dh_out + d * H, lengths, t)  # fmt: skip
        if cell == CELL_LSTM:
            lstm_backward(a, cells[(prev * n + c0) * H :], extra[(t * n + c0) * H :],
                          dh, dc, dh_next, lengths, t, m, H, one)  # fmt: skip
            a_hh = a
        elif cell == CELL_GRU:
            gru_backward(a, extra[(t * n + c0) * H :], states[(prev * n + c0) * H :],
                         dh, dh_next, drh, lengths, t, m, H, one)  # fmt: skip
            a_hh = drh
        else:
            rnn_backward(a, states[(cur * n + c0) * H :], dh, dh_next, lengths, t, m,
                         H, one)  # fmt: skip
            a_hh = a
        # This step's share of the weight gradients: x^T da and h_prev^T da.
        gemm_strided(True, False, F, gh, m, accumulate, xt[(t * n + c0) * F :], F,
                     a, gh, part, gh)  # fmt: skip
        if s > 0:  # (the first step's h_prev is 0)
            gemm_strided(True, False, H, gh, m, accumulate,
                         states[(prev * n + c0) * H :], H, a_hh, gh, g_hh,
                         gh)  # fmt: skip
            gemm_strided(False, False, m, H, gh, accumulate, a_hh, gh, W_t, H,
                         dh_next, H)  # fmt: skip
            dh, dh_next = dh_next, dh


@jit(parallel=True, error_model="numpy")
def _backward_tasks(delta, net, grad, layer, n, work, scratch, directions, rows):
    """Every (direction, chunk) back-propagation, in parallel; with several
    chunks, each writes its own weight-gradient copy in ``scratch.parts``,
    summed in chunk order afterwards."""
    chunks = (n + rows - 1) // rows
    for task in prange(directions * chunks):
        d = task // chunks
        c0 = (task % chunks) * rows
        W, _, _ = _weights(net, layer, d)
        w_size = W.shape[0]
        if chunks == 1:
            start = net.table[layer, COL_W_OFFSET] + d * w_size
            part = grad[start : start + w_size]
        else:
            part = scratch.parts[task * w_size : (task + 1) * w_size]
        _backward_task(delta, net, layer, n, work, scratch, d, c0,
                       min(n, c0 + rows), part)  # fmt: skip


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
    gh = gates_per_unit(cell) * H
    w_size = (F + H) * gh
    for d in range(D):
        # W_hh in PyTorch's (GH, H) layout: the step products read it untransposed.
        W, _, _ = _weights(net, layer, d)
        W_t = scratch.weights[d * gh * H : (d + 1) * gh * H]
        for k in range(H):
            for g in range(gh):
                W_t[g * H + k] = W[(F + k) * gh + g]
    rows = chunk_rows(n, H, gh)
    chunks = (n + rows - 1) // rows
    _backward_tasks(delta, net, grad, layer, n, work, scratch, D, rows)
    for d in range(D):
        w0 = table[layer, COL_W_OFFSET] + d * w_size
        b0 = table[layer, COL_B_OFFSET] + d * 2 * gh
        if chunks > 1:
            g_w = grad[w0 : w0 + w_size]
            first = scratch.parts[d * chunks * w_size :]
            for j in range(w_size):
                g_w[j] = first[j]
            for c in range(1, chunks):
                other = scratch.parts[(d * chunks + c) * w_size :]
                for j in range(w_size):
                    g_w[j] += other[j]
        gates, _, _, extra, _ = _blocks(work, table, layer, n, d)
        g_ih = grad[b0 : b0 + gh]
        g_bhh = grad[b0 + gh : b0 + 2 * gh]
        _column_sums(gates, T * n, gh, g_ih)
        both = 2 * H if cell == CELL_GRU else gh
        for j in range(both):
            g_bhh[j] = g_ih[j]
        if cell == CELL_GRU:
            _column_sums(extra, T * n, H, g_bhh[2 * H :])
    if need_d_inp:
        # dx = sum over directions of da W_ih, time-major, then per sample.
        xt = _inputs(work, table, layer, n)
        for d in range(D):
            W, _, _ = _weights(net, layer, d)
            gates, _, _, _, _ = _blocks(work, table, layer, n, d)
            gemm_strided(False, True, T * n, F, gh, scratch.scalars[2:4] if d
                         else scratch.scalars[0:2], gates, gh, W, gh, xt,
                         F)  # fmt: skip
        _reorder(xt, d_inp, n, T, F, False)
