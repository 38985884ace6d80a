"""Batch normalization as a row of the network engine (skdeep/_kernels/batchnorm.py
and norm.py, the ``BatchNorm`` spec).

Oracles: central finite differences of the engine's own loss in training mode (the
batch statistics depend on every row), a plain NumPy batch normalization with the
documented sample-weight definition, the closed form of the running statistics
after a known sequence of batches (PyTorch's momentum convention), and the affine
map of the running statistics at prediction.
"""

import numpy as np
import pytest
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from _engine import Batch, loss_and_grad, numeric_gradient
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from skdeep._kernels import codes
from skdeep._kernels.network import forward
from skdeep._kernels.structs import Norm
from skdeep.network.network import Network
from skdeep.network.specs import BatchNorm, Conv2D, Dense, Dropout, Flatten

EPS = codes.BN_EPSILON


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


def _dense_net(activation="tanh", momentum=0.1):
    return Network(
        (4,), (Dense(5), BatchNorm(activation, momentum), Dense(3, "softmax"))
    )


def _conv_net(activation="tanh"):
    # 1-D signals (2 channels of length 7) as (C, 1, L) images.
    return Network(
        (2, 1, 7),
        (Conv2D(3, 1, 3, 1, "same"), BatchNorm(activation), Flatten(),
         Dense(3, "softmax")),
    )  # fmt: skip


def _perturbed(network, rng, dtype=np.float64):
    """Initial parameters moved off gamma = 1, beta = 0 so every term matters."""
    params = network.init(rng, dtype)
    return params + rng.uniform(-0.3, 0.3, params.shape).astype(dtype)


