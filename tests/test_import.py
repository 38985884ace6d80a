"""Importing skdeep compiles nothing and costs little on top of its dependencies."""

import subprocess
import sys
import textwrap

import numpy as np


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_import_compiles_nothing():
    out = _run(
        """
        import importlib, pkgutil
        from numba.core.registry import CPUDispatcher
        import skdeep, skdeep._kernels
        compiled, seen = [], 0
        for info in pkgutil.iter_modules(skdeep._kernels.__path__):
            module = importlib.import_module("skdeep._kernels." + info.name)
            for name, obj in vars(module).items():
                if isinstance(obj, CPUDispatcher):
                    seen += 1
                    if obj.signatures or obj.from_kernels.signatures:
                        compiled.append(name)
        print(seen, compiled)
        """
    )
    seen, compiled = out.split(" ", 1)
    assert int(seen) > 10
    assert compiled.strip() == "[]"


def test_import_adds_little_to_numba_and_sklearn():
    code = """
        import time
        import numba, sklearn.base, sklearn.neural_network, scipy.optimize, pandas
        start = time.perf_counter()
        import skdeep
        print(time.perf_counter() - start)
        """
    extra = np.median([float(_run(code)) for _ in range(3)])
    assert extra < 0.5, f"import skdeep added {extra:.2f} s"
