"""Update rules applied in place to the flat parameter vector.

``params``, ``grad`` and the solver's state vectors are 1-D arrays of the same
length, so one call updates every layer. The formulas (gamma = learning rate,
g = gradient):

* sgd (scikit-learn's form): ``v = mu v - gamma g``; ``theta += v``, or with Nesterov
  momentum ``theta += mu v - gamma g``.
* adam (scikit-learn's form, t counts updates from 1):
  ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
  ``theta += -gamma_t m / (sqrt(v) + eps)`` with
  ``gamma_t = gamma sqrt(1 - b2^t) / (1 - b1^t)``.
* adagrad: ``s += g^2``; ``theta -= gamma g / (sqrt(s) + eps)``.
* rmsprop: ``s = b2 s + (1 - b2) g^2``; ``theta -= gamma g / (sqrt(s) + eps)``.

Before the update a gradient may be clipped to a maximum norm
(:func:`clip_gradient_norm`, PyTorch's ``clip_grad_norm_``).
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import (
    ADAGRAD,
    ADAM,
    HYPER_BETA_1,
    HYPER_BETA_2,
    HYPER_EPSILON,
    HYPER_LR,
    HYPER_MOMENTUM,
    HYPER_NESTEROV,
    RMSPROP,
)


@kernel
def clip_gradient_norm(grad, max_norm):
    """Scale ``grad`` in place to at most the Euclidean norm ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` does: with ``total = sqrt(sum_i g_i^2)``
    (summed in float64, in order) and ``c = max_norm / (total + 1e-6)``, every
    ``g_i`` becomes ``c g_i`` when ``c < 1``. Returns ``total``."""
    total = 0.0
    for i in range(grad.shape[0]):
        g = np.float64(grad[i])
        total += g * g
    total = np.sqrt(total)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for i in range(grad.shape[0]):
            grad[i] *= coef
    return total


@kernel
def apply_update(params, grad, solver):
    """Apply one update of ``solver`` (a :class:`~skdeep._kernels.structs.Solver`)
    to ``params``, and count it in ``solver.step``."""
    solver.step[0] += 1
    hyper = solver.hyper
    state1 = solver.state1
    lr = hyper[HYPER_LR]
    eps = hyper[HYPER_EPSILON]
    n = params.shape[0]
    if solver.code == ADAM:
        state2 = solver.state2
        b1 = hyper[HYPER_BETA_1]
        b2 = hyper[HYPER_BETA_2]
        t = solver.step[0]
        lr_t = lr * np.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        for i in range(n):
            g = grad[i]
            state1[i] = b1 * state1[i] + (1.0 - b1) * g
            state2[i] = b2 * state2[i] + (1.0 - b2) * (g * g)
            params[i] += -lr_t * state1[i] / (np.sqrt(state2[i]) + eps)
    elif solver.code == ADAGRAD:
        for i in range(n):
            g = grad[i]
            state1[i] += g * g
            params[i] -= lr * g / (np.sqrt(state1[i]) + eps)
    elif solver.code == RMSPROP:
        b2 = hyper[HYPER_BETA_2]
        for i in range(n):
            g = grad[i]
            state1[i] = b2 * state1[i] + (1.0 - b2) * (g * g)
            params[i] -= lr * g / (np.sqrt(state1[i]) + eps)
    else:
        mu = hyper[HYPER_MOMENTUM]
        nesterov = hyper[HYPER_NESTEROV] != 0.0
        for i in range(n):
            v = mu * state1[i] - lr * grad[i]
            state1[i] = v
            if nesterov:
                params[i] += mu * v - lr * grad[i]
            else:
                params[i] += v
