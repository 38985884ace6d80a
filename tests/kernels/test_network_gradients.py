"""Finite-difference checks of the compiled forward/backward of dense networks.

The reference is independent of the backward kernels: a central difference of the
loss computed by the forward kernels alone, in float64.
"""

import numpy as np
import pytest
from _engine import Batch, loss_and_grad, numeric_gradient

from skdeep._kernels import codes
from skdeep._kernels.losses import loss_sum
from skdeep.network.network import Network
from skdeep.network.specs import Dense, Dropout

HIDDEN = ["identity", "logistic", "tanh", "relu", "leaky_relu"]
OUTPUTS = ["identity", "softmax", "logistic", "exp"]
LOSS_OF_OUTPUT = codes.OUTPUT_LOSS_CODES


def _targets(rng, out_activation, n, k):
    if out_activation == "softmax":
        return np.eye(k)[rng.randint(k, size=n)]
    if out_activation == "logistic":
        return (rng.rand(n, k) > 0.5).astype(float)
    if out_activation == "exp":
        return rng.poisson(2.0, size=(n, k)).astype(float)
    return rng.randn(n, k)


def _network(hidden, out_activation, units=(4, 5, 3, 3), dropout=()):
    specs = []
    for i, width in enumerate(units[1:-1]):
        specs.append(Dense(width, hidden))
        if i < len(dropout) and dropout[i] > 0:
            specs.append(Dropout(dropout[i]))
    specs.append(Dense(units[-1], out_activation))
    return Network((units[0],), tuple(specs))


def _problem(hidden, out_activation, seed=0, n=7, units=(4, 5, 3, 3)):
    rng = np.random.RandomState(seed)
    network = _network(hidden, out_activation, units)
    params = network.init(rng, np.float64)
    X = rng.randn(n, units[0])
    Y = _targets(rng, out_activation, n, units[-1])
    sw = rng.uniform(0.5, 2.0, size=n)
    return network, params, X, Y, sw


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("out_activation", OUTPUTS)
def test_gradient_matches_finite_differences(hidden, out_activation):
    network, params, X, Y, sw = _problem(hidden, out_activation)
    if hidden in ("relu", "leaky_relu"):
        # Keep pre-activations away from the kink so differences are smooth.
        params = params + 0.05
    alpha = 0.3
    loss = LOSS_OF_OUTPUT[out_activation]
    _, grad = loss_and_grad(network, params, X, Y, sw, alpha, loss)
    numeric = numeric_gradient(
        lambda p: loss_and_grad(network, p, X, Y, sw, alpha, loss)[0], params
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("out_activation", OUTPUTS)
def test_loss_value_matches_formula(out_activation):
    network, params, X, Y, sw = _problem("tanh", out_activation, seed=3)
    loss, _ = loss_and_grad(network, params, X, Y, sw, 0.0,
                            LOSS_OF_OUTPUT[out_activation])  # fmt: skip
    coefs, intercepts = network.views(params)
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
    rng = np.random.RandomState(5)
    network = _network("tanh", "identity", dropout=(0.4, 0.3))
    params = network.init(rng, np.float64)
    X, Y = rng.randn(7, 4), rng.randn(7, 3)
    sw = rng.uniform(0.5, 2.0, size=7)
    batch = Batch(network, X, params)
    seed_state = np.array([12345], dtype=np.uint64)

    def loss(p):
        P, _ = batch.forward(p, training=True, rng=seed_state.copy())
        return loss_sum(Y.ravel(), P.ravel(), sw, 7, 3, codes.SQUARED_ERROR)

    P, _ = batch.forward(params, training=True, rng=seed_state.copy())
    grad, _ = batch.backward((P - Y) * sw[:, None], params)
    # The mask really drops units and rescales the kept ones by 1 / (1 - rate).
    mask_start = 7 * network.table[1, codes.COL_AUX_OFFSET]
    first = batch.work.floats[mask_start : mask_start + 7 * 5]
    assert set(np.unique(first)) == {0.0, 1 / 0.6}
    numeric = numeric_gradient(loss, params)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_chunked_full_gradient_equals_single_pass():
    """L-BFGS's chunked pass accumulates exactly what one pass over all rows gives."""
    network, params, X, Y, sw = _problem("relu", "softmax", seed=2, n=50)
    loss = codes.CATEGORICAL_CROSSENTROPY
    loss_one, grad_one = loss_and_grad(network, params, X, Y, sw, 0.1, loss)
    loss_chunked, grad = loss_and_grad(network, params, X, Y, sw, 0.1, loss, chunk=8)
    np.testing.assert_allclose(loss_chunked, loss_one, rtol=1e-12)
    np.testing.assert_allclose(grad, grad_one, rtol=1e-10, atol=1e-14)


def test_sparse_rows_give_the_same_gradient_as_dense():
    import scipy.sparse as sp

    network, params, X, Y, sw = _problem("tanh", "identity", seed=4, n=9)
    X[X < 0.3] = 0.0
    loss_d, grad_d = loss_and_grad(network, params, X, Y, sw, 0.0, 0)
    loss_s, grad_s = loss_and_grad(network, params, sp.csr_matrix(X), Y, sw, 0.0, 0)
    assert loss_s == loss_d
    np.testing.assert_array_equal(grad_s, grad_d)


def test_input_gradient_of_a_dense_stack_matches_finite_differences():
    # backward's d_input (how networks chain: the generator of an adversarial
    # autoencoder gets its gradient through the discriminator's input).
    network, params, X, Y, sw = _problem("tanh", "identity", seed=6, n=5)
    batch = Batch(network, X, params)
    P, _ = batch.forward()
    _, dX = batch.backward((P - Y) * sw[:, None], input_gradient=True)

    def loss(x):
        out, _ = Batch(network, x.reshape(X.shape), params).forward()
        return loss_sum(Y.ravel(), out.ravel(), sw, 5, 3, codes.SQUARED_ERROR)

    numeric = numeric_gradient(loss, X.ravel().copy())
    np.testing.assert_allclose(dX.ravel(), numeric, rtol=1e-5, atol=1e-8)
