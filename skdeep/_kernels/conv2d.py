"""2-D convolution (cross-correlation, NCHW) forward and backward kernels.

Design (measured in ``benchmarks/bench_conv_kernels.py``): per sample, the padded
input windows are unrolled into a scratch matrix (im2col, ``K = C_in*kh*kw`` rows,
``H_out*W_out`` columns) and multiplied by the weights with one BLAS GEMM; samples
run in ``prange`` over the batch. The weight and bias gradients are written per
sample into ``dW_part``/``db_part`` and summed serially in sample order after the
parallel loop, so every output is bit-identical for any number of Numba threads.

One compiled kernel serves float32 and float64: the dtype follows the inputs, and
all arrays passed to one call must share it.

BLAS threads
    ``@``/``np.dot`` inside the kernels call scipy's OpenBLAS. Calling a
    multithreaded BLAS from inside ``prange`` oversubscribes the cores (5-10x
    slower) and BLAS results may change bits with its thread count, so the caller
    pins BLAS to one thread around every call, e.g. for the whole fit::

        import scipy.linalg.cython_blas  # load scipy's OpenBLAS before limiting it
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, user_api="blas"):
            ...

Scratch memory
    ``cols`` has shape ``(S, K, H_out*W_out)``: slot ``t`` serves samples
    ``t, t + S, t + 2S, ...``, so results do not depend on ``S``. ``S = N`` (one slot
    per sample) or ``S = n_threads`` (one per thread, ``K*H_out*W_out`` elements
    each) measured the same speed within noise (``benchmarks/bench_conv_kernels.py``),
    so prefer ``S = numba.get_num_threads()``: far less memory. Results are
    bit-identical for every ``S``.
    ``dW_part`` ``(N, C_out, C_in, kh, kw)`` and ``db_part`` ``(N, C_out)`` hold
    the per-sample gradients. For batch 128, float32, 8->16 channels, 12x12, k5:
    cols 6.6 MB with ``S = N`` (0.1 MB with ``S = 2``), dW_part 1.6 MB.

Argument types
    Pass ``stride``, ``pad_top``, ``pad_left`` as Python ints (or int64) and
    ``need_dX`` as a bool: other scalar types compile another specialization.
    Batch-sized slices ``buf[:n]`` of buffers allocated for the largest batch are
    fine (they stay C-contiguous).

Shapes and padding are computed and checked in Python by
:mod:`skdeep.network.conv_shapes`; the kernels trust them. Every input read is
bounds-guarded against the padding, so any output size that
``conv2d_output_shape`` returns is safe.
"""

import numpy as np
from numba import prange, uint64

from skdeep._kernels._jit import jit


