"""Where a cold first fit's compile time goes, by compiler phase.

Runs one first fit (and one prediction) of an estimator with an empty kernel cache
in a fresh child process, timing Numba's compiler phases by wrapping them
(exclusive seconds: a phase's time excludes the phases it calls): bytecode to
typed IR, typing, lowering to LLVM IR, the CPython and C wrappers, LLVM's
per-function and whole-module optimization, and machine-code emission. Also
lists the libraries whose module optimization and emission cost the most. It
reads Numba internals, so it runs with the Numba versions skdeep's kernel cache
supports; an explanation tool, not a target (bench_compile.py measures those).

Usage: python benchmarks/profile_compile.py [MLPClassifier|CNNClassifier|...]
       [--dtype float64] [--top 12]
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

CHILD = """
import collections, functools, time, warnings
from numba.core import codegen, compiler, cpu, lowering, typed_passes
from numba.core import dispatcher

seconds, calls = collections.defaultdict(float), collections.Counter()
per_library = collections.defaultdict(float)
open_phases = []

def timed(cls, name, phase, by_library=False):
    original = getattr(cls, name)

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        open_phases.append(0.0)
        try:
            return original(self, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            own = elapsed - open_phases.pop()
            seconds[phase] += own
            calls[phase] += 1
            if open_phases:
                open_phases[-1] += elapsed
            if by_library:
                per_library[getattr(self, "name", "?").split(".")[-1][:48]] += own

    setattr(cls, name, wrapper)

timed(compiler.CompilerBase, "compile_extra", "other Numba passes")
timed(typed_passes.BaseTypeInference, "run_pass", "typing")
timed(lowering.Lower, "lower", "lowering to LLVM IR")
timed(cpu.CPUContext, "create_cpython_wrapper", "CPython wrappers")
timed(cpu.CPUContext, "create_cfunc_wrapper", "C wrappers")
timed(codegen.CPUCodeLibrary, "_optimize_functions", "LLVM function passes")
timed(codegen.CPUCodeLibrary, "_optimize_final_module", "LLVM module optimization",
      by_library=True)
timed(codegen.JITCodeLibrary, "_finalize_specific", "machine-code emission",
      by_library=True)
timed(dispatcher._FunctionCompiler, "_compile_cached", "dispatch and cache")

import numpy as np
import skdeep
from sklearn.datasets import {dataset}

warnings.filterwarnings("ignore")
X, y = {dataset}(return_X_y=True)
X = (X / X.max()).astype("{dtype}")
est = skdeep.{name}({params})
start = time.perf_counter()
est.fit(X, {target})
(est.transform if {target} is None else est.predict)(X)
total = time.perf_counter() - start
print("total %.2f" % total)
for phase, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
    print("phase %.2f %d %s" % (value, calls[phase], phase))
print("phase %.2f 0 rest (Python, data checks, the fit itself)"
      % (total - sum(seconds.values())))
for name, value in sorted(per_library.items(), key=lambda kv: -kv[1])[:{top}]:
    print("library %.2f %s" % (value, name))
"""

#: dataset, constructor parameters and target of each estimator's first fit.
FITS = {
    "MLPClassifier": ("load_iris", "max_iter=5, random_state=0", "y"),
    "CNNClassifier": ("load_digits", "max_iter=2, random_state=0", "y"),
    "DenoisingAutoencoder": ("load_digits", "max_iter=2, random_state=0", "None"),
    "RNNClassifier": (
        "load_digits",
        "input_shape=(8, 8), max_iter=2, random_state=0",
        "y",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("estimator", nargs="?", default="MLPClassifier",
                        choices=list(FITS))  # fmt: skip
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    dataset, params, target = FITS[args.estimator]
    code = CHILD.format(dataset=dataset, name=args.estimator, params=params,
                        target=target, dtype=args.dtype, top=args.top)  # fmt: skip
    with tempfile.TemporaryDirectory() as empty:
        env = tm.child_env(NUMBA_CACHE_DIR=empty, NUMBA_NUM_THREADS="1",
                           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")  # fmt: skip
        run = tm.run_child(code, env)
    lines = run.stdout.split("\n")
    total = float(next(line for line in lines if line.startswith("total")).split()[1])
    print(f"{args.estimator} ({args.dtype}): first fit and prediction, empty cache, "
          f"{total:.2f} s in the process\n")  # fmt: skip
    print("| phase | seconds | share | calls |\n|---|---|---|---|")
    for line in lines:
        if line.startswith("phase"):
            _, value, count, phase = line.split(" ", 3)
            print(f"| {phase} | {float(value):.2f} | "
                  f"{float(value) / total:.0%} | {count} |")  # fmt: skip
    print("\n| library (module optimization + emission) | seconds |\n|---|---|")
    for line in lines:
        if line.startswith("library"):
            _, value, name = line.split(" ", 2)
            print(f"| `{name}` | {float(value):.2f} |")


if __name__ == "__main__":
    main()
