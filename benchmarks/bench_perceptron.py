"""Fit time of skdeep's PerceptronClassifier against scikit-learn, on one thread.

Workload: ``make_classification(n_samples * 1.25, n_features=50, n_informative=20)``
with 2 and with 5 classes, fit on the first ``n_samples`` rows (accuracy on the
rest), ``max_iter=20, tol=None, random_state=0``, shuffled (the default). Two pairs,
each timed A against B alternately in this process (a warm-up round first, then
``--repeats`` rounds, the order flipped every round; medians and their ratio):

- ``sklearn.linear_model.Perceptron`` against ``PerceptronClassifier``;
- ``SGDClassifier(loss="perceptron", learning_rate="constant", eta0=1,
  penalty=None, average=True)`` against ``PerceptronClassifier(average=True)``.

BLAS and Numba are pinned to one thread. The script checks that both libraries
learn the same model (identical ``coef_``; for the averaged pair identical plain
weights and intercepts, and averaged weights within the bound the tests state),
and prints the CPU, its SIMD flags, the instruction sets each library's compiled
code uses here, the load average before and after, and a markdown table.

Emulating another CPU on this one: ``--emulate avx2`` reruns the benchmark in a
child process with ``OPENBLAS_CORETYPE=Zen`` (scipy's OpenBLAS picks its AVX2
kernels), ``NUMBA_CPU_NAME=znver2`` and an empty ``NUMBA_CPU_FEATURES`` (Numba
compiles for Zen 2: AVX2, no AVX-512; with the name alone it keeps the host's
features) and a ``NUMBA_CACHE_DIR`` of its own; ``--emulate sse`` uses ``Nehalem``
and ``nehalem``. scikit-learn's per-sample loop is Cython compiled for the x86-64
baseline and does not change. This changes the instructions, not the machine:
caches, memory and latencies stay this CPU's, so it is a proxy for another CPU,
not a measurement of it.

Usage: python benchmarks/bench_perceptron.py [--repeats 7] [--n-samples 100000]
       [--dtype float64] [--emulate {avx2,sse}]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

#: Environment of each emulated CPU: scipy's OpenBLAS core and Numba's target CPU,
#: with that CPU's own features (an empty NUMBA_CPU_FEATURES; unset, Numba keeps
#: the host's, AVX-512 included).
EMULATE = {
    "avx2": {
        "OPENBLAS_CORETYPE": "Zen",
        "NUMBA_CPU_NAME": "znver2",
        "NUMBA_CPU_FEATURES": "",
    },
    "sse": {
        "OPENBLAS_CORETYPE": "Nehalem",
        "NUMBA_CPU_NAME": "nehalem",
        "NUMBA_CPU_FEATURES": "",
    },
}
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "neon", "asimd")

COLD_COMPILE = """
import time
t = time.perf_counter()
from skdeep._kernels import perceptron
perceptron.precompile()
print(time.perf_counter() - t)
"""


def cold_compile_seconds() -> float:
    """Compile every perceptron kernel (f32 + f64) in a fresh process, empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = tm.child_env(NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="1")
        return float(tm.run_child(COLD_COMPILE, env).stdout.splitlines()[-1])