@jit()
def _valid_range(w_out, w, q, stride, pad_left):
    """Output columns ``j`` whose input column ``j*stride + q - pad_left`` is in
    ``[0, w)``: returns ``(j_lo, j_hi)`` with ``0 <= j_lo <= j_hi <= w_out``."""
    j_lo = max(0, -((q - pad_left) // stride))  # ceil((pad_left - q) / stride)
    j_hi = min(w_out, (w - 1 - q + pad_left) // stride + 1)
    if j_hi < j_lo:
        j_hi = j_lo
    return j_lo, j_hi


@jit()
def _im2col(x, kh, kw, stride, pad_top, pad_left, h_out, w_out, cols):
    """:func:`_im2col_any`, with the stride a constant when it is 1: LLVM then
    turns the copies into contiguous vector loops (1.3-1.9x faster, measured)."""
    if stride == 1:
        _im2col_any(x, kh, kw, 1, pad_top, pad_left, h_out, w_out, cols)
    else:
        _im2col_any(x, kh, kw, stride, pad_top, pad_left, h_out, w_out, cols)


@jit()
def _col2im(cols, kh, kw, stride, pad_top, pad_left, h_out, w_out, dx):
    """:func:`_col2im_any`, with the stride a constant when it is 1 (1.3-1.6x)."""
    if stride == 1:
        _col2im_any(cols, kh, kw, 1, pad_top, pad_left, h_out, w_out, dx)
    else:
        _col2im_any(cols, kh, kw, stride, pad_top, pad_left, h_out, w_out, dx)


@jit(constant_args=True)
def _im2col_any(x, kh, kw, stride, pad_top, pad_left, h_out, w_out, cols):
    """Unroll one sample's windows: ``cols[(c*kh + p)*kw + q, i*w_out + j] =
    xpad[c, i*stride + p, j*stride + q]`` (zero in the padding).

    ``x`` is ``(C_in, H, W)``, ``cols`` is ``(C_in*kh*kw, h_out*w_out)``.
    """
    c_in, h, w = x.shape
    ustride = uint64(stride)
    row = 0
    for c in range(c_in):
        for p in range(kh):
            for q in range(kw):
                j_lo, j_hi = _valid_range(w_out, w, q, stride, pad_left)
                shift = q - pad_left
                for i in range(h_out):
                    r = i * stride + p - pad_top
                    base = i * w_out
                    if r < 0 or r >= h:
                        for j in range(w_out):
                            cols[row, base + j] = 0.0
                        continue
                    for j in range(j_lo):
                        cols[row, base + j] = 0.0
                    # Unsigned indices skip Numba's negative-index wraparound,
                    # which lets LLVM vectorize the copy (5-7x faster, measured).
                    # All are >= 0 by construction of (j_lo, j_hi).
                    crow = cols[row]
                    xrow = x[c, r]
                    dst = uint64(base + j_lo)
                    src = uint64(j_lo * stride + shift)
                    for j in range(uint64(j_hi - j_lo)):
                        crow[dst + j] = xrow[src + j * ustride]
                    for j in range(j_hi, w_out):
                        cols[row, base + j] = 0.0
                row += 1


@jit(constant_args=True)
def _col2im_any(cols, kh, kw, stride, pad_top, pad_left, h_out, w_out, dx):
    """Adjoint of :func:`_im2col_any`: ``dx`` is zeroed, then ``dx[c, i*stride + p -
    pad_top, j*stride + q - pad_left] += cols[(c*kh + p)*kw + q, i*w_out + j]``
    for every position inside the image (padding is cropped)."""
    c_in, h, w = dx.shape
    ustride = uint64(stride)
    for c in range(c_in):
        for r in range(h):
            for s in range(w):
                dx[c, r, s] = 0.0
    row = 0
    for c in range(c_in):
        for p in range(kh):
            for q in range(kw):
                j_lo, j_hi = _valid_range(w_out, w, q, stride, pad_left)
                shift = q - pad_left
                for i in range(h_out):
                    r = i * stride + p - pad_top
                    if r < 0 or r >= h:
                        continue
                    # Unsigned indices, as in _im2col.
                    crow = cols[row]
                    dxrow = dx[c, r]
                    src = uint64(i * w_out + j_lo)
                    dst = uint64(j_lo * stride + shift)
                    for j in range(uint64(j_hi - j_lo)):
                        dxrow[dst + j * ustride] += crow[src + j]
                row += 1


@jit(parallel=True)
def conv2d_forward(X, W, b, stride, pad_top, pad_left, out, cols):
    """Forward pass of a 2-D convolution (cross-correlation), written into ``out``.

    .. math::

        out[n, o, i, j] = b[o] + \\sum_{c, p, q} W[o, c, p, q]
                          \\, xpad[n, c, i s + p, j s + q]

    where ``xpad`` is ``X`` with ``pad_top`` zero rows above and ``pad_left`` zero
    columns to the left (and as many zeros below/right as the output size needs).
    Per sample: ``out[n] = W.reshape(C_out, K) @ im2col(X[n]) + b``.

    Parameters
    ----------
    X : ndarray of shape (N, C_in, H, W), float32 or float64, C-contiguous
        Input batch (the batch size ``N`` is ``X.shape[0]``).
    W : ndarray of shape (C_out, C_in, kh, kw), C-contiguous
        Weights.
    b : ndarray of shape (C_out,)
        Bias.
    stride : int
        Stride along both axes (``>= 1``).
    pad_top, pad_left : int
        Leading zero padding, from ``conv2d_output_shape``.
    out : ndarray of shape (N, C_out, H_out, W_out), C-contiguous
        Output, overwritten. ``H_out, W_out`` define the output size.
    cols : ndarray of shape (S, C_in*kh*kw, H_out*W_out), C-contiguous
        Scratch, ``1 <= S``; only the first ``min(S, N)`` slots are used.
    """
    n_samples = X.shape[0]
    c_out, c_in, kh, kw = W.shape
    h_out = out.shape[2]
    w_out = out.shape[3]
    hw = h_out * w_out
    W2 = W.reshape((c_out, c_in * kh * kw))
    n_slots = min(cols.shape[0], n_samples)
    for t in prange(n_slots):
        col = cols[t]
        for n in range(t, n_samples, n_slots):
            _im2col(X[n], kh, kw, stride, pad_top, pad_left, h_out, w_out, col)
            o = out[n].reshape((c_out, hw))
            np.dot(W2, col, o)
            for oc in range(c_out):
                bias = b[oc]
                for j in range(hw):
                    o[oc, j] += bias


@jit(parallel=True)
def conv2d_backward(
    X,
    W,
    delta,
    stride,
    pad_top,
    pad_left,
    dW,
    db,
    dX,
    need_dX,
    cols,
    dW_part,
    db_part,
):
    """Backward pass of :func:`conv2d_forward`: fills ``dW``, ``db`` and ``dX``.

    With ``delta = dL/d(out)``:

    .. math::

        dW[o, c, p, q] = \\sum_{n, i, j} delta[n, o, i, j]
                         \\, xpad[n, c, i s + p, j s + q]

        db[o] = \\sum_{n, i, j} delta[n, o, i, j]

        dxpad[n, c, i s + p, j s + q] \\mathrel{+}= W[o, c, p, q]
                                       \\, delta[n, o, i, j]

    and ``dX`` is ``dxpad`` with the padding cropped. Per sample:
    ``dW_part[n] = (delta[n] @ im2col(X[n]).T).T`` (stored transposed, as
    ``(K, C_out)``), ``dX[n] = col2im(W.T @ delta[n])``; then
    ``dW = (sum_n dW_part[n]).T`` and ``db = sum_n db_part[n]``, summed serially
    in sample order (bit-identical for any thread count). Gradients are sums over
    the batch, not means: scale ``delta`` for a mean loss.

    Parameters
    ----------
    X, W, stride, pad_top, pad_left, cols
        As in :func:`conv2d_forward` (``cols`` is scratch, overwritten).
    delta : ndarray of shape (N, C_out, H_out, W_out), C-contiguous
        Gradient of the loss with respect to ``out``.
    dW : ndarray of shape (C_out, C_in, kh, kw), C-contiguous
        Weight gradient, overwritten.
    db : ndarray of shape (C_out,)
        Bias gradient, overwritten.
    dX : ndarray of shape (N, C_in, H, W), C-contiguous
        Input gradient, overwritten when ``need_dX``. When ``need_dX`` is False
        (first layer) it is not touched: pass any 4-D array of the same dtype,
        e.g. ``np.empty((0, 0, 0, 0), X.dtype)``.
    need_dX : bool
        Whether to compute ``dX``.
    dW_part : ndarray of shape (N, C_out, C_in, kh, kw), C-contiguous
        Per-sample weight gradients (scratch; each ``dW_part[n]`` is used as a
        ``(C_in*kh*kw, C_out)`` matrix, and ``dW_part[0]`` ends up holding the
        transposed sum).
    db_part : ndarray of shape (N, C_out)
        Per-sample bias gradients (scratch).
    """
    n_samples = X.shape[0]
    c_out, c_in, kh, kw = W.shape
    k = c_in * kh * kw
    h_out = delta.shape[2]
    w_out = delta.shape[3]
    hw = h_out * w_out
    W2 = W.reshape((c_out, k))
    n_slots = min(cols.shape[0], n_samples)
    for t in prange(n_slots):
        col = cols[t]
        for n in range(t, n_samples, n_slots):
            _im2col(X[n], kh, kw, stride, pad_top, pad_left, h_out, w_out, col)
            d = delta[n].reshape((c_out, hw))
            # dW_part[n] holds dW[n].T, (K, C_out): BLAS runs col @ d.T faster than
            # d @ col.T (0.7 vs 1.0 ms for 8->16 ch 12x12 k5, equal for 1->8 ch).
            np.dot(col, d.T, dW_part[n].reshape((k, c_out)))
            for oc in range(c_out):
                db_part[n, oc] = _sum_row(d, oc)
            if need_dX:
                np.dot(W2.T, d, col)
                _col2im(col, kh, kw, stride, pad_top, pad_left, h_out, w_out, dX[n])

    # Serial reduction in sample order: same bits for any number of threads. The
    # transposed partials are summed into dW_part[0], then transposed once.
    total = dW_part[0].reshape(c_out * k)
    for oc in range(c_out):
        db[oc] = db_part[0, oc]
    for n in range(1, n_samples):
        part = dW_part[n].reshape(c_out * k)
        for oc in range(c_out):
            db[oc] += db_part[n, oc]
        for j in range(c_out * k):
            total[j] += part[j]
    totalT = total.reshape((k, c_out))
    dW2 = dW.reshape((c_out, k))
    for oc in range(c_out):
        for j in range(k):
            dW2[oc, j] = totalT[j, oc]


@jit()
def _sum_row(a, i):
    """``sum(a[i])`` with 8 independent accumulators (a fixed order, so the same
    bits every run, but not the bits of a left-to-right sum)."""
    m = a.shape[1]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = a.dtype.type(0.0)
    m8 = m - m % 8
    for j in range(0, m8, 8):
        s0 += a[i, j]
        s1 += a[i, j + 1]
        s2 += a[i, j + 2]
        s3 += a[i, j + 3]
        s4 += a[i, j + 4]
        s5 += a[i, j + 5]
        s6 += a[i, j + 6]
        s7 += a[i, j + 7]
    for j in range(m8, m):
        s0 += a[i, j]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
