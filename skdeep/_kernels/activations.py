"""Activation functions, each forward next to its derivative.

Forward functions overwrite the pre-activation ``Z`` with ``f(Z)``. Backward functions
multiply an upstream gradient ``delta`` in place by ``f'`` written in terms of the
activation's output ``A = f(Z)``, as scikit-learn does, so the pre-activation need not
be kept:

==========  ==================  ==========================
name        f(z)                f'(z) from a = f(z)
==========  ==================  ==========================
identity    z                   1
logistic    1 / (1 + e^-z)      a (1 - a)
tanh        tanh z              1 - a^2
relu        max(z, 0)           1 if a > 0 else 0
leaky_relu  z if z > 0 else sz  1 if a > 0 else s  (s = 0.01)
softmax     e^z_i / sum e^z_j   (output layer only; paired with cross-entropy)
exp         e^z                 (output layer only; paired with Poisson)
==========  ==================  ==========================
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    EXP,
    LEAKY_RELU,
    LEAKY_SLOPE,
    LOGISTIC,
    RELU,
    SOFTMAX,
    TANH,
)


@kernel
def activate(Z, code):
    """Apply activation ``code`` to the 2-D array ``Z`` in place."""
    n, m = Z.shape
    if code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                # exp(-z) may overflow to inf, which correctly gives 0.
                Z[i, j] = 1.0 / (1.0 + np.exp(-Z[i, j]))
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                Z[i, j] = np.tanh(Z[i, j])
    elif code == RELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] < 0:
                    Z[i, j] = 0.0
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] < 0:
                    Z[i, j] *= LEAKY_SLOPE
    elif code == SOFTMAX:
        # Subtract the row maximum (log-sum-exp trick) so exp never overflows.
        for i in range(n):
            top = Z[i, 0]
            for j in range(1, m):
                if Z[i, j] > top:
                    top = Z[i, j]
            total = 0.0
            for j in range(m):
                e = np.exp(Z[i, j] - top)
                Z[i, j] = e
                total += e
            for j in range(m):
                Z[i, j] /= total
    elif code == EXP:
        for i in range(n):
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j])
    # IDENTITY: nothing to do.


@kernel
def activation_backward(A, delta, code):
    """Multiply ``delta`` in place by the derivative of activation ``code`` at ``A``.

    ``A`` is the activation's output; only hidden-layer activations are supported
    (softmax and exp appear only at the output, where the loss pairs with them).
    """
    n, m = A.shape
    if code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                a = A[i, j]
                delta[i, j] *= a * (1.0 - a)
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                a = A[i, j]
                delta[i, j] *= 1.0 - a * a
    elif code == RELU:
        for i in range(n):
            for j in range(m):
                if A[i, j] <= 0:
                    delta[i, j] = 0.0
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(m):
                if A[i, j] <= 0:
                    delta[i, j] *= LEAKY_SLOPE
