"""2-D convolution (cross-correlation, NCHW) forward and backward kernels.

Design (measured in ``benchmarks/bench_conv_kernels.py``): per sample, the padded
input windows are unrolled into a scratch matrix (im2col, ``K = C_in*kh*kw`` rows,
``H_out*W_out`` columns) and multiplied by the weights with one BLAS GEMM; samples
run in ``prange`` over the batch. In training, the forward pass may keep every
sample's matrix (``kept``) for the weight gradient of the backward pass, which
then skips unrolling the batch again (the copies were 40% of a small
convolution's time). The weight and bias gradients are written per
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
    ``kept`` ``(N, K, H_out*W_out)``, when given, holds the batch's matrices from
    the forward pass to the backward one (the same values ``cols`` would get
    again: same bits); it costs the memory of ``S = N``.
    ``dW_part`` ``(N, C_out, C_in, kh, kw)`` and ``db_part`` ``(N, C_out)`` hold
    the per-sample gradients. For batch 128, float32, 8->16 channels, 12x12, k5:
    cols 6.6 MB with ``S = N`` (0.1 MB with ``S = 2``), dW_part 1.6 MB.

Argument types
    Pass ``stride``, ``pad_top``, ``pad_left`` as Python ints (or int64) and
    ``need_dX`` as a bool: other scalar types compile another specialization.
    Batch-sized slices ``buf[:n]`` of buffers allocated for the largest batch are
    fine (they stay C-contiguous).

Shapes and padding are computed and checked in Python by
:mod:`skdeep.network.conv_shapes`; the kernels trust them. Each sample is first
copied into a zero-padded scratch sized from the output (:func:`_padded_scratch`;
one per parallel task), the only read of the input, bounds-guarded against the
padding; the windows then read that scratch, inside it by construction, so any
output size that ``conv2d_output_shape`` returns is safe.
"""

import numpy as np
from numba import prange, uint64

from skdeep._kernels._jit import jit


@jit()
def _padded_scratch(like, kh, kw, stride, h_out, w_out):
    """Scratch for the part of a sample's zero-padded input that the windows of
    an ``(h_out, w_out)`` output read: ``(C_in, Hp, Wp)`` with ``Hp = (h_out - 1)
    stride + kh`` (likewise ``Wp``), at most one im2col matrix, in the dtype of
    ``like`` (``(N, C_in, H, W)``). The parallel kernels allocate through this
    (non-parallel) helper: Numba's parallel passes rewrite an ``np.empty`` inside
    them into an allocation that names its dtype by a string, whose compiled code
    then imports Numba's NumPy registries when loaded from the cache (which the
    lean cache loader avoids)."""
    shape = (like.shape[1], (h_out - 1) * stride + kh, (w_out - 1) * stride + kw)
    return np.empty(shape, like.dtype)


@jit()
def _pad(x, pad_top, pad_left, xpad):
    """``xpad[c, r, s] = x[c, r - pad_top, s - pad_left]`` inside the image, zero
    elsewhere (``xpad`` may be smaller than the padded image: it holds what the
    windows read)."""
    c_in, h, w = x.shape
    hp, wp = xpad.shape[1], xpad.shape[2]
    lo = min(pad_left, wp)
    hi = max(lo, min(pad_left + w, wp))
    for c in range(c_in):
        for r in range(hp):
            prow = xpad[c, r]
            src_r = r - pad_top
            if src_r < 0 or src_r >= h:
                for s in range(wp):
                    prow[s] = 0.0
                continue
            for s in range(lo):
                prow[s] = 0.0
            # Unsigned indices skip Numba's negative-index wraparound, which lets
            # LLVM vectorize the copy (5-7x faster, measured); all are >= 0.
            xrow = x[c, src_r]
            dst = uint64(lo)
            src = uint64(lo - pad_left)
            for s in range(uint64(hi - lo)):
                prow[dst + s] = xrow[src + s]
            for s in range(hi, wp):
                prow[s] = 0.0


@jit()
def _crop(dxpad, pad_top, pad_left, dx):
    """Adjoint of :func:`_pad`: ``dx[c, r, s] = dxpad[c, r + pad_top, s +
    pad_left]`` where that is inside ``dxpad``, zero elsewhere (input values no
    window reads). The padding is never negative."""
    c_in, h, w = dx.shape
    hp, wp = dxpad.shape[1], dxpad.shape[2]
    hi = max(0, min(w, wp - pad_left))  # columns s with s + pad_left < wp
    for c in range(c_in):
        for r in range(h):
            drow = dx[c, r]
            pr = r + pad_top
            if pr >= hp:
                for s in range(w):
                    drow[s] = 0.0
                continue
            prow = dxpad[c, pr]
            src = uint64(pad_left)
            for s in range(uint64(hi)):
                drow[s] = prow[src + s]
            for s in range(hi, w):
                drow[s] = 0.0


