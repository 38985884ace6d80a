"""2-D max-pooling forward and backward kernels (NCHW).

Window ``p x p`` with stride ``p`` (non-overlapping), floor mode as in PyTorch's
``MaxPool2d`` default (``ceil_mode=False``): ``H_out = H // p``, ``W_out = W // p``,
and the ragged last ``H % p`` rows and ``W % p`` columns are ignored (they get a
zero gradient). Shapes come from :func:`skdeep.network.conv_shapes.pool2d_output_shape`
and are checked in Python, not here.

The forward pass stores, for each output element, the position of the maximum in
its input plane, ``argmax = r * W + s`` (an index into ``X[n, c].ravel()``), which
the backward pass uses to route the gradient. Ties go to the first maximum in
row-major order within the window; a NaN in a window wins (propagates), as in
PyTorch. Samples run in ``prange``; nothing is reduced across samples, so results
are the same for any thread count. One compiled kernel serves float32 and float64,
and ``argmax`` may be int32 or int64.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def maxpool2d_forward(X, pool, out, argmax):
    """Max-pool ``X`` into ``out`` and record the arg-max of each window.

    .. math::

        out[n, c, i, j] = \\max_{0 \\le u, v < p} X[n, c, i p + u, j p + v]

        argmax[n, c, i, j] = (i p + u^*) W + (j p + v^*)

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W), float32 or float64
        Input batch (``N = X.shape[0]``).
    pool : int
        Window size and stride ``p``.
    out : ndarray of shape (N, C, H // p, W // p), same dtype as ``X``
        Output, overwritten.
    argmax : ndarray of shape (N, C, H // p, W // p), int32 or int64
        Flat index into ``X[n, c]`` of each window's maximum, overwritten.
    """
    n_samples, n_channels, _, w = X.shape
    h_out = out.shape[2]
    w_out = out.shape[3]
    for n in prange(n_samples):
        for c in range(n_channels):
            x = X[n, c]
            for i in range(h_out):
                for j in range(w_out):
                    r0 = i * pool
                    s0 = j * pool
                    best = x[r0, s0]
                    best_idx = r0 * w + s0
                    for u in range(pool):
                        for v in range(pool):
                            val = x[r0 + u, s0 + v]
                            if val > best or np.isnan(val):
                                best = val
                                best_idx = (r0 + u) * w + s0 + v
                    out[n, c, i, j] = best
                    argmax[n, c, i, j] = best_idx


@njit(cache=True, parallel=True)
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
    h_out = delta.shape[2]
    w_out = delta.shape[3]
    for n in prange(n_samples):
        for c in range(n_channels):
            dx = dX[n, c]
            for r in range(h):
                for s in range(w):
                    dx[r, s] = 0.0
            for i in range(h_out):
                for j in range(w_out):
                    idx = argmax[n, c, i, j]
                    dx[idx // w, idx % w] += delta[n, c, i, j]
