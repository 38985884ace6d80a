"""Activation functions, each forward next to its derivative.

Forward overwrites the pre-activation block ``Z`` with ``f(Z)``. Backward multiplies
an upstream gradient in place by ``f'`` written in terms of the activation's output
``A = f(Z)``, as scikit-learn does, so the pre-activation need not be kept:

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

Blocks are flat: ``n`` samples of ``m`` values, row-major.
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
def activate(Z, n, m, code):
    """Apply activation ``code`` in place to the first ``n * m`` values of ``Z``
    (``n`` samples of ``m`` values; softmax normalizes each sample)."""
    size = n * m
    if code == LOGISTIC:
        for i in range(size):
            # exp(-z) may overflow to inf, which correctly gives 0.
            Z[i] = 1.0 / (1.0 + np.exp(-Z[i]))
    elif code == TANH:
        for i in range(size):
            Z[i] = np.tanh(Z[i])
    elif code == RELU:
        for i in range(size):
            if Z[i] < 0:
                Z[i] = 0.0
    elif code == LEAKY_RELU:
        for i in range(size):
            if Z[i] < 0:
                Z[i] *= LEAKY_SLOPE
    elif code == SOFTMAX:
        # Subtract each row's maximum (log-sum-exp trick) so exp never overflows.
        for i in range(n):
            row = Z[i * m : (i + 1) * m]
            top = row[0]
            for j in range(1, m):
                if row[j] > top:
                    top = row[j]
            total = 0.0
            for j in range(m):
                e = np.exp(row[j] - top)
                row[j] = e
                total += e
            for j in range(m):
                row[j] /= total
    elif code == EXP:
        for i in range(size):
            Z[i] = np.exp(Z[i])
    # IDENTITY: nothing to do.


@kernel
def activation_backward(A, delta, size, code):
    """Multiply the first ``size`` values of ``delta`` in place by the derivative of
    activation ``code`` at the outputs ``A``.

    Hidden-layer activations only: softmax and exp appear at the output, where the
    loss pairs with them (:func:`skdeep._kernels.losses.output_delta`).
    """
    if code == LOGISTIC:
        for i in range(size):
            a = A[i]
            delta[i] *= a * (1.0 - a)
    elif code == TANH:
        for i in range(size):
            a = A[i]
            delta[i] *= 1.0 - a * a
    elif code == RELU:
        for i in range(size):
            if A[i] <= 0:
                delta[i] = 0.0
    elif code == LEAKY_RELU:
        for i in range(size):
            if A[i] <= 0:
                delta[i] *= LEAKY_SLOPE
