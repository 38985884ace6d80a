"""Compile cost: what a whole first-fit process costs with skdeep against sklearn.

Each measurement is a fresh ``python -c`` child that imports the library and fits:

* every estimator with an EMPTY kernel cache (``NUMBA_CACHE_DIR`` a new temporary
  directory per run), in float64 and float32: everything the first fit after
  installing costs (MLPClassifier on iris, 200 epochs of adam; the CNNs and the
  autoencoders on the 8x8 digits, a few epochs, then one prediction);
* MLPClassifier on iris with the cache filled, against the same script with
  scikit-learn's MLPClassifier (the warm whole-process ratio);
* ``GridSearchCV(CNNClassifier(...), n_jobs=2)`` on a cold and on a warm cache;

alternating run by run (medians of ``--repeats``); then ``import skdeep`` alone
against ``import numba, sklearn``. Children run with one Numba/BLAS thread (the
grid search with two workers). All of it twice: with this interpreter's
environment, and in a new virtual environment holding skdeep's runtime
dependencies only (what ``pip install skdeep`` gives; other installed packages can
add to Numba's start-up, e.g. by registering Numba extensions). Writes
benchmarks/RESULTS_compile.md.

Usage: python benchmarks/bench_compile.py [--repeats 3] [--no-clean-env] [--no-write]
       [--estimators MLPClassifier CNNClassifier ...]
"""

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_compile.md")

# Laid out as ruff formats it, as it is copied into RESULTS_compile.md.
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

#: A first fit (and one prediction) of every estimator; targets per issue 11.
FIRST_FIT = """
import time

start = time.perf_counter()
import warnings
import numpy as np
import skdeep
from sklearn.datasets import {dataset}

warnings.filterwarnings("ignore")
X, y = {dataset}(return_X_y=True)
X = (X / X.max()).astype("{dtype}")
est = skdeep.{name}({params})
est.fit(X, {target})
(est.transform if {target} is None else est.predict)(X)
print("in-process seconds", time.perf_counter() - start)
"""

FIRST_FITS = {
    "MLPClassifier": ("load_iris", "random_state=0", "y", 4.0),
    "CNNClassifier": ("load_digits", "max_iter=5, random_state=0", "y", 8.0),
    "CNNRegressor": ("load_digits", "max_iter=5, random_state=0", "y * 1.0", 8.0),
    "DenoisingAutoencoder": ("load_digits", "max_iter=20, random_state=0", "None", 8.0),
    "SparseAutoencoder": ("load_digits", "max_iter=20, random_state=0", "None", 8.0),
    "VariationalAutoencoder": (
        "load_digits",
        "max_iter=20, random_state=0",
        "None",
        8.0,
    ),
    "AdversarialAutoencoder": (
        "load_digits",
        "max_iter=20, random_state=0",
        "None",
        8.0,
    ),
}

