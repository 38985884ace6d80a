"""Forward passes of a fitted network (skdeep/network/inference.py): outputs against
a NumPy forward pass, and the pooled buffers of small predictions (reused, never
shared by calls running at once, bounded)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from skdeep.network import inference
from skdeep.network.inference import POOLED_ROWS, network_output
from skdeep.network.inputs import kernel_rows
from skdeep.network.network import Network
from skdeep.network.specs import Dense


def _network(dtype):
    network = Network((6,), (Dense(5, "relu"), Dense(3, "softmax")))
    params = network.init(np.random.RandomState(0), dtype)
    return network, params, network.initial_state(dtype)


def _numpy_forward(network, params, X):
    (W1, W2), (b1, b2) = network.views(params)
    H = np.maximum(X @ W1 + b1, 0)
    Z = H @ W2 + b2
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_match_numpy_for_any_number_of_rows(dtype):
    network, params, state = _network(dtype)
    rng = np.random.default_rng(0)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for n in (1, 2, 3, 7, 1, 300, 2):  # pooled and unpooled sizes, repeated
        X = rng.standard_normal((n, 6)).astype(dtype)
        out, losses = network_output(network, params, state, kernel_rows(X))
        assert out.dtype == dtype and losses is None
        np.testing.assert_allclose(out, _numpy_forward(network, params, X),
                                   rtol=tol, atol=tol)  # fmt: skip


def test_small_predictions_reuse_a_bounded_pool():
    network, params, state = _network(np.float64)
    X = np.random.default_rng(1).standard_normal((3, 6))
    first, _ = network_output(network, params, state, kernel_rows(X))
    for _ in range(10):
        again, _ = network_output(network, params, state, kernel_rows(X))
        np.testing.assert_array_equal(again, first)
    pooled = [
        sets for key, (net, sets) in inference._pools.items()
        if net is network and key[4] == 4  # 3 rows use buffers for 4
    ]  # fmt: skip
    assert len(pooled) == 1 and 1 <= len(pooled[0]) <= inference._POOL_SIZE
    big = np.zeros((POOLED_ROWS + 1, 6))
    network_output(network, params, state, kernel_rows(big))
    assert all(key[4] <= POOLED_ROWS for key in inference._pools)


def test_concurrent_small_predictions_never_share_buffers():
    network, params, state = _network(np.float64)
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((1 + i % 4, 6)) for i in range(64)]
    serial = [network_output(network, params, state, kernel_rows(X))[0]
              for X in inputs]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        concurrent = list(pool.map(
            lambda X: network_output(network, params, state, kernel_rows(X))[0],
            inputs,
        ))  # fmt: skip
    for got, expected in zip(concurrent, serial, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_prediction_threads_follow_the_parallel_loops():
    from skdeep._kernels.blas import PARALLEL_MACS
    from skdeep.network.inference import PARALLEL_ROWS, prediction_threads
    from skdeep.network.specs import Conv2D, Flatten

    small, _, _ = _network(np.float64)
    assert prediction_threads(small, 1) == 0  # no parallel loop: leave Numba
    assert prediction_threads(small, 10_000) == 0
    wide = Network((2000,), (Dense(2000, "relu"), Dense(3)))
    assert 2000 * 2000 < PARALLEL_MACS <= 2 * 2000 * 2000
    assert prediction_threads(wide, 1) == 0
    assert prediction_threads(wide, 2) == 1  # parallel products, few rows
    assert prediction_threads(wide, PARALLEL_ROWS) is None
    conv = Network((1, 6, 6), (Conv2D(2, 3, 3), Flatten(), Dense(2)))
    assert prediction_threads(conv, 1) == 1
    assert prediction_threads(conv, PARALLEL_ROWS) is None
