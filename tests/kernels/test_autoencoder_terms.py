"""Finite-difference checks of every autoencoder term, in float64.

Each new kernel (KL sparsity, Gaussian KL through the reparameterization with a
fixed eps, the discriminator and generator losses) and each composed batch
gradient of skdeep/_kernels/autoencoder.py is compared with central differences
of the loss it returns.
"""

import numpy as np
import pytest

from skdeep._kernels import codes
from skdeep._kernels.autoencoder import (
    PLAIN,
    SPARSE,
    VARIATIONAL,
    discriminator_gradient,
    generator_gradient,
    reconstruction_gradient,
)
from skdeep._kernels.corruption import (
    NOISE_GAUSSIAN,
    NOISE_MASKING,
    NOISE_NONE,
    NOISE_SALT_PEPPER,
    corrupt,
)
from skdeep._kernels.latent import (
    gaussian_backward,
    gaussian_kl,
    kl_sparsity,
    kl_sparsity_backward,
    reparameterize,
)
from skdeep._kernels.rng import next_uniform
from skdeep._kernels.sampling import fill_normal, step_uniform
from skdeep.network.autoencoder import AutoencoderLayout

H_STEP = 1e-6


def numeric_gradient(f, x, step=H_STEP):
    """Central differences of the scalar ``f()`` with respect to ``x`` (in place)."""
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + step
        up = f()
        flat[i] = old - step
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * step)
    return grad


# --------------------------------------------------------------- the terms alone
def test_kl_sparsity_value_and_gradient():
    rng = np.random.RandomState(0)
    H = rng.uniform(0.05, 0.95, size=(7, 4))
    rho = 0.1
    rho_hat = np.empty(4)

    value = kl_sparsity(H, rho, rho_hat)
    mean = H.mean(axis=0)
    expected = np.sum(
        rho * np.log(rho / mean) + (1 - rho) * np.log((1 - rho) / (1 - mean))
    )
    assert value == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(rho_hat, mean, rtol=1e-14)

    dH = np.zeros_like(H)
    kl_sparsity_backward(rho_hat, rho, 1.0, dH)
    numeric = numeric_gradient(lambda: kl_sparsity(H, rho, np.empty(4)), H)
    np.testing.assert_allclose(dH, numeric, rtol=1e-6, atol=1e-9)

    # The backward adds (scaled) to what is there.
    dH2 = np.ones_like(H)
    kl_sparsity_backward(rho_hat, rho, 3.0, dH2)
    np.testing.assert_allclose(dH2, 1.0 + 3.0 * dH, rtol=1e-14)


def test_kl_sparsity_is_zero_at_target():
    H = np.full((5, 3), 0.2)
    assert kl_sparsity(H, 0.2, np.empty(3)) == pytest.approx(0.0, abs=1e-15)


