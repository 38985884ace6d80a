"""skdeep's MLPs against scikit-learn's, side by side in one process.

Four benchmarks, each alternating sklearn and skdeep runs (medians of ``--repeats``),
with BLAS and Numba pinned to one thread and compilation excluded by a warm-up:

1. digits (1797x64, StandardScaler, stratified 25% holdout), hidden (100,), adam,
   batch 200, exactly 200 epochs (tol=0, n_iter_no_change=max_iter), float64 and
   float32; holdout accuracy of both.
2. make_regression 50,000x100, hidden (256, 128), adam, batch 256, 20 epochs;
   holdout R^2 of both, skdeep's achieved GFLOP/s as a fraction of numpy's matmul
   GFLOP/s at the same shapes, and the peak memory of each fit in a child process.
3. single-row predict latency (median over many calls).
4. GridSearchCV(n_jobs=2, cv=3, 8 candidates) on digits, with the Numba cache warmed
   in this process first; with the worker pool kept between runs, and with fresh
   workers each run (what a new script pays). Uses 2 processes, so it swings when
   the shared machine is busy.

Prints a markdown table and writes it, with the machine and the command, to
benchmarks/RESULTS_mlp.md.

Usage: python benchmarks/bench_mlp.py [--repeats 5] [--skip-memory] [--no-write]
"""

import argparse
import os
import sys
import time
import warnings
from itertools import pairwise

import numpy as np
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

import skdeep

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_mlp.md")

DIGITS_EPOCHS = 200
REG_EPOCHS = 20
REG_HIDDEN = (256, 128)
REG_BATCH = 256
GRID = {
    "hidden_layer_sizes": [(50,), (100,)],
    "alpha": [1e-4, 1e-2],
    "learning_rate_init": [1e-3, 1e-2],
}
GRID_EPOCHS = 30


def fixed_epochs(epochs: int) -> dict:
    """Parameters that make both libraries run exactly ``epochs`` epochs."""
    return dict(max_iter=epochs, tol=0.0, n_iter_no_change=epochs)


def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


class Row:
    """One line of the results table."""

    def __init__(self, name, times, score_name, sk_score, sd_score, target, extra=""):
        self.name = name
        self.times = times
        self.ratio = tm.ratio(times, "sklearn", "skdeep")
        self.score_name = score_name
        self.sk_score = sk_score
        self.sd_score = sd_score
        self.target = target  # minimum ratio
        self.extra = extra

    def cells(self):
        met = "yes" if self.ratio >= self.target else "**no**"
        score = (
            "-"
            if self.score_name is None
            else f"{self.score_name} {self.sk_score:.4f} / {self.sd_score:.4f}"
        )
        return [
            self.name,
            tm.spread(self.times["sklearn"]),
            tm.spread(self.times["skdeep"]),
            f"{self.ratio:.2f}x",
            f"≥ {self.target:g}x: {met}",
            score,
            self.extra,
        ]


HEADER = [
    "benchmark",
    "sklearn, median (min-max)",
    "skdeep, median (min-max)",
    "sklearn / skdeep",
    "target",
    "score sklearn / skdeep",
    "notes",
]


def markdown_table(rows) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------- 1. digits
def bench_digits(dtype, repeats) -> Row:
    X_train, X_test, y_train, y_test = digits_split()
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    params = dict(
        hidden_layer_sizes=(100,),
        solver="adam",
        batch_size=200,
        random_state=0,
        **fixed_epochs(DIGITS_EPOCHS),
    )
    models = {
        "sklearn": sk.MLPClassifier(**params),
        "skdeep": skdeep.MLPClassifier(**params),
    }
    times = tm.alternate(
        {name: (lambda m=m: m.fit(X_train, y_train)) for name, m in models.items()},
        repeats=repeats,
    )
    for name, model in models.items():
        assert model.n_iter_ == DIGITS_EPOCHS, (name, model.n_iter_)
        assert model.coefs_[0].dtype == dtype, (name, model.coefs_[0].dtype)
    scores = {name: m.score(X_test, y_test) for name, m in models.items()}
    target = 2.5 if dtype == np.float64 else 3.0
    return Row(
        f"1. digits fit, {np.dtype(dtype).name}",
        times,
        "acc",
        scores["sklearn"],
        scores["skdeep"],
        target,
        f"n_iter_ = {DIGITS_EPOCHS} for both",
    )


# --------------------------------------------------------------- 2. regression
def regression_data():
    X, y = make_regression(
        n_samples=60_000, n_features=100, n_informative=50, noise=10.0, random_state=0
    )
    y = y / y.std()
    return X[:50_000], X[50_000:], y[:50_000], y[50_000:]


def regression_params():
    return dict(
        hidden_layer_sizes=REG_HIDDEN,
        solver="adam",
        batch_size=REG_BATCH,
        random_state=0,
        **fixed_epochs(REG_EPOCHS),
    )


