"""One time step of the recurrent cells, forward next to backward, for a batch.

The formulas are PyTorch's ``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` (tanh), with
``x`` the step's input, ``h`` the previous state (``h_0 = c_0 = 0``), ``sigma`` the
logistic function and the gates fused in PyTorch's order:

* LSTM, gates ``i|f|g|o``::

      (a_i, a_f, a_g, a_o) = W_ih x + b_ih + W_hh h + b_hh
      i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
      c' = f * c + i * g
      h' = o * tanh(c')

  backward, with ``dh`` (from above and from the next step) and ``dc``::

      dc  = dc + dh * o * (1 - tanh(c')^2)
      da_i = dc * g * i (1 - i)      da_f = dc * c * f (1 - f)
      da_g = dc * i * (1 - g^2)      da_o = dh * tanh(c') * o (1 - o)
      dc_prev = dc * f               dh_prev = W_hh^T da

* GRU, gates ``r|z|n``, the reset gate applied to the recurrent product (PyTorch's,
  ONNX's ``linear_before_reset=1``)::

      r = sigma(W_ir x + b_ir + W_hr h + b_hr)
      z = sigma(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
      h' = (1 - z) * n + z * h

  backward, with ``hn = W_hn h + b_hn``::

      da_n = dh (1 - z) (1 - n^2)        (input part; the recurrent part is
                                         da_n * r, since d(hn) = r da_n)
      da_z = dh (h - n) z (1 - z)
      da_r = da_n * hn * r (1 - r)
      dh_prev = dh * z + W_hh^T (da_r | da_z | r da_n)

* simple RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``; ``da = dh (1 - h'^2)``,
  ``dh_prev = W_hh^T da``.

Layout: a step's values for the ``n`` samples are row-major ``(n, m)`` blocks of
flat buffers (``m`` = ``G*H`` gate values or ``H`` state values, ``G`` = 4, 3, 1).
A forward step receives the gate pre-activations without their biases, the input
and recurrent products already added (for the GRU, the recurrent product
``W_hh h`` separately, in ``rh``), and ``bias``: ``b_ih + b_hh`` (for the GRU's
``n`` part, ``b_in`` only, ``b_hn`` going inside the reset gate's product); it
overwrites the pre-activations with the gate values; the backward step overwrites
those with the gradient with respect to the pre-activations (``da``), which the
caller turns into weight and input gradients with matrix products.

Variable length: sample ``i`` is *active* at step ``t`` when ``t < lengths[i]``
(every sample, when ``lengths`` is empty). An inactive sample keeps its state
(``h' = h``, ``c' = c``) and its gradient passes through unchanged, with ``da = 0``:
one test per sample and step, none per value.

Vectorization: each sample's update runs as a few passes over its ``H`` values,
each pass writing one stream, with unsigned offsets. LLVM vectorizes such loops
(~0.4 ns per logistic or tanh in float32 here); one fused loop writing seven
streams into slices of one buffer, or signed offsets (NumPy's negative-index
wrap-around), kept the LSTM step scalar and 7x slower.
"""

import numpy as np

from skdeep._kernels._jit import jit
from skdeep._kernels.gates import sigmoid, tanh

cell_kernel = jit(error_model="numpy", fastmath={"contract"})

_TWO = np.uint64(2)
_THREE = np.uint64(3)
_FOUR = np.uint64(4)


@cell_kernel
def is_active(lengths, i, t):
    """Whether sample ``i`` reads step ``t``."""
    return lengths.shape[0] == 0 or t < lengths[i]


@cell_kernel
def _copy(src, dst, start, size):
    """``dst[start : start + size] = src[start : start + size]`` (unsigned
    offsets)."""
    for j in range(size):
        dst[start + j] = src[start + j]


@cell_kernel
def _zero(dst, start, size):
    for j in range(size):
        dst[start + j] = 0.0


@cell_kernel
def lstm_forward(a, bias, h_prev, c_prev, h, c, tanh_c, lengths, t, n, units):
    """LSTM step: gates ``a`` (n, 4H) from pre-activations (plus ``bias``) to
    ``i|f|g|o`` in place; new state ``h``, ``c`` (n, H) and ``tanh_c =
    tanh(c)``."""
    H = np.uint64(units)
    for i in range(n):
        g0 = _FOUR * H * np.uint64(i)
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _copy(h_prev, h, s0, H)
            _copy(c_prev, c, s0, H)
            continue
        ig, fg, gg, og = g0, g0 + H, g0 + _TWO * H, g0 + _THREE * H
        for j in range(_TWO * H):  # i and f
            a[ig + j] = sigmoid(a[ig + j] + bias[j])
        for j in range(H):
            a[gg + j] = tanh(a[gg + j] + bias[_TWO * H + j])
        for j in range(H):
            a[og + j] = sigmoid(a[og + j] + bias[_THREE * H + j])
        for j in range(H):
            c[s0 + j] = a[fg + j] * c_prev[s0 + j] + a[ig + j] * a[gg + j]
        for j in range(H):
            tanh_c[s0 + j] = tanh(c[s0 + j])
        for j in range(H):
            h[s0 + j] = a[og + j] * tanh_c[s0 + j]


