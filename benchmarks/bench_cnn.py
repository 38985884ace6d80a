"""CNNClassifier against PyTorch on the CPU: same architecture, optimizer, batch
size, epochs and number of threads.

Three problems, each timed at 1 and 2 threads, skdeep and torch alternating in one
process (medians of ``--repeats`` fits after one warm-up fit each):

* digits 1x8x8 (1,347 training images, stratified 25% holdout):
  conv(16, 3x3, same) -> relu -> maxpool 2 -> flatten -> dense 10; adam 1e-3,
  batch 64, 20 epochs;
* 28x28 digits: 20,000 images made from sklearn's digits (bilinear upsampling to
  28x28, then a random shift of -2..2 pixels per axis), 25% holdout, LeNet-like:
  conv(8, 5x5) -> relu -> pool 2 -> conv(16, 5x5) -> relu -> pool 2 -> dense 64
  -> relu -> dense 10; adam 1e-3, batch 128, 5 epochs;
* 3-channel 16x16: 8,000 colour images made from sklearn's digits (upsampled to
  16x16, a random colour per image, shifted -1..1 pixel, noise), 25% holdout:
  conv(16, 3x3, same) -> relu -> pool 2 -> conv(32, 3x3, same) -> relu -> pool 2
  -> dense 10; adam 1e-3, batch 128, 5 epochs.

Both libraries train in float32 with no weight decay and shuffle every epoch.
Reported: seconds per fit, the ratio torch / skdeep (above 1: skdeep faster), test
accuracy, achieved GFLOP/s (multiply-adds of the convolution and dense layers x2,
forward + backward = 3x forward, the first layer's input gradient excluded)
against numpy's float32 matrix-multiply GFLOP/s at the same thread count, and the
peak memory of a skdeep fit in a fresh process for 5,000 and 20,000 images.

skdeep's CNNs use ``weight_init=--weight-init`` (default ``'pytorch'``, the
initialization torch uses too).

Emulating an AVX2 CPU on this one: ``--emulate avx2`` reruns the benchmark in a
child process with ``OPENBLAS_CORETYPE=Zen`` (scipy's OpenBLAS picks its AVX2
kernels), ``NUMBA_CPU_NAME=znver2`` with an empty ``NUMBA_CPU_FEATURES`` (Numba
compiles for Zen 2: AVX2, no AVX-512), a ``NUMBA_CACHE_DIR`` of its own, and for
torch ``ATEN_CPU_CAPABILITY=avx2``, ``ONEDNN_MAX_CPU_ISA=AVX2`` (its convolutions)
and ``MKL_ENABLE_INSTRUCTIONS=AVX2`` (its matrix products). This changes the
instructions, not the machine: caches, memory and latencies stay this CPU's, so it
is a proxy for an AVX2 CPU, not a measurement of one. Results go to
``RESULTS_cnn_avx2.md``.

torch is an optional dependency of this benchmark only (``pip install torch``).

Usage: python benchmarks/bench_cnn.py [--repeats 3] [--threads 1 2]
       [--problems NAME ...] [--weight-init {pytorch,glorot}] [--emulate avx2]
       [--no-memory] [--no-write]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm
import _torch as torch_bench

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_cnn.md")

#: The environment of an emulated AVX2 CPU (see the module docstring).
EMULATE = {
    "avx2": {
        "OPENBLAS_CORETYPE": "Zen",
        "NUMBA_CPU_NAME": "znver2",
        "NUMBA_CPU_FEATURES": "",
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    }
}

PROBLEMS = {
    "digits 1x8x8": dict(
        filters=(16,), kernel_size=3, padding="same", hidden=(), batch=64, epochs=20
    ),
    "28x28 LeNet-like": dict(
        filters=(8, 16),
        kernel_size=5,
        padding="valid",
        hidden=(64,),
        batch=128,
        epochs=5,
    ),
    "3x16x16 (16, 32)": dict(
        filters=(16, 32), kernel_size=3, padding="same", hidden=(), batch=128, epochs=5
    ),
}


# ---------------------------------------------------------------------- data
def digits_8x8():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def digits_28x28(n=20000, seed=0):
    """``n`` 28x28 digits: upsampled sklearn digits with random +-2 px shifts."""
    from scipy.ndimage import shift, zoom
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    big = np.stack([zoom(img.reshape(8, 8) / 16.0, 3.5, order=1) for img in X])
    rng = np.random.RandomState(seed)
    idx = rng.randint(len(X), size=n)
    moves = rng.randint(-2, 3, size=(n, 2))
    images = np.stack(
        [shift(big[i], m, order=0, mode="constant") for i, m in zip(idx, moves)]
    )
    images = np.clip(images, 0, 1).astype(np.float32).reshape(-1, 1, 28, 28)
    return train_test_split(images, y[idx], test_size=0.25, random_state=0)


def colour_16x16(n=8000, seed=0):
    """``n`` 3x16x16 images: upsampled sklearn digits in a random colour per image,
    shifted by -1..1 pixel, with a little noise."""
    from scipy.ndimage import shift, zoom
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    big = np.stack([zoom(img.reshape(8, 8) / 16.0, 2, order=1) for img in X])
    rng = np.random.RandomState(seed)
    idx = rng.randint(len(X), size=n)
    moves = rng.randint(-1, 2, size=(n, 2))
    grey = np.stack([shift(big[i], m, order=0) for i, m in zip(idx, moves)])
    colour = rng.uniform(0.3, 1.0, size=(n, 3, 1, 1))
    images = grey[:, None] * colour + 0.05 * rng.standard_normal((n, 3, 16, 16))
    images = np.clip(images, 0, 1).astype(np.float32)
    return train_test_split(images, y[idx], test_size=0.25, random_state=0)


DATA = {
    "digits 1x8x8": digits_8x8,
    "28x28 LeNet-like": digits_28x28,
    "3x16x16 (16, 32)": colour_16x16,
}

#: skdeep's weight_init in the fits (set by --weight-init).
WEIGHT_INIT = {"value": "pytorch"}


# -------------------------------------------------------------------- models
def skdeep_fit(p, X, y, seed=0):
    from skdeep.estimators.cnn import CNNClassifier

    clf = CNNClassifier(
        filters=p["filters"], kernel_size=p["kernel_size"], padding=p["padding"],
        pool_size=2, hidden_layer_sizes=p["hidden"], batch_size=p["batch"],
        max_iter=p["epochs"], alpha=0.0, tol=0.0, n_iter_no_change=10**6,
        random_state=seed,
    )  # fmt: skip
    if "weight_init" in clf.get_params():
        clf.set_params(weight_init=WEIGHT_INIT["value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X, y)


def torch_model(p, input_shape):
    import torch
    from torch import nn

    c = input_shape[0]
    layers = []
    for f in p["filters"]:
        layers += [nn.Conv2d(c, f, p["kernel_size"], padding=p["padding"])]
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        c = f
    layers.append(nn.Flatten())
    with torch.no_grad():
        n_in = nn.Sequential(*layers)(torch.zeros(1, *input_shape)).shape[1]
    for units in p["hidden"]:
        layers += [nn.Linear(n_in, units), nn.ReLU()]
        n_in = units
    layers.append(nn.Linear(n_in, 10))
    return nn.Sequential(*layers)


def torch_fit(p, X, y, seed=0):
    import torch

    torch.manual_seed(seed)
    model = torch_model(p, X.shape[1:])
    return torch_bench.train_classifier(model, X, y, p["epochs"], p["batch"])


# ----------------------------------------------------------------- measures
def training_flops(p, input_shape, n_rows):
    """Floating-point operations of training: 3 x forward (minus the first
    layer's input gradient), convolution and dense layers only."""
    c, h, w = input_shape
    k = p["kernel_size"]
    forward = first = 0
    for i, f in enumerate(p["filters"]):
        if p["padding"] == "valid":
            h, w = h - k + 1, w - k + 1
        layer = 2 * f * c * k * k * h * w
        forward += layer
        first = layer if i == 0 else first
        c, h, w = f, h // 2, w // 2
        n_in = c * h * w
    for units in (*p["hidden"], 10):
        forward += 2 * n_in * units
        n_in = units
    return (3 * forward - first) * n_rows * p["epochs"]


MEMORY_CHILD = """
import resource, warnings, numpy as np, sys
sys.path.insert(0, {here!r})
from bench_cnn import PROBLEMS, skdeep_fit
p = PROBLEMS["28x28 LeNet-like"]
rng = np.random.default_rng(0)
X = rng.random(({n}, 784), dtype=np.float32)  # no float64 temporary
y = rng.integers(10, size={n})
skdeep_fit(dict(p, epochs=1), X[:300], y[:300])  # load the kernels
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
skdeep_fit(dict(p, epochs=1), X, y)  # 2-D X: 784 = 28x28
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before * 1024, after * 1024, X.nbytes)
"""


def fit_memory(n_rows, threads):
    code = MEMORY_CHILD.format(here=HERE, n=n_rows)
    env = tm.child_env(
        NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS="1",
    )  # fmt: skip
    before, after, x_bytes = map(int, tm.run_child(code, env).stdout.split()[-3:])
    return after - before, x_bytes


# ---------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--weight-init", default="pytorch")
    parser.add_argument("--emulate", choices=sorted(EMULATE))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    WEIGHT_INIT["value"] = args.weight_init
    if args.emulate:  # the same benchmark in a child process, emulating
        cache = os.path.join(tempfile.gettempdir(), f"skdeep-bench-{args.emulate}")
        env = tm.child_env(**EMULATE[args.emulate], NUMBA_CACHE_DIR=cache,
                           SKDEEP_BENCH_EMULATED=args.emulate)  # fmt: skip
        argv = [a for a in sys.argv[1:] if not a.startswith("--emulate")]
        if args.emulate in argv:
            argv.remove(args.emulate)
        child = subprocess.run([sys.executable, __file__, *argv], env=env)
        sys.exit(child.returncode)
    emulated = os.environ.get("SKDEEP_BENCH_EMULATED")

    import numba
    import torch

    print("torch CPU capability:", torch.backends.cpu.get_cpu_capability(),
          "| numba CPU:", numba.config.CPU_NAME or "host",
          "| BLAS:", tm.blas_threads(), flush=True)  # fmt: skip
    data = {name: DATA[name]() for name in args.problems}
    rows = []
    for threads in args.threads:
        tm.pin_threads(1)  # BLAS: skdeep pins it to 1 inside fit anyway
        numba.set_num_threads(threads)
        torch.set_num_threads(threads)
        numpy_gflops = _numpy_gflops(threads)
        for name in args.problems:
            p = PROBLEMS[name]
            X_train, X_test, y_train, y_test = data[name]
            fitted = {}

            def run_skdeep(p=p, X=X_train, y=y_train, fitted=fitted):
                fitted["skdeep"] = skdeep_fit(p, X, y)

            def run_torch(p=p, X=X_train, y=y_train, fitted=fitted):
                fitted["torch"] = torch_fit(p, X, y)

            times = tm.alternate(
                {"skdeep": run_skdeep, "torch": run_torch}, repeats=args.repeats
            )
            flops = training_flops(p, X_train.shape[1:], len(X_train))
            sk, to = tm.median(times["skdeep"]), tm.median(times["torch"])
            rows.append(
                dict(
                    problem=name, threads=threads, skdeep=sk, torch=to,
                    ratio=to / sk,
                    sk_spread=_range(times["skdeep"]),
                    to_spread=_range(times["torch"]),
                    sk_acc=fitted["skdeep"].score(X_test, y_test),
                    to_acc=torch_bench.accuracy(fitted["torch"], X_test, y_test),
                    sk_gflops=flops / sk / 1e9, to_gflops=flops / to / 1e9,
                    numpy_gflops=numpy_gflops,
                )
            )  # fmt: skip
            print(rows[-1], flush=True)
    memory = (
        {} if args.no_memory
        else {n: fit_memory(n, max(args.threads)) for n in (5000, 20000)}
    )  # fmt: skip
    body = _report(rows, memory)
    if emulated:
        body = (
            f"Emulated {emulated} CPU (a proxy on this CPU, not a measurement of "
            f"one): "
            + ", ".join(f"{k}={v!r}" for k, v in EMULATE[emulated].items())
            + f"; torch CPU capability {torch.backends.cpu.get_cpu_capability()}.\n\n"
            + body
        )
    print(body)
    if not args.no_write:
        command = "python benchmarks/bench_cnn.py " + " ".join(sys.argv[1:])
        path = RESULTS if not emulated else RESULTS.replace(".md", f"_{emulated}.md")
        tm.write_results(
            path, "CNNClassifier vs PyTorch (CPU)", command.strip(), tm.machine(),
            body,
        )  # fmt: skip


def _range(values) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def _numpy_gflops(threads):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads, user_api="blas"):
        return tm.matmul_gflops([(1024, 1024, 1024)], np.float32, seconds=1.0)


