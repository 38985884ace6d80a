"""Convolution and pooling as layers of the network engine (skdeep/_kernels/spatial.py
wired into network.forward/backward through the Conv2D and MaxPool2D specs).

Oracles: a plain NumPy forward pass built on ``scipy.signal.correlate`` for the
whole stack, and central finite differences of the engine's own loss for the
gradients (whole stack, convolution, pooling, dropout with a fixed mask), in
float64.
"""

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from _engine import Batch, loss_and_grad, numeric_gradient
from numpy.testing import assert_allclose
from scipy.signal import correlate
from threadpoolctl import threadpool_limits

from skdeep._kernels import codes, spatial
from skdeep._kernels.losses import loss_sum
from skdeep.network.network import Network
from skdeep.network.specs import Conv2D, Dense, Dropout, Flatten, MaxPool2D


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


@dataclass
class Layout:
    """A small CNN as the tests describe it, and its network."""

    network: Network
    blocks: list  # (kernel_h, kernel_w, stride, padding, pool) per block
    hidden_activation: str
    n_conv: int

    @property
    def n_outputs(self):
        return self.network.n_outputs


def _layout(hidden_activation="tanh", out_activation="softmax", dropout=0.0, **kw):
    settings = dict(
        input_shape=(2, 7, 6),
        filters=(3, 4),
        kernel_size=(3, 2),
        strides=(1, 2),
        padding="same",
        pool_size=(2, None),
        hidden=(5,),
        n_outputs=3,
    )
    settings.update(kw)
    n = len(settings["filters"])

    def per_block(v):
        return list(v) if isinstance(v, tuple) else [v] * n

    specs, blocks = [], []
    for f, k, s, p in zip(settings["filters"], per_block(settings["kernel_size"]),
                          per_block(settings["strides"]),
                          per_block(settings["pool_size"])):  # fmt: skip
        specs.append(Conv2D(f, k, k, s, settings["padding"], hidden_activation))
        if p:
            specs.append(MaxPool2D(p, p))
        blocks.append((k, k, s, settings["padding"], p or 1))
    specs.append(Flatten())
    if dropout:
        specs.append(Dropout(dropout))
    for units in settings["hidden"]:
        specs.append(Dense(units, hidden_activation))
        if dropout:
            specs.append(Dropout(dropout))
    specs.append(Dense(settings["n_outputs"], out_activation))
    network = Network(settings["input_shape"], tuple(specs))
    return Layout(network, blocks, hidden_activation, n)


