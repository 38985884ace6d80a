"""Compile cost: what a whole first-fit process costs with skdeep against sklearn.

Each measurement is a fresh ``python -c`` child that imports the library and fits
an MLPClassifier on iris (float64, 200 epochs of adam):

* skdeep with an EMPTY Numba cache (``NUMBA_CACHE_DIR`` a new temporary directory
  per run): everything the first fit after installing costs;
* skdeep with the cache filled (one directory, filled before timing);
* the same script with scikit-learn's MLPClassifier.

The three alternate run by run (medians of ``--repeats``). Then ``import skdeep``
alone against ``import numba, sklearn`` (what skdeep imports anyway). Children run
with one Numba/BLAS thread. Writes benchmarks/RESULTS_compile.md.

Usage: python benchmarks/bench_compile.py [--repeats 5] [--no-write]
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_compile.md")

FIT = """
import time
start = time.perf_counter()
import warnings
from {module} import MLPClassifier
from sklearn.datasets import load_iris
warnings.filterwarnings("ignore")
X, y = load_iris(return_X_y=True)
model = MLPClassifier(random_state=0).fit(X, y)
print("in-process seconds", time.perf_counter() - start, "epochs", model.n_iter_)
"""

IMPORTS = {
    "import skdeep": "import skdeep",
    "import numba, sklearn": "import numba, sklearn",
    "import numba, sklearn.neural_network": "import numba, sklearn.neural_network",
}

# Cold children would otherwise each start 2 OpenMP/BLAS threads.
ONE_THREAD = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def child(code: str, cache_dir: str) -> tm.ChildRun:
    return tm.run_child(code, tm.child_env(NUMBA_CACHE_DIR=cache_dir, **ONE_THREAD))


def alternate_children(cases: dict, repeats: int) -> tuple[dict, dict]:
    """``cases``: name -> zero-argument function running one child.

    Returns the wall and the CPU seconds of every run, per name.
    """
    wall = {name: [] for name in cases}
    cpu = {name: [] for name in cases}
    names = list(cases)
    for i in range(repeats):
        for name in names if i % 2 == 0 else reversed(names):
            run = cases[name]()
            wall[name].append(run.wall)
            cpu[name].append(run.cpu)
            print(f"  {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU", flush=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    command = "python benchmarks/bench_compile.py" + "".join(
        " " + a for a in sys.argv[1:]
    )
    info = tm.machine()
    started = time.perf_counter()

    skdeep_fit = FIT.format(module="skdeep")
    sklearn_fit = FIT.format(module="sklearn.neural_network")
    with tempfile.TemporaryDirectory() as root:
        warm_cache = os.path.join(root, "warm")
        child(skdeep_fit, warm_cache)  # fills the cache

        def cold():
            with tempfile.TemporaryDirectory(dir=root) as empty:
                return child(skdeep_fit, empty)

        # Every child gets a cache directory, so the sklearn and import runs cannot
        # read or write skdeep's package cache either.
        fits, fits_cpu = alternate_children(
            {
                "sklearn MLPClassifier": lambda: child(sklearn_fit, warm_cache),
                "skdeep, cache filled": lambda: child(skdeep_fit, warm_cache),
                "skdeep, empty cache": cold,
            },
            args.repeats,
        )
        imports, imports_cpu = alternate_children(
            {
                name: (lambda c=code: child(c, warm_cache))
                for name, code in IMPORTS.items()
            },
            args.repeats,
        )
    elapsed = time.perf_counter() - started

    base = tm.median(fits["sklearn MLPClassifier"])
    filled = tm.median(fits["skdeep, cache filled"]) / base
    empty = tm.median(fits["skdeep, empty cache"])
    targets = {
        "sklearn MLPClassifier": "",
        "skdeep, cache filled": f"≤ 1.3x: {'yes' if filled <= 1.3 else '**no**'}",
        "skdeep, empty cache": f"≤ 10 s: {'yes' if empty <= 10 else '**no**'}",
    }
    lines = [
        "| whole process: import + fit iris | wall, median (min-max) | / sklearn "
        "| CPU s, median | target |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {tm.spread(t)} | {tm.median(t) / base:.2f}x "
        f"| {tm.median(fits_cpu[name]):.2f} | {targets[name]} |"
        for name, t in fits.items()
    ]
    lines += [
        "",
        "| import alone (whole process) | wall, median (min-max) | CPU s, median |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {tm.spread(t)} | {tm.median(imports_cpu[name]):.2f} |"
        for name, t in imports.items()
    ]
    compile_s = empty - tm.median(fits["skdeep, cache filled"])
    table = "\n".join(lines)
    body = (
        f"{table}\n\n"
        f"Compilation alone (empty - filled cache): {compile_s:.1f} s. Every figure is "
        "the wall time of a fresh `python -c` child (interpreter start included); CPU "
        "is the child's user + system time, which a busy machine inflates less than "
        "the wall time. One Numba/BLAS thread, medians of "
        f"{args.repeats} runs alternating between the cases. "
        f"Script: {elapsed:.0f} s.\n\n"
        "The fit script:\n\n```python\n" + skdeep_fit.strip() + "\n```\n"
    )
    print("\n" + table)
    print(f"\ncompile alone ≈ {compile_s:.1f} s; total {elapsed:.0f} s")
    if not args.no_write:
        tm.write_results(RESULTS, "Compile cost of a first fit", command, info, body)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
