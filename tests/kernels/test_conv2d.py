"""Tests for skdeep/_kernels/conv2d.py and skdeep/network/conv_shapes.py.

Oracles: ``scipy.signal.correlate`` for the forward pass (with the padding rules
written out independently below), central finite differences for the backward
pass, and the kernels themselves at 1 vs 2 Numba threads for determinism.
"""

import numba
import numpy as np
import pytest
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import correlate
from threadpoolctl import threadpool_limits

from skdeep._kernels.conv2d import conv2d_backward, conv2d_forward
from skdeep.network.conv_shapes import check_conv2d_buffers, conv2d_output_shape


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


def _no_kept(X, W, h_out, w_out):
    return np.empty((0, W[0].size, h_out * w_out), X.dtype)


def _forward(X, W, b, stride, padding, slots=None, kept=None):
    """The convolution's output; ``kept`` (an ``(n, K, H_out*W_out)`` buffer)
    receives the im2col matrices when given."""
    n, _, h, w = X.shape
    c_out, c_in, kh, kw = W.shape
    h_out, w_out, pad_top, pad_left = conv2d_output_shape(
        h, w, (kh, kw), stride, padding
    )
    out = np.full((n, c_out, h_out, w_out), np.nan, X.dtype)
    cols = np.full((slots or n, c_in * kh * kw, h_out * w_out), np.nan, X.dtype)
    if kept is None:
        kept = _no_kept(X, W, h_out, w_out)
    check_conv2d_buffers(X, W, b, stride, pad_top, pad_left, out, cols, kept=kept)
    conv2d_forward(X, W, b, stride, pad_top, pad_left, out, cols, kept)
    return out


def _backward(X, W, b, delta, stride, padding, slots=None, need_dX=True, kept=None):
    n, _, h, w = X.shape
    c_out, c_in, kh, kw = W.shape
    h_out, w_out, pad_top, pad_left = conv2d_output_shape(
        h, w, (kh, kw), stride, padding
    )
    dt = X.dtype
    dW = np.full_like(W, np.nan)
    db = np.full_like(b, np.nan)
    dX = np.full_like(X, np.nan) if need_dX else np.empty((0, 0, 0, 0), dt)
    cols = np.full((slots or n, c_in * kh * kw, h_out * w_out), np.nan, dt)
    dW_part = np.full((n, *W.shape), np.nan, dt)
    db_part = np.full((n, c_out), np.nan, dt)
    out = np.empty(delta.shape, dt)
    if kept is None:
        kept = _no_kept(X, W, h_out, w_out)
    check_conv2d_buffers(
        X, W, b, stride, pad_top, pad_left, out, cols, delta, dW, db,
        dX if need_dX else None, dW_part, db_part, kept,
    )  # fmt: skip
    conv2d_backward(
        X, W, delta, stride, pad_top, pad_left, dW, db, dX, need_dX, cols,
        kept, dW_part, db_part,
    )  # fmt: skip
    return dW, db, dX


