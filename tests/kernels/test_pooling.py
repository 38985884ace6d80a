"""Tests for skdeep/_kernels/pooling.py (max-pooling, floor mode)."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep._kernels.pooling import maxpool2d_backward, maxpool2d_forward
from skdeep.network.conv_shapes import check_maxpool2d_buffers, pool2d_output_shape


def _tie_free(rng, shape, dtype=np.float64):
    """Distinct values at least 0.01 apart, shuffled: no ties, even after +-eps."""
    values = rng.permutation(int(np.prod(shape))) * 0.01 - 1.0
    return values.reshape(shape).astype(dtype)


def _forward(X, pool, index_dtype=np.int64):
    n, c, h, w = X.shape
    h_out, w_out = pool2d_output_shape(h, w, pool)
    out = np.full((n, c, h_out, w_out), np.nan, X.dtype)
    argmax = np.full((n, c, h_out, w_out), -1, index_dtype)
    check_maxpool2d_buffers(X, pool, out, argmax)
    maxpool2d_forward(X, pool, pool, out, argmax)
    return out, argmax


def _backward(delta, argmax, x_shape):
    dX = np.full(x_shape, np.nan, delta.dtype)
    maxpool2d_backward(delta, argmax, dX)
    return dX


def _reference_maxpool(X, p):
    n, c, h, w = X.shape
    ho, wo = h // p, w // p
    crop = X[:, :, : ho * p, : wo * p]
    return crop.reshape(n, c, ho, p, wo, p).max(axis=(3, 5))


@pytest.mark.parametrize("pool, h, w", [(2, 8, 8), (2, 7, 9), (3, 9, 11), (4, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_forward_matches_reference(pool, h, w, dtype, index_dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 2, h, w)).astype(dtype)
    out, argmax = _forward(X, pool, index_dtype)
    assert out.dtype == dtype
    assert out.shape == (3, 2, h // pool, w // pool)
    assert_array_equal(out, _reference_maxpool(X, pool))
    # argmax points at the maximum, inside its own window.
    planes = X.reshape(3, 2, h * w)
    assert_array_equal(np.take_along_axis(planes, argmax.reshape(3, 2, -1), 2),
                       out.reshape(3, 2, -1))  # fmt: skip
    rows, cols = argmax // w, argmax % w
    i = np.arange(h // pool)[:, None]
    j = np.arange(w // pool)[None, :]
    assert np.all(rows // pool == i) and np.all(cols // pool == j)


@pytest.mark.parametrize("pool, h, w", [(2, 6, 6), (2, 7, 9), (3, 8, 7)])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_gradient_matches_finite_differences(pool, h, w, index_dtype):
    rng = np.random.default_rng(1)
    X = _tie_free(rng, (2, 3, h, w))
    out, argmax = _forward(X, pool, index_dtype)
    R = rng.standard_normal(out.shape)
    dX = _backward(R, argmax, X.shape)

    eps = 1e-6
    numeric = np.empty_like(X)
    flat = X.reshape(-1)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        up = np.sum(R * _forward(X, pool)[0])
        flat[k] = orig - eps
        down = np.sum(R * _forward(X, pool)[0])
        flat[k] = orig
        numeric.reshape(-1)[k] = (up - down) / (2 * eps)
    assert_allclose(dX, numeric, rtol=1e-6, atol=1e-8)
    # The ragged edge (floor mode) gets no gradient.
    assert np.all(dX[:, :, (h // pool) * pool :, :] == 0)
    assert np.all(dX[:, :, :, (w // pool) * pool :] == 0)


def test_ties_go_to_first_and_nan_propagates():
    X = np.zeros((1, 1, 2, 4))
    X[0, 0, 1, 2] = np.nan
    out, argmax = _forward(X, 2)
    assert out[0, 0, 0, 0] == 0 and argmax[0, 0, 0, 0] == 0
    assert np.isnan(out[0, 0, 0, 1]) and argmax[0, 0, 0, 1] == 1 * 4 + 2


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads")
def test_bit_identical_across_thread_counts():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((16, 4, 13, 13)).astype(np.float32)
    R = rng.standard_normal((16, 4, 6, 6)).astype(np.float32)
    saved = numba.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            out, argmax = _forward(X, 2)
            results.append((out, argmax, _backward(R, argmax, X.shape)))
    finally:
        numba.set_num_threads(saved)
    for a, b in zip(*results):
        assert_array_equal(a, b)


def test_shape_errors():
    with pytest.raises(ValueError, match="smaller than the pooling window"):
        pool2d_output_shape(1, 8, 2)
    X = np.zeros((2, 3, 8, 8))
    out = np.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match="argmax"):
        check_maxpool2d_buffers(X, 2, out, np.zeros((2, 3, 4, 4), np.float64))
    with pytest.raises(ValueError, match="out"):
        check_maxpool2d_buffers(
            X, 2, np.zeros((2, 3, 4, 3)), np.zeros((2, 3, 4, 4), int)
        )
