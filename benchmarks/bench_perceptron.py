"""Fit time of skdeep's PerceptronClassifier against scikit-learn's Perceptron.

Both run in this one process, alternating A/B per repeat, with BLAS and Numba pinned
to one thread; the multiclass workload also times both with ``n_jobs=2`` (one-vs-rest
problems on two threads). Compile time is measured first (cold: empty Numba cache
directory) and excluded from the timed runs by a warm-up fit.

Usage: python benchmarks/bench_perceptron.py [--repeats 5] [--n-samples 100000]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numba
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from threadpoolctl import threadpool_limits

COLD_COMPILE = """
import time, numpy as np
t = time.perf_counter()
from skdeep._kernels import perceptron
perceptron.precompile()
print(time.perf_counter() - t)
"""


def cold_compile_seconds() -> float:
    """Compile every perceptron kernel (f32 + f64) in a fresh process, empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "NUMBA_NUM_THREADS": "1"}
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        out = subprocess.run(
            [sys.executable, "-c", COLD_COMPILE],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(out.stdout.strip().splitlines()[-1])


def timed_fit(est, X, y) -> float:
    start = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--max-iter", type=int, default=20)
    args = parser.parse_args()

    from skdeep._kernels import perceptron as kernels
    from skdeep.estimators.perceptron import PerceptronClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    numba.set_num_threads(1)
    print(f"python {platform.python_version()}, numba {numba.__version__}")
    print(
        "cold compile of all perceptron kernels (f32+f64): "
        f"{cold_compile_seconds():.2f} s"
    )
    start = time.perf_counter()
    kernels.precompile()
    print(f"warm load from the cache: {time.perf_counter() - start:.2f} s")

    rows = []
    with threadpool_limits(limits=1):
        for n_classes in (2, 5):
            X, y = make_classification(  # n_samples to train on, 25% more to test
                n_samples=args.n_samples + args.n_samples // 4,
                n_features=args.n_features,
                n_informative=20,
                n_classes=n_classes,
                random_state=0,
            )
            n_train = args.n_samples
            X_tr, y_tr, X_te, y_te = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
            common = dict(max_iter=args.max_iter, tol=None, random_state=0)
            variants = {
                "sklearn": lambda c=common: Perceptron(**c),
                "skdeep": lambda c=common: PerceptronClassifier(**c),
                "skdeep average": lambda c=common: PerceptronClassifier(
                    average=True, **c
                ),
                "sklearn SGD average": lambda c=common: _sgd_average(c),
            }
            if n_classes > 2:  # one-vs-rest problems on 2 threads, both libraries
                variants["sklearn n_jobs=2"] = lambda c=common: Perceptron(
                    n_jobs=2, **c
                )
                variants["skdeep n_jobs=2"] = lambda c=common: PerceptronClassifier(
                    n_jobs=2, **c
                )
            times = {k: [] for k in variants}
            scores = {}
            for make in variants.values():  # warm-up: compile / load excluded
                make().fit(X_tr[:1000], y_tr[:1000])
            for _ in range(args.repeats):
                for name, make in variants.items():  # alternate A/B/...
                    est = make()
                    times[name].append(timed_fit(est, X_tr, y_tr))
                    scores[name] = est.score(X_te, y_te)
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append(
                (
                    f"{n_train}x{args.n_features}, {n_classes} classes",
                    med,
                    {k: (min(v), max(v)) for k, v in times.items()},
                    scores,
                )
            )

    print()
    print(
        "| workload | sklearn s | skdeep s | ratio | acc sklearn | acc skdeep | "
        "skdeep average s | acc average | sklearn SGD average s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for workload, med, _, scores in rows:
        print(
            f"| {workload} | {med['sklearn']:.3f} | {med['skdeep']:.3f} | "
            f"{med['sklearn'] / med['skdeep']:.2f} | {scores['sklearn']:.4f} | "
            f"{scores['skdeep']:.4f} | {med['skdeep average']:.3f} | "
            f"{scores['skdeep average']:.4f} | {med['sklearn SGD average']:.3f} |"
        )
    for workload, med, _, scores in rows:
        if "skdeep n_jobs=2" in med:
            ref, ours = med["sklearn n_jobs=2"], med["skdeep n_jobs=2"]
            print(
                f"\n{workload}, n_jobs=2 (threads): sklearn {ref:.3f} s, skdeep "
                f"{ours:.3f} s, ratio {ref / ours:.2f}, acc "
                f"{scores['sklearn n_jobs=2']:.4f} / {scores['skdeep n_jobs=2']:.4f}"
            )
    print()
    for workload, _, spread, _ in rows:
        text = ", ".join(f"{k} {lo:.3f}-{hi:.3f}" for k, (lo, hi) in spread.items())
        print(f"min-max over repeats, {workload}: {text}")


def _sgd_average(common):
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss="perceptron",
        learning_rate="constant",
        eta0=1.0,
        penalty=None,
        average=True,
        **common,
    )


if __name__ == "__main__":
    main()
