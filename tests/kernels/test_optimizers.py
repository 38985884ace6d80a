"""Update rules against closed forms and against scikit-learn's own optimizers."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skdeep._kernels import codes
from skdeep._kernels.optimizers import apply_update
from skdeep._kernels.structs import Solver

N_STEPS = 25


def _hyper(lr, momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8, nesterov=True):
    hyper = np.zeros(codes.N_HYPER)
    hyper[codes.HYPER_LR] = lr
    hyper[codes.HYPER_MOMENTUM] = momentum
    hyper[codes.HYPER_BETA_1] = beta_1
    hyper[codes.HYPER_BETA_2] = beta_2
    hyper[codes.HYPER_EPSILON] = epsilon
    hyper[codes.HYPER_NESTEROV] = float(nesterov)
    return hyper


def _gradients(n_params, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.randn(n_params) for _ in range(N_STEPS)]


def _run(solver, hyper, grads, theta0):
    theta = theta0.copy()
    state1 = np.zeros_like(theta)
    state2 = np.zeros_like(theta)
    step = np.zeros(1, dtype=np.int64)
    for g in grads:
        apply_update(theta, g, Solver(solver, hyper, step, state1, state2))
    assert step[0] == len(grads)
    return theta


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_equals_sklearn(nesterov):
    grads = _gradients(12)
    theta0 = np.linspace(-1, 1, 12)
    ours = _run(codes.SGD, _hyper(0.05, momentum=0.8, nesterov=nesterov), grads, theta0)
    params = [theta0.copy()]
    opt = SGDOptimizer(params, 0.05, "constant", momentum=0.8, nesterov=nesterov)
    for g in grads:
        opt.update_params(params, [g])
    np.testing.assert_array_equal(ours, params[0])


def test_sgd_momentum_equals_torch_form():
    """Heavy-ball in PyTorch's form: b = mu b + g; theta -= lr b (constant lr)."""
    grads = _gradients(6, seed=1)
    theta0 = np.ones(6)
    ours = _run(codes.SGD, _hyper(0.1, momentum=0.5, nesterov=False), grads, theta0)
    theta, b = theta0.copy(), np.zeros(6)
    for g in grads:
        b = 0.5 * b + g
        theta -= 0.1 * b
    np.testing.assert_allclose(ours, theta, rtol=1e-13)


def test_adam_equals_sklearn():
    grads = _gradients(10, seed=2)
    theta0 = np.zeros(10)
    ours = _run(codes.ADAM, _hyper(0.01, beta_1=0.8, beta_2=0.99), grads, theta0)
    params = [theta0.copy()]
    opt = AdamOptimizer(params, 0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-8)
    for g in grads:
        opt.update_params(params, [g])
    # sklearn evaluates beta**t with numpy's pow, Numba with LLVM's: last-bit
    # differences only.
    np.testing.assert_allclose(ours, params[0], rtol=1e-13, atol=1e-16)


def test_adam_equals_closed_form_with_bias_correction():
    """With epsilon -> 0 the sklearn and paper forms coincide."""
    grads = _gradients(5, seed=3)
    ours = _run(codes.ADAM, _hyper(0.002, epsilon=1e-300), grads, np.zeros(5))
    theta, m, v = np.zeros(5), np.zeros(5), np.zeros(5)
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        theta -= 0.002 * (m / (1 - 0.9**t)) / np.sqrt(v / (1 - 0.999**t))
    np.testing.assert_allclose(ours, theta, rtol=1e-12)


def test_adagrad_closed_form():
    grads = _gradients(7, seed=4)
    ours = _run(codes.ADAGRAD, _hyper(0.3, epsilon=1e-10), grads, np.ones(7))
    theta, s = np.ones(7), np.zeros(7)
    for g in grads:
        s += g**2
        theta -= 0.3 * g / (np.sqrt(s) + 1e-10)
    np.testing.assert_allclose(ours, theta, rtol=1e-13)


def test_rmsprop_closed_form():
    grads = _gradients(7, seed=5)
    ours = _run(codes.RMSPROP, _hyper(0.01, beta_2=0.9), grads, np.ones(7))
    theta, s = np.ones(7), np.zeros(7)
    for g in grads:
        s = 0.9 * s + 0.1 * g**2
        theta -= 0.01 * g / (np.sqrt(s) + 1e-8)
    np.testing.assert_allclose(ours, theta, rtol=1e-13)


@pytest.mark.parametrize(
    "solver", [codes.SGD, codes.ADAM, codes.ADAGRAD, codes.RMSPROP]
)
def test_float32_state_stays_float32_and_close(solver):
    grads = _gradients(8, seed=6)
    ours64 = _run(solver, _hyper(0.01), grads, np.ones(8))
    ours32 = _run(
        solver,
        _hyper(0.01),
        [g.astype(np.float32) for g in grads],
        np.ones(8, dtype=np.float32),
    )
    assert ours32.dtype == np.float32
    np.testing.assert_allclose(ours32, ours64, rtol=1e-5)
