"""1-D signals through the network engine: convolution and max-pooling along the
length of ``(C, 1, L)`` images, global average and max pooling, and shortcut
connections (skdeep/_kernels/global_pool.py, residual.py and the shortcut columns
of network.py).

Oracles: ``scipy.signal.correlate`` for the 1-D convolution (with PyTorch's
``padding='same'`` rule for even kernels: ``(k - 1) // 2`` zeros on the left, the
rest on the right), plain NumPy for pooling and additions, and central finite
differences of the engine's own loss for every gradient, in float64.
"""

import numpy as np
import pytest
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from _engine import Batch, loss_and_grad, numeric_gradient
from numpy.testing import assert_allclose
from scipy.signal import correlate
from threadpoolctl import threadpool_limits

from skdeep._kernels import codes
from skdeep.network.network import Network
from skdeep.network.specs import (
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalPool,
    MaxPool2D,
    ResidualAdd,
    Shortcut,
)

LOSS = codes.CATEGORICAL_CROSSENTROPY


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


def _problem(network, n=5, seed=0, shift=0.0):
    rng = np.random.RandomState(seed)
    params = network.init(rng, np.float64)
    params += rng.uniform(-0.3, 0.3, params.shape) + shift
    X = rng.randn(n, network.n_inputs)
    Y = np.eye(3)[rng.randint(3, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n)
    return params, X, Y, sw


def _check_gradient(network, n=5, seed=0, shift=0.0):
    params, X, Y, sw = _problem(network, n, seed, shift)
    _, grad = loss_and_grad(network, params, X, Y, sw, 0.1, LOSS)
    numeric = numeric_gradient(
        lambda p: loss_and_grad(network, p, X, Y, sw, 0.1, LOSS)[0], params
    )
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def _head(c):
    return (Dense(3, "softmax"),)


# ------------------------------------------------------- 1-D convolution
def _correlate_same(x, w, b, padding):
    """The 1-D convolution of ``x`` (C_in, L) by ``w`` (C_out, C_in, k): 'valid',
    or 'same' padded as PyTorch's (left ``(k - 1) // 2``, the rest right)."""
    k = w.shape[2]
    if padding == "same":
        left = (k - 1) // 2
        x = np.pad(x, ((0, 0), (left, k - 1 - left)))
    return np.stack([
        sum(correlate(x[c], w[o, c], mode="valid") for c in range(x.shape[0])) + b[o]
        for o in range(w.shape[0])
    ])  # fmt: skip


@pytest.mark.parametrize("k", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_1d_convolution_matches_scipy(k, padding):
    network = Network((2, 1, 11), (Conv2D(3, 1, k, 1, padding), Flatten()))
    rng = np.random.RandomState(k)
    params = network.init(rng, np.float64)
    X = rng.randn(4, 22)
    out, _ = Batch(network, X, params).forward()
    (W,), (b,) = network.views(params)
    assert W.shape == (3, 2, 1, k)
    for i in range(4):
        expected = _correlate_same(X[i].reshape(2, 11), W[:, :, 0, :], b, padding)
        assert_allclose(out[i].reshape(expected.shape), expected, rtol=1e-12,
                        atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("k", [2, 5])
@pytest.mark.parametrize("stride", [1, 2])
def test_1d_convolution_and_pooling_gradients(k, stride):
    network = Network(
        (2, 1, 12),
        (Conv2D(3, 1, k, stride, "same", "tanh"), MaxPool2D(1, 2), Flatten(),
         Dense(3, "softmax")),
    )  # fmt: skip
    _check_gradient(network, seed=k + stride)


# ------------------------------------------------------------ global pooling
@pytest.mark.parametrize("mode", ["avg", "max"])
def test_global_pooling_forward(mode):
    network = Network((3, 2, 5), (GlobalPool(mode),))
    assert network.output_shape == (3,)
    X = np.random.RandomState(0).randn(4, 30)
    out, _ = Batch(network, X, np.empty(0)).forward()
    reduce = np.mean if mode == "avg" else np.max
    assert_allclose(out, reduce(X.reshape(4, 3, 10), axis=2), rtol=1e-14)


def test_global_max_takes_the_first_maximum_and_propagates_nan():
    network = Network((1, 1, 4), (GlobalPool("max"),))
    X = np.array([[1.0, 3.0, 3.0, 2.0], [1.0, np.nan, 5.0, 2.0]])
    batch = Batch(network, X, np.empty(0))
    out, _ = batch.forward(training=True)
    assert out[0, 0] == 3.0 and np.isnan(out[1, 0])
    _, d_input = batch.backward(np.array([[1.0], [1.0]]), input_gradient=True)
    assert_allclose(d_input, [[0, 1, 0, 0], [0, 1, 0, 0]])


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_global_pooling_gradients(mode):
    network = Network(
        (2, 1, 9),
        (Conv2D(4, 1, 3, 1, "same", "tanh"), GlobalPool(mode), Dense(3, "softmax")),
    )
    _check_gradient(network, seed=3)


def test_global_pooling_of_2d_images():
    network = Network(
        (2, 4, 5),
        (Conv2D(3, 3, 3, 1, "same", "tanh"), GlobalPool("avg"), Dense(3, "softmax")),
    )
    _check_gradient(network, seed=4)


# ----------------------------------------------------------------- shortcuts
def _resnet(shortcut_from_input=True, bn=True, activation="tanh"):
    """Two residual groups on 1-D signals: the first changes the width (1x1
    convolution shortcut, from the input), the second keeps it (identity)."""
    norm = (lambda act: (BatchNorm(act),)) if bn else (lambda act: ())
    inner = "identity" if bn else activation
    specs = [Conv2D(4, 1, 3, 1, "same", inner), *norm(activation),
             Conv2D(4, 1, 2, 1, "same"), *norm("identity")]  # fmt: skip
    main = len(specs) - 1
    specs += [Shortcut(-1 if shortcut_from_input else 0),
              Conv2D(4, 1, 1, 1, "same"), *norm("identity"),
              ResidualAdd(main, activation)]  # fmt: skip
    start = len(specs) - 1
    specs += [Conv2D(4, 1, 3, 1, "same", inner), *norm(activation),
              Conv2D(4, 1, 3, 1, "same"), *norm("identity"),
              ResidualAdd(start, activation), GlobalPool("avg"),
              Dense(3, "softmax")]  # fmt: skip
    return Network((2, 1, 8), tuple(specs))


@pytest.mark.parametrize("bn", [True, False], ids=["bn", "plain"])
def test_residual_gradients(bn):
    _check_gradient(_resnet(bn=bn), seed=5)


def test_residual_input_gradient():
    """A shortcut from the input: the input gradient sums both paths."""
    network = _resnet(bn=False)
    params, X, _, _ = _problem(network, seed=6)
    top = np.random.RandomState(7).randn(*X.shape[:1], 3)

    def objective(x):
        out, _ = Batch(network, x.reshape(X.shape), params).forward(training=True)
        return float((out * top).sum())

    out, _ = Batch(network, X, params).forward(training=True)
    jac = top * out - out * (top * out).sum(axis=1, keepdims=True)
    batch = Batch(network, X, params)
    batch.forward(training=True)
    _, d_input = batch.backward(jac, input_gradient=True)
    numeric = numeric_gradient(objective, X.ravel().copy())
    assert_allclose(d_input.ravel(), numeric, rtol=1e-5, atol=1e-8)


def test_residual_forward_is_the_sum_of_both_paths():
    identity = Network(
        (2, 1, 6),
        (Conv2D(2, 1, 3, 1, "same", "tanh"), Conv2D(2, 1, 3, 1, "same"),
         ResidualAdd(0, "relu")),
    )  # fmt: skip
    chain = Network(
        (2, 1, 6),
        (Conv2D(2, 1, 3, 1, "same", "tanh"), Conv2D(2, 1, 3, 1, "same")),
    )
    rng = np.random.RandomState(8)
    params = identity.init(rng, np.float64)
    X = rng.randn(3, 12)
    out, _ = Batch(identity, X, params).forward()
    batch = Batch(chain, X, params)
    main, _ = batch.forward()
    first = batch.work.acts[: 3 * 12].reshape(3, 12)
    assert_allclose(out, np.maximum(main + first, 0), rtol=1e-14)


def test_shortcut_table_columns():
    table = _resnet().table
    kinds = table[:, codes.COL_KIND]
    branch = np.flatnonzero(table[:, codes.COL_BRANCH])
    # The first group's 1x1 convolution reads the input, through a side block
    # (the first convolution reads the input first).
    assert len(branch) == 1 and table[branch[0], codes.COL_SOURCE] == -1
    assert table[branch[0], codes.COL_SIDE_OFFSET] >= 0
    adds = np.flatnonzero(kinds == codes.RESIDUAL_ADD)
    assert len(adds) == 2
    # The second group's input feeds its convolution and the add: side block.
    second = table[adds[1], codes.COL_SOURCE]
    assert table[second, codes.COL_SIDE_FROM] == adds[1]
    # A plain chain has no shortcut columns set.
    plain = Network((3,), (Dense(4, "tanh"), Dense(2))).table
    assert (plain[:, codes.COL_SIDE_OFFSET] == -1).all()
    assert not plain[:, codes.COL_BRANCH].any()


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ((Conv2D(2, 1, 3, 1, "same"), ResidualAdd(5)), "earlier spec"),
        ((Conv2D(2, 1, 3, 1, "same"), ResidualAdd(0)), "earlier spec"),
        ((Conv2D(3, 1, 3, 1, "same"), Conv2D(4, 1, 3, 1, "same"), ResidualAdd(-1)),
         "shape"),
        ((Conv2D(2, 1, 3, 1, "same"), Shortcut(-1)), "followed by a layer"),
        ((Conv2D(2, 1, 3, 1, "same"), Shortcut(-1), Conv2D(2, 1, 3, 1, "same")),
         "not used"),
    ],
)  # fmt: skip
def test_invalid_shortcuts_are_refused(specs, message):
    with pytest.raises(ValueError, match=message):
        Network((2, 1, 6), specs).table  # noqa: B018


def test_residual_float32_agrees_with_float64():
    network = _resnet()
    params, X, Y, sw = _problem(network, seed=9)
    v64, g64 = loss_and_grad(network, params, X, Y, sw, 0.1, LOSS)
    v32, g32 = loss_and_grad(network, params.astype(np.float32),
                             X.astype(np.float32), Y.astype(np.float32),
                             sw.astype(np.float32), 0.1, LOSS)  # fmt: skip
    assert_allclose(v32, v64, rtol=1e-5)
    assert_allclose(g32, g64, rtol=5e-3, atol=1e-5)
