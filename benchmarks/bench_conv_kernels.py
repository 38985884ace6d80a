"""Time the conv2d and max-pool kernels against numpy im2col and torch.

Usage: python benchmarks/bench_conv_kernels.py [--repeat 30] [--dtype float32]
       [--parts]

Two LeNet-like layers ('valid' padding, stride 1, batch 128): 1->8 channels on
28x28 with a 5x5 kernel and 8->16 channels on 12x12 with a 5x5 kernel. For each,
the skdeep kernels run with 1 and 2 Numba threads and three scratch layouts (one
im2col slot per sample, ``S = N``; one per thread, ``S = threads``; and the latter
with the forward pass keeping the batch's im2col matrices for the backward pass,
as training does, ``kept``); the plain numpy reference (whole-batch im2col + one
GEMM) and, if importable,
``torch.nn.functional.conv2d`` run with 1 and 2 BLAS/torch threads. BLAS is pinned
to one thread around the Numba kernels (as the estimators do during fit).

Reported: median ms of forward, backward (dW, db and dX) and their total, the
GFLOP/s of that total, and the best (minimum) forward + backward time with its
GFLOP/s (on a shared machine the 2-thread medians are dominated by preemption).
Flops: 2*N*C_out*H_out*W_out*C_in*kh*kw per pass, three passes (forward, dW, dX).
Compile time is excluded (one warm-up call).

``--parts``: instead, where the time of each convolution of ``bench_cnn.py``'s
problems goes (batch 128, 64 for digits; 1 thread, CPU time, so that other
processes on a shared machine count less): im2col, the forward GEMM, the weight
gradient GEMM, the input gradient GEMM and col2im, each over the whole batch,
with the GEMMs' GFLOP/s.

Max-pooling (window 2, the LeNet-like maps 8x24x24 and 16x8x8 after a relu, batch
128): median ms of forward and backward with an int32 arg-max (what the engine
stores) and an int64 one, at 1 and 2 Numba threads, and torch's ``max_pool2d``.
"""

import argparse
import time

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (load scipy's BLAS before pinning it)
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

from skdeep._kernels.conv2d import conv2d_backward, conv2d_forward
from skdeep._kernels.pooling import maxpool2d_backward, maxpool2d_forward
from skdeep.network.conv_shapes import check_conv2d_buffers, conv2d_output_shape

LAYERS = [
    # (N, C_in, C_out, H, W, k)
    (128, 1, 8, 28, 28, 5),
    (128, 8, 16, 12, 12, 5),
]


def _median_ms(fn, repeat):
    """Median and minimum wall time of ``fn()`` in ms, after one warm-up call."""
    fn()  # warm-up (compile, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times)), 1e3 * float(np.min(times))


def numpy_forward(X, W, b, pad, out_hw):
    """Whole-batch im2col + one GEMM (stride 1). Returns (out, cols)."""
    n = X.shape[0]
    c_out, _, kh, kw = W.shape
    h_out, w_out = out_hw
    Xp = np.pad(X, ((0, 0), (0, 0), pad[0], pad[1]))
    win = sliding_window_view(Xp, (kh, kw), axis=(2, 3))[:, :, :h_out, :w_out]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, -1)
    out = cols @ W.reshape(c_out, -1).T + b
    return out.reshape(n, h_out, w_out, c_out).transpose(0, 3, 1, 2), cols


def numpy_backward(X, W, delta, cols, pad):
    """Backward of :func:`numpy_forward`: (dW, db, dX)."""
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = W.shape
    h_out, w_out = delta.shape[2:]
    d2 = delta.transpose(0, 2, 3, 1).reshape(-1, c_out)
    dW = (d2.T @ cols).reshape(W.shape)
    db = d2.sum(axis=0)
    dcols = (d2 @ W.reshape(c_out, -1)).reshape(n, h_out, w_out, c_in, kh, kw)
    dXp = np.zeros((n, c_in, h + sum(pad[0]), w + sum(pad[1])), X.dtype)
    for p in range(kh):
        for q in range(kw):
            dXp[:, :, p : p + h_out, q : q + w_out] += dcols[..., p, q].transpose(
                0, 3, 1, 2
            )
    dX = dXp[:, :, pad[0][0] : pad[0][0] + h, pad[1][0] : pad[1][0] + w]
    return dW, db, dX


