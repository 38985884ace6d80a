"""Batch normalization (Ioffe & Szegedy 2015, PyTorch's ``BatchNorm1d/2d``), forward
next to backward.

A block holds ``n`` samples of ``C`` channels of ``P`` positions each, row-major
``(n, C, P)``: ``P = 1`` for a dense layer's features, ``P = H W`` for a
convolution's channels. Each channel ``c`` is normalized over its ``n P`` values.

Statistics, with the sample weights ``w_i`` as frequency weights (a weight of 2
counts like a repeated sample; every position of sample ``i`` has weight ``w_i``):

.. math::

    N = P \\sum_i w_i, \\qquad
    \\mu_c = \\frac{1}{N} \\sum_{i, p} w_i x_{icp}, \\qquad
    \\sigma^2_c = \\frac{1}{N} \\sum_{i, p} w_i (x_{icp} - \\mu_c)^2

(the biased variance), ``s_c = (sigma^2_c + eps)^(-1/2)``, ``eps = 1e-5``, and

.. math::

    \\hat x_{icp} = (x_{icp} - \\mu_c) s_c, \\qquad
    y_{icp} = \\gamma_c \\hat x_{icp} + \\beta_c.

Backward, from ``g = dL/dy`` (which carries the sample weights of the loss):

.. math::

    \\frac{\\partial L}{\\partial \\gamma_c} = \\sum_{i, p} g_{icp} \\hat x_{icp},
    \\qquad
    \\frac{\\partial L}{\\partial \\beta_c} = \\sum_{i, p} g_{icp},

    \\frac{\\partial L}{\\partial x_{icp}} = \\gamma_c s_c \\Big(g_{icp}
        - \\frac{w_i}{N} \\big(\\textstyle\\sum g_c + \\hat x_{icp}
        \\sum (g \\hat x)_c\\big)\\Big),

which with unit weights is the usual ``gamma s / N (N g - sum g - xhat sum g
xhat)``. A sample of weight 0 neither moves the statistics nor receives a
gradient through them: it is as if it were not in the batch.

Running estimates (PyTorch's convention, momentum ``m``): ``running_mean = (1 - m)
running_mean + m mu`` and ``running_var = (1 - m) running_var + m sigma^2_u``
with the unbiased variance ``sigma^2_u = sigma^2 N / (N - 1)`` (``sigma^2`` when
``N <= 1``, which fractional weights can give). At prediction ``y = gamma (x -
running_mean) / sqrt(running_var + eps) + beta``.

Blocks are flat 1-D arrays; per-channel sums are taken in a fixed order (eight
partial sums along a channel's positions), so results are the same bits on every
run and thread count.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import BN_EPSILON, RUNNING_AVERAGE, RUNNING_SET


@kernel
def _segment_sum(a, start, size):
    """``sum(a[start : start + size])`` with eight partial sums (a fixed order)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = a.dtype.type(0.0)
    stop8 = start + size - size % 8
    for j in range(start, stop8, 8):
        s0 += a[j]
        s1 += a[j + 1]
        s2 += a[j + 2]
        s3 += a[j + 3]
        s4 += a[j + 4]
        s5 += a[j + 5]
        s6 += a[j + 6]
        s7 += a[j + 7]
    for j in range(stop8, start + size):
        s0 += a[j]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@kernel
def _segment_squares(a, start, size, center):
    """``sum((a[start : start + size] - center) ** 2)`` in a fixed order."""
    s0 = s1 = s2 = s3 = a.dtype.type(0.0)
    stop4 = start + size - size % 4
    for j in range(start, stop4, 4):
        d0 = a[j] - center
        d1 = a[j + 1] - center
        d2 = a[j + 2] - center
        d3 = a[j + 3] - center
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
    for j in range(stop4, start + size):
        d = a[j] - center
        s0 += d * d
    return (s0 + s1) + (s2 + s3)


@kernel
def batchnorm_statistics(x, sw, n, C, P, mean, inv_std, running_mean, running_var,
                         momentum, running):  # fmt: skip
    """The batch's weighted mean and ``1 / sqrt(biased variance + eps)`` of each
    channel, written into ``mean`` and ``inv_std`` (``C`` values each); returns
    ``N = P sum_i w_i``.

    ``running`` (``codes.RUNNING_*``) says what happens to the running estimates:
    nothing, a move by ``momentum`` towards the batch's mean and unbiased
    variance, or a replacement by them.
    """
    total = 0.0
    for c in range(C):
        mean[c] = 0.0
        inv_std[c] = 0.0
    for i in range(n):
        total += sw[i]
    count = total * P
    scale = 1.0 / count
    # Two passes (mean, then squared deviations): no cancellation.
    if P == 1:
        for i in range(n):
            w = sw[i]
            row = x[i * C : (i + 1) * C]
            for c in range(C):
                mean[c] += w * row[c]
        for c in range(C):
            mean[c] *= scale
        for i in range(n):
            w = sw[i]
            row = x[i * C : (i + 1) * C]
            for c in range(C):
                d = row[c] - mean[c]
                inv_std[c] += w * (d * d)
    else:
        for i in range(n):
            w = sw[i]
            for c in range(C):
                mean[c] += w * _segment_sum(x, (i * C + c) * P, P)
        for c in range(C):
            mean[c] *= scale
        for i in range(n):
            w = sw[i]
            for c in range(C):
                inv_std[c] += w * _segment_squares(x, (i * C + c) * P, P, mean[c])
    unbiased = count / (count - 1.0) if count > 1.0 else 1.0
    for c in range(C):
        var = inv_std[c] * scale
        if running == RUNNING_AVERAGE:
            running_mean[c] = (1.0 - momentum) * running_mean[c] + momentum * mean[c]
            running_var[c] = (1.0 - momentum) * running_var[c] + momentum * (
                var * unbiased
            )
        elif running == RUNNING_SET:
            running_mean[c] = mean[c]
            running_var[c] = var * unbiased
        inv_std[c] = 1.0 / np.sqrt(var + BN_EPSILON)
    return count