def test_gaussian_kl_closed_form():
    rng = np.random.RandomState(1)
    S = rng.normal(size=(6, 4))
    rows = np.empty(6)
    total = gaussian_kl(S, rows)
    mu, lv = S[:, :2], S[:, 2:]
    expected = -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)
    np.testing.assert_allclose(rows, expected, rtol=1e-13)
    assert total == pytest.approx(expected.sum(), rel=1e-13)
    assert gaussian_kl(np.zeros((3, 4)), np.empty(3)) == 0.0


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_reparameterization_and_kl_gradient(beta):
    rng = np.random.RandomState(2)
    n, c = 5, 3
    S = rng.normal(scale=0.7, size=(n, 2 * c))
    eps = rng.normal(size=(n, c))
    G = rng.normal(size=(n, c))  # dL/dZ of the linear loss L(Z) = sum(G * Z)
    Z = np.empty((n, c))

    def objective():
        reparameterize(S, eps, Z)
        return np.sum(G * Z) + beta * gaussian_kl(S, np.empty(n))

    reparameterize(S, eps, Z)
    np.testing.assert_allclose(Z, S[:, :c] + np.exp(0.5 * S[:, c:]) * eps, rtol=1e-14)
    dS = np.empty_like(S)
    gaussian_backward(S, eps, G, beta, dS)
    np.testing.assert_allclose(dS, numeric_gradient(objective, S), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------- corruption
def test_corruption_statistics_and_determinism():
    X = np.random.RandomState(3).uniform(size=(400, 10))
    low, high = X.min(axis=0), X.max(axis=0)
    out = np.empty_like(X)

    corrupt(X, NOISE_GAUSSIAN, 0.3, low, high, np.array([7], dtype=np.uint64), out)
    assert np.std(out - X) == pytest.approx(0.3, rel=0.05)
    assert abs(np.mean(out - X)) < 0.02

    corrupt(X, NOISE_MASKING, 0.25, low, high, np.array([7], dtype=np.uint64), out)
    zeroed = out == 0
    assert zeroed.mean() == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(out[~zeroed], X[~zeroed])

    corrupt(X, NOISE_SALT_PEPPER, 0.2, low, high, np.array([7], dtype=np.uint64), out)
    changed = out != X
    assert changed.mean() == pytest.approx(0.2, abs=0.02)
    is_min = out == low[None, :]
    is_max = out == high[None, :]
    assert np.all((is_min | is_max)[changed])
    assert is_max[changed].mean() == pytest.approx(0.5, abs=0.06)

    again = np.empty_like(X)
    corrupt(X, NOISE_SALT_PEPPER, 0.2, low, high, np.array([7], dtype=np.uint64), again)
    np.testing.assert_array_equal(out, again)

    corrupt(X, NOISE_NONE, 0.2, low, high, np.array([7], dtype=np.uint64), out)
    np.testing.assert_array_equal(out, X)


def test_corruption_keeps_float32():
    X = np.ones((3, 4), dtype=np.float32)
    out = np.empty_like(X)
    corrupt(X, NOISE_GAUSSIAN, 0.1, X[0], X[0], np.array([1], dtype=np.uint64), out)
    assert out.dtype == np.float32 and np.all(out != 1)


def test_fill_normal_moments():
    out = np.empty((2001, 3))
    fill_normal(np.array([5], dtype=np.uint64), out)
    assert abs(out.mean()) < 0.05 and out.std() == pytest.approx(1.0, abs=0.05)
    # Neighbouring draws (the two halves of a Box-Muller pair) are uncorrelated.
    flat = out.ravel()
    assert abs(np.corrcoef(flat[0::2][:3000], flat[1::2][:3000])[0, 1]) < 0.05


def test_local_uniform_stream_is_the_rng_modules_stream():
    state = np.array([123], dtype=np.uint64)
    s = state[0]
    for _ in range(5):
        s, u = step_uniform(np.uint64(s))  # keep the Python int typed as uint64
        assert u == next_uniform(state)
    assert np.uint64(s) == state[0]


# ------------------------------------------------------- composed batch gradients
class Net:
    """Tables, parameters and work buffers of a small autoencoder (float64)."""

    def __init__(self, layout, capacity, seed=0):
        self.layout = layout
        rs = np.random.RandomState(seed)
        self.params = layout.init(rs, np.float64)
        self.params += rs.normal(scale=0.1, size=self.params.shape)  # break symmetry
        self.grad = np.zeros_like(self.params)
        self.capacity = capacity
        c = layout.n_components

        def work(block):
            acts = np.empty(capacity * block.total_units)
            return acts, np.empty_like(acts), acts[:0], acts[:0]

        self.blocks = layout.blocks()
        self.tables = [b.table() for b in self.blocks]
        self.work = [work(b) for b in self.blocks]
        self.rates = [np.zeros(b.n_layers) for b in self.blocks]
        self.latent = np.empty(capacity * c)
        self.d_latent = np.empty(capacity * c)
        self.rho_hat = np.empty(c)
        self.kl_rows = np.empty(capacity)
        self.ones = np.ones(capacity)
        self.zeros = np.zeros(capacity)
        self.aux = np.empty(0)
        self.aux_int = np.empty(0, dtype=np.int64)
        self.rng = np.zeros(1, dtype=np.uint64)

    def parts(self, vector):
        return self.layout.split(vector)


def small_layout(code="identity", out="identity", stats=1, discriminator=None):
    return AutoencoderLayout(
        n_features=5,
        hidden=(4,),
        n_components=3,
        activation="tanh",
        code_activation=code,
        out_activation=out,
        stats_per_component=stats,
        discriminator=discriminator,
    )


CASES = [
    ("plain-mse", PLAIN, "identity", "identity", codes.SQUARED_ERROR),
    ("plain-sigmoid-mse", PLAIN, "identity", "logistic", codes.SQUARED_ERROR),
    ("plain-bce", PLAIN, "identity", "logistic", codes.BINARY_CROSSENTROPY),
    ("sparse-mse", SPARSE, "logistic", "identity", codes.SQUARED_ERROR),
    ("sparse-bce", SPARSE, "logistic", "logistic", codes.BINARY_CROSSENTROPY),
    ("vae-bce", VARIATIONAL, "identity", "logistic", codes.BINARY_CROSSENTROPY),
    ("vae-mse", VARIATIONAL, "identity", "identity", codes.SQUARED_ERROR),
]


@pytest.mark.parametrize(
    "variant, code, out, loss_code", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reconstruction_gradient_matches_finite_differences(
    variant, code, out, loss_code
):
    n = 6
    stats = 2 if variant == VARIATIONAL else 1
    net = Net(small_layout(code, out, stats), capacity=n)
    rs = np.random.RandomState(4)
    x_clean = rs.uniform(0.05, 0.95, size=(n, 5))
    x_in = x_clean + rs.normal(scale=0.1, size=x_clean.shape)  # a corrupted input
    eps = rs.normal(size=n * 3)  # fixed reparameterization noise
    enc_table, dec_table = net.tables

    def loss_and_grad(params, grad):
        enc_p, dec_p = net.parts(params)
        enc_g, dec_g = net.parts(grad)
        return reconstruction_gradient(
            x_in, x_clean, enc_p, enc_g, dec_p, dec_g, enc_table, dec_table,
            n, net.rates[0], net.rates[1], False, net.rng, variant, loss_code,
            0.1, 0.7, 1.3, eps, net.latent, net.d_latent, net.rho_hat,
            net.kl_rows, net.ones, net.work[0], net.work[1], net.aux, net.aux_int,
        )  # fmt: skip

    scratch = np.empty_like(net.grad)
    loss_and_grad(net.params, net.grad)
    numeric = numeric_gradient(lambda: loss_and_grad(net.params, scratch), net.params)
    np.testing.assert_allclose(net.grad, numeric, rtol=1e-5, atol=1e-7)


def test_discriminator_gradient_matches_finite_differences():
    n = 7
    net = Net(small_layout(discriminator=(4,)), capacity=n)
    rs = np.random.RandomState(5)
    z_prior = rs.normal(size=(n, 3))
    z_code = rs.normal(loc=0.5, size=(n, 3))
    disc = net.parts(net.params)[2]
    grad = np.empty_like(disc)
    tmp = np.empty_like(disc)

    def loss(g):
        return discriminator_gradient(
            z_prior, z_code, disc, g, tmp, net.tables[2], n, net.rates[2], net.rng,
            net.ones, net.zeros, net.work[2], net.aux, net.aux_int,
        )  # fmt: skip

    value = loss(grad)
    # The loss is -sum log D(prior) - sum log(1 - D(code)) for the logistic D.
    D = _critic_output(net, disc, z_prior), _critic_output(net, disc, z_code)
    assert value == pytest.approx(
        -np.log(D[0]).sum() - np.log(1 - D[1]).sum(), rel=1e-12
    )
    numeric = numeric_gradient(lambda: loss(np.empty_like(disc)), disc)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def _critic_output(net, disc, Z):
    (W1, W2), (b1, b2) = net.blocks[2].views(disc)
    return (1 / (1 + np.exp(-(np.tanh(Z @ W1 + b1) @ W2 + b2)))).ravel()


@pytest.mark.parametrize("code", ["identity", "logistic"])
def test_generator_gradient_matches_finite_differences(code):
    n = 6
    net = Net(small_layout(code=code, discriminator=(4,)), capacity=n)
    x = np.random.RandomState(6).uniform(size=(n, 5))
    enc, _, disc = net.parts(net.params)
    enc_grad = np.empty_like(enc)
    tmp = np.empty_like(disc)

    def loss(g):
        return generator_gradient(
            x, enc, g, net.tables[0], disc, tmp, net.tables[2], n, net.rates[0],
            net.rates[2], False, net.rng, net.ones, net.d_latent, net.work[0],
            net.work[2], net.aux, net.aux_int,
        )  # fmt: skip

    loss(enc_grad)
    numeric = numeric_gradient(lambda: loss(np.empty_like(enc)), enc)
    np.testing.assert_allclose(enc_grad, numeric, rtol=1e-5, atol=1e-8)