def training_flops(n, units, epochs) -> float:
    """2 n fan_in fan_out per matmul: 1 forward per layer, 2 backward per layer
    except the first layer's (no dX)."""
    per_row = 0.0
    for i, (fan_in, fan_out) in enumerate(pairwise(units)):
        per_row += (2 if i == 0 else 3) * fan_in * fan_out
    return 2.0 * n * per_row * epochs


def batch_matmul_shapes(batch, units):
    """The (m, k, n) products of one mini-batch's forward and backward pass."""
    shapes = []
    for i, (fan_in, fan_out) in enumerate(pairwise(units)):
        shapes.append((batch, fan_in, fan_out))  # forward: H @ W
        shapes.append((fan_in, batch, fan_out))  # dW = H.T @ D
        if i > 0:
            shapes.append((batch, fan_out, fan_in))  # dH = D @ W.T
    return shapes


MEMORY_CHILD = """
import resource, warnings
import numpy as np
from threadpoolctl import threadpool_limits
import bench_mlp as b
warnings.filterwarnings("ignore")
threadpool_limits(1, user_api="blas")
X, y = np.load({X!r}), np.load({y!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# Two epochs reach the peak: every buffer is allocated in the first.
{model}(**{{**b.regression_params(), **b.fixed_epochs(2)}}).fit(X, y)
print(before * 1024)
"""