def _reference_forward(layout, params, X):
    """Conv (scipy.signal.correlate) -> activation -> max-pool -> flatten -> dense."""
    coefs, intercepts = layout.network.views(params)
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z}
    f = act[layout.hidden_activation]
    n = X.shape[0]
    A = X.reshape(n, *layout.network.input_shape)
    for i, (kernel_h, kernel_w, stride, padding, pool) in enumerate(layout.blocks):
        W, b = coefs[i], intercepts[i]
        _, _, h, w = A.shape
        if padding == "same":
            h_out, w_out = -(-h // stride), -(-w // stride)
            ph = max((h_out - 1) * stride + kernel_h - h, 0)
            pw = max((w_out - 1) * stride + kernel_w - w, 0)
            pads = ((0, 0), (0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2))
            A = np.pad(A, pads)
        out = np.stack(
            [
                np.stack(
                    [
                        sum(
                            correlate(A[s, c], W[o, c], mode="valid")
                            for c in range(W.shape[1])
                        )
                        for o in range(W.shape[0])
                    ]
                )
                for s in range(n)
            ]
        )
        out = out[:, :, ::stride, ::stride] + b[None, :, None, None]
        A = f(out)
        p = pool
        if p > 1:
            c, h, w = A.shape[1:]
            A = A[:, :, : h // p * p, : w // p * p]
            A = A.reshape(n, c, h // p, p, w // p, p).max(axis=(3, 5))
    H = A.reshape(n, -1)
    for W, b in zip(coefs[layout.n_conv : -1], intercepts[layout.n_conv : -1]):
        H = f(H @ W + b)
    Z = H @ coefs[-1] + intercepts[-1]
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _loss_and_grad(layout, params, X, Y, sw, alpha=0.1):
    return loss_and_grad(layout.network, params, X, Y, sw, alpha,
                         codes.CATEGORICAL_CROSSENTROPY)  # fmt: skip


def _problem(layout, n=4, seed=0):
    rng = np.random.RandomState(seed)
    params = layout.network.init(rng, np.float64)
    X = rng.randn(n, layout.network.n_inputs)
    Y = np.eye(layout.n_outputs)[rng.randint(layout.n_outputs, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n)
    return params, X, Y, sw


@pytest.mark.parametrize("hidden_activation", ["tanh", "relu"])
def test_forward_matches_scipy_correlate_reference(hidden_activation):
    layout = _layout(hidden_activation, padding="same")
    params, X, _, _ = _problem(layout, n=3)
    P, _ = Batch(layout.network, X, params).forward()
    assert_allclose(P, _reference_forward(layout, params, X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "settings",
    [
        {},  # 2 channels, two blocks, stride 2, pooling, dense hidden layer
        {"padding": "valid", "strides": 1, "kernel_size": 2},
        {"filters": (2,), "kernel_size": 3, "strides": 1, "pool_size": 2, "hidden": ()},
    ],
)
def test_whole_stack_gradient_matches_finite_differences(settings):
    layout = _layout("tanh", **settings)
    params, X, Y, sw = _problem(layout)
    _, grad = _loss_and_grad(layout, params, X, Y, sw)
    num = numeric_gradient(lambda p: _loss_and_grad(layout, p, X, Y, sw)[0], params)
    assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_kept_im2col_matrices_give_the_same_gradient(monkeypatch):
    """Training keeps the convolutions' im2col matrices from the forward to the
    backward pass, those that fit in table order within the budget: any buffer
    length gives the gradient of unrolling again, bit for bit, and the kernels
    fill exactly the blocks that :func:`kept_values` sizes."""
    layout = _layout("relu", filters=(3, 4), strides=1, pool_size=(None, None))
    network = layout.network
    params, X, Y, sw = _problem(layout, n=5)
    table = network.table
    sizes = [codes.COL_C_IN, codes.COL_KERNEL_H, codes.COL_KERNEL_W,
             codes.COL_H_OUT, codes.COL_W_OUT]  # fmt: skip
    first, second = (5 * int(np.prod(row[sizes])) for row in table
                     if row[codes.COL_KIND] == codes.CONV2D)  # fmt: skip
    assert second < first  # so that a budget may skip the first and keep the second

    def sized():  # the network's own buffer for batches of 5
        return network.family_arguments(5, np.float64)[0].kept.shape[0]

    assert sized() == first + second
    assert network.family_arguments(5, np.float64, backward=False)[0].kept.size == 0
    monkeypatch.setattr(spatial, "KEPT_VALUES", first + second - 1)
    assert sized() == first
    monkeypatch.setattr(spatial, "KEPT_VALUES", first - 1)
    assert sized() == second
    monkeypatch.undo()
    reference = _loss_and_grad(layout, params, X, Y, sw)
    for length, filled in [(0, 0), (second, second), (first, first),
                           (first + second - 1, first),
                           (first + second, first + second),
                           (first + second + 7, first + second)]:  # fmt: skip
        kept = np.full(length, np.nan)
        value, grad = loss_and_grad(network, params, X, Y, sw, 0.1,
                                    codes.CATEGORICAL_CROSSENTROPY,
                                    kept=kept)  # fmt: skip
        assert value == reference[0]
        np.testing.assert_array_equal(grad, reference[1])
        assert np.isfinite(kept[:filled]).all() and np.isnan(kept[filled:]).all()


def test_relu_and_pooling_gradient_matches_finite_differences():
    # Random inputs: no ties inside pooling windows and no pre-activation at 0.
    layout = _layout("relu", filters=(3,), pool_size=2, strides=1, kernel_size=3)
    params, X, Y, sw = _problem(layout, seed=3)
    _, grad = _loss_and_grad(layout, params, X, Y, sw)
    num = numeric_gradient(
        lambda p: _loss_and_grad(layout, p, X, Y, sw)[0], params, eps=1e-7
    )
    assert_allclose(grad, num, rtol=1e-4, atol=1e-7)


def test_input_gradient_of_the_stack_matches_finite_differences():
    # backward's d_input through conv and pooling (how networks chain).
    layout = _layout("tanh")
    params, X, Y, sw = _problem(layout, n=2, seed=5)
    n, k = X.shape[0], layout.n_outputs

    def loss(x):
        P, _ = Batch(layout.network, x.reshape(X.shape), params).forward()
        return loss_sum(Y.ravel(), P.ravel(), sw, n, k, codes.CATEGORICAL_CROSSENTROPY)

    batch = Batch(layout.network, X, params)
    P, _ = batch.forward()
    _, dX = batch.backward((P - Y) * sw[:, None], input_gradient=True)
    num = numeric_gradient(loss, X.ravel().copy())
    assert_allclose(dX.ravel(), num, rtol=1e-5, atol=1e-8)


def test_dropout_on_flattened_features_gradient_with_fixed_mask():
    layout = _layout("tanh", dropout=0.4)
    network = layout.network
    params, X, Y, sw = _problem(layout, seed=2)
    n, k = X.shape[0], layout.n_outputs
    kinds = list(network.table[:, codes.COL_KIND])
    # Dropout on the flattened features and after the dense hidden layer only.
    assert kinds.count(codes.DROPOUT) == 2 and kinds[-1] == codes.DENSE
    assert kinds[kinds.index(codes.DROPOUT) - 1] == codes.CONV2D
    batch = Batch(network, X, params)
    seed_state = np.array([12345], dtype=np.uint64)

    def loss(p):
        P, _ = batch.forward(p, training=True, rng=seed_state.copy())
        return loss_sum(Y.ravel(), P.ravel(), sw, n, k, codes.CATEGORICAL_CROSSENTROPY)

    P, _ = batch.forward(params, training=True, rng=seed_state.copy())
    grad, _ = batch.backward((P - Y) * sw[:, None], params)
    flat = kinds.index(codes.DROPOUT)  # the flattened features' mask
    start = n * network.table[flat, codes.COL_AUX_OFFSET]
    mask = batch.work.floats[start : start + n * network.table[flat, codes.COL_N_OUT]]
    assert 0 < np.count_nonzero(mask == 0.0) < mask.size
    num = numeric_gradient(loss, params)
    assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_table_geometry_and_flat_layout():
    layout = _layout()
    network = layout.network
    table = network.table
    kinds = list(table[:, codes.COL_KIND])
    assert kinds == [
        codes.CONV2D,
        codes.MAXPOOL2D,
        codes.CONV2D,
        codes.DENSE,
        codes.DENSE,
    ]
    # Every layer reads what the layer below writes (flatten is free).
    assert list(table[1:, codes.COL_N_IN]) == list(table[:-1, codes.COL_N_OUT])
    coefs, intercepts = network.views(np.arange(network.n_params, dtype=float))
    assert [c.shape for c in coefs] == [(3, 2, 3, 3), (4, 3, 2, 2), (16, 5), (5, 3)]
    assert [b.shape for b in intercepts] == [(3,), (4,), (5,), (3,)]
    # The pooling layer's arg-max is the only per-sample integer state.
    assert network.work(1, np.float64).ints.shape[0] == table[1, codes.COL_N_OUT]


def test_dense_networks_never_compile_convolution_kernels():
    # The conv branches are pruned for calls without conv_scratch: a fresh process
    # fitting an MLP compiles (or loads) no spatial, conv or pooling kernel.
    code = textwrap.dedent(
        """
        import warnings
        import numpy as np
        from skdeep import MLPClassifier
        from skdeep._kernels import conv2d, pooling, spatial
        warnings.simplefilter("ignore")
        X = np.random.RandomState(0).randn(30, 4)
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, np.arange(30) % 2)
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, dropout=0.2).fit(
            X, np.arange(30) % 3)
        compiled = [f.__name__ for f in (conv2d.conv2d_forward, conv2d.conv2d_backward,
                    pooling.maxpool2d_forward, pooling.maxpool2d_backward,
                    spatial.spatial_forward, spatial.spatial_backward)
                    if f.signatures or f.from_kernels.signatures]
        print(compiled)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "NUMBA_NUM_THREADS": "1"},
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "[]"
