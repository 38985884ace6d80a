"""RNNClassifier against PyTorch on the CPU: the same recurrent network, optimizer,
batch size, epochs and number of threads.

The problems of issue 12 (float32, Adam at 1e-3, no weight decay, shuffled every
epoch; one recurrent layer whose last state feeds a 4-class softmax layer):

* 4,096 sequences, T=50, F=8, 64 units, batch 64: lstm, gru and rnn (tanh);
* 2,048 sequences, T=150, F=1, 64 units, batch 32: lstm;
* 2,048 sequences, T=30, F=16, 256 units, batch 128: lstm.

The task: noise with a bump of 5 steps (along a fixed direction of the features)
in one quarter of the sequence; the class is the quarter. A held-out set of 1,024
sequences gives each fitted model's accuracy (after the timed epochs).

Each problem is timed at 1 and then 2 threads (Numba's and torch's; BLAS at one
thread, as skdeep's fit pins it), skdeep and torch alternating in one process:
medians of ``--repeats`` fits of ``--epochs`` epochs after one warm-up fit each,
reported per epoch, wall clock and process CPU time. skdeep's load-aware thread
choice is turned off (``SKDEEP_LOAD_AWARE=0``) so both use the threads asked for.

Also reported:

* GFLOP/s of training (the multiply-adds of the input projection, the recurrent
  products and the output layer x2, forward, and twice that for the backward pass
  less the first layer's input gradient) against numpy's float32 matmul over the
  same products (the input projection, T recurrent products, and their
  backward products);
* the peak memory a fit adds, in fresh processes, for more sequences, longer
  sequences and larger batches: it grows with the batch and T (back-propagation
  through time keeps every step's gates of a batch), not with the number of
  sequences;
* the cold first fit: a fresh process with an empty kernel cache
  (``NUMBA_CACHE_DIR`` a new directory) fitting each cell once in float32;
* with ``--accuracy-epochs N``: the held-out accuracy of both libraries after
  ``N`` epochs, for ``--accuracy-seeds`` seeds (the timed fits are short, so their
  accuracies compare partly trained models); ``--only-accuracy`` skips the rest
  and appends that table to the results file.

torch is an optional dependency of this benchmark only. Writes
benchmarks/RESULTS_recurrent.md.

Usage: python benchmarks/bench_recurrent.py [--repeats 5] [--epochs 2]
       [--threads 1 2] [--problems NAME ...] [--no-memory] [--no-cold] [--no-write]
       [--accuracy-epochs N [--accuracy-seeds 3] [--only-accuracy]]
"""

import argparse
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("SKDEEP_LOAD_AWARE", "0")  # before skdeep is imported

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm
import _torch as torch_bench

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_recurrent.md")
N_TEST, N_CLASSES, LR = 1024, 4, 1e-3
GATES = {"lstm": 4, "gru": 3, "rnn": 1}

PROBLEMS = {
    "lstm T50 F8 H64 b64": dict(cell="lstm", n=4096, T=50, F=8, H=64, batch=64),
    "gru T50 F8 H64 b64": dict(cell="gru", n=4096, T=50, F=8, H=64, batch=64),
    "rnn T50 F8 H64 b64": dict(cell="rnn", n=4096, T=50, F=8, H=64, batch=64),
    "lstm T150 F1 H64 b32": dict(cell="lstm", n=2048, T=150, F=1, H=64, batch=32),
    "lstm T30 F16 H256 b128": dict(cell="lstm", n=2048, T=30, F=16, H=256, batch=128),
}
#: The issue's targets: torch's epoch time / skdeep's, at least.
TARGETS = {
    "lstm T50 F8 H64 b64": 1.5,
    "gru T50 F8 H64 b64": 2.0,
    "rnn T50 F8 H64 b64": 2.0,
    "lstm T150 F1 H64 b32": 1.5,
    "lstm T30 F16 H256 b128": 1.2,
}


# ---------------------------------------------------------------------- data
def bump_quarter(n, T, F, seed):
    """``n`` sequences of noise with a bump of 5 steps in one quarter (the
    class), along a fixed direction of the ``F`` features; float32."""
    rng = np.random.RandomState(seed)
    direction = np.random.RandomState(1234).randn(F)
    direction /= np.linalg.norm(direction)
    X = 0.5 * rng.randn(n, T, F).astype(np.float32)
    y = rng.randint(N_CLASSES, size=n)
    quarter = T // 4
    start = y * quarter + rng.randint(0, quarter - 4, size=n)
    for i in range(n):
        X[i, start[i] : start[i] + 5] += 1.5 * direction.astype(np.float32)
    return X, y