@kernel
def batchnorm_forward(x, n, C, P, gamma, beta, center, inv_std, out):
    """Write ``out = gamma (x - center) inv_std + beta`` per channel, computed as
    ``a x + b`` with ``a = gamma inv_std`` and ``b = beta - a center``.

    Training passes the batch's ``mean`` and ``inv_std``; prediction the running
    mean and ``1 / sqrt(running_var + eps)``.
    """
    if P == 1:
        for i in range(n):
            row = x[i * C : (i + 1) * C]
            dst = out[i * C : (i + 1) * C]
            for c in range(C):
                a = gamma[c] * inv_std[c]
                dst[c] = a * row[c] + (beta[c] - a * center[c])
        return
    for i in range(n):
        for c in range(C):
            a = gamma[c] * inv_std[c]
            b = beta[c] - a * center[c]
            start = (i * C + c) * P
            src = x[start : start + P]
            dst = out[start : start + P]
            for p in range(P):
                dst[p] = a * src[p] + b


@kernel
def batchnorm_inference(x, n, C, P, gamma, beta, running_mean, running_var, scratch,
                        out):  # fmt: skip
    """Prediction: ``out = gamma (x - running_mean) / sqrt(running_var + eps) +
    beta``; ``scratch`` (``C`` values) receives ``1 / sqrt(running_var + eps)``."""
    for c in range(C):
        scratch[c] = 1.0 / np.sqrt(running_var[c] + BN_EPSILON)
    batchnorm_forward(x, n, C, P, gamma, beta, running_mean, scratch, out)


@kernel
def batchnorm_backward(x, delta, sw, n, C, P, gamma, mean, inv_std, count, dgamma,
                       dbeta, dx, need_dx):  # fmt: skip
    """Backward pass of training-mode batch normalization (module docstring).

    Writes the raw (batch-summed) ``dgamma`` and ``dbeta`` and, when ``need_dx``,
    the input gradient ``dx`` (``n C P`` values, overwritten). ``mean``,
    ``inv_std`` and ``count`` are those :func:`batchnorm_statistics` returned for
    the same batch ``x``.
    """
    for c in range(C):
        dgamma[c] = 0.0
        dbeta[c] = 0.0
    if P == 1:
        for i in range(n):
            row = x[i * C : (i + 1) * C]
            g = delta[i * C : (i + 1) * C]
            for c in range(C):
                dbeta[c] += g[c]
                dgamma[c] += g[c] * ((row[c] - mean[c]) * inv_std[c])
    else:
        for i in range(n):
            for c in range(C):
                sg, sgx = _segment_moments(delta, x, (i * C + c) * P, P, mean[c],
                                           inv_std[c])  # fmt: skip
                dbeta[c] += sg
                dgamma[c] += sgx
    if not need_dx:
        return
    # dx = k (g - r (sum g + xhat sum(g xhat))) with k = gamma s and r = w_i / N.
    if P == 1:
        for i in range(n):
            r = sw[i] / count
            row = x[i * C : (i + 1) * C]
            g = delta[i * C : (i + 1) * C]
            dst = dx[i * C : (i + 1) * C]
            for c in range(C):
                s = inv_std[c]
                xhat = (row[c] - mean[c]) * s
                dst[c] = gamma[c] * s * (g[c] - r * (dbeta[c] + xhat * dgamma[c]))
        return
    for i in range(n):
        r = sw[i] / count
        for c in range(C):
            k = gamma[c] * inv_std[c]
            kr = k * r
            m = mean[c]
            s = inv_std[c]
            sg = dbeta[c]
            sgx = dgamma[c]
            start = (i * C + c) * P
            g = delta[start : start + P]
            src = x[start : start + P]
            dst = dx[start : start + P]
            for p in range(P):
                dst[p] = k * g[p] - kr * (sg + ((src[p] - m) * s) * sgx)


@kernel
def _segment_moments(g, x, start, size, m, s):
    """``(sum g, sum g (x - m) s)`` over ``start : start + size``, four partial
    sums each (a fixed order)."""
    a0 = a1 = a2 = a3 = g.dtype.type(0.0)
    b0 = b1 = b2 = b3 = g.dtype.type(0.0)
    stop4 = start + size - size % 4
    for j in range(start, stop4, 4):
        a0 += g[j]
        a1 += g[j + 1]
        a2 += g[j + 2]
        a3 += g[j + 3]
        b0 += g[j] * ((x[j] - m) * s)
        b1 += g[j + 1] * ((x[j + 1] - m) * s)
        b2 += g[j + 2] * ((x[j + 2] - m) * s)
        b3 += g[j + 3] * ((x[j + 3] - m) * s)
    for j in range(stop4, start + size):
        a0 += g[j]
        b0 += g[j] * ((x[j] - m) * s)
    return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
