"""Kernels called by kernels are compiled once, inside their callers
(``skdeep._kernels._linking``): their link-only twins emit no machine code of
their own, compute the same bits as Numba's usual compilation, pass exceptions
and parallel loops through, and stay out of the way of Python calls and the
disk cache."""

import os
import subprocess
import sys
import textwrap

import pytest

from skdeep._kernels._jit import _KERNEL_CACHE

pytestmark = pytest.mark.skipif(
    not _KERNEL_CACHE, reason="link-only compilation needs a tested Numba version"
)

MODULE = textwrap.dedent(
    """
    import numpy as np
    from numba import njit, prange
    from skdeep._kernels._jit import jit, kernel

    def _leaf(x, scale):
        if scale < 0.0:
            raise ValueError("negative scale")
        total = 0.0
        for i in range(x.shape[0]):
            total += x[i] * scale + x[i] / 3.0
        return total

    def _middle(x, scale):
        return _leaf_k(x, scale) * 0.1 + _leaf_k(x[::-1], scale + 1.0)

    def _parallel(x, out):
        for i in prange(out.shape[0]):
            out[i] = np.sqrt(x[i]) * 1.7 + x[i] * x[i]

    def _top(x, scale, out):
        _parallel_k(x, out)
        return _middle_k(x, scale) + _middle_k(out, scale * 0.5)

    def _read(values, index):
        return values[index]

    def _read_through(values, index):
        return _read_k(values, index) * 2.0

    _leaf_k = kernel(_leaf)
    _read_k = jit(boundscheck=True)(_read)
    read_through = kernel(_read_through)
    _middle_k = kernel(_middle)
    _parallel_k = jit(parallel=True)(_parallel)
    top = kernel(_top)
    leaf, middle, parallel = _leaf_k, _middle_k, _parallel_k

    # The same functions, compiled the way Numba always does.
    def plain():
        global _leaf_k, _middle_k, _parallel_k
        _leaf_k, _middle_k = njit(_leaf), njit(_middle)
        _parallel_k = njit(parallel=True)(_parallel)
        return njit(_top)
    """
)

EMISSIONS = textwrap.dedent(
    """
    from numba.core import codegen
    emitted = []
    _finalize = codegen.JITCodeLibrary._finalize_specific
    def counting(self):
        emitted.append(self.name)
        return _finalize(self)
    codegen.JITCodeLibrary._finalize_specific = counting
    """
)


def _run(tmp_path, code, cache="cache"):
    (tmp_path / "linked_kernels.py").write_text(MODULE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), os.environ.get("PYTHONPATH", "")]
        ),
        "NUMBA_CACHE_DIR": str(tmp_path / cache),
        "NUMBA_NUM_THREADS": "2",
    }
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_callees_emit_no_machine_code_of_their_own(tmp_path):
    out = _run(
        tmp_path,
        EMISSIONS
        + textwrap.dedent(
            """
        import numpy as np
        import linked_kernels as lk
        x = np.linspace(0.5, 2.0, 7)
        lk.top(x, 2.0, np.empty(7))
        ours = [name for name in emitted
                if name.split(".")[-1] in ("_top", "_middle", "_leaf", "_parallel")]
        print(len(ours), len(lk.leaf.signatures), len(lk.leaf.from_kernels.signatures),
              len(lk.middle.from_kernels.signatures), len(lk.top.signatures))
        """
        ),
    )
    # One emission for the whole tree (the entry point's), where Numba emits
    # every function of it on its own and again inside each caller. (The leaf
    # is called with a contiguous and a strided array: two variants.)
    assert out == ["1", "0", "2", "1", "1"]


def test_same_bits_as_numbas_own_compilation(tmp_path):
    out = _run(
        tmp_path,
        """
        import numpy as np
        import linked_kernels as lk
        x = np.random.RandomState(0).uniform(0.1, 3.0, 101)
        linked = lk.top(x, 1.3, np.empty(101))
        plain = lk.plain()(x, 1.3, np.empty(101))
        print(linked.hex(), plain.hex())
        """,
    )
    assert out[0] == out[1]


def test_python_calls_compile_their_own_code(tmp_path):
    out = _run(
        tmp_path,
        """
        import numpy as np
        import linked_kernels as lk
        x = np.array([1.0, 2.0, 4.0])
        lk.top(x, 2.0, np.empty(3))
        expected = sum(v * 2.0 + v / 3.0 for v in x)
        print(lk.leaf(x, 2.0) == expected, len(lk.leaf.signatures))
        """,
    )
    assert out == ["True", "1"]


def test_exceptions_raised_in_a_callee_reach_python(tmp_path):
    out = _run(
        tmp_path,
        """
        import numpy as np
        import linked_kernels as lk
        try:
            lk.top(np.ones(3), -5.0, np.empty(3))
        except ValueError as error:
            print(str(error).replace(" ", "_"))
        """,
    )
    assert out == ["negative_scale"]


def test_a_bounds_checked_callee_raises_index_error_through_its_caller(tmp_path):
    # What SKDEEP_BOUNDSCHECK=1 relies on: the gather, pooling and sequence
    # kernels it checks run as link-only callees of the epoch and prediction
    # kernels.
    out = _run(
        tmp_path,
        """
        import numpy as np
        import linked_kernels as lk
        values = np.arange(4.0)
        print(lk.read_through(values, 3))
        try:
            lk.read_through(values, 4)
        except IndexError:
            print("IndexError")
        """,
    )
    assert out == ["6.0", "IndexError"]


def test_a_cached_entry_point_needs_no_callee(tmp_path):
    code = """
        import numpy as np
        import linked_kernels as lk
        x = np.linspace(0.5, 2.0, 7)
        print(lk.top(x, 2.0, np.empty(7)).hex(),
              len(lk.leaf.from_kernels.signatures), len(lk.top.signatures))
        """
    first = _run(tmp_path, code)
    second = _run(tmp_path, code)
    assert first[1:] == ["2", "1"]
    # Loaded from the disk cache: same result, and no callee compiled.
    assert second == [first[0], "0", "1"]