@cell_kernel
def lstm_backward(a, c_prev, tanh_c, dh, dc, dh_prev, lengths, t, n, units, one):
    """LSTM step backward: ``a`` (gate values) becomes ``da``; ``dc`` becomes
    ``dc_prev``; ``dh_prev`` gets the part of the previous state's gradient that
    is not ``W_hh^T da`` (0, or ``dh`` for an inactive sample). ``dh`` is
    overwritten. ``one`` is 1 in the data's dtype."""
    H = np.uint64(units)
    for i in range(n):
        g0 = _FOUR * H * np.uint64(i)
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _zero(a, g0, _FOUR * H)
            _copy(dh, dh_prev, s0, H)
            continue
        ig, fg, gg, og = g0, g0 + H, g0 + _TWO * H, g0 + _THREE * H
        # dh (this sample's part is not read again) and dh_prev serve as scratch:
        # no pass reads one part of a while it writes another.
        for j in range(H):
            tc = tanh_c[s0 + j]
            dc[s0 + j] = dc[s0 + j] + dh[s0 + j] * a[og + j] * (one - tc * tc)
        for j in range(H):
            o = a[og + j]
            a[og + j] = dh[s0 + j] * tanh_c[s0 + j] * o * (one - o)
        for j in range(H):
            g = a[gg + j]
            dh_prev[s0 + j] = dc[s0 + j] * a[ig + j] * (one - g * g)
        for j in range(H):
            ii = a[ig + j]
            dh[s0 + j] = dc[s0 + j] * a[gg + j] * ii * (one - ii)
        _copy_to(dh_prev, s0, a, gg, H)
        _copy_to(dh, s0, a, ig, H)
        for j in range(H):
            dh_prev[s0 + j] = dc[s0 + j] * a[fg + j]
        for j in range(H):
            f = a[fg + j]
            a[fg + j] = dc[s0 + j] * c_prev[s0 + j] * f * (one - f)
        _copy(dh_prev, dc, s0, H)
        _zero(dh_prev, s0, H)


@cell_kernel
def _copy_to(src, src_start, dst, dst_start, size):
    """``dst[dst_start : dst_start + size] = src[src_start : src_start + size]``."""
    for j in range(size):
        dst[dst_start + j] = src[src_start + j]


@cell_kernel
def gru_forward(a, bias, rh, b_hn, hn, h_prev, h, lengths, t, n, units, one):
    """GRU step: ``a`` (n, 3H) holds ``W_ih x``, ``rh`` (n, 3H) the recurrent
    product ``W_hh h``; ``a`` becomes ``r|z|n``, ``hn`` (n, H) gets
    ``W_hn h + b_hn``, ``h`` the new state."""
    H = np.uint64(units)
    for i in range(n):
        g0 = _THREE * H * np.uint64(i)
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _copy(h_prev, h, s0, H)
            continue
        zg, ng = g0 + H, g0 + _TWO * H
        for j in range(_TWO * H):  # r and z
            a[g0 + j] = sigmoid(a[g0 + j] + rh[g0 + j] + bias[j])
        for j in range(H):
            hn[s0 + j] = rh[ng + j] + b_hn[j]
        for j in range(H):  # r * hn, in h until the new state is written
            h[s0 + j] = a[g0 + j] * hn[s0 + j]
        for j in range(H):
            a[ng + j] = tanh(a[ng + j] + bias[_TWO * H + j] + h[s0 + j])
        for j in range(H):
            z = a[zg + j]
            h[s0 + j] = (one - z) * a[ng + j] + z * h_prev[s0 + j]


@cell_kernel
def gru_backward(a, hn, h_prev, dh, dh_prev, drh, lengths, t, n, units, one):
    """GRU step backward: ``a`` (gate values) becomes ``da`` of the input
    projection, ``drh`` (n, 3H) the gradient of the recurrent product
    ``(da_r | da_z | r da_n)`` and ``hn`` its last third ``r da_n``; ``dh_prev``
    gets ``dh * z`` (``dh`` for an inactive sample)."""
    H = np.uint64(units)
    for i in range(n):
        g0 = _THREE * H * np.uint64(i)
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _zero(a, g0, _THREE * H)
            _zero(drh, g0, _THREE * H)
            _zero(hn, s0, H)
            _copy(dh, dh_prev, s0, H)
            continue
        zg, ng = g0 + H, g0 + _TWO * H
        # No pass reads one part of an array while it writes another.
        for j in range(H):  # da_n
            z = a[zg + j]
            nj = a[ng + j]
            drh[ng + j] = dh[s0 + j] * (one - z) * (one - nj * nj)
        for j in range(H):  # da_z
            z = a[zg + j]
            drh[zg + j] = dh[s0 + j] * (h_prev[s0 + j] - a[ng + j]) * z * (one - z)
        _copy(drh, a, ng, H)  # a's n part is da_n from here on
        for j in range(H):  # da_r
            r = a[g0 + j]
            drh[g0 + j] = a[ng + j] * hn[s0 + j] * r * (one - r)
        for j in range(H):  # the recurrent part of da_n
            hn[s0 + j] = a[ng + j] * a[g0 + j]
        for j in range(H):
            dh_prev[s0 + j] = dh[s0 + j] * a[zg + j]
        _copy(drh, a, g0, _TWO * H)
        _copy_to(hn, s0, drh, ng, H)


@cell_kernel
def rnn_forward(a, bias, h_prev, h, lengths, t, n, units):
    """Simple RNN step: ``h = tanh(a + bias)`` from the pre-activations ``a``
    (n, H)."""
    H = np.uint64(units)
    for i in range(n):
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _copy(h_prev, h, s0, H)
            continue
        for j in range(H):
            h[s0 + j] = tanh(a[s0 + j] + bias[j])


@cell_kernel
def rnn_backward(a, h, dh, dh_prev, lengths, t, n, units, one):
    """Simple RNN step backward: ``a`` becomes ``da = dh (1 - h^2)``."""
    H = np.uint64(units)
    for i in range(n):
        s0 = H * np.uint64(i)
        if not is_active(lengths, i, t):
            _zero(a, s0, H)
            _copy(dh, dh_prev, s0, H)
            continue
        for j in range(H):
            hj = h[s0 + j]
            a[s0 + j] = dh[s0 + j] * (one - hj * hj)
        _zero(dh_prev, s0, H)