GRID_SEARCH = """
import time

start = time.perf_counter()
import warnings
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from skdeep import CNNClassifier

warnings.filterwarnings("ignore")
X, y = load_digits(return_X_y=True)
grid = GridSearchCV(
    CNNClassifier(filters=(4,), hidden_layer_sizes=(16,), max_iter=3, random_state=0),
    {"alpha": [1e-4, 1e-3]}, cv=2, n_jobs=2,
).fit(X[:600] / 16, y[:600])
print("in-process seconds", time.perf_counter() - start)
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


def child(code: str, cache_dir: str, python: str) -> tm.ChildRun:
    env = tm.child_env(NUMBA_CACHE_DIR=cache_dir, **ONE_THREAD)
    return tm.run_child(code, env, python)


def clean_environment(root: str) -> str:
    """A new virtual environment with skdeep's runtime dependencies only (what
    ``pip install skdeep`` gives); returns its interpreter."""
    venv = os.path.join(root, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", tm.ROOT],
        check=True,
    )
    return python


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


def first_fit_code(name: str, dtype: str) -> str:
    dataset, params, target, _ = FIRST_FITS[name]
    return FIRST_FIT.format(
        dataset=dataset, params=params, target=target, name=name, dtype=dtype
    )


def measure(python: str, repeats: int, estimators) -> dict:
    """Every timing of one environment (interpreter ``python``)."""
    skdeep_fit = FIT.format(module="skdeep")
    sklearn_fit = FIT.format(module="sklearn.neural_network")
    with tempfile.TemporaryDirectory() as root:
        warm_cache = os.path.join(root, "warm")
        child(skdeep_fit, warm_cache, python)  # fills the cache

        def cold(code, env=ONE_THREAD):
            with tempfile.TemporaryDirectory(dir=root) as empty:
                return tm.run_child(
                    code, tm.child_env(NUMBA_CACHE_DIR=empty, **env), python
                )

        # Every child gets a cache directory, so the sklearn and import runs cannot
        # read or write skdeep's package cache either.
        fits, fits_cpu = alternate_children(
            {
                "sklearn MLPClassifier": lambda: child(sklearn_fit, warm_cache, python),
                "skdeep, cache filled": lambda: child(skdeep_fit, warm_cache, python),
            },
            repeats,
        )
        codes = {
            f"{name} {dtype}": first_fit_code(name, dtype)
            for name in estimators
            for dtype in ("float64", "float32")
        }
        first, first_cpu = alternate_children(
            {case: (lambda c=code: cold(c)) for case, code in codes.items()}, repeats
        )
        # One thread per worker, two workers.
        two = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        grid_env = tm.child_env(NUMBA_CACHE_DIR=os.path.join(root, "grid"), **two)
        tm.run_child(GRID_SEARCH, grid_env, python)  # fills the cache
        grid, grid_cpu = alternate_children(
            {
                "empty cache": lambda: cold(GRID_SEARCH, two),
                "cache filled": lambda: tm.run_child(GRID_SEARCH, grid_env, python),
            },
            repeats,
        )
        imports, imports_cpu = alternate_children(
            {
                name: (lambda c=code: child(c, warm_cache, python))
                for name, code in IMPORTS.items()
            },
            repeats,
        )
    return dict(
        fits=fits, fits_cpu=fits_cpu, imports=imports, imports_cpu=imports_cpu,
        first=first, first_cpu=first_cpu, grid=grid, grid_cpu=grid_cpu,
    )  # fmt: skip


def table(m: dict) -> str:
    """The Markdown tables of one environment."""
    fits, fits_cpu = m["fits"], m["fits_cpu"]
    base = tm.median(fits["sklearn MLPClassifier"])
    filled = tm.median(fits["skdeep, cache filled"]) / base
    targets = {
        "sklearn MLPClassifier": "",
        "skdeep, cache filled": f"≤ 1.2x: {'yes' if filled <= 1.2 else '**no**'}",
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
        "| first fit and prediction, empty cache (whole process) "
        "| wall, median (min-max) | CPU s, median | target |",
        "|---|---|---|---|",
    ]
    for case, t in m["first"].items():
        limit = FIRST_FITS[case.split()[0]][3]
        ok = "yes" if tm.median(t) <= limit else "**no**"
        lines.append(
            f"| {case} | {tm.spread(t)} | {tm.median(m['first_cpu'][case]):.2f} "
            f"| ≤ {limit:g} s: {ok} |"
        )
    grid = m["grid"]
    extra = tm.median(grid["empty cache"]) - tm.median(grid["cache filled"])
    lines += [
        "",
        "| GridSearchCV(CNNClassifier, n_jobs=2), whole process "
        "| wall, median (min-max) | CPU s, median |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {tm.spread(t)} | {tm.median(m['grid_cpu'][name]):.2f} |"
        for name, t in grid.items()
    ]
    cnn_cold = tm.median(m["first"].get("CNNClassifier float64", [float("nan")]))
    lines += [
        "",
        f"The cold search takes {extra:.1f} s longer than the warm one; one cold "
        f"CNNClassifier first fit takes {cnn_cold:.1f} s (target: the search is no "
        "more than one cold compile longer).",
        "",
        "| import alone (whole process) | wall, median (min-max) | CPU s, median |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {tm.spread(t)} | {tm.median(m['imports_cpu'][name]):.2f} |"
        for name, t in m["imports"].items()
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--estimators", nargs="+", default=list(FIRST_FITS), choices=list(FIRST_FITS)
    )
    parser.add_argument(
        "--no-clean-env",
        action="store_true",
        help="measure in this environment only, not also in a new virtual "
        "environment with skdeep's runtime dependencies only",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    command = "python benchmarks/bench_compile.py" + "".join(
        " " + a for a in sys.argv[1:]
    )
    info = tm.machine()
    started = time.perf_counter()
    n_packages = len(list(importlib.metadata.distributions()))
    sections = {
        f"This environment ({n_packages} installed distributions, the optional "
        "extras among them)": sys.executable
    }
    with tempfile.TemporaryDirectory() as root:
        if not args.no_clean_env:
            python = clean_environment(root)
            sections["A new virtual environment with skdeep's runtime dependencies "
                     "only (`pip install skdeep`)"] = python  # fmt: skip
        body = ""
        for title, python in sections.items():
            print(f"--- {title}", flush=True)
            text = table(measure(python, args.repeats, args.estimators))
            print("\n" + text, flush=True)
            body += f"## {title}\n\n{text}\n\n"
    elapsed = time.perf_counter() - started
    body += (
        "Every figure is the wall time of a fresh `python -c` child (interpreter "
        "start included); CPU is the child's user + system time, which a busy "
        "machine inflates less than the wall time. One Numba/BLAS thread, medians "
        f"of {args.repeats} runs alternating between the cases. Packages that "
        "register Numba extensions (e.g. `sparse`, which `dask-ml` brings) are "
        "imported by Numba on the first call of any kernel, and count here. "
        f"Script: {elapsed:.0f} s.\n\n"
        "The warm fit script:\n\n```python\n" + FIT.format(module="skdeep").strip()
        + "\n```\n\nThe first-fit script (here the CNN):\n\n```python\n"
        + first_fit_code("CNNClassifier", "float64").strip() + "\n```\n"
    )  # fmt: skip
    print(f"\ntotal {elapsed:.0f} s")
    if not args.no_write:
        tm.write_results(RESULTS, "Compile cost of a first fit", command, info, body)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