def bench_layer(layer, dtype, repeat, torch):
    n, c_in, c_out, h, w, k = layer
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, c_in, h, w)).astype(dtype)
    W = (0.1 * rng.standard_normal((c_out, c_in, k, k))).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    h_out, w_out, pad_top, pad_left = conv2d_output_shape(h, w, k, 1, "valid")
    kk = c_in * k * k
    delta = rng.standard_normal((n, c_out, h_out, w_out)).astype(dtype)
    flops = 3 * 2 * n * c_out * h_out * w_out * kk
    out = np.empty((n, c_out, h_out, w_out), dtype)
    dW, db, dX = np.empty_like(W), np.empty_like(b), np.empty_like(X)
    dW_part = np.empty((n, *W.shape), dtype)
    db_part = np.empty((n, c_out), dtype)

    print(
        f"\n{c_in}->{c_out} ch, {h}x{w}, k{k}, batch {n}, {np.dtype(dtype).name}, "
        f"'valid' -> {h_out}x{w_out}  ({flops / 1e9:.3f} GFLOP fwd+bwd)"
    )
    header = ("variant", "fwd ms", "bwd ms", "total", "GFLOP/s", "best ms", "GFLOP/s")
    print("  {:44s} {:>8s} {:>8s} {:>8s} {:>8s} {:>8s} {:>8s}".format(*header))

    def row(name, fwd, bwd):
        total = fwd[0] + bwd[0]
        best = fwd[1] + bwd[1]
        print(
            f"  {name:44s} {fwd[0]:8.2f} {bwd[0]:8.2f} {total:8.2f} "
            f"{flops / total / 1e6:8.1f} {best:8.2f} {flops / best / 1e6:8.1f}"
        )

    saved = numba.get_num_threads()
    max_threads = min(2, numba.config.NUMBA_NUM_THREADS)
    try:
        with threadpool_limits(1, user_api="blas"):
            for threads in range(1, max_threads + 1):
                numba.set_num_threads(threads)
                layouts = (("S=N", n, 0), ("S=threads", threads, 0),
                           ("S=threads, kept", threads, n))  # fmt: skip
                for slots_name, slots, n_kept in layouts:
                    cols = np.empty((slots, kk, h_out * w_out), dtype)
                    kept = np.empty((n_kept, kk, h_out * w_out), dtype)
                    check_conv2d_buffers(
                        X, W, b, 1, pad_top, pad_left, out, cols, delta, dW, db,
                        dX, dW_part, db_part, kept,
                    )  # fmt: skip

                    def fwd(cols=cols, kept=kept):
                        conv2d_forward(X, W, b, 1, pad_top, pad_left, out, cols, kept)

                    def bwd(cols=cols, kept=kept, need_dX=True):
                        conv2d_backward(
                            X, W, delta, 1, pad_top, pad_left, dW, db, dX,
                            need_dX, cols, kept, dW_part, db_part,
                        )  # fmt: skip

                    f_ms = _median_ms(fwd, repeat)
                    b_ms = _median_ms(bwd, repeat)
                    row(f"skdeep numba, {threads} thread(s), {slots_name}", f_ms, b_ms)
                    if c_in == 1 and slots == n:
                        nb_ms = _median_ms(lambda: bwd(need_dX=False), repeat)[0]
                        print(f"  {'  (backward without dX)':44s} {'':8s} {nb_ms:8.2f}")
    finally:
        numba.set_num_threads(saved)

    # Cross-check the numpy reference against the kernels (same math).
    pad = ((0, 0), (0, 0))
    ref_out, _ = numpy_forward(X, W, b, pad, (h_out, w_out))
    conv2d_forward(X, W, b, 1, 0, 0, out, np.empty((n, kk, h_out * w_out), dtype),
                   np.empty((0, kk, h_out * w_out), dtype))  # fmt: skip
    tol = 1e-3 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(out, ref_out, rtol=tol, atol=tol)

    for threads in range(1, max_threads + 1):
        with threadpool_limits(threads, user_api="blas"):
            _, np_cols = numpy_forward(X, W, b, pad, (h_out, w_out))
            f_ms = _median_ms(
                lambda: numpy_forward(X, W, b, pad, (h_out, w_out)), repeat
            )
            b_ms = _median_ms(
                lambda np_cols=np_cols: numpy_backward(X, W, delta, np_cols, pad),
                repeat,
            )
            row(f"numpy im2col, {threads} BLAS thread(s)", f_ms, b_ms)

    if torch is None:
        print("  torch conv2d: skipped (torch not importable)")
        return
    F = torch.nn.functional
    tX = torch.from_numpy(X).requires_grad_(True)
    tW = torch.from_numpy(W).requires_grad_(True)
    tb = torch.from_numpy(b).requires_grad_(True)
    tdelta = torch.from_numpy(delta)
    for threads in range(1, max_threads + 1):
        torch.set_num_threads(threads)

        def t_fwd():
            F.conv2d(tX, tW, tb)

        def t_total():
            tX.grad = tW.grad = tb.grad = None
            F.conv2d(tX, tW, tb).backward(tdelta)

        f_ms = _median_ms(t_fwd, repeat)
        total_ms = _median_ms(t_total, repeat)
        bwd_ms = (total_ms[0] - f_ms[0], total_ms[1] - f_ms[1])
        row(f"torch conv2d, {threads} thread(s)", f_ms, bwd_ms)


