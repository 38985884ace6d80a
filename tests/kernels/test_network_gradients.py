"""Finite-difference checks of the compiled forward/backward of dense networks.

The reference is independent of the backward kernels: a central difference of the
loss computed by the forward kernels alone, in float64.
"""

import numpy as np
import pytest

from skdeep._kernels import codes
from skdeep._kernels.losses import loss_sum
from skdeep._kernels.network import backward, finish_gradient, forward
from skdeep._kernels.training import full_loss_and_gradient
from skdeep.network.layout import DenseLayout
from skdeep.training.data import KernelInput

HIDDEN = ["identity", "logistic", "tanh", "relu", "leaky_relu"]
OUTPUTS = ["identity", "softmax", "logistic", "exp"]
LOSS_OF_OUTPUT = {
    "identity": codes.SQUARED_ERROR,
    "softmax": codes.CATEGORICAL_CROSSENTROPY,
    "logistic": codes.BINARY_CROSSENTROPY,
    "exp": codes.POISSON,
}


def _targets(rng, out_activation, n, k):
    if out_activation == "softmax":
        return np.eye(k)[rng.randint(k, size=n)]
    if out_activation == "logistic":
        return (rng.rand(n, k) > 0.5).astype(float)
    if out_activation == "exp":
        return rng.poisson(2.0, size=(n, k)).astype(float)
    return rng.randn(n, k)


def _problem(hidden, out_activation, seed=0, n=7, units=(4, 5, 3, 3)):
    rng = np.random.RandomState(seed)
    layout = DenseLayout(units, hidden, out_activation)
    params = layout.glorot_init(rng, np.float64)
    X = rng.randn(n, units[0])
    Y = _targets(rng, out_activation, n, units[-1])
    sw = rng.uniform(0.5, 2.0, size=n)
    return layout, params, X, Y, sw


def _loss_and_grad(layout, params, X, Y, sw, alpha, loss_code):
    n = X.shape[0]
    acts = np.empty(n * layout.total_units)
    deltas = np.empty_like(acts)
    grad = np.empty_like(params)
    empty_aux = np.empty(0)
    data = KernelInput.from_validated(X)
    return full_loss_and_gradient(
        *data.arrays(),
        Y,
        sw,
        n,
        params,
        grad,
        np.empty_like(params),
        layout.table(),
        alpha,
        loss_code,
        np.empty(X.size),
        np.empty(Y.size),
        np.empty(n),
        acts,
        deltas,
        empty_aux,
        np.empty(0, np.int64),
    ), grad


