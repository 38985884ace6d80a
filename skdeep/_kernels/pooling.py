"""2-D max-pooling forward and backward kernels (NCHW).

Window ``ph x pw`` with the same stride (non-overlapping), floor mode as in
PyTorch's ``MaxPool2d`` default (``ceil_mode=False``): ``H_out = H // ph``,
``W_out = W // pw``, and the ragged last ``H % ph`` rows and ``W % pw`` columns are
ignored (they get a zero gradient). A 1-D signal is an image of height 1 pooled by
``1 x p`` windows. Shapes come from
:func:`skdeep.network.conv_shapes.pool2d_output_shape` and are checked in Python,
not here.

The forward pass stores, for each output element, the position of the maximum in
its input plane, ``argmax = r * W + s`` (an index into ``X[n, c].ravel()``), which
the backward pass uses to route the gradient. Ties go to the first maximum in
row-major order within the window; a NaN in a window wins (propagates), as in
PyTorch. Samples run in ``prange``; nothing is reduced across samples, so results
are the same for any thread count. One compiled kernel serves float32 and float64,
and ``argmax`` may be int32 or int64.

Speed (``benchmarks/bench_conv_kernels.py``, batch 128, 8x24x24, float32, 1 thread):
the forward pass is branchless (compare and select), takes its windows along a row
with unsigned indices and, for the common windows ``2 x 2`` and ``1 x 2``, calls the
plane loop with constant sizes so LLVM unrolls the window and vectorizes along the
row. With an **int32** ``argmax`` that runs at 0.15 ms (1.1 ms for the former
branching loop); an int64 ``argmax`` does not vectorize (0.6 ms), so the engine
stores int32 offsets (:mod:`skdeep._kernels.spatial`). The backward pass zeroes
each sample's block and scatters through the flat index (no division): 0.11 ms
(0.41 ms before).
"""

from numba import prange, uint64

from skdeep._kernels._jit import jit


@jit(parallel=True)
def maxpool2d_forward(X, pool_h, pool_w, out, argmax):
    """Max-pool ``X`` into ``out`` and record the arg-max of each window.

    .. math::

        out[n, c, i, j] = \\max_{0 \\le u < p_h, 0 \\le v < p_w}
                          X[n, c, i p_h + u, j p_w + v]

        argmax[n, c, i, j] = (i p_h + u^*) W + (j p_w + v^*)

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W), float32 or float64
        Input batch (``N = X.shape[0]``).
    pool_h, pool_w : int
        Window size and stride along the height and the width.
    out : ndarray of shape (N, C, H // pool_h, W // pool_w), same dtype as ``X``
        Output, overwritten.
    argmax : ndarray of shape (N, C, H // pool_h, W // pool_w), int32 or int64
        Flat index into ``X[n, c]`` of each window's maximum, overwritten.
    """
    n_samples, n_channels = X.shape[:2]
    for n in prange(n_samples):
        for c in range(n_channels):
            # Constant windows are unrolled and vectorized (7x, measured).
            if pool_h == 2 and pool_w == 2:
                _pool_plane(X[n, c], 2, 2, out[n, c], argmax[n, c])
            elif pool_h == 1 and pool_w == 2:
                _pool_plane(X[n, c], 1, 2, out[n, c], argmax[n, c])
            else:
                _pool_plane(X[n, c], pool_h, pool_w, out[n, c], argmax[n, c])


@jit(constant_args=True)
def _pool_plane(x, pool_h, pool_w, out, argmax):
    """Max-pool one ``(H, W)`` plane into ``out`` ``(H_out, W_out)``; see
    :func:`maxpool2d_forward`. Branchless: a NaN or a strictly larger value
    replaces the running maximum, so ties keep the first and the last NaN wins
    (the maximum is NaN either way). Unsigned indices skip Numba's
    negative-index wraparound."""
    h_out, w_out = out.shape
    uph = uint64(pool_h)
    upw = uint64(pool_w)
    uw = uint64(x.shape[1])
    for i in range(uint64(h_out)):
        r0 = i * uph
        orow = out[i]
        arow = argmax[i]
        first = x[r0]  # 1-D rows: x[r0, s0] here kept the loop scalar (2.5x)
        for j in range(uint64(w_out)):
            s0 = j * upw
            best = first[s0]
            k = uint64(0)  # offset of the maximum from the window's corner
            for u in range(uph):
                xrow = x[r0 + u]
                for v in range(upw):
                    val = xrow[s0 + v]
                    take = (val > best) | (val != val)
                    best = val if take else best
                    k = u * uw + v if take else k
            orow[j] = best
            arow[j] = r0 * uw + s0 + k


@jit(parallel=True)
def maxpool2d_backward(delta, argmax, dX):
    """Backward pass of :func:`maxpool2d_forward`: route each gradient to its arg-max.

    .. math::

        dX[n, c, r, s] = \\sum_{i, j : argmax[n, c, i, j] = r W + s}
                         delta[n, c, i, j]

    i.e. zero everywhere except at each window's maximum (windows do not overlap,
    so each input receives at most one term).

    Parameters
    ----------
    delta : ndarray of shape (N, C, H_out, W_out), float32 or float64
        Gradient of the loss with respect to the pooled output.
    argmax : ndarray of shape (N, C, H_out, W_out), int32 or int64
        As written by :func:`maxpool2d_forward` for the same batch.
    dX : ndarray of shape (N, C, H, W), same dtype as ``delta``
        Input gradient, overwritten (the batch size is ``dX.shape[0]``).
    """
    n_samples, n_channels, h, w = dX.shape
    size = h * w
    m = delta.shape[2] * delta.shape[3]
    for n in prange(n_samples):
        dx = dX[n].reshape(n_channels * size)
        for r in range(n_channels * size):
            dx[r] = 0.0
        d = delta[n].reshape(n_channels * m)
        a = argmax[n].reshape(n_channels * m)
        for c in range(n_channels):
            # Unsigned: no negative-index wraparound (arg-max offsets are >= 0);
            # 1.4-3x faster than signed indices, measured.
            base = uint64(c * size)
            for j in range(uint64(c * m), uint64((c + 1) * m)):
                dx[base + uint64(a[j])] += d[j]