POOLS = [(128, 8, 24, 24), (128, 16, 8, 8)]


def bench_pool(shape, dtype, repeat, torch):
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # after a relu
    n, c, h, w = shape
    out = np.empty((n, c, h // 2, w // 2), dtype)
    delta = rng.standard_normal(out.shape).astype(dtype)
    dX = np.empty_like(X)
    print(f"\nmax-pool 2x2, {c}x{h}x{w}, batch {n}, {np.dtype(dtype).name}")
    print("  {:44s} {:>8s} {:>8s}".format("variant", "fwd ms", "bwd ms"))
    saved = numba.get_num_threads()
    try:
        for threads in range(1, min(2, numba.config.NUMBA_NUM_THREADS) + 1):
            numba.set_num_threads(threads)
            for index in (np.int32, np.int64):
                argmax = np.empty(out.shape, index)
                f_ms = _median_ms(
                    lambda a=argmax: maxpool2d_forward(X, 2, 2, out, a), repeat
                )
                b_ms = _median_ms(
                    lambda a=argmax: maxpool2d_backward(delta, a, dX), repeat
                )
                name = (
                    f"skdeep numba, {threads} thread(s), {np.dtype(index).name} argmax"
                )
                print(f"  {name:44s} {f_ms[0]:8.3f} {b_ms[0]:8.3f}")
    finally:
        numba.set_num_threads(saved)
    if torch is None:
        return
    F = torch.nn.functional
    tX = torch.from_numpy(X).requires_grad_(True)
    tdelta = torch.from_numpy(delta)
    for threads in range(1, 3):
        torch.set_num_threads(threads)

        def t_total():
            tX.grad = None
            F.max_pool2d(tX, 2).backward(tdelta)

        f_ms = _median_ms(lambda: F.max_pool2d(tX, 2), repeat)[0]
        b_ms = _median_ms(t_total, repeat)[0] - f_ms
        print(
            f"  {f'torch max_pool2d, {threads} thread(s)':44s} {f_ms:8.3f} {b_ms:8.3f}"
        )


#: (name, N, C_in, C_out, H = W, k, padding, first layer) of bench_cnn.py's problems.
PROBLEM_LAYERS = [
    ("LeNet conv1 1->8 28x28 k5", 128, 1, 8, 28, 5, "valid", True),
    ("LeNet conv2 8->16 12x12 k5", 128, 8, 16, 12, 5, "valid", False),
    ("3x16x16 conv1 3->16 16x16 k3 same", 128, 3, 16, 16, 3, "same", True),
    ("3x16x16 conv2 16->32 8x8 k3 same", 128, 16, 32, 8, 3, "same", False),
    ("digits conv 1->16 8x8 k3 same", 64, 1, 16, 8, 3, "same", True),
]


def bench_parts(dtype, repeat):
    """Time the parts of each convolution of PROBLEM_LAYERS (see --parts)."""
    from numba import njit

    from skdeep._kernels import conv2d

    @njit
    def im2col_all(X, k, pt, pl, ho, wo, col, reps):
        xpad = conv2d._padded_scratch(X, k, k, 1, ho, wo)
        for _ in range(reps):
            for n in range(X.shape[0]):
                conv2d._im2col(X[n], k, k, 1, pt, pl, ho, wo, col, xpad)

    @njit
    def col2im_all(col, k, pt, pl, ho, wo, dX, reps):
        xpad = conv2d._padded_scratch(dX, k, k, 1, ho, wo)
        for _ in range(reps):
            for n in range(dX.shape[0]):
                conv2d._col2im(col, k, k, 1, pt, pl, ho, wo, dX[n], xpad)

    @njit
    def forward_all(W2, col, out, reps):
        for _ in range(reps):
            for n in range(out.shape[0]):
                np.dot(W2, col, out[n])

    @njit
    def weight_grad_all(col, d, part, reps):
        for _ in range(reps):
            for n in range(d.shape[0]):
                np.dot(col, d[n].T, part[n])

    @njit
    def input_grad_all(W2, d, col, reps):
        for _ in range(reps):
            for n in range(d.shape[0]):
                np.dot(W2.T, d[n], col)

    def cpu_ms(fn, *args):
        fn(*args, 1)
        start = time.process_time()
        fn(*args, repeat)
        return 1e3 * (time.process_time() - start) / repeat

    print("\nwhere the time goes, 1 thread, CPU ms per batch (GEMM GFLOP/s)")
    print("  {:36s} {:>7s} {:>14s} {:>14s} {:>14s} {:>7s}".format(
        "layer", "im2col", "fwd GEMM", "dW GEMM", "dX GEMM", "col2im"))  # fmt: skip
    saved = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for name, n, c_in, c_out, h, k, padding, first in PROBLEM_LAYERS:
            rng = np.random.default_rng(0)
            X = rng.standard_normal((n, c_in, h, h)).astype(dtype)
            W2 = rng.standard_normal((c_out, c_in * k * k)).astype(dtype)
            ho, wo, pt, pl = conv2d_output_shape(h, h, k, 1, padding)
            hw, kk = ho * wo, c_in * k * k
            col = np.empty((kk, hw), dtype)
            out = np.empty((n, c_out, hw), dtype)
            d = rng.standard_normal((n, c_out, hw)).astype(dtype)
            part, dX = np.empty((n, kk, c_out), dtype), np.empty_like(X)
            gflop = 2 * n * c_out * hw * kk / 1e6
            with threadpool_limits(1, user_api="blas"):
                a = cpu_ms(im2col_all, X, k, pt, pl, ho, wo, col)
                f = cpu_ms(forward_all, W2, col, out)
                w = cpu_ms(weight_grad_all, col, d, part)
                x = cpu_ms(input_grad_all, W2, d, col)
                c = cpu_ms(col2im_all, col, k, pt, pl, ho, wo, dX)
            dx = "-" if first else f"{x:.2f} ({gflop / x:.0f})"
            print(f"  {name:36s} {a:7.2f} {f:6.2f} ({gflop / f:4.0f}) "
                  f"{w:6.2f} ({gflop / w:4.0f}) {dx:>14s} "
                  f"{'-' if first else f'{c:.2f}':>7s}")  # fmt: skip
    finally:
        numba.set_num_threads(saved)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--parts", action="store_true")
    args = parser.parse_args()
    if args.parts:
        bench_parts(np.dtype(args.dtype).type, args.repeat)
        return
    try:
        import torch
    except ImportError:
        torch = None
    print(
        f"numba {numba.__version__}, numpy {np.__version__}, "
        f"threading layer after first call shown below, repeat={args.repeat}"
    )
    for layer in LAYERS:
        bench_layer(layer, np.dtype(args.dtype).type, args.repeat, torch)
    for shape in POOLS:
        bench_pool(shape, np.dtype(args.dtype).type, args.repeat, torch)
    print(f"\nnumba threading layer: {numba.threading_layer()}")


if __name__ == "__main__":
    main()