def _report(rows, memory) -> str:
    lines = [
        "| problem | threads | skdeep fit | torch fit | torch / skdeep | "
        "accuracy skdeep | accuracy torch | GFLOP/s skdeep | GFLOP/s torch | "
        "numpy matmul GFLOP/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['threads']} | {r['skdeep']:.2f} s "
            f"({r['sk_spread']}) | {r['torch']:.2f} s ({r['to_spread']}) | "
            f"**{r['ratio']:.2f}x** | {r['sk_acc']:.4f} | {r['to_acc']:.4f} | "
            f"{r['sk_gflops']:.1f} | {r['to_gflops']:.1f} | {r['numpy_gflops']:.0f} |"
        )
    if not memory:
        return "\n".join(lines)
    lines += [
        "",
        "Peak memory added by one skdeep fit (LeNet-like, 1 epoch, float32, fresh "
        "process, after a warm-up fit on 300 rows; `ru_maxrss` difference):",
        "",
        "| images | X itself | fit peak above the state before fit |",
        "|---|---|---|",
    ]
    for n, (extra, x_bytes) in memory.items():
        lines.append(f"| {n} | {x_bytes / 2**20:.1f} MiB | {extra / 2**10:.0f} KiB |")
    lines += [
        "",
        "The warm-up fit on 300 rows already allocated the per-fit buffers (sized by "
        "the batch, not the number of rows), so the figure is what grows with the "
        "number of images: the label matrix and the index arrays, never a copy of X.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