def problem_data(p, seed=0):
    X, y = bump_quarter(p["n"] + N_TEST, p["T"], p["F"], seed)
    return X[: p["n"]], y[: p["n"]], X[p["n"] :], y[p["n"] :]


# -------------------------------------------------------------------- models
def skdeep_fit(p, X, y, epochs, seed=0):
    from skdeep import RNNClassifier

    clf = RNNClassifier(
        cell=p["cell"], recurrent_units=(p["H"],), batch_size=p["batch"],
        max_iter=epochs, learning_rate_init=LR, alpha=0.0, tol=0.0,
        n_iter_no_change=10**6, random_state=seed,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        return clf.fit(X, y)


def torch_model(p):
    from torch import nn

    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[p["cell"]]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.recurrent = layer(p["F"], p["H"], batch_first=True)
            self.out = nn.Linear(p["H"], N_CLASSES)

        def forward(self, x):
            states, _ = self.recurrent(x)
            return self.out(states[:, -1])

    return Net()


def torch_fit(p, X, y, epochs, seed=0):
    import torch

    torch.manual_seed(seed)
    model = torch_model(p)
    return torch_bench.train_classifier(model, X, y, epochs, p["batch"], lr=LR)


# ----------------------------------------------------------------- measures
def products(p):
    """``(m, k, n)`` of the matrix products of one batch's training step, in the
    order a step does them: forward (input projection of all steps, then one
    recurrent product per step), backward (per step the recurrent input gradient
    and the recurrent weight gradient; then the input-weight gradient of all
    steps; the first layer's input gradient is not needed)."""
    b, T, F, H = p["batch"], p["T"], p["F"], p["H"]
    G = GATES[p["cell"]] * H
    forward = [(b * T, F, G)] + [(b, H, G)] * T
    backward = [(b, G, H), (H, b, G)] * T + [(F, b * T, G)]
    head = [(b, H, N_CLASSES), (H, b, N_CLASSES)]
    return forward + backward + head


def flops_per_epoch(p):
    batches = -(-p["n"] // p["batch"])
    return batches * sum(2.0 * m * k * n for m, k, n in products(p))


def numpy_gflops(p, threads):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads, user_api="blas"):
        return tm.matmul_gflops(products(p), np.float32, seconds=1.0)


def alternate_wall_cpu(runs, repeats):
    """:func:`_timing.alternate` that also records process CPU seconds."""
    names = list(runs)
    for name in names:  # warm-up
        runs[name]()
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for i in range(repeats):
        for name in names if i % 2 == 0 else reversed(names):
            w, c = time.perf_counter(), time.process_time()
            runs[name]()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    return wall, cpu


MEMORY_CHILD = """
import gc, sys
sys.path.insert(0, {here!r})
from bench_recurrent import PROBLEMS, problem_data, skdeep_fit
def status(key):  # kB of /proc/self/status's line
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))
p = dict(PROBLEMS["lstm T50 F8 H64 b64"], n={n}, T={T}, batch={batch})
X, y, _, _ = problem_data(p)
small = dict(p, n=64, T=20, batch=8)
skdeep_fit(small, *problem_data(small)[:2], epochs=1)  # load the kernels
gc.collect()
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak (VmHWM) to the current resident size
skdeep_fit(p, X, y, epochs=1)
print(before * 1024, status("VmHWM") * 1024, X.nbytes)
"""

MEMORY_CASES = [  # (n, T, batch)
    (2048, 50, 64),
    (8192, 50, 64),
    (2048, 150, 64),
    (2048, 50, 256),
    (32768, 50, 64),
]


def fit_memory(n, T, batch):
    code = MEMORY_CHILD.format(here=HERE, n=n, T=T, batch=batch)
    env = tm.child_env(NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
                       OPENBLAS_NUM_THREADS="1")  # fmt: skip
    before, after, x_bytes = map(int, tm.run_child(code, env).stdout.split()[-3:])
    return after - before, x_bytes


COLD_CHILD = """
import time
start = time.perf_counter()
import sys
sys.path.insert(0, {here!r})
from bench_recurrent import problem_data, skdeep_fit
p = dict(cell={cell!r}, n=256, T=20, F=3, H=16, batch=32)
X, y, X_test, _ = problem_data(p)
skdeep_fit(p, X, y, epochs=2).predict(X_test)
print("in-process seconds", time.perf_counter() - start)
"""


def cold_fit(cell):
    with tempfile.TemporaryDirectory() as empty:
        env = tm.child_env(NUMBA_CACHE_DIR=empty, NUMBA_NUM_THREADS="1",
                           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")  # fmt: skip
        run = tm.run_child(COLD_CHILD.format(here=HERE, cell=cell), env)
    inside = float(run.stdout.split()[-1])
    return run.wall, run.cpu, inside


# ---------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--accuracy-epochs", type=int, default=0)
    parser.add_argument("--accuracy-seeds", type=int, default=3)
    parser.add_argument("--only-accuracy", action="store_true")
    args = parser.parse_args()
    if args.only_accuracy:
        args.threads, args.no_memory, args.no_cold = [], True, True
    info = tm.machine()
    load_before = os.getloadavg()

    import numba
    import torch

    print("torch CPU capability:", torch.backends.cpu.get_cpu_capability(),
          "| BLAS:", tm.blas_threads(), flush=True)  # fmt: skip
    data = {name: problem_data(PROBLEMS[name]) for name in args.problems}
    rows = []
    for threads in args.threads:
        tm.pin_threads(1)  # BLAS: skdeep pins it to 1 inside fit anyway
        numba.set_num_threads(threads)
        torch.set_num_threads(threads)
        for name in args.problems:
            p = PROBLEMS[name]
            X, y, X_test, y_test = data[name]
            fitted = {}

            def run_skdeep(p=p, X=X, y=y, fitted=fitted):
                fitted["skdeep"] = skdeep_fit(p, X, y, args.epochs)

            def run_torch(p=p, X=X, y=y, fitted=fitted):
                fitted["torch"] = torch_fit(p, X, y, args.epochs)

            wall, cpu = alternate_wall_cpu(
                {"skdeep": run_skdeep, "torch": run_torch}, args.repeats
            )
            sk = tm.median(wall["skdeep"]) / args.epochs
            to = tm.median(wall["torch"]) / args.epochs
            flops = flops_per_epoch(p)
            rows.append(
                dict(
                    problem=name, threads=threads, skdeep=sk, torch=to,
                    ratio=to / sk, target=TARGETS.get(name),
                    sk_range=_range(wall["skdeep"], args.epochs),
                    to_range=_range(wall["torch"], args.epochs),
                    sk_cpu=tm.median(cpu["skdeep"]) / args.epochs,
                    to_cpu=tm.median(cpu["torch"]) / args.epochs,
                    sk_acc=fitted["skdeep"].score(X_test, y_test),
                    to_acc=torch_bench.accuracy(fitted["torch"], X_test, y_test),
                    sk_gflops=flops / sk / 1e9, to_gflops=flops / to / 1e9,
                    numpy_gflops=numpy_gflops(p, threads),
                )
            )  # fmt: skip
            print(rows[-1], flush=True)
    memory = {}
    if not args.no_memory:
        for case in MEMORY_CASES:
            memory[case] = fit_memory(*case)
            print("memory", case, memory[case], flush=True)
    cold = {}
    if not args.no_cold:
        for cell in ("lstm", "gru", "rnn"):
            cold[cell] = cold_fit(cell)
            print("cold", cell, cold[cell], flush=True)
    accuracy = ""
    if args.accuracy_epochs:
        accuracy = _accuracy_report(
            {name: data[name] for name in args.problems}, args.accuracy_epochs,
            args.accuracy_seeds,
        )  # fmt: skip
    load_after = os.getloadavg()
    load = (
        f"Load average (1, 5, 15 min) before: {_load(load_before)}; after: "
        f"{_load(load_after)}."
    )
    command = "flock /tmp/bench.lock python benchmarks/bench_recurrent.py " + (
        " ".join(sys.argv[1:])
    )
    if args.only_accuracy:
        print(accuracy)
        if not args.no_write:
            with open(RESULTS, "a", encoding="utf-8") as f:
                f.write(f"\n## Accuracy\n\nCommand: `{command.strip()}`\n\n"
                        f"{load}\n\n{accuracy}\n")  # fmt: skip
        return
    body = _report(rows, memory, cold, args.epochs, args.repeats)
    body = f"{load}\n\n{body}\n\n{accuracy}" if accuracy else f"{load}\n\n{body}"
    print(body)
    if not args.no_write:
        tm.write_results(
            RESULTS, "RNNClassifier vs PyTorch (CPU)", command.strip(), info, body
        )


def _accuracy_report(data, epochs, seeds) -> str:
    """Held-out accuracy of both libraries after ``epochs`` epochs, per seed, one
    thread each."""
    import numba
    import torch

    numba.set_num_threads(1)
    torch.set_num_threads(1)
    lines = [
        f"Held-out accuracy (1,024 sequences) after {epochs} epochs, seeds 0-"
        f"{seeds - 1} (each library's own initialization and shuffling per seed):",
        "",
        "| problem | skdeep per seed | torch per seed | skdeep mean | torch mean | "
        "difference |",
        "|---|---|---|---|---|---|",
    ]
    for name, (X, y, X_test, y_test) in data.items():
        p = PROBLEMS[name]
        sk = [skdeep_fit(p, X, y, epochs, seed).score(X_test, y_test)
              for seed in range(seeds)]  # fmt: skip
        to = [torch_bench.accuracy(torch_fit(p, X, y, epochs, seed), X_test, y_test)
              for seed in range(seeds)]  # fmt: skip
        lines.append(
            f"| {name} | {', '.join(f'{a:.3f}' for a in sk)} | "
            f"{', '.join(f'{a:.3f}' for a in to)} | {np.mean(sk):.3f} | "
            f"{np.mean(to):.3f} | {np.mean(sk) - np.mean(to):+.3f} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def _load(load) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def _range(values, epochs) -> str:
    return f"{min(values) / epochs:.2f}-{max(values) / epochs:.2f}"


def _report(rows, memory, cold, epochs, repeats) -> str:
    lines = [
        f"Seconds per epoch: medians of {repeats} fits of {epochs} epochs (min-max "
        "in parentheses), skdeep and torch alternating; CPU = process CPU time per "
        "epoch. Ratio = torch / skdeep (above 1: skdeep faster); target from issue "
        "12. Accuracy on 1,024 held-out sequences after the fit's epochs.",
        "",
        "| problem | threads | skdeep s/epoch | torch s/epoch | torch / skdeep | "
        "target | skdeep CPU | torch CPU | accuracy skdeep | accuracy torch | "
        "GFLOP/s skdeep | GFLOP/s torch | numpy matmul GFLOP/s (same products) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = f"≥ {r['target']}x" if r["target"] else ""
        lines.append(
            f"| {r['problem']} | {r['threads']} | {r['skdeep']:.3f} "
            f"({r['sk_range']}) | {r['torch']:.3f} ({r['to_range']}) | "
            f"**{r['ratio']:.2f}x** | {target} | {r['sk_cpu']:.3f} | "
            f"{r['to_cpu']:.3f} | {r['sk_acc']:.3f} | {r['to_acc']:.3f} | "
            f"{r['sk_gflops']:.1f} | {r['to_gflops']:.1f} | {r['numpy_gflops']:.1f} |"
        )
    by_problem = {}
    for r in rows:
        by_problem.setdefault(r["problem"], {})[r["threads"]] = r
    if any(len(v) > 1 for v in by_problem.values()):
        lines += [
            "",
            "Gain from a second thread (1-thread epoch time / 2-thread epoch time):",
            "",
            "| problem | skdeep | torch |",
            "|---|---|---|",
        ]
        for name, per in by_problem.items():
            if 1 in per and 2 in per:
                lines.append(
                    f"| {name} | {per[1]['skdeep'] / per[2]['skdeep']:.2f}x | "
                    f"{per[1]['torch'] / per[2]['torch']:.2f}x |"
                )
    if memory:
        lines += [
            "",
            "Peak memory a fit adds (lstm, F=8, 64 units, 1 epoch, float32, fresh "
            "process, after a warm-up fit on 64 sequences of 20 steps: the peak "
            "resident size during the fit, VmHWM reset through "
            "/proc/self/clear_refs, minus the resident size before it):",
            "",
            "| sequences | T | batch | X itself | fit peak above the state before |",
            "|---|---|---|---|---|",
        ]
        for (n, T, batch), (extra, x_bytes) in memory.items():
            lines.append(
                f"| {n} | {T} | {batch} | {x_bytes / 2**20:.1f} MiB | "
                f"{extra / 2**20:.1f} MiB |"
            )
    if cold:
        lines += [
            "",
            "Cold first fit (fresh process, empty kernel cache, 1 thread; 256 "
            "sequences, T=20, F=3, 16 units, 2 epochs, then predict; import "
            "included):",
            "",
            "| cell | process wall | process CPU | in-process (imports to predict) |",
            "|---|---|---|---|",
        ]
        for cell, (wall, cpu, inside) in cold.items():
            lines.append(f"| {cell} | {wall:.1f} s | {cpu:.1f} s | {inside:.1f} s |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
