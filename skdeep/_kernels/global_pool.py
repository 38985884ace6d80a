"""Global average and global max pooling, forward next to backward.

A block holds ``n`` samples of ``C`` channels of ``P`` positions (``P = H W``, or
the length of a 1-D signal), row-major ``(n, C, P)``; the output holds one value
per sample and channel, ``(n, C)``:

* average: ``out[i, c] = (1 / P) sum_p x[i, c, p]``; backward
  ``dx[i, c, p] = delta[i, c] / P``;
* maximum: ``out[i, c] = max_p x[i, c, p]``, its position kept in ``argmax``
  (the first maximum; a NaN wins, as in max-pooling); backward routes
  ``delta[i, c]`` to that position and zero elsewhere.

Nothing is reduced across samples: the same bits for any thread count.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.batchnorm import _segment_sum
from skdeep._kernels.codes import POOL_MAX


@kernel
def global_pool_forward(x, n, C, P, code, out, argmax):
    """Write each channel's mean (``code == POOL_AVG``) or maximum (``POOL_MAX``,
    with its position into the int32 ``argmax``) into ``out`` (``n C`` values)."""
    if code == POOL_MAX:
        for j in range(n * C):
            start = j * P
            best = x[start]
            k = 0
            for p in range(1, P):
                val = x[start + p]
                take = (val > best) | (val != val)
                best = val if take else best
                k = p if take else k
            out[j] = best
            argmax[j] = k
        return
    for j in range(n * C):
        out[j] = _segment_sum(x, j * P, P) / P


@kernel
def global_pool_backward(delta, n, C, P, code, argmax, dx):
    """Write the input gradient ``dx`` (``n C P`` values, overwritten) from the
    output gradient ``delta`` (``n C``)."""
    if code == POOL_MAX:
        for j in range(n * C):
            start = j * P
            for p in range(P):
                dx[start + p] = 0.0
            dx[start + argmax[j]] = delta[j]
        return
    for j in range(n * C):
        g = delta[j] / P
        start = j * P
        for p in range(P):
            dx[start + p] = g
