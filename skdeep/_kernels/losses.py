"""Losses: the weighted sum of per-sample losses, and the output-layer gradient.

Each loss has a canonical output activation for which the gradient of the per-sample
loss with respect to the output pre-activation is ``P - Y`` (times the sample
weight). The values follow scikit-learn's definitions; :func:`loss_sum` returns
``sum_i w_i * l_i`` and the caller divides by ``sum_i w_i``:

=======================  ========  =============================================
loss                     output    l_i
=======================  ========  =============================================
squared_error            identity  1/2 sum_j (y_ij - p_ij)^2
categorical crossentropy softmax   -sum_j y_ij log clip(p_ij)
binary crossentropy      logistic  -sum_j [y log clip(p) + (1 - y) log clip(1 - p)]
poisson                  exp       sum_j [y log(y / p) - y + p]
=======================  ========  =============================================

The one non-canonical pair, squared error with a logistic output (an autoencoder
whose reconstructions lie in (0, 1)), has the gradient ``(P - Y) P (1 - P)``.

For a single output these are scikit-learn's values. With several outputs
scikit-learn reports the squared error averaged over outputs while its gradient is
that of the sum (scikit-learn issue #8349); skdeep reports the sum, so the loss and
its gradient agree (and L-BFGS sees a consistent objective) while the updates stay
exactly scikit-learn's.

``clip`` keeps probabilities in ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of
the dtype, as scikit-learn does, so a saturated output never gives ``log(0)``.
Blocks are flat: ``n`` samples of ``k`` values, row-major.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.activations import activation_backward
from skdeep._kernels.codes import (
    BINARY_CROSSENTROPY,
    CATEGORICAL_CROSSENTROPY,
    LOGISTIC,
    POISSON,
    SQUARED_ERROR,
)


@kernel
def row_loss(Y, P, i, k, code):
    """The loss ``l_i`` of sample ``i`` (unweighted), as a float64."""
    eps = np.finfo(P.dtype).eps
    base = i * k
    row = 0.0
    if code == CATEGORICAL_CROSSENTROPY:
        for j in range(base, base + k):
            if Y[j] != 0:
                p = min(max(P[j], eps), 1.0 - eps)
                row -= Y[j] * np.log(p)
    elif code == BINARY_CROSSENTROPY:
        for j in range(base, base + k):
            p = min(max(P[j], eps), 1.0 - eps)
            y = Y[j]
            if y != 0:
                row -= y * np.log(p)
            if y != 1:
                row -= (1.0 - y) * np.log(1.0 - p)
    elif code == POISSON:
        for j in range(base, base + k):
            y = Y[j]
            if y != 0:
                row += y * np.log(y / P[j])
            row += P[j] - y
    else:
        for j in range(base, base + k):
            d = Y[j] - P[j]
            row += d * d
        row *= 0.5
    return row


@kernel
def loss_sum(Y, P, sw, n, k, code):
    """``sum_i sw[i] * l_i`` over the ``n`` samples, as a float64."""
    total = 0.0
    for i in range(n):
        total += sw[i] * row_loss(Y, P, i, k, code)
    return total


@kernel
def output_delta(Y, P, sw, n, k, code, out_activation, delta):
    """Write ``dL/d(output pre-activation)`` of the weighted loss into ``delta``:
    ``(P - Y) * sw[:, None]``, times ``P (1 - P)`` for squared error after a
    logistic output."""
    for i in range(n):
        w = sw[i]
        for j in range(i * k, (i + 1) * k):
            delta[j] = (P[j] - Y[j]) * w
    if code == SQUARED_ERROR and out_activation == LOGISTIC:
        activation_backward(P, delta, n * k, LOGISTIC)
