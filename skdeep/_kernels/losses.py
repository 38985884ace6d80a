"""Losses: the weighted sum of per-sample losses, and the output-layer gradient.

Each loss is paired with its canonical output activation, so the gradient of the
per-sample loss with respect to the output pre-activation is ``P - Y`` in every case
(multiplied by the sample weight). The values follow scikit-learn's definitions;
``loss_sum`` returns ``sum_i w_i * l_i`` and the caller divides by ``sum_i w_i``:

=======================  ========  =============================================
loss                     output    l_i
=======================  ========  =============================================
squared_error            identity  1/2 sum_j (y_ij - p_ij)^2
categorical crossentropy softmax   -sum_j y_ij log clip(p_ij)
binary crossentropy      logistic  -sum_j [y log clip(p) + (1 - y) log clip(1 - p)]
poisson                  exp       sum_j [y log(y / p) - y + p]
=======================  ========  =============================================

For a single output these are scikit-learn's values. With several outputs
scikit-learn reports the squared error averaged over outputs while its gradient is
that of the sum (scikit-learn issue #8349); skdeep reports the sum, so the loss and
its gradient agree (and L-BFGS sees a consistent objective) while the updates stay
exactly scikit-learn's.

``clip`` keeps probabilities in ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of
the dtype, as scikit-learn does, so a saturated output never gives ``log(0)``.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    BINARY_CROSSENTROPY,
    CATEGORICAL_CROSSENTROPY,
    POISSON,
)


@kernel
def loss_sum(Y, P, sw, code):
    """Return ``sum_i sw[i] * loss_i(Y[i], P[i])`` as a float64."""
    n, k = P.shape
    eps = np.finfo(P.dtype).eps
    total = 0.0
    for i in range(n):
        row = 0.0
        if code == CATEGORICAL_CROSSENTROPY:
            for j in range(k):
                if Y[i, j] != 0:
                    p = min(max(P[i, j], eps), 1.0 - eps)
                    row -= Y[i, j] * np.log(p)
        elif code == BINARY_CROSSENTROPY:
            for j in range(k):
                p = min(max(P[i, j], eps), 1.0 - eps)
                y = Y[i, j]
                if y != 0:
                    row -= y * np.log(p)
                if y != 1:
                    row -= (1.0 - y) * np.log(1.0 - p)
        elif code == POISSON:
            for j in range(k):
                y = Y[i, j]
                if y != 0:
                    row += y * np.log(y / P[i, j])
                row += P[i, j] - y
        else:
            for j in range(k):
                d = Y[i, j] - P[i, j]
                row += d * d
            row *= 0.5
        total += sw[i] * row
    return total


@kernel
def output_delta(Y, P, sw, delta):
    """Write the output gradient ``delta = (P - Y) * sw[:, None]``."""
    n, k = P.shape
    for i in range(n):
        w = sw[i]
        for j in range(k):
            delta[i, j] = (P[i, j] - Y[i, j]) * w