def describe_cpu() -> list[str]:
    """The CPU, its SIMD flags, and what each library's compiled code targets."""
    import numba
    from threadpoolctl import threadpool_info

    flags = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            match = re.search(r"^(flags|Features)\s*:\s*(.*)$", f.read(), re.M)
        flags = set(match.group(2).split()) if match else set()
    except OSError:
        pass
    openblas = sorted(
        {
            f"{i['internal_api']} {i['version']} core {i.get('architecture')}"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        }
    )
    features = {None: "the host's", "": "the named CPU's"}.get(
        numba.config.CPU_FEATURES, numba.config.CPU_FEATURES
    )
    emulated = [
        f"{k}={os.environ[k]!r}"
        for k in ("OPENBLAS_CORETYPE", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")
        if k in os.environ
    ]
    return [
        f"CPU: {tm.cpu_model()}",
        "SIMD flags: " + " ".join(f for f in SIMD_FLAGS if f in flags),
        f"Numba compiles for: {numba.config.CPU_NAME or 'host'} "
        f"(features: {features}); numba {numba.__version__}",
        "BLAS: " + "; ".join(openblas),
        "emulation: " + (", ".join(emulated) or "none (native)"),
    ]


def workload(n_samples, n_features, n_classes, dtype):
    X, y = make_classification(  # n_samples to train on, 25% more to test
        n_samples=n_samples + n_samples // 4,
        n_features=n_features,
        n_informative=20,
        n_classes=n_classes,
        random_state=0,
    )
    X = X.astype(dtype)
    return X[:n_samples], y[:n_samples], X[n_samples:], y[n_samples:]


def same_model(ref, ours, averaged) -> bool:
    """Identical weights; averaged: identical plain weights and intercepts, and
    averaged weights within the test suite's bound (no penalty: eps(|w| + 4|avg|))."""
    if not averaged:
        return np.array_equal(ours.coef_, ref.coef_) and np.array_equal(
            ours.intercept_, ref.intercept_
        )
    w = ref._standard_coef.reshape(ours.coef_.shape)
    bound = np.finfo(ref.coef_.dtype).eps * (np.abs(w) + 4 * np.abs(ref.coef_))
    return (
        np.array_equal(ours._standard_coef, w)
        and np.array_equal(ours.intercept_, ref.intercept_)
        and bool(np.all(np.abs(ours.coef_ - ref.coef_) <= bound))
    )


def time_pair(make_ref, make_ours, X, y, repeats):
    """Seconds of each fit of sklearn's and skdeep's estimator, alternating, and
    the last model of each."""
    models = {}

    def fit(key, make):
        models[key] = make().fit(X, y)

    times = tm.alternate(
        {"sklearn": lambda: fit("sklearn", make_ref),
         "skdeep": lambda: fit("skdeep", make_ours)},
        repeats=repeats,
    )  # fmt: skip
    return times, models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--emulate", choices=sorted(EMULATE))
    args = parser.parse_args()
    if args.emulate:  # the same benchmark in a child process, emulating
        with tempfile.TemporaryDirectory() as cache:
            env = tm.child_env(**EMULATE[args.emulate], NUMBA_CACHE_DIR=cache)
            argv = [
                f"--repeats={args.repeats}", f"--n-samples={args.n_samples}",
                f"--n-features={args.n_features}", f"--max-iter={args.max_iter}",
                f"--dtype={args.dtype}",
            ]  # fmt: skip
            child = subprocess.run([sys.executable, __file__, *argv], env=env)
        sys.exit(child.returncode)

    from skdeep._kernels import perceptron as kernels
    from skdeep.estimators.perceptron import PerceptronClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    tm.pin_threads(1)
    load_before = os.getloadavg()
    for line in describe_cpu():
        print(line)
    print(f"cold compile of all perceptron kernels (f32 + f64): "
          f"{cold_compile_seconds():.2f} s")  # fmt: skip
    kernels.precompile()

    common = dict(max_iter=args.max_iter, tol=None, random_state=0)
    pairs = {
        "plain": (
            lambda: Perceptron(**common),
            lambda: PerceptronClassifier(**common),
        ),
        "averaged": (
            lambda: SGDClassifier(
                loss="perceptron", learning_rate="constant", eta0=1.0,
                penalty=None, average=True, **common,
            ),
            lambda: PerceptronClassifier(average=True, **common),
        ),
    }  # fmt: skip
    rows = []
    for n_classes in (2, 5):
        X, y, X_te, y_te = workload(
            args.n_samples, args.n_features, n_classes, args.dtype
        )
        for name, (make_ref, make_ours) in pairs.items():
            times, models = time_pair(make_ref, make_ours, X, y, args.repeats)
            ref, ours = models["sklearn"], models["skdeep"]
            rows.append(
                (
                    f"{args.n_samples}x{args.n_features} {args.dtype}, "
                    f"{n_classes} classes, {name}",
                    tm.spread(times["sklearn"]),
                    tm.spread(times["skdeep"]),
                    tm.ratio(times, "sklearn", "skdeep"),
                    f"{ref.score(X_te, y_te):.4f} / {ours.score(X_te, y_te):.4f}",
                    "yes" if same_model(ref, ours, name == "averaged") else "NO",
                )
            )
    load_after = os.getloadavg()

    print()
    print(
        "| workload | sklearn, median (min-max) | skdeep, median (min-max) | "
        "ratio sklearn/skdeep | accuracy sklearn / skdeep | same model |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.2f} | {row[4]} | {row[5]} |"
        )
    print(
        f"\nload average (1, 5, 15 min): before {load_before[0]:.2f} "
        f"{load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} "
        f"{load_after[1]:.2f} {load_after[2]:.2f}; {args.repeats} repeats"
    )


if __name__ == "__main__":
    main()
