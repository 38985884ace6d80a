"""Finite-difference checks of every autoencoder term, in float64.

Each layer kernel of the autoencoders (the KL sparsity penalty, the Gaussian
posterior through the reparameterization with a fixed noise, the input corruption)
and each composed gradient (whole autoencoders as networks, the discriminator and
generator losses of the adversarial one) is compared with central differences of
the loss it returns.
"""

import numpy as np
import pytest
from _engine import Batch, loss_and_grad, numeric_gradient

from skdeep._kernels import codes
from skdeep._kernels.activations import activation_backward
from skdeep._kernels.adversarial import _critic_pass
from skdeep._kernels.corruption import corrupt
from skdeep._kernels.latent import (
    gaussian_backward,
    gaussian_forward,
    sparsity_backward,
    sparsity_forward,
)
from skdeep._kernels.rng import next_uniform
from skdeep._kernels.sampling import fill_normal, step_uniform
from skdeep.network.network import Network
from skdeep.network.specs import (
    Corruption,
    Dense,
    GaussianLatent,
    SparsityPenalty,
)


def _penalty(H, rho, weight):
    n, c = H.shape
    return sparsity_forward(H.ravel(), n, c, rho, weight, np.empty(c), np.empty(n * c))


# --------------------------------------------------------------- the terms alone
def test_kl_sparsity_value_and_gradient():
    rng = np.random.RandomState(0)
    H = rng.uniform(0.05, 0.95, size=(7, 4))
    rho, weight = 0.1, 0.7
    rho_hat = np.empty(4)
    out = np.empty(H.size)

    value = sparsity_forward(H.ravel(), 7, 4, rho, weight, rho_hat, out)
    mean = H.mean(axis=0)
    expected = np.sum(
        rho * np.log(rho / mean) + (1 - rho) * np.log((1 - rho) / (1 - mean))
    )
    assert value == pytest.approx(7 * weight * expected, rel=1e-12)
    np.testing.assert_allclose(rho_hat, mean, rtol=1e-14)
    np.testing.assert_array_equal(out, H.ravel())  # the codes pass through

    dH = np.empty(H.size)
    sparsity_backward(np.zeros(H.size), 7, 4, rho, weight, rho_hat, dH)
    numeric = numeric_gradient(
        lambda h: _penalty(h.reshape(H.shape), rho, weight), H.ravel().copy()
    )
    np.testing.assert_allclose(dH, numeric, rtol=1e-6, atol=1e-9)

    # The backward adds the penalty's gradient to the upstream one.
    dH2 = np.empty(H.size)
    sparsity_backward(np.ones(H.size), 7, 4, rho, weight, rho_hat, dH2)
    np.testing.assert_allclose(dH2, 1.0 + dH, rtol=1e-14)


def test_kl_sparsity_is_zero_at_target():
    H = np.full((5, 3), 0.2)
    assert _penalty(H, 0.2, 1.0) == pytest.approx(0.0, abs=1e-15)