def fit_memory(library: str, X, y) -> tuple[int, int]:
    """(peak RSS of a child process fitting ``X, y``, its peak before the fit),
    in bytes. The child loads the data from .npy files, so its peak before the fit
    is the imports plus the data, not the making of the data."""
    import tempfile

    model = "b.skdeep.MLPRegressor" if library == "skdeep" else "b.sk.MLPRegressor"
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, "X.npy"), os.path.join(tmp, "y.npy")]
        np.save(paths[0], X)
        np.save(paths[1], y)
        code = MEMORY_CHILD.format(X=paths[0], y=paths[1], model=model)
        env = tm.child_env(NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
        env["PYTHONPATH"] = HERE + os.pathsep + env["PYTHONPATH"]
        run = tm.run_child(code, env)
    return run.peak_rss, int(run.stdout.splitlines()[-1])


def bench_regression(dtype, repeats, memory) -> tuple[Row, str]:
    X_train, X_test, y_train, y_test = regression_data()
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    y_train = y_train.astype(dtype)
    params = regression_params()
    # Compile on a slice (same kernels, same types) instead of a full warm-up fit.
    skdeep.MLPRegressor(**{**params, "max_iter": 1}).fit(X_train[:512], y_train[:512])
    models = {
        "sklearn": sk.MLPRegressor(**params),
        "skdeep": skdeep.MLPRegressor(**params),
    }
    units = (X_train.shape[1], *REG_HIDDEN, 1)
    shapes = batch_matmul_shapes(REG_BATCH, units)
    gemm = []  # numpy's GFLOP/s, measured between the fits so it sees the same load
    runs = {name: (lambda m=m: m.fit(X_train, y_train)) for name, m in models.items()}
    runs["numpy"] = lambda: gemm.append(tm.matmul_gflops(shapes, dtype, seconds=0.3))
    times = tm.alternate(runs, repeats=repeats, warmup=0)
    for name, model in models.items():
        assert model.n_iter_ == REG_EPOCHS, (name, model.n_iter_)
    scores = {name: r2_score(y_test, m.predict(X_test)) for name, m in models.items()}

    flops = training_flops(X_train.shape[0], units, REG_EPOCHS)
    achieved = {name: flops / tm.median(times[name]) / 1e9 for name in models}
    numpy_gflops = tm.median(gemm)
    fraction = achieved["skdeep"] / numpy_gflops
    notes = (
        f"skdeep {achieved['skdeep']:.1f} GFLOP/s = {fraction:.0%} of numpy matmul "
        f"({numpy_gflops:.1f} GFLOP/s at the batch's shapes, measured between the "
        "fits; target ≥ 60%: "
        f"{'yes' if fraction >= 0.6 else '**no**'}); sklearn "
        f"{achieved['sklearn']:.1f} GFLOP/s"
    )
    if memory:
        mem = {lib: fit_memory(lib, X_train, y_train) for lib in ("sklearn", "skdeep")}
        data_bytes = X_train.nbytes + y_train.nbytes
        notes += (
            "; memory a fit adds to a child's peak RSS (imports and X, y loaded: "
            f"{tm.fmt_bytes(mem['skdeep'][1])}, of which X, y "
            f"{tm.fmt_bytes(data_bytes)}): "
        ) + ", ".join(
            f"{lib} +{tm.fmt_bytes(peak - before)}"
            for lib, (peak, before) in mem.items()
        )
    name = f"2. regression fit 50kx100 {REG_HIDDEN}, {np.dtype(dtype).name}"
    row = Row(name, times, "R²", scores["sklearn"], scores["skdeep"], 1.3, notes)
    summary = f"{name}: {flops / 1e9:.0f} GFLOP in {REG_EPOCHS} epochs; " + notes
    return row, summary


# ---------------------------------------------------------------- 3. latency
def bench_latency(repeats, calls=300) -> Row:
    X_train, X_test, y_train, _ = digits_split()
    params = dict(hidden_layer_sizes=(100,), random_state=0, **fixed_epochs(50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = {
            "sklearn": sk.MLPClassifier(**params).fit(X_train, y_train),
            "skdeep": skdeep.MLPClassifier(**params).fit(X_train, y_train),
        }
    row = X_test[:1]
    per_call = {name: [] for name in models}
    for model in models.values():  # warm up
        for _ in range(50):
            model.predict(row)
    for i in range(repeats):
        names = list(models) if i % 2 == 0 else list(reversed(models))
        for name in names:
            predict = models[name].predict
            for _ in range(calls):
                start = time.perf_counter()
                predict(row)
                per_call[name].append(time.perf_counter() - start)
    same = np.array_equal(
        models["sklearn"].predict(X_test), models["skdeep"].predict(X_test)
    )
    r = Row(
        "3. predict, 1 row (digits model)",
        per_call,
        None,
        0,
        0,
        1.0,
        f"{repeats}x{calls} calls each; same predictions on the test set: {same}",
    )
    return r


# ------------------------------------------------------------ 4. grid search
def shutdown_workers():
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def bench_grid(repeats, fresh_workers: bool) -> Row:
    X_train, X_test, y_train, y_test = digits_split()
    params = dict(random_state=0, **fixed_epochs(GRID_EPOCHS))
    # Warm (fill) the Numba cache in the parent, so workers only load it.
    skdeep.MLPClassifier(**{**params, "max_iter": 1}).fit(X_train[:100], y_train[:100])
    searches = {
        "sklearn": GridSearchCV(sk.MLPClassifier(**params), GRID, cv=3, n_jobs=2),
        "skdeep": GridSearchCV(skdeep.MLPClassifier(**params), GRID, cv=3, n_jobs=2),
    }

    def run(search):
        if fresh_workers:
            shutdown_workers()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_train, y_train)

    times = tm.alternate(
        {name: (lambda s=s: run(s)) for name, s in searches.items()},
        repeats=repeats,
        warmup=0 if fresh_workers else 1,
    )
    scores = {name: s.score(X_test, y_test) for name, s in searches.items()}
    same = searches["sklearn"].best_params_ == searches["skdeep"].best_params_
    how = "fresh workers each run" if fresh_workers else "workers kept between runs"
    return Row(
        f"4. GridSearchCV n_jobs=2, {how}",
        times,
        "acc",
        scores["sklearn"],
        scores["skdeep"],
        1.0,
        f"8 candidates x cv=3 + refit, {GRID_EPOCHS} epochs; "
        f"same best_params_: {same}; 2 processes",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the peak-memory children"
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not write {RESULTS}"
    )
    args = parser.parse_args()
    command = "python benchmarks/bench_mlp.py" + "".join(" " + a for a in sys.argv[1:])
    info = tm.machine()
    threads = tm.pin_threads(1)
    print(f"Numba threads {threads}; BLAS {tm.blas_threads()}", flush=True)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    start = time.perf_counter()
    rows, notes = [], []
    for dtype in (np.float64, np.float32):
        rows.append(bench_digits(dtype, args.repeats))
        print(markdown_table(rows[-1:]), flush=True)
    row, summary = bench_regression(np.float64, args.repeats, not args.skip_memory)
    rows.append(row)
    notes.append(summary)
    print(markdown_table(rows[-1:]), flush=True)
    rows.append(bench_latency(args.repeats))
    print(markdown_table(rows[-1:]), flush=True)
    for fresh in (False, True):
        rows.append(bench_grid(args.repeats, fresh))
        print(markdown_table(rows[-1:]), flush=True)
    elapsed = time.perf_counter() - start

    table = markdown_table(rows)
    print("\n" + table)
    print(f"\n(total {elapsed:.0f} s)")
    body = (
        f"{table}\n\n"
        "Ratios above 1 mean skdeep is faster. Benchmarks 1-3: one thread for both "
        "(BLAS and Numba pinned), sklearn and skdeep alternating in one process, "
        f"medians of {args.repeats} runs (3: of every call), Numba compilation "
        "excluded by a warm-up. Benchmark 4 runs 2 worker processes on the 2 cores, "
        "so it swings whenever anything else runs on this shared machine (2-thread "
        "numbers are not comparable between runs).\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + f"\n\nWhole script: {elapsed:.0f} s.\n"
    )
    if not args.no_write:
        tm.write_results(
            RESULTS, "MLP benchmarks: skdeep vs scikit-learn", command, info, body
        )
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
