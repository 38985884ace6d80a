"""Convolution and pooling as layers of the network engine (skdeep/_kernels/spatial.py
wired into network.forward/backpropagate through skdeep/network/conv_layout.py).

Oracles: a plain NumPy forward pass built on ``scipy.signal.correlate`` for the
whole stack, and central finite differences of the engine's own loss for the
gradients (whole stack, convolution, pooling, dropout with a fixed mask), in
float64.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from numpy.testing import assert_allclose
from scipy.signal import correlate
from threadpoolctl import threadpool_limits

from skdeep._kernels import codes
from skdeep._kernels.losses import loss_sum
from skdeep._kernels.network import backward, forward
from skdeep._kernels.training import full_loss_and_gradient
from skdeep.network.conv_layout import build_conv_layout
from skdeep.training.data import KernelInput


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


def _layout(hidden_activation="tanh", out_activation="softmax", **kw):
    settings = dict(
        input_shape=(2, 7, 6),
        filters=(3, 4),
        kernel_size=(3, 2),
        strides=(1, 2),
        padding="same",
        pool_size=(2, None),
        hidden=(5,),
        n_outputs=3,
        hidden_activation=hidden_activation,
        out_activation=out_activation,
    )
    settings.update(kw)
    return build_conv_layout(**settings)


def _buffers(layout, n):
    acts = np.empty(n * layout.total_units)
    return dict(
        acts=acts,
        deltas=np.empty_like(acts),
        aux=np.empty(n * layout.aux_units),
        aux_int=np.empty(n * layout.aux_units, dtype=np.int64),
        scratch=layout.conv_scratch(n, np.float64),
    )


def _reference_forward(layout, params, X):
    """Conv (scipy.signal.correlate) -> activation -> max-pool -> flatten -> dense."""
    coefs, intercepts = layout.views(params)
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z}
    f = act[layout.hidden_activation]
    n = X.shape[0]
    A = X.reshape(n, *layout.input_shape)
    for i, block in enumerate(layout.blocks):
        W, b = coefs[i], intercepts[i]
        _, _, h, w = A.shape
        if block.padding == "same":
            h_out, w_out = -(-h // block.stride), -(-w // block.stride)
            ph = max((h_out - 1) * block.stride + block.kernel_h - h, 0)
            pw = max((w_out - 1) * block.stride + block.kernel_w - w, 0)
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
        out = out[:, :, :: block.stride, :: block.stride] + b[None, :, None, None]
        A = f(out)
        p = block.pool
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
    n = X.shape[0]
    buf = _buffers(layout, n)
    grad = np.empty_like(params)
    return full_loss_and_gradient(
        *KernelInput.from_validated(X).arrays(), Y, sw, n,
        params, grad, np.empty_like(params), layout.table(), alpha,
        codes.CATEGORICAL_CROSSENTROPY,
        np.empty(n * X.shape[1]), np.empty(n * Y.shape[1]), np.empty(n),
        buf["acts"], buf["deltas"], buf["aux"], buf["aux_int"], buf["scratch"],
    ), grad  # fmt: skip


def _numeric_gradient(f, params, eps=1e-6):
    num = np.empty_like(params)
    for i in range(params.shape[0]):
        p = params.copy()
        p[i] += eps
        up = f(p)
        p[i] -= 2 * eps
        num[i] = (up - f(p)) / (2 * eps)
    return num


def _problem(layout, n=4, seed=0):
    rng = np.random.RandomState(seed)
    params = layout.glorot_init(rng, np.float64)
    X = rng.randn(n, layout.n_features)
    Y = np.eye(layout.n_outputs)[rng.randint(layout.n_outputs, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n)
    return params, X, Y, sw


@pytest.mark.parametrize("hidden_activation", ["tanh", "relu"])
def test_forward_matches_scipy_correlate_reference(hidden_activation):
    layout = _layout(hidden_activation, padding="same")
    params, X, _, _ = _problem(layout, n=3)
    n = X.shape[0]
    buf = _buffers(layout, n)
    P = forward(X, params, layout.table(), n, buf["acts"], np.zeros(layout.n_layers),
                False, np.zeros(1, np.uint64), buf["acts"], buf["acts"], buf["aux"],
                buf["aux_int"], buf["scratch"])  # fmt: skip
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
    num = _numeric_gradient(lambda p: _loss_and_grad(layout, p, X, Y, sw)[0], params)
    assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_relu_and_pooling_gradient_matches_finite_differences():
    # Random inputs: no ties inside pooling windows and no pre-activation at 0.
    layout = _layout("relu", filters=(3,), pool_size=2, strides=1, kernel_size=3)
    params, X, Y, sw = _problem(layout, seed=3)
    _, grad = _loss_and_grad(layout, params, X, Y, sw)
    num = _numeric_gradient(
        lambda p: _loss_and_grad(layout, p, X, Y, sw)[0], params, eps=1e-7
    )
    assert_allclose(grad, num, rtol=1e-4, atol=1e-7)


def test_input_gradient_of_the_stack_matches_finite_differences():
    # backpropagate's d_input through conv and pooling (how networks chain).
    from skdeep._kernels.network import backpropagate

    layout = _layout("tanh")
    params, X, Y, sw = _problem(layout, n=2, seed=5)
    n = X.shape[0]
    buf = _buffers(layout, n)
    table, rates = layout.table(), np.zeros(layout.n_layers)
    rng = np.zeros(1, np.uint64)

    def loss(x):
        acts = buf["acts"]
        P = forward(x, params, table, n, acts, rates, False, rng, acts, acts,
                    buf["aux"], buf["aux_int"], buf["scratch"])  # fmt: skip
        return loss_sum(Y, P, sw, codes.CATEGORICAL_CROSSENTROPY)

    loss(X)
    last = layout.n_layers - 1
    start = n * table[last, codes.COL_UNIT_OFFSET]
    P = buf["acts"][start : start + n * layout.n_outputs].reshape(n, -1)
    buf["deltas"][start : start + P.size] = ((P - Y) * sw[:, None]).ravel()
    dX = np.empty_like(X)
    backpropagate(X, params, np.empty_like(params), table, n, buf["acts"],
                  buf["deltas"], rates, buf["acts"], buf["acts"], buf["aux"],
                  buf["aux_int"], dX, True, buf["scratch"])  # fmt: skip
    num = _numeric_gradient(lambda x: loss(x.reshape(X.shape)), X.ravel().copy())
    assert_allclose(dX.ravel(), num, rtol=1e-5, atol=1e-8)


def test_dropout_on_flattened_features_gradient_with_fixed_mask():
    layout = _layout("tanh")
    params, X, Y, sw = _problem(layout, seed=2)
    n = X.shape[0]
    rates = layout.dropout_rates(0.4)
    assert rates[-1] == 0 and rates[0] == 0 and np.count_nonzero(rates) == 2
    buf = _buffers(layout, n)
    masks = np.empty_like(buf["acts"])
    dropped = np.empty_like(buf["acts"])
    seed_state = np.array([12345], dtype=np.uint64)
    table = layout.table()

    def run(p, with_backward):
        rng = seed_state.copy()  # the same mask on every call
        P = forward(X, p, table, n, buf["acts"], rates, True, rng, masks, dropped,
                    buf["aux"], buf["aux_int"], buf["scratch"])  # fmt: skip
        loss = loss_sum(Y, P, sw, codes.CATEGORICAL_CROSSENTROPY)
        if not with_backward:
            return loss
        grad = np.empty_like(p)
        backward(X, Y, sw, p, grad, table, n, buf["acts"], buf["deltas"], rates,
                 masks, dropped, buf["aux"], buf["aux_int"],
                 buf["scratch"])  # fmt: skip
        return grad

    grad = run(params, True)
    flat = int(np.flatnonzero(rates)[0])  # the last convolution: flattened features
    start = n * table[flat, codes.COL_UNIT_OFFSET]
    block = masks[start : start + n * table[flat, codes.COL_N_OUT]]
    assert 0 < np.count_nonzero(block == 0.0) < block.size
    num = _numeric_gradient(lambda p: run(p, False), params)
    assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_table_geometry_and_flat_layout():
    layout = _layout()
    table = layout.table()
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
    coefs, intercepts = layout.views(np.arange(layout.n_params, dtype=float))
    assert [c.shape for c in coefs] == [(3, 2, 3, 3), (4, 3, 2, 2), (16, 5), (5, 3)]
    assert [b.shape for b in intercepts] == [(3,), (4,), (5,), (3,)]
    assert layout.aux_units == table[1, codes.COL_N_OUT]


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
                    spatial.spatial_forward, spatial.spatial_backward) if f.signatures]
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