def _reference_pads(size, k, stride, padding):
    """(pad_before, pad_after, size_out), written out from torch/TF docs."""
    if padding == "valid":
        return 0, 0, (size - k) // stride + 1
    if stride == 1:  # torch padding='same': extra pixel after
        return (k - 1) // 2, k - 1 - (k - 1) // 2, size
    out = -(-size // stride)  # TF 'SAME'
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2, out


def _reference_conv(X, W, b, stride, padding):
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = W.shape
    top, bottom, h_out = _reference_pads(h, kh, stride, padding)
    left, right, w_out = _reference_pads(w, kw, stride, padding)
    out = np.empty((n, c_out, h_out, w_out))
    for i in range(n):
        for o in range(c_out):
            acc = np.zeros((h + top + bottom - kh + 1, w + left + right - kw + 1))
            for c in range(c_in):
                xpad = np.pad(X[i, c], ((top, bottom), (left, right)))
                acc += correlate(xpad, W[o, c], mode="valid")
            out[i, o] = acc[::stride, ::stride][:h_out, :w_out] + b[o]
    return out


def _data(rng, n, c_in, c_out, h, w, kh, kw, dtype=np.float64):
    X = rng.standard_normal((n, c_in, h, w)).astype(dtype)
    W = rng.standard_normal((c_out, c_in, kh, kw)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    return X, W, b


KERNELS = [2, 3, 4, 5, (3, 2)]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_forward_matches_scipy_correlate(kernel, stride, padding):
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    rng = np.random.default_rng(0)
    X, W, b = _data(rng, 2, 3, 4, 9, 8, kh, kw)
    out = _forward(X, W, b, stride, padding)
    expected = _reference_conv(X, W, b, stride, padding)
    assert out.shape == expected.shape
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "size, k, stride, padding, expected",
    [
        (28, 5, 1, "valid", (24, 0)),
        (28, 5, 1, "same", (28, 2)),
        (28, 4, 1, "same", (28, 1)),  # torch: 1 before, 2 after
        (7, 3, 2, "same", (4, 1)),  # TF: total 2
        (8, 3, 2, "same", (4, 0)),  # TF: total 1, the extra one after
        (8, 4, 2, "same", (4, 1)),
        (8, 1, 2, "same", (4, 0)),
        (9, 3, 2, "valid", (4, 0)),
    ],
)
def test_output_shape_known_values(size, k, stride, padding, expected):
    h_out, w_out, pad_top, pad_left = conv2d_output_shape(
        size, size, k, stride, padding
    )
    assert (h_out, pad_top) == expected
    assert (w_out, pad_left) == expected


def test_output_shape_errors():
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv2d_output_shape(4, 10, 5, padding="valid")
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv2d_output_shape(10, 4, (3, 5), padding="valid")
    assert conv2d_output_shape(4, 4, 5, padding="same") == (4, 4, 2, 2)
    with pytest.raises(ValueError, match="padding"):
        conv2d_output_shape(8, 8, 3, padding="full")
    with pytest.raises(ValueError, match="stride"):
        conv2d_output_shape(8, 8, 3, stride=0)


def test_buffer_check_rejects_wrong_shapes():
    rng = np.random.default_rng(1)
    X, W, b = _data(rng, 2, 3, 4, 8, 8, 3, 3)
    out = np.empty((2, 4, 6, 6))
    cols = np.empty((2, 27, 36))
    check_conv2d_buffers(X, W, b, 1, 0, 0, out, cols)
    with pytest.raises(ValueError, match="cols"):
        check_conv2d_buffers(X, W, b, 1, 0, 0, out, np.empty((2, 27, 35)))
    with pytest.raises(ValueError, match="too large"):
        check_conv2d_buffers(X, W, b, 1, 0, 0, np.empty((2, 4, 9, 6)), cols)
    with pytest.raises(ValueError, match="dtype"):
        check_conv2d_buffers(X, W.astype(np.float32), b, 1, 0, 0, out, cols)
    with pytest.raises(ValueError, match="input channels"):
        check_conv2d_buffers(X, W[:, :2].copy(), b, 1, 0, 0, out, cols)
    check_conv2d_buffers(X, W, b, 1, 0, 0, out, cols, kept=np.empty((0, 27, 36)))
    with pytest.raises(ValueError, match="kept"):
        check_conv2d_buffers(X, W, b, 1, 0, 0, out, cols, kept=np.empty((1, 27, 36)))


def _numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to every element of
    ``a`` (modified in place and restored)."""
    grad = np.empty_like(a)
    flat, gflat = a.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        up = f()
        flat[i] = orig - eps
        down = f()
        flat[i] = orig
        gflat[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "kernel, stride, padding",
    [
        (3, 1, "valid"),
        (4, 1, "same"),
        (3, 2, "same"),
        (5, 2, "valid"),
        ((2, 3), 2, "same"),
    ],
)
def test_gradients_match_finite_differences(kernel, stride, padding):
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    rng = np.random.default_rng(2)
    X, W, b = _data(rng, 2, 2, 3, 7, 6, kh, kw)
    R = rng.standard_normal(_forward(X, W, b, stride, padding).shape)

    def loss():
        return float(np.sum(R * _forward(X, W, b, stride, padding, slots=1)))

    dW, db, dX = _backward(X, W, b, R, stride, padding)
    for analytic, wrt in ((dX, X), (dW, W), (db, b)):
        assert_allclose(analytic, _numeric_grad(loss, wrt), rtol=1e-6, atol=1e-7)


def test_need_dX_false_gives_same_weight_gradients():
    rng = np.random.default_rng(3)
    X, W, b = _data(rng, 3, 2, 3, 8, 8, 3, 3)
    R = rng.standard_normal((3, 3, 8, 8))
    dW, db, _ = _backward(X, W, b, R, 1, "same")
    dW2, db2, dX2 = _backward(X, W, b, R, 1, "same", need_dX=False)
    assert_array_equal(dW, dW2)
    assert_array_equal(db, db2)
    assert dX2.size == 0


def test_scratch_slots_do_not_change_bits():
    rng = np.random.default_rng(4)
    X, W, b = _data(rng, 7, 3, 4, 10, 10, 5, 5)
    R = rng.standard_normal((7, 4, 10, 10))
    results = []
    for slots in (1, 2, 3, 7, 16):
        out = _forward(X, W, b, 1, "same", slots=slots)
        results.append((out, *_backward(X, W, b, R, 1, "same", slots=slots)))
    for res in results[1:]:
        for a, ref in zip(res, results[0]):
            assert_array_equal(a, ref)


@pytest.mark.parametrize("stride, padding", [(1, "same"), (2, "same"), (1, "valid")])
@pytest.mark.parametrize("need_dX", [True, False])
def test_kept_im2col_gives_the_same_bits(stride, padding, need_dX):
    """The forward pass keeps each sample's im2col matrix (the unrolled windows,
    checked against the input) and the backward pass reads it instead of
    unrolling again: same output and gradients, bit for bit."""
    rng = np.random.default_rng(6)
    X, W, b = _data(rng, 5, 3, 4, 9, 7, 3, 3)
    out = _forward(X, W, b, stride, padding, slots=2)
    kept = np.full((5, 27, out.shape[2] * out.shape[3]), np.nan)
    assert_array_equal(_forward(X, W, b, stride, padding, slots=2, kept=kept), out)
    # Row (c, p, q), column (i, j) of sample n's matrix: the padded input there.
    _, w_out, pad_top, pad_left = conv2d_output_shape(9, 7, (3, 3), stride, padding)
    Xpad = np.pad(X, ((0, 0), (0, 0), (pad_top, 3), (pad_left, 3)))
    windows = np.lib.stride_tricks.sliding_window_view(Xpad, (3, 3), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, : out.shape[2], :w_out]
    expected = windows.transpose(0, 1, 4, 5, 2, 3).reshape(kept.shape)
    assert_array_equal(kept, expected)
    R = rng.standard_normal(out.shape)
    unrolled = _backward(X, W, b, R, stride, padding, slots=2, need_dX=need_dX)
    # The backward pass must not unroll X again: a changed X leaves it unaffected.
    read = _backward(X + 1.0, W, b, R, stride, padding, slots=2, need_dX=need_dX,
                     kept=kept)  # fmt: skip
    assert_array_equal(read[0], unrolled[0])
    assert_array_equal(read[1], unrolled[1])
    if need_dX:
        assert_array_equal(read[2], unrolled[2])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_across_thread_counts(dtype):
    rng = np.random.default_rng(5)
    X, W, b = _data(rng, 32, 3, 8, 14, 14, 5, 5, dtype)
    R = rng.standard_normal((32, 8, 7, 7)).astype(dtype)
    saved = numba.get_num_threads()
    results = {}
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            for slots in (2, 32):
                out = _forward(X, W, b, 2, "same", slots=slots)
                grads = _backward(X, W, b, R, 2, "same", slots=slots)
                results[threads, slots] = (out, *grads)
    finally:
        numba.set_num_threads(saved)
    ref = results[1, 32]
    for key, res in results.items():
        for a, r in zip(res, ref):
            assert_array_equal(a, r, err_msg=str(key))


def test_float32_close_to_float64():
    rng = np.random.default_rng(6)
    X, W, b = _data(rng, 4, 3, 4, 12, 12, 5, 5)
    R = rng.standard_normal((4, 4, 12, 12))
    ref = (_forward(X, W, b, 1, "same"), *_backward(X, W, b, R, 1, "same"))
    X32, W32, b32, R32 = (a.astype(np.float32) for a in (X, W, b, R))
    res = (
        _forward(X32, W32, b32, 1, "same"),
        *_backward(X32, W32, b32, R32, 1, "same"),
    )
    for a, r in zip(res, ref):
        assert a.dtype == np.float32
        scale = np.abs(r).max()
        assert_allclose(a, r, rtol=0, atol=1e-5 * scale)


def test_batch_slices_of_larger_buffers():
    """The engine allocates for the largest batch and passes ``buf[:n]``."""
    rng = np.random.default_rng(7)
    X, W, b = _data(rng, 5, 2, 3, 6, 6, 3, 3)
    out_big = np.full((8, 3, 6, 6), 7.0)
    cols_big = np.empty((8, 18, 36))
    conv2d_forward(X[:3], W, b, 1, 1, 1, out_big[:3], cols_big[:3],
                   np.empty((0, 18, 36)))  # fmt: skip
    assert_allclose(out_big[:3], _reference_conv(X[:3], W, b, 1, "same"), atol=1e-12)
    assert np.all(out_big[3:] == 7.0)