@jit()
def _im2col(x, kh, kw, stride, pad_top, pad_left, h_out, w_out, cols, xpad):
    """Unroll one sample's windows: ``cols[(c*kh + p)*kw + q, i*w_out + j] =
    xpad[c, i*stride + p, j*stride + q]``, ``xpad`` the zero-padded input
    (:func:`_pad`, into the scratch ``xpad`` of :func:`_padded_scratch`).

    ``x`` is ``(C_in, H, W)``, ``cols`` is ``(C_in*kh*kw, h_out*w_out)``. Padding
    once makes every row of ``cols`` plain copies of ``w_out`` values, with no
    bounds logic per output row (2x faster than testing each row against the
    padding, measured on 8x8 to 28x28 maps). With the stride a constant when it
    is 1, LLVM turns the copies into contiguous vector loops (1.3-1.9x faster)."""
    _pad(x, pad_top, pad_left, xpad)
    if stride == 1:
        _unroll(xpad, kh, kw, 1, h_out, w_out, cols)
    else:
        _unroll(xpad, kh, kw, stride, h_out, w_out, cols)


@jit()
def _col2im(cols, kh, kw, stride, pad_top, pad_left, h_out, w_out, dx, dxpad):
    """Adjoint of :func:`_im2col`: ``dxpad`` is zeroed, then ``dxpad[c, i*stride
    + p, j*stride + q] += cols[(c*kh + p)*kw + q, i*w_out + j]``, and ``dx`` is
    ``dxpad`` with the padding cropped. Each value of ``dx`` receives the same
    additions in the same order as when adding into ``dx`` directly."""
    if stride == 1:
        _fold(cols, kh, kw, 1, h_out, w_out, dxpad)
    else:
        _fold(cols, kh, kw, stride, h_out, w_out, dxpad)
    _crop(dxpad, pad_top, pad_left, dx)


@jit(constant_args=True)
def _unroll(xpad, kh, kw, stride, h_out, w_out, cols):
    """The im2col copies from the padded input (see :func:`_im2col`)."""
    c_in = xpad.shape[0]
    W = uint64(w_out)
    ustride = uint64(stride)
    row = 0
    for c in range(c_in):
        for p in range(kh):
            for q in range(kw):
                crow = cols[row]
                for i in range(h_out):
                    prow = xpad[c, i * stride + p]
                    dst = uint64(i) * W
                    src = uint64(q)
                    for j in range(W):
                        crow[dst + j] = prow[src + j * ustride]
                row += 1


@jit(constant_args=True)
def _fold(cols, kh, kw, stride, h_out, w_out, dxpad):
    """The col2im additions into the padded gradient (see :func:`_col2im`)."""
    c_in, hp, wp = dxpad.shape
    for c in range(c_in):
        for r in range(hp):
            for s in range(wp):
                dxpad[c, r, s] = 0.0
    W = uint64(w_out)
    ustride = uint64(stride)
    row = 0
    for c in range(c_in):
        for p in range(kh):
            for q in range(kw):
                crow = cols[row]
                for i in range(h_out):
                    prow = dxpad[c, i * stride + p]
                    src = uint64(i) * W
                    dst = uint64(q)
                    for j in range(W):
                        prow[dst + j * ustride] += crow[src + j]
                row += 1


@jit(parallel=True)
def conv2d_forward(X, W, b, stride, pad_top, pad_left, out, cols, kept):
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
    kept : ndarray of shape (N, C_in*kh*kw, H_out*W_out) or (0, ...), C-contiguous
        Where to keep every sample's im2col matrix for :func:`conv2d_backward`
        (then ``cols`` is not used), or an empty array to keep none.
    """
    n_samples = X.shape[0]
    c_out, c_in, kh, kw = W.shape
    h_out = out.shape[2]
    w_out = out.shape[3]
    hw = h_out * w_out
    W2 = W.reshape((c_out, c_in * kh * kw))
    keep = kept.shape[0] >= n_samples
    n_slots = min(cols.shape[0], n_samples)
    for t in prange(n_slots):
        xpad = _padded_scratch(X, kh, kw, stride, h_out, w_out)
        for n in range(t, n_samples, n_slots):
            col = kept[n] if keep else cols[t]
            _im2col(X[n], kh, kw, stride, pad_top, pad_left, h_out, w_out, col, xpad)
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
    kept,
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
    kept : ndarray of shape (N, C_in*kh*kw, H_out*W_out) or (0, ...)
        The im2col matrices :func:`conv2d_forward` kept for this batch (read
        instead of unrolling ``X`` again), or an empty array.
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
    keep = kept.shape[0] >= n_samples
    n_slots = min(cols.shape[0], n_samples)
    for t in prange(n_slots):
        col = cols[t]
        # The padded input, then its gradient.
        xpad = _padded_scratch(X, kh, kw, stride, h_out, w_out)
        for n in range(t, n_samples, n_slots):
            if keep:
                x_col = kept[n]
            else:
                _im2col(X[n], kh, kw, stride, pad_top, pad_left, h_out, w_out, col,
                        xpad)  # fmt: skip
                x_col = col
            d = delta[n].reshape((c_out, hw))
            # dW_part[n] holds dW[n].T, (K, C_out): BLAS runs col @ d.T faster than
            # d @ col.T (0.7 vs 1.0 ms for 8->16 ch 12x12 k5, equal for 1->8 ch).
            np.dot(x_col, d.T, dW_part[n].reshape((k, c_out)))
            for oc in range(c_out):
                db_part[n, oc] = _sum_row(d, oc)
            if need_dX:
                np.dot(W2.T, d, col)
                _col2im(col, kh, kw, stride, pad_top, pad_left, h_out, w_out, dX[n],
                        xpad)  # fmt: skip

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
