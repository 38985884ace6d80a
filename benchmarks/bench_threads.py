"""Every core for large networks: skdeep's MLP fit at 2 threads against itself at 1,
against scikit-learn at its default threads and against PyTorch at 2 threads.

Problems (float32, adam, fixed epochs, no early stopping):

* ``50k x 100 (256, 128)``: make_regression 50,000x100, batch 256, 5 epochs;
* ``60k x 784 (512, 256)``: make_classification 60,000x784 (10 classes), batch
  256, 2 epochs;
* ``digits (100,)``: the 1,797 digits, batch 200, 50 epochs (a small network,
  which must not be slower at 2 threads than at 1).

skdeep runs with ``numba.set_num_threads(n)`` (its thread budget; BLAS stays at one
thread inside its kernels, the large products run as parallel blocks), scikit-learn
with BLAS at its default thread count, PyTorch with ``torch.set_num_threads(2)``.
The four alternate in one process (medians of ``--repeats`` fits after one warm-up
fit each). ``--compete`` also runs the whole comparison again with a second Python
process spinning in a busy loop (another user of the shared machine): skdeep must
not fall into the 10x trap of spinning BLAS threads then. The load average is
printed before and after each run.

torch is an optional dependency of this benchmark only.

Usage: python benchmarks/bench_threads.py [--repeats 3] [--compete]
       [--problems NAME ...] [--no-write]
"""

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_threads.md")

PROBLEMS = {
    "50k x 100 (256, 128)": dict(hidden=(256, 128), batch=256, epochs=5),
    "60k x 784 (512, 256)": dict(hidden=(512, 256), batch=256, epochs=2),
    "digits (100,)": dict(hidden=(100,), batch=200, epochs=50),
}


def data(name):
    from sklearn.datasets import load_digits, make_classification, make_regression

    if name.startswith("50k"):
        X, y = make_regression(
            n_samples=50_000, n_features=100, n_informative=50, noise=10.0,
            random_state=0,
        )  # fmt: skip
        return X.astype(np.float32), (y / y.std()).astype(np.float32), False
    if name.startswith("60k"):
        X, y = make_classification(
            n_samples=60_000, n_features=784, n_informative=60, n_classes=10,
            random_state=0,
        )  # fmt: skip
        return X.astype(np.float32), y, True
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y, True


def params(p):
    return dict(
        hidden_layer_sizes=p["hidden"], batch_size=p["batch"], max_iter=p["epochs"],
        tol=0.0, n_iter_no_change=10**6, random_state=0,
    )  # fmt: skip


def skdeep_fit(p, X, y, classify, threads):
    import numba

    import skdeep

    model = (skdeep.MLPClassifier if classify else skdeep.MLPRegressor)(**params(p))
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(X, y)
    finally:
        numba.set_num_threads(previous)


def sklearn_fit(p, X, y, classify):
    from sklearn import neural_network as sk

    model = (sk.MLPClassifier if classify else sk.MLPRegressor)(**params(p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def torch_fit(p, X, y, classify, threads=2):
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers, n_in = [], X.shape[1]
    for units in p["hidden"]:
        layers += [nn.Linear(n_in, units), nn.ReLU()]
        n_in = units
    n_out = int(y.max()) + 1 if classify else 1
    layers.append(nn.Linear(n_in, n_out))
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64) if classify else y.reshape(-1, 1))
    n = len(X)
    for _ in range(p["epochs"]):
        order = torch.randperm(n)
        for start in range(0, n, p["batch"]):
            rows = order[start : start + p["batch"]]
            opt.zero_grad()
            out = model(Xt[rows])
            loss = (
                F.cross_entropy(out, yt[rows])
                if classify
                else F.mse_loss(out, yt[rows])
            )
            loss.backward()
            opt.step()
    return model


def load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


class Competitor:
    """A second Python process spinning in a busy loop while the block runs."""

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def run(names, repeats, have_torch):
    rows = []
    for name in names:
        p = PROBLEMS[name]
        X, y, classify = data(name)
        skdeep_fit(dict(p, epochs=1), X[:600], y[:600], classify, 2)  # compile
        args = (p, X, y, classify)
        runs = {
            "skdeep 2 threads": lambda a=args: skdeep_fit(*a, 2),
            "skdeep 1 thread": lambda a=args: skdeep_fit(*a, 1),
            "sklearn default threads": lambda a=args: sklearn_fit(*a),
        }
        if have_torch:
            runs["torch 2 threads"] = lambda a=args: torch_fit(*a)
        before = load()
        times = tm.alternate(runs, repeats=repeats, warmup=1)
        row = dict(problem=name, load=f"{before} -> {load()}", times=times)
        print(name, {k: tm.spread(v) for k, v in times.items()}, row["load"],
              flush=True)  # fmt: skip
        rows.append(row)
    return rows


def report(rows, title) -> str:
    names = list(rows[0]["times"])
    lines = [
        f"### {title}",
        "",
        "| problem | "
        + " | ".join(names)
        + " | 1 thread / 2 threads | sklearn / skdeep 2 | torch / skdeep 2 | "
        "load average (1, 5, 15 min) before -> after |",
        "|---|" + "---|" * (len(names) + 4),
    ]
    for r in rows:
        t = r["times"]
        sk2 = "skdeep 2 threads"
        torch_ratio = (
            f"{tm.ratio(t, 'torch 2 threads', sk2):.2f}x" if "torch 2 threads" in t
            else "-"
        )  # fmt: skip
        lines.append(
            f"| {r['problem']} | "
            + " | ".join(tm.spread(t[n]) for n in names)
            + f" | **{tm.ratio(t, 'skdeep 1 thread', sk2):.2f}x** | "
            f"**{tm.ratio(t, 'sklearn default threads', sk2):.2f}x** | "
            f"{torch_ratio} | {r['load']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compete", action="store_true")
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    from skdeep.utils import threads

    print("load-aware threads:", threads.LOAD_AWARE, "| blas:", tm.blas_threads())
    sections = [report(run(args.problems, args.repeats, have_torch), "Quiet run")]
    if args.compete:
        with Competitor():
            rows = run(args.problems, args.repeats, have_torch)
        sections.append(report(rows, "With a competing process (a Python busy loop)"))
    body = "\n\n".join(sections)
    print(body)
    if not args.no_write:
        command = "python benchmarks/bench_threads.py " + " ".join(sys.argv[1:])
        tm.write_results(
            RESULTS, "MLP fits on every core: skdeep 2 threads vs 1, sklearn, torch",
            command.strip(), tm.machine(), body,
        )  # fmt: skip


if __name__ == "__main__":
    main()