def test_gaussian_kl_closed_form():
    rng = np.random.RandomState(1)
    S = rng.normal(size=(6, 4))
    rows, Z = np.empty(6), np.empty(12)
    total = gaussian_forward(S.ravel(), 6, 2, 1.0, False, np.zeros(1, np.uint64),
                             np.empty(12), rows, Z)  # fmt: skip
    mu, lv = S[:, :2], S[:, 2:]
    expected = -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)
    np.testing.assert_allclose(rows, expected, rtol=1e-13)
    assert total == pytest.approx(expected.sum(), rel=1e-13)
    np.testing.assert_array_equal(Z.reshape(6, 2), mu)  # the mean at prediction
    zero = gaussian_forward(np.zeros(12), 3, 2, 1.0, False, np.zeros(1, np.uint64),
                            np.empty(6), np.empty(3), np.empty(6))  # fmt: skip
    assert zero == 0.0


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_reparameterization_and_kl_gradient(beta):
    rng = np.random.RandomState(2)
    n, c = 5, 3
    S = rng.normal(scale=0.7, size=(n, 2 * c))
    G = rng.normal(size=(n, c))  # dL/dZ of the linear loss L(Z) = sum(G * Z)
    seed = np.array([99], dtype=np.uint64)  # the same noise on every call

    def objective(s):
        Z, eps = np.empty(n * c), np.empty(n * c)
        penalty = gaussian_forward(s, n, c, beta, True, seed.copy(), eps,
                                   np.empty(n), Z)  # fmt: skip
        return np.sum(G.ravel() * Z) + penalty

    Z, eps = np.empty(n * c), np.empty(n * c)
    gaussian_forward(S.ravel(), n, c, beta, True, seed.copy(), eps, np.empty(n), Z)
    E = eps.reshape(n, c)
    assert np.std(E) > 0.3  # fresh normal draws
    np.testing.assert_allclose(
        Z.reshape(n, c), S[:, :c] + np.exp(0.5 * S[:, c:]) * E, rtol=1e-14
    )
    dS = np.empty(S.size)
    gaussian_backward(S.ravel(), G.ravel(), n, c, beta, eps, dS)
    numeric = numeric_gradient(objective, S.ravel().copy())
    np.testing.assert_allclose(dS, numeric, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------- corruption
def _corrupt(X, code, level, low, high, seed=7):
    out = np.empty(X.size, dtype=X.dtype)
    n, d = X.shape
    corrupt(X.ravel(), n, d, code, level, low, high,
            np.array([seed], dtype=np.uint64), out)  # fmt: skip
    return out.reshape(X.shape)


def test_corruption_statistics_and_determinism():
    X = np.random.RandomState(3).uniform(size=(400, 10))
    low, high = X.min(axis=0), X.max(axis=0)

    out = _corrupt(X, codes.NOISE_GAUSSIAN, 0.3, low, high)
    assert np.std(out - X) == pytest.approx(0.3, rel=0.05)
    assert abs(np.mean(out - X)) < 0.02

    out = _corrupt(X, codes.NOISE_MASKING, 0.25, low, high)
    zeroed = out == 0
    assert zeroed.mean() == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(out[~zeroed], X[~zeroed])

    out = _corrupt(X, codes.NOISE_SALT_PEPPER, 0.2, low, high)
    changed = out != X
    assert changed.mean() == pytest.approx(0.2, abs=0.02)
    is_min = out == low[None, :]
    is_max = out == high[None, :]
    assert np.all((is_min | is_max)[changed])
    assert is_max[changed].mean() == pytest.approx(0.5, abs=0.06)

    again = _corrupt(X, codes.NOISE_SALT_PEPPER, 0.2, low, high)
    np.testing.assert_array_equal(out, again)


def test_corruption_keeps_float32():
    X = np.ones((3, 4), dtype=np.float32)
    out = _corrupt(X, codes.NOISE_GAUSSIAN, 0.1, X[0], X[0], seed=1)
    assert out.dtype == np.float32 and np.all(out != 1)


def test_corruption_layer_is_the_identity_at_prediction():
    network = Network((4,), (Corruption("masking", 0.9), Dense(2, "identity")))
    params = network.init(np.random.RandomState(0), np.float64)
    X = np.random.RandomState(1).uniform(size=(6, 4))
    state = np.concatenate([X.min(axis=0), X.max(axis=0)])
    P, _ = Batch(network, X, params, state).forward(training=False)
    W, b = network.views(params)[0][0], network.views(params)[1][0]
    np.testing.assert_allclose(P, X @ W + b, rtol=1e-14)


def test_fill_normal_moments():
    out = np.empty(2001 * 3)
    fill_normal(np.array([5], dtype=np.uint64), out, out.shape[0])
    assert abs(out.mean()) < 0.05 and out.std() == pytest.approx(1.0, abs=0.05)
    # Neighbouring draws (the two halves of a Box-Muller pair) are uncorrelated.
    assert abs(np.corrcoef(out[0::2][:3000], out[1::2][:3000])[0, 1]) < 0.05


def test_local_uniform_stream_is_the_rng_modules_stream():
    state = np.array([123], dtype=np.uint64)
    s = state[0]
    for _ in range(5):
        s, u = step_uniform(np.uint64(s))  # keep the Python int typed as uint64
        assert u == next_uniform(state)
    assert np.uint64(s) == state[0]


# ------------------------------------------------------- composed batch gradients
def _autoencoder(variant, code, out):
    """The network of a small autoencoder (5 inputs, 4 hidden, 3 components)."""
    specs = [Corruption("gaussian", 0.1)] if variant == "denoising" else []
    specs.append(Dense(4, "tanh"))
    if variant == "variational":
        specs += [Dense(6, code), GaussianLatent(1.3)]
    elif variant == "sparse":
        specs += [Dense(3, code), SparsityPenalty(0.1, 0.7)]
    else:
        specs.append(Dense(3, code))
    specs += [Dense(4, "tanh"), Dense(5, out)]
    return Network((5,), tuple(specs))


CASES = [
    ("plain-mse", "plain", "identity", "identity", codes.SQUARED_ERROR),
    ("plain-sigmoid-mse", "plain", "identity", "logistic", codes.SQUARED_ERROR),
    ("plain-bce", "plain", "identity", "logistic", codes.BINARY_CROSSENTROPY),
    ("denoising-mse", "denoising", "identity", "identity", codes.SQUARED_ERROR),
    ("sparse-mse", "sparse", "logistic", "identity", codes.SQUARED_ERROR),
    ("sparse-bce", "sparse", "logistic", "logistic", codes.BINARY_CROSSENTROPY),
    ("vae-bce", "variational", "identity", "logistic", codes.BINARY_CROSSENTROPY),
    ("vae-mse", "variational", "identity", "identity", codes.SQUARED_ERROR),
]


@pytest.mark.parametrize(
    "variant, code, out, loss", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reconstruction_gradient_matches_finite_differences(variant, code, out, loss):
    n = 6
    network = _autoencoder(variant, code, out)
    rs = np.random.RandomState(4)
    params = network.init(rs, np.float64)
    params += rs.normal(scale=0.1, size=params.shape)  # break symmetry
    X = rs.uniform(0.05, 0.95, size=(n, 5))
    state = np.zeros(network.n_state)
    if variant == "denoising":
        state[:] = np.concatenate([X.min(axis=0), X.max(axis=0)])

    def objective(p):
        # The same random state every call: the same noise and samples.
        return loss_and_grad(network, p, X, None, None, 0.2, loss, state=state,
                             reconstruct=True)  # fmt: skip

    _, grad = objective(params)
    numeric = numeric_gradient(lambda p: objective(p)[0], params)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def _critic(seed=0):
    critic = Network((3,), (Dense(4, "tanh"), Dense(1, "logistic")))
    return critic, critic.init(np.random.RandomState(seed), np.float64)


def _critic_output(critic, params, Z):
    (W1, W2), (b1, b2) = critic.views(params)
    return (1 / (1 + np.exp(-(np.tanh(Z @ W1 + b1) @ W2 + b2)))).ravel()


def _pass(critic, params, z, target, d_input=None):
    """``(raw loss, gradient)`` of one discriminator pass."""
    n = z.shape[0]
    work = critic.work(n, np.float64, grad_part=True)
    grad = np.empty_like(params)
    z = np.ascontiguousarray(z).ravel()
    d_input = np.empty(0) if d_input is None else d_input
    raw = _critic_pass(z, target, critic.arrays(params, np.empty(0)), grad, work, n,
                       d_input, np.zeros(1, np.uint64))  # fmt: skip
    return raw, grad


def test_discriminator_gradient_matches_finite_differences():
    n = 7
    critic, params = _critic()
    rs = np.random.RandomState(5)
    z_prior = rs.normal(size=(n, 3))
    z_code = rs.normal(loc=0.5, size=(n, 3))

    def loss(p):
        return _pass(critic, p, z_prior, 1.0)[0] + _pass(critic, p, z_code, 0.0)[0]

    value = loss(params)
    # The loss is -sum log D(prior) - sum log(1 - D(code)) for the logistic D.
    D = _critic_output(critic, params, z_prior), _critic_output(critic, params, z_code)
    assert value == pytest.approx(
        -np.log(D[0]).sum() - np.log(1 - D[1]).sum(), rel=1e-12
    )
    grad = (
        _pass(critic, params, z_prior, 1.0)[1] + _pass(critic, params, z_code, 0.0)[1]
    )
    numeric = numeric_gradient(loss, params)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("code", ["identity", "logistic"])
def test_generator_gradient_matches_finite_differences(code):
    """The encoder's gradient of -sum log D(f(x)), through the discriminator's
    input gradient and the encoder's backward pass."""
    n = 6
    encoder = Network((5,), (Dense(4, "tanh"), Dense(3, code)))
    enc = encoder.init(np.random.RandomState(1), np.float64)
    critic, disc = _critic(seed=2)
    x = np.random.RandomState(6).uniform(size=(n, 5))

    def loss(p):
        codes_, _ = Batch(encoder, x, p).forward()
        return _pass(critic, disc, codes_, 1.0)[0]

    batch = Batch(encoder, x, enc)
    codes_, _ = batch.forward()
    d_codes = np.empty(codes_.size)
    _pass(critic, disc, codes_, 1.0, d_codes)
    activation_backward(codes_.ravel(), d_codes, d_codes.size,
                        codes.ACTIVATION_CODES[code])  # fmt: skip
    grad, _ = batch.backward(d_codes.reshape(n, 3))
    numeric = numeric_gradient(loss, enc)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