def _problem(network, n, seed=0):
    rng = np.random.RandomState(seed)
    params = _perturbed(network, rng)
    X = rng.randn(n, network.n_inputs) * 2 + 1
    Y = np.eye(3)[rng.randint(3, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n)
    return params, X, Y, sw


def _bn_oracle(z, w, C, P, gamma, beta):
    """NumPy batch normalization of ``z`` (n, C*P) with frequency weights ``w``."""
    n = z.shape[0]
    z3 = z.reshape(n, C, P)
    weights = np.broadcast_to(w[:, None, None], z3.shape)
    total = weights.sum(axis=(0, 2))
    mean = (weights * z3).sum(axis=(0, 2)) / total
    var = (weights * (z3 - mean[None, :, None]) ** 2).sum(axis=(0, 2)) / total
    xhat = (z3 - mean[None, :, None]) / np.sqrt(var[None, :, None] + EPS)
    out = gamma[None, :, None] * xhat + beta[None, :, None]
    return out.reshape(n, C * P), mean, var, total


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("make", [_dense_net, _conv_net], ids=["dense", "conv"])
@pytest.mark.parametrize("activation", ["tanh", "identity", "logistic"])
def test_training_gradient_matches_finite_differences(make, activation):
    network = make(activation)
    params, X, Y, sw = _problem(network, n=6)
    alpha = 0.2
    loss = codes.CATEGORICAL_CROSSENTROPY
    _, grad = loss_and_grad(network, params, X, Y, sw, alpha, loss)
    numeric = numeric_gradient(
        lambda p: loss_and_grad(network, p, X, Y, sw, alpha, loss)[0], params
    )
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("make", [_dense_net, _conv_net], ids=["dense", "conv"])
def test_input_gradient_matches_finite_differences(make):
    """The gradient with respect to the input, through the batch statistics."""
    network = make()
    params, X, _, _ = _problem(network, n=5, seed=1)
    top = np.random.RandomState(2).randn(5, 3)

    def objective(x):
        out, _ = Batch(network, x.reshape(X.shape), params).forward(training=True)
        return float((out * top).sum())

    batch = Batch(network, X, params)
    batch.forward(training=True)
    # The softmax output row's own derivative is part of the objective: chain it.
    out, _ = Batch(network, X, params).forward(training=True)
    jac = top * out - out * (top * out).sum(axis=1, keepdims=True)
    _, d_input = batch.backward(jac, input_gradient=True)
    numeric = numeric_gradient(objective, X.ravel().copy())
    assert_allclose(d_input.ravel(), numeric, rtol=1e-5, atol=1e-8)


def test_gradient_with_dropout_after_the_normalization():
    network = Network(
        (4,), (Dense(6), BatchNorm("relu"), Dropout(0.3), Dense(2, "identity"))
    )
    params, X, _, sw = _problem(network, n=7, seed=3)
    params += 0.05  # keep relu pre-activations off the kink
    Y = np.random.RandomState(4).randn(7, 2)
    rng = np.array([99], dtype=np.uint64)  # one fixed dropout mask
    _, grad = loss_and_grad(network, params, X, Y, sw, 0.0, codes.SQUARED_ERROR,
                            rng=rng)  # fmt: skip
    numeric = numeric_gradient(
        lambda p: loss_and_grad(network, p, X, Y, sw, 0.0, codes.SQUARED_ERROR,
                                rng=rng)[0],
        params,
    )  # fmt: skip
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


# ------------------------------------------------------------ forward values
@pytest.mark.parametrize("make", [_dense_net, _conv_net], ids=["dense", "conv"])
def test_training_forward_matches_the_weighted_oracle(make):
    """Weighted mean and biased variance over samples (and positions), as
    documented: frequency weights."""
    network = make("identity")
    params, X, _, sw = _problem(network, n=6, seed=5)
    batch = Batch(network, X, params)
    batch.work.sample_weight[:6] = sw
    batch.forward(training=True)
    table = network.table
    z = batch.work.acts[: 6 * table[0, codes.COL_N_OUT]].reshape(6, -1)
    start = 6 * table[1, codes.COL_UNIT_OFFSET]
    got = batch.work.acts[start : start + z.size].reshape(z.shape)
    layer = network.layers[1]
    C = layer.n_biases // 2
    P = z.shape[1] // C
    gamma = params[layer.bias_offset : layer.bias_offset + C]
    beta = params[layer.bias_offset + C : layer.bias_offset + 2 * C]
    expected, *_ = _bn_oracle(z, sw, C, P, gamma, beta)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_zero_weight_is_removal_and_integer_weight_is_repetition():
    network = _conv_net()
    params, X, Y, _ = _problem(network, n=5, seed=6)
    w = np.array([2.0, 0.0, 1.0, 3.0, 1.0])
    reps = np.repeat(np.arange(5), w.astype(int))
    loss = codes.CATEGORICAL_CROSSENTROPY
    weighted = loss_and_grad(network, params, X, Y, w, 0.1, loss)
    repeated = loss_and_grad(network, params, X[reps], Y[reps], None, 0.1, loss)
    assert_allclose(weighted[0], repeated[0], rtol=1e-12)
    assert_allclose(weighted[1], repeated[1], rtol=1e-10, atol=1e-14)


def test_inference_is_the_affine_map_of_the_running_statistics():
    network = _conv_net("identity")
    rng = np.random.RandomState(7)
    params = _perturbed(network, rng)
    state = network.initial_state(np.float64)
    state[:] = rng.uniform(0.5, 2.0, state.shape)  # running means and variances
    X = rng.randn(4, network.n_inputs)
    batch = Batch(network, X, params, state)
    batch.forward(training=False)
    n_conv = network.table[0, codes.COL_N_OUT]
    z = batch.work.acts[: 4 * n_conv].reshape(4, 3, 7)
    start = 4 * network.table[1, codes.COL_UNIT_OFFSET]
    got = batch.work.acts[start : start + z.size].reshape(z.shape)
    view = network.batch_norm_views(params, state)[0]
    expected = (
        view["scale"][None, :, None]
        * (z - view["running_mean"][None, :, None])
        / np.sqrt(view["running_var"][None, :, None] + EPS)
        + view["shift"][None, :, None]
    )
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # Prediction does not touch the running statistics.
    assert_array_equal(state, batch.state)


# ------------------------------------------------------- running statistics
def _run(network, params, state, X, sw, running):
    """One training-mode forward pass of ``X`` with running mode ``running``."""
    n = X.shape[0]
    work = network.work(n, np.float64)
    work.x[: X.size] = X.ravel()
    work.sample_weight[:n] = sw
    families = network.family_arguments(n, np.float64)
    families = (families[0], families[1], Norm(running), families[3])
    forward(work.x[: X.size], network.arrays(params, state), work, n, True,
            np.zeros(1, np.uint64), *families)  # fmt: skip
    z = work.acts[: n * network.table[0, codes.COL_N_OUT]].reshape(n, -1)
    return z


@pytest.mark.parametrize("make", [_dense_net, _conv_net], ids=["dense", "conv"])
def test_running_statistics_follow_the_closed_form(make):
    """After batches B1..B4, running_mean = sum_k m (1-m)^(4-k) mean_k and
    running_var = (1-m)^4 + sum_k m (1-m)^(4-k) var_k N_k / (N_k - 1)."""
    m = 0.3
    network = Network(
        make().input_shape,
        tuple(
            BatchNorm(s.activation_name, m) if isinstance(s, BatchNorm) else s
            for s in make().specs
        ),
    )
    rng = np.random.RandomState(8)
    params = _perturbed(network, rng)
    state = network.initial_state(np.float64)
    layer = network.layers[1]
    C = layer.n_biases // 2
    mean_ref = np.zeros(C)
    var_ref = np.ones(C)
    for k, n in enumerate((3, 5, 2, 4)):
        X = rng.randn(n, network.n_inputs) * (k + 1) + k
        sw = rng.randint(1, 4, size=n).astype(float)
        z = _run(network, params, state, X, sw, codes.RUNNING_AVERAGE)
        _, mean, var, total = _bn_oracle(z, sw, C, z.shape[1] // C, np.ones(C),
                                         np.zeros(C))  # fmt: skip
        mean_ref = (1 - m) * mean_ref + m * mean
        var_ref = (1 - m) * var_ref + m * var * total / (total - 1)
    view = network.batch_norm_views(params, state)[0]
    assert_allclose(view["running_mean"], mean_ref, rtol=1e-12, atol=1e-14)
    assert_allclose(view["running_var"], var_ref, rtol=1e-12)


def test_running_keep_and_set():
    network = _dense_net()
    rng = np.random.RandomState(9)
    params = _perturbed(network, rng)
    state = network.initial_state(np.float64)
    X = rng.randn(6, 4)
    sw = np.ones(6)
    _run(network, params, state, X, sw, codes.RUNNING_KEEP)
    assert_array_equal(state, network.initial_state(np.float64))
    z = _run(network, params, state, X, sw, codes.RUNNING_SET)
    view = network.batch_norm_views(params, state)[0]
    assert_allclose(view["running_mean"], z.mean(axis=0), rtol=1e-12)
    assert_allclose(view["running_var"], z.var(axis=0, ddof=1), rtol=1e-12)


def test_initial_values_and_layout():
    network = _conv_net()
    params = network.init(np.random.RandomState(0), np.float64)
    view = network.batch_norm_views(params, network.initial_state(np.float64))[0]
    assert_array_equal(view["scale"], np.ones(3))
    assert_array_equal(view["shift"], np.zeros(3))
    assert_array_equal(view["running_mean"], np.zeros(3))
    assert_array_equal(view["running_var"], np.ones(3))
    # Scale and shift are with the biases (no L2): the weights region is only the
    # convolution's and the dense layer's.
    assert network.n_weights == 3 * 2 * 3 + 21 * 3
    assert len(network.parametric_layers) == 2  # coefs_ has no entry for it
    # Without the normalization the other layers draw the same initial weights.
    plain = Network((2, 1, 7), (Conv2D(3, 1, 3, 1, "same"), Flatten(),
                                Dense(3, "softmax")))  # fmt: skip
    other = plain.init(np.random.RandomState(0), np.float64)
    for a, b in zip(network.views(params)[0], plain.views(other)[0]):
        assert_array_equal(a, b)


def test_float32_agrees_with_float64():
    network = _conv_net()
    params, X, Y, sw = _problem(network, n=6, seed=10)
    loss = codes.CATEGORICAL_CROSSENTROPY
    v64, g64 = loss_and_grad(network, params, X, Y, sw, 0.1, loss)
    v32, g32 = loss_and_grad(network, params.astype(np.float32),
                             X.astype(np.float32), Y.astype(np.float32),
                             sw.astype(np.float32), 0.1, loss)  # fmt: skip
    assert g32.dtype == np.float32
    assert_allclose(v32, v64, rtol=1e-5)
    assert_allclose(g32, g64, rtol=2e-3, atol=1e-5)


def test_one_sample_per_channel_needs_two_samples():
    assert _dense_net().min_batch == 2
    assert _conv_net().min_batch == 1  # 7 positions per channel
    assert Network((3,), (Dense(2),)).min_batch == 1
