"""Inference: single-row latency, batch throughput, and predictions on a busy machine.

1. Latency: median wall time of ``predict``, ``predict_proba`` (classifiers) and
   ``transform`` (autoencoder) on 1 row and on 100 rows of a NumPy array, for a
   fitted MLPClassifier (digits, (100,)), CNNClassifier (digits 8x8 images, 16
   filters) and DenoisingAutoencoder (digits, 16 components), next to
   scikit-learn's MLPClassifier and a PyTorch module of the same shape called
   under ``torch.no_grad()`` (targets: 1 row <= 25 us, 100 rows <= 60 us).
2. Throughput: ``predict_proba`` of the MLP on 100,000 rows (float32) against
   the PyTorch module, both at 1 thread and both at 2 threads, alternating
   (target: skdeep's rows per second >= torch's).
3. Busy machine (issue 16.6): ``predict_proba`` of a (100,) MLP on 2,000,000x8
   float32 rows, with BLAS and Numba pinned to one thread, and at the default
   threads while a second Python process spins in a busy loop (target: no
   slower than 2x the pinned time); scikit-learn's MLPClassifier alongside.

The load average is printed with each section: the machine is shared.

torch is an optional dependency of this benchmark only.

Usage: python benchmarks/bench_inference.py [--calls 2000] [--repeats 5]
       [--sections 1 2 3] [--no-write]
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm
from bench_threads import Competitor, load

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_inference.md")


def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def fitted_models():
    from sklearn.neural_network import MLPClassifier as SkMLP

    import skdeep

    X, y = digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {
            "skdeep MLPClassifier": skdeep.MLPClassifier(max_iter=20, random_state=0),
            "skdeep CNNClassifier": skdeep.CNNClassifier(
                filters=(16,),
                kernel_size=3,
                padding="same",
                max_iter=5,
                random_state=0,
            ),
            "skdeep DenoisingAutoencoder": skdeep.DenoisingAutoencoder(
                n_components=16, max_iter=5, random_state=0
            ),
            "sklearn MLPClassifier": SkMLP(max_iter=20, random_state=0),
        }
        for name, model in models.items():
            model.fit(X, None if "Autoencoder" in name else y)
    return models, X


def torch_mlp(n_in, hidden, n_out, dtype=None):
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    if dtype is not None:
        model = model.to(dtype)
    return model.eval()


def per_call(fn, calls) -> float:
    """Median seconds of one call, over ``calls`` calls (in 20 timed groups)."""
    fn()
    group = max(1, calls // 20)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        for _ in range(group):
            fn()
        times.append((time.perf_counter() - start) / group)
    return statistics.median(times)


def latency(calls) -> str:
    models, X = fitted_models()
    rows = {1: np.ascontiguousarray(X[:1]), 100: np.ascontiguousarray(X[:100])}
    lines = [
        f"Load average before: {load()}",
        "",
        "| model | method | 1 row | 100 rows |",
        "|---|---|---|---|",
    ]
    for name, model in models.items():
        methods = ["transform"] if "Autoencoder" in name else [
            "predict", "predict_proba"
        ]  # fmt: skip
        for method in methods:
            fn = getattr(model, method)
            cells = [tm.fmt_seconds(per_call(lambda f=fn, x=x: f(x), calls))
                     for x in rows.values()]  # fmt: skip
            lines.append(f"| {name} | {method} | {cells[0]} | {cells[1]} |")
            print(lines[-1], flush=True)
    try:
        import torch
    except ImportError:
        return "\n".join(lines)
    torch.set_num_threads(1)
    module = torch_mlp(64, 100, 10, torch.float64)
    cells = []
    for x in rows.values():
        xt = torch.from_numpy(x)

        def call(xt=xt):
            with torch.no_grad():
                return module(xt).softmax(1).numpy()

        cells.append(tm.fmt_seconds(per_call(call, calls)))
    lines.append(f"| torch nn.Sequential (64, 100, 10) | forward + softmax, "
                 f"no_grad, 1 thread | {cells[0]} | {cells[1]} |")  # fmt: skip
    lines.append(f"\nLoad average after: {load()}")
    return "\n".join(lines)


def throughput(repeats) -> str:
    import numba
    import torch

    import skdeep

    X, y = digits()
    rng = np.random.default_rng(0)
    big = X[rng.integers(len(X), size=100_000)].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = skdeep.MLPClassifier(max_iter=20, random_state=0).fit(
            X.astype(np.float32), y
        )
    module = torch_mlp(64, 100, 10)
    with torch.no_grad():  # the same weights, so the work is the same
        module[0].weight.copy_(torch.from_numpy(model.coefs_[0].T.copy()))
        module[0].bias.copy_(torch.from_numpy(model.intercepts_[0]))
        module[2].weight.copy_(torch.from_numpy(model.coefs_[1].T.copy()))
        module[2].bias.copy_(torch.from_numpy(model.intercepts_[1]))
    xt = torch.from_numpy(big)

    def torch_proba():
        with torch.no_grad():
            return module(xt).softmax(1).numpy()

    lines = [
        "| threads | skdeep predict_proba | torch forward + softmax | rows/s skdeep "
        "| rows/s torch | skdeep / torch throughput | load before -> after |",
        "|---|---|---|---|---|---|---|",
    ]
    for threads in (1, 2):
        numba.set_num_threads(threads)
        torch.set_num_threads(threads)
        before = load()
        times = tm.alternate(
            {"skdeep": lambda: model.predict_proba(big), "torch": torch_proba},
            repeats=repeats,
        )
        sk, to = tm.median(times["skdeep"]), tm.median(times["torch"])
        np.testing.assert_allclose(model.predict_proba(big), torch_proba(),
                                   atol=1e-4)  # fmt: skip
        lines.append(
            f"| {threads} | {tm.spread(times['skdeep'])} | {tm.spread(times['torch'])}"
            f" | {len(big) / sk:,.0f} | {len(big) / to:,.0f} | **{to / sk:.2f}x** | "
            f"{before} -> {load()} |"
        )
        print(lines[-1], flush=True)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return "\n".join(lines)


def busy_machine(repeats) -> str:
    import numba
    from sklearn.neural_network import MLPClassifier as SkMLP
    from threadpoolctl import threadpool_limits

    import skdeep

    rng = np.random.default_rng(0)
    X = rng.standard_normal((2_000_000, 8)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    small = slice(0, 20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = skdeep.MLPClassifier((100,), max_iter=5, random_state=0)
        ours.fit(X[small], y[small])
        theirs = SkMLP((100,), max_iter=5, random_state=0).fit(X[small], y[small])

    def pinned(fn):
        def run():
            previous = numba.get_num_threads()
            numba.set_num_threads(1)
            try:
                with threadpool_limits(1, user_api="blas"):
                    return fn()
            finally:
                numba.set_num_threads(previous)

        return run

    runs = {
        "skdeep pinned 1 thread": pinned(lambda: ours.predict_proba(X)),
        "skdeep default threads": lambda: ours.predict_proba(X),
        "sklearn pinned 1 thread": pinned(lambda: theirs.predict_proba(X)),
        "sklearn default threads": lambda: theirs.predict_proba(X),
    }
    lines = [
        "| condition | " + " | ".join(runs) + " | skdeep default / pinned | "
        "sklearn default / pinned | load before -> after |",
        "|---|" + "---|" * (len(runs) + 3),
    ]
    for condition in ("quiet", "competing busy process"):
        before = load()
        if condition == "quiet":
            times = tm.alternate(runs, repeats=repeats)
        else:
            with Competitor():
                times = tm.alternate(runs, repeats=repeats)
        ratio_ours = tm.ratio(times, "skdeep default threads", "skdeep pinned 1 thread")
        ratio_theirs = tm.ratio(
            times, "sklearn default threads", "sklearn pinned 1 thread"
        )
        lines.append(
            f"| {condition} | "
            + " | ".join(tm.spread(times[name]) for name in runs)
            + f" | **{ratio_ours:.2f}x** | {ratio_theirs:.2f}x | {before} -> {load()} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sections", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    body = []
    if 1 in args.sections:
        body += ["## 1. Latency (float64 digits models)", "", latency(args.calls)]
    if 2 in args.sections:
        body += ["", "## 2. Throughput, 100,000 rows, float32", "",
                 throughput(args.repeats)]  # fmt: skip
    if 3 in args.sections:
        body += ["", "## 3. 2,000,000 x 8 float32 predict_proba on a busy machine", "",
                 busy_machine(args.repeats)]  # fmt: skip
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        command = "python benchmarks/bench_inference.py " + " ".join(sys.argv[1:])
        tm.write_results(RESULTS, "Inference: latency, throughput, busy machine",
                         command.strip(), tm.machine(), text)  # fmt: skip


if __name__ == "__main__":
    main()