def _numeric_gradient(f, params, eps=1e-6):
    grad = np.empty_like(params)
    for i in range(params.shape[0]):
        step = np.zeros_like(params)
        step[i] = eps
        grad[i] = (f(params + step) - f(params - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("out_activation", OUTPUTS)
def test_gradient_matches_finite_differences(hidden, out_activation):
    layout, params, X, Y, sw = _problem(hidden, out_activation)
    if hidden in ("relu", "leaky_relu"):
        # Keep pre-activations away from the kink so differences are smooth.
        params = params + 0.05
    alpha = 0.3
    loss_code = LOSS_OF_OUTPUT[out_activation]
    _, grad = _loss_and_grad(layout, params, X, Y, sw, alpha, loss_code)
    numeric = _numeric_gradient(
        lambda p: _loss_and_grad(layout, p, X, Y, sw, alpha, loss_code)[0], params
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("out_activation", OUTPUTS)
def test_loss_value_matches_formula(out_activation):
    layout, params, X, Y, sw = _problem("tanh", out_activation, seed=3)
    loss, _ = _loss_and_grad(
        layout, params, X, Y, sw, 0.0, LOSS_OF_OUTPUT[out_activation]
    )
    coefs, intercepts = layout.views(params)
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = a @ W + b
        if i < len(coefs) - 1:
            a = np.tanh(z)
        elif out_activation == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        elif out_activation == "logistic":
            a = 1 / (1 + np.exp(-z))
        elif out_activation == "exp":
            a = np.exp(z)
        else:
            a = z
    if out_activation == "softmax":
        per_row = -(Y * np.log(a)).sum(axis=1)
    elif out_activation == "logistic":
        per_row = -(Y * np.log(a) + (1 - Y) * np.log(1 - a)).sum(axis=1)
    elif out_activation == "exp":
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(Y > 0, Y * np.log(Y / a), 0.0)
        per_row = (ylogy - Y + a).sum(axis=1)
    else:
        per_row = 0.5 * ((Y - a) ** 2).sum(axis=1)
    np.testing.assert_allclose(loss, np.average(per_row, weights=sw), rtol=1e-12)


def test_dropout_gradient_with_fixed_mask():
    """With the mask held fixed (same RNG state), backward is the exact gradient."""
    layout, params, X, Y, sw = _problem("tanh", "identity", seed=5)
    params = params.copy()
    table = layout.table()
    n = X.shape[0]
    size = n * layout.total_units
    rates = np.array([0.4, 0.3, 0.0])
    seed_state = np.array([12345], dtype=np.uint64)
    empty_aux, empty_int = np.empty(0), np.empty(0, np.int64)

    def run(p, with_backward):
        acts, masks, dropped = np.empty(size), np.empty(size), np.empty(size)
        rng = seed_state.copy()
        P = forward(
            X, p, table, n, acts, rates, True, rng, masks, dropped, empty_aux, empty_int
        )
        loss = loss_sum(Y, P, sw, codes.SQUARED_ERROR)
        if not with_backward:
            return loss
        grad = np.empty_like(p)
        backward(
            X,
            Y,
            sw,
            p,
            grad,
            table,
            n,
            acts,
            np.empty(size),
            rates,
            masks,
            dropped,
            empty_aux,
            empty_int,
        )
        finish_gradient(grad, p, table, 0.0, 1.0)
        return loss, grad, masks

    _, grad, masks = run(params, True)
    # The mask really drops units and rescales the kept ones by 1 / (1 - rate).
    first = masks[: n * 5]
    assert set(np.unique(first)) == {0.0, 1 / 0.6}
    numeric = _numeric_gradient(lambda p: run(p, False), params)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_chunked_full_gradient_equals_single_pass():
    """L-BFGS's chunked pass accumulates exactly what one pass over all rows gives."""
    layout, params, X, Y, sw = _problem("relu", "softmax", seed=2, n=50)
    loss_one, grad_one = _loss_and_grad(
        layout, params, X, Y, sw, 0.1, codes.CATEGORICAL_CROSSENTROPY
    )
    chunk = 8
    acts = np.empty(chunk * layout.total_units)
    grad = np.empty_like(params)
    data = KernelInput.from_validated(X)
    loss_chunked = full_loss_and_gradient(
        *data.arrays(),
        Y,
        sw,
        chunk,
        params,
        grad,
        np.empty_like(params),
        layout.table(),
        0.1,
        codes.CATEGORICAL_CROSSENTROPY,
        np.empty(chunk * 4),
        np.empty(chunk * 3),
        np.empty(chunk),
        acts,
        np.empty_like(acts),
        np.empty(0),
        np.empty(0, np.int64),
    )
    np.testing.assert_allclose(loss_chunked, loss_one, rtol=1e-12)
    np.testing.assert_allclose(grad, grad_one, rtol=1e-10, atol=1e-14)


def test_sparse_rows_give_the_same_gradient_as_dense():
    import scipy.sparse as sp

    layout, params, X, Y, sw = _problem("tanh", "identity", seed=4, n=9)
    X[X < 0.3] = 0.0
    loss_d, grad_d = _loss_and_grad(layout, params, X, Y, sw, 0.0, 0)
    n = X.shape[0]
    acts = np.empty(n * layout.total_units)
    grad = np.empty_like(params)
    data = KernelInput.from_validated(sp.csr_matrix(X))
    loss_s = full_loss_and_gradient(
        *data.arrays(),
        Y,
        sw,
        n,
        params,
        grad,
        np.empty_like(params),
        layout.table(),
        0.0,
        0,
        np.empty(X.size),
        np.empty(Y.size),
        np.empty(n),
        acts,
        np.empty_like(acts),
        np.empty(0),
        np.empty(0, np.int64),
    )
    assert loss_s == loss_d
    np.testing.assert_array_equal(grad, grad_d)
