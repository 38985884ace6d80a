"""Compile cost: what a whole first-fit process costs with skdeep against sklearn.

Each measurement is a fresh ``python -c`` child that imports the library and fits
an MLPClassifier on iris (float64, 200 epochs of adam):

* skdeep with an EMPTY Numba cache (``NUMBA_CACHE_DIR`` a new temporary directory
  per run): everything the first fit after installing costs;
* skdeep with the cache filled (one directory, filled before timing);
* the same script with scikit-learn's MLPClassifier.

The three alternate run by run (medians of ``--repeats``). Then ``import skdeep``
alone against ``import numba, sklearn`` (what skdeep imports anyway). Children run
with one Numba/BLAS thread. All of it twice: with this interpreter's environment,
and in a new virtual environment holding skdeep's runtime dependencies only (what
``pip install skdeep`` gives; other installed packages can add to Numba's start-up,
e.g. by registering Numba extensions). Writes benchmarks/RESULTS_compile.md.

Usage: python benchmarks/bench_compile.py [--repeats 5] [--no-clean-env] [--no-write]
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


def measure(python: str, repeats: int) -> dict:
    """Every timing of one environment (interpreter ``python``)."""
    skdeep_fit = FIT.format(module="skdeep")
    sklearn_fit = FIT.format(module="sklearn.neural_network")
    with tempfile.TemporaryDirectory() as root:
        warm_cache = os.path.join(root, "warm")
        child(skdeep_fit, warm_cache, python)  # fills the cache

        def cold():
            with tempfile.TemporaryDirectory(dir=root) as empty:
                return child(skdeep_fit, empty, python)

        # Every child gets a cache directory, so the sklearn and import runs cannot
        # read or write skdeep's package cache either.
        fits, fits_cpu = alternate_children(
            {
                "sklearn MLPClassifier": lambda: child(sklearn_fit, warm_cache, python),
                "skdeep, cache filled": lambda: child(skdeep_fit, warm_cache, python),
                "skdeep, empty cache": cold,
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
    return dict(fits=fits, fits_cpu=fits_cpu, imports=imports, imports_cpu=imports_cpu)


def table(m: dict) -> tuple[str, float]:
    """The Markdown tables of one environment, and its compilation time."""
    fits, fits_cpu = m["fits"], m["fits_cpu"]
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
        f"| `{name}` | {tm.spread(t)} | {tm.median(m['imports_cpu'][name]):.2f} |"
        for name, t in m["imports"].items()
    ]
    return "\n".join(lines), empty - tm.median(fits["skdeep, cache filled"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
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
            text, compile_s = table(measure(python, args.repeats))
            print("\n" + text + f"\n\ncompile alone ≈ {compile_s:.1f} s", flush=True)
            body += (
                f"## {title}\n\n{text}\n\n"
                f"Compilation alone (empty - filled cache): {compile_s:.1f} s.\n\n"
            )
    elapsed = time.perf_counter() - started
    body += (
        "Every figure is the wall time of a fresh `python -c` child (interpreter "
        "start included); CPU is the child's user + system time, which a busy "
        "machine inflates less than the wall time. One Numba/BLAS thread, medians "
        f"of {args.repeats} runs alternating between the cases. Packages that "
        "register Numba extensions (e.g. `sparse`, which `dask-ml` brings) are "
        "imported by Numba on the first call of any kernel, and count here. "
        f"Script: {elapsed:.0f} s.\n\n"
        "The fit script:\n\n```python\n" + FIT.format(module="skdeep").strip()
        + "\n```\n"
    )  # fmt: skip
    print(f"\ntotal {elapsed:.0f} s")
    if not args.no_write:
        tm.write_results(RESULTS, "Compile cost of a first fit", command, info, body)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
