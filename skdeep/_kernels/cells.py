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
A forward step receives the gate pre-activations with the input and recurrent
products already added (for the GRU, the recurrent product ``W_hh h`` separately,
in ``rh``, without ``b_hh``'s ``n`` part, which is ``b_hn``) and overwrites them
with the gate values; the backward step overwrites those with the gradient with
respect to the pre-activations (``da``), which the caller turns into weight and
input gradients with matrix products.

Variable length: sample ``i`` is *active* at step ``t`` when ``t < lengths[i]``
(every sample, when ``lengths`` is empty). An inactive sample keeps its state
(``h' = h``, ``c' = c``) and its gradient passes through unchanged, with ``da = 0``:
one test per sample and step, none per value.
"""

from skdeep._kernels._jit import jit
from skdeep._kernels.gates import sigmoid, tanh

cell_kernel = jit(error_model="numpy", fastmath={"contract"})


@cell_kernel
def is_active(lengths, i, t):
    """Whether sample ``i`` reads step ``t``."""
    return lengths.shape[0] == 0 or t < lengths[i]


@cell_kernel
def lstm_forward(a, h_prev, c_prev, h, c, tanh_c, lengths, t, n, units):
    """LSTM step: gates ``a`` (n, 4H) from pre-activations to ``i|f|g|o`` in
    place; new state ``h``, ``c`` (n, H) and ``tanh_c = tanh(c)``."""
    H = units
    for i in range(n):
        g0 = 4 * H * i
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                ig = sigmoid(a[g0 + j])
                fg = sigmoid(a[g0 + H + j])
                gg = tanh(a[g0 + 2 * H + j])
                og = sigmoid(a[g0 + 3 * H + j])
                cj = fg * c_prev[s0 + j] + ig * gg
                tc = tanh(cj)
                a[g0 + j] = ig
                a[g0 + H + j] = fg
                a[g0 + 2 * H + j] = gg
                a[g0 + 3 * H + j] = og
                c[s0 + j] = cj
                tanh_c[s0 + j] = tc
                h[s0 + j] = og * tc
        else:
            for j in range(H):
                h[s0 + j] = h_prev[s0 + j]
                c[s0 + j] = c_prev[s0 + j]


@cell_kernel
def lstm_backward(a, c_prev, tanh_c, dh, dc, dh_prev, lengths, t, n, units, one):
    """LSTM step backward: ``a`` (gate values) becomes ``da``; ``dc`` becomes
    ``dc_prev``; ``dh_prev`` gets the part of the previous state's gradient that
    is not ``W_hh^T da`` (0, or ``dh`` for an inactive sample). ``one`` is 1 in
    the data's dtype."""
    H = units
    for i in range(n):
        g0 = 4 * H * i
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                ig = a[g0 + j]
                fg = a[g0 + H + j]
                gg = a[g0 + 2 * H + j]
                og = a[g0 + 3 * H + j]
                tc = tanh_c[s0 + j]
                dhj = dh[s0 + j]
                dcj = dc[s0 + j] + dhj * og * (one - tc * tc)
                a[g0 + j] = dcj * gg * ig * (one - ig)
                a[g0 + H + j] = dcj * c_prev[s0 + j] * fg * (one - fg)
                a[g0 + 2 * H + j] = dcj * ig * (one - gg * gg)
                a[g0 + 3 * H + j] = dhj * tc * og * (one - og)
                dc[s0 + j] = dcj * fg
                dh_prev[s0 + j] = 0.0
        else:
            for j in range(4 * H):
                a[g0 + j] = 0.0
            for j in range(H):
                dh_prev[s0 + j] = dh[s0 + j]


@cell_kernel
def gru_forward(a, rh, b_hn, hn, h_prev, h, lengths, t, n, units, one):
    """GRU step: ``a`` (n, 3H) holds ``W_ih x + b_ih`` plus ``b_hr | b_hz``,
    ``rh`` (n, 3H) the recurrent product ``W_hh h``; ``a`` becomes ``r|z|n``,
    ``hn`` (n, H) gets ``W_hn h + b_hn``, ``h`` the new state."""
    H = units
    for i in range(n):
        g0 = 3 * H * i
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                r = sigmoid(a[g0 + j] + rh[g0 + j])
                z = sigmoid(a[g0 + H + j] + rh[g0 + H + j])
                hnj = rh[g0 + 2 * H + j] + b_hn[j]
                nj = tanh(a[g0 + 2 * H + j] + r * hnj)
                a[g0 + j] = r
                a[g0 + H + j] = z
                a[g0 + 2 * H + j] = nj
                hn[s0 + j] = hnj
                h[s0 + j] = (one - z) * nj + z * h_prev[s0 + j]
        else:
            for j in range(H):
                h[s0 + j] = h_prev[s0 + j]


@cell_kernel
def gru_backward(a, hn, h_prev, dh, dh_prev, drh, lengths, t, n, units, one):
    """GRU step backward: ``a`` (gate values) becomes ``da`` of the input
    projection, ``drh`` (n, 3H) the gradient of the recurrent product
    ``(da_r | da_z | r da_n)`` and ``hn`` its last third ``r da_n``; ``dh_prev``
    gets ``dh * z`` (``dh`` for an inactive sample)."""
    H = units
    for i in range(n):
        g0 = 3 * H * i
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                r = a[g0 + j]
                z = a[g0 + H + j]
                nj = a[g0 + 2 * H + j]
                dhj = dh[s0 + j]
                dn = dhj * (one - z) * (one - nj * nj)
                dz = dhj * (h_prev[s0 + j] - nj) * z * (one - z)
                dr = dn * hn[s0 + j] * r * (one - r)
                dhn = dn * r
                a[g0 + j] = dr
                a[g0 + H + j] = dz
                a[g0 + 2 * H + j] = dn
                drh[g0 + j] = dr
                drh[g0 + H + j] = dz
                drh[g0 + 2 * H + j] = dhn
                hn[s0 + j] = dhn
                dh_prev[s0 + j] = dhj * z
        else:
            for j in range(3 * H):
                a[g0 + j] = 0.0
                drh[g0 + j] = 0.0
            for j in range(H):
                hn[s0 + j] = 0.0
                dh_prev[s0 + j] = dh[s0 + j]


@cell_kernel
def rnn_forward(a, h_prev, h, lengths, t, n, units):
    """Simple RNN step: ``h = tanh(a)`` from the pre-activations ``a`` (n, H)."""
    H = units
    for i in range(n):
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                h[s0 + j] = tanh(a[s0 + j])
        else:
            for j in range(H):
                h[s0 + j] = h_prev[s0 + j]


@cell_kernel
def rnn_backward(a, h, dh, dh_prev, lengths, t, n, units, one):
    """Simple RNN step backward: ``a`` becomes ``da = dh (1 - h^2)``."""
    H = units
    for i in range(n):
        s0 = H * i
        if is_active(lengths, i, t):
            for j in range(H):
                hj = h[s0 + j]
                a[s0 + j] = dh[s0 + j] * (one - hj * hj)
                dh_prev[s0 + j] = 0.0
        else:
            for j in range(H):
                a[s0 + j] = 0.0
                dh_prev[s0 + j] = dh[s0 + j]
