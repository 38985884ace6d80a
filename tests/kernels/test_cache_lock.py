"""Processes do not compile the same kernel at once (``_kernels._compile_lock``).

The subprocess checks start processes together on an empty cache, behind a
barrier file, so that their compilations overlap.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from skdeep._kernels import _jit
from skdeep._kernels._compile_lock import LOCK_FILE, CompileLock

fcntl = pytest.importorskip("fcntl")

pytestmark = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)


def _free(directory) -> bool:
    """Whether another holder could take the lock of ``directory`` now (a flock
    through another descriptor conflicts within one process too)."""
    fd = os.open(directory / LOCK_FILE, os.O_RDONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_the_lock_is_held_until_its_scope_ends_and_reentrant(tmp_path):
    lock, other = CompileLock(), tmp_path / "other"
    other.mkdir()
    lock.hold(tmp_path)  # outside a scope: no compile to protect
    assert _free(tmp_path)
    with lock.scope():
        lock.hold(tmp_path)
        assert not _free(tmp_path)
        with lock.scope():  # a nested compile, writing to another directory
            lock.hold(other)
        assert not _free(tmp_path)
        assert not (other / LOCK_FILE).exists()  # one lock file per process
    assert _free(tmp_path)
    with pytest.raises(RuntimeError), lock.scope():  # compiling raised
        lock.hold(tmp_path)
        raise RuntimeError
    assert _free(tmp_path)


MODULE = textwrap.dedent(
    """
    import numpy as np
    from skdeep._kernels._jit import kernel

    @kernel
    def inner(a):
        return np.linalg.norm(a)

    @kernel
    def outer(a):
        return inner(a) * np.exp(a[0]) + np.std(a)

    @kernel
    def fails(a):
        return a.no_such_attribute
    """
)

#: Waits for the barrier, then runs ``CALL``; prints outer's hits and misses.
PROCESS = textwrap.dedent(
    """
    import json, os, sys, time
    import numpy as np
    import cached_module

    open(f"ready-{sys.argv[1]}", "w").close()
    while not os.path.exists("go"):
        time.sleep(0.001)
    CALL
    """
)

COMPILE = """
value = cached_module.outer(np.arange(1.0, 4.0))
stats = cached_module.outer.stats
print(json.dumps([value, sum(stats.cache_misses.values()),
                  sum(stats.cache_hits.values())]))
"""


def _start_together(tmp_path, calls, timeout=120):
    """Run one process per call, released together; their outputs."""
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS.replace("CALL", call), str(i)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, call in enumerate(calls)
    ]
    deadline = time.monotonic() + timeout
    while not all((tmp_path / f"ready-{i}").exists() for i in range(len(calls))):
        assert time.monotonic() < deadline and all(
            p.poll() is None for p in processes
        ), [p.communicate() for p in processes]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


def test_processes_started_together_compile_a_kernel_once(tmp_path):
    (tmp_path / "cached_module.py").write_text(MODULE)
    results = [json.loads(out) for out in _start_together(tmp_path, [COMPILE] * 2)]
    # One process compiled, the other waited and loaded what it wrote.
    assert sorted(misses for _, misses, _ in results) == [0, 1]
    assert sorted(hits for _, _, hits in results) == [0, 1]
    assert results[0][0] == results[1][0]


def test_the_lock_is_released_when_compiling_raises(tmp_path):
    (tmp_path / "cached_module.py").write_text(MODULE)
    failing = """
try:
    cached_module.fails(np.arange(3.0))
except Exception as exc:
    print(type(exc).__name__)
open("failed", "w").close()
# Still alive: the other process must be able to compile meanwhile.
deadline = time.monotonic() + 60
while not os.path.exists("compiled") and time.monotonic() < deadline:
    time.sleep(0.01)
print(os.path.exists("compiled"))
"""
    compiling = """
while not os.path.exists("failed"):
    time.sleep(0.001)
cached_module.outer(np.arange(1.0, 4.0))
open("compiled", "w").close()
"""
    failed, _ = _start_together(tmp_path, [failing, compiling])
    assert failed.split() == ["TypingError", "True"]


def test_nested_compiles_across_directories_do_not_deadlock(tmp_path):
    # a.f calls b.g in another directory, and c.h there calls d.k here: with a
    # lock per directory, two processes could each hold one and wait for the
    # other's.
    here, there = tmp_path / "here", tmp_path / "there"
    modules = {
        here / "a.py": "from b import g\n@kernel\ndef f(x):\n    return g(x) + 1",
        there / "b.py": "@kernel\ndef g(x):\n    return np.sqrt(x) * 2.0",
        there / "c.py": "from d import k\n@kernel\ndef h(x):\n    return k(x) - 1",
        here / "d.py": "@kernel\ndef k(x):\n    return np.sqrt(x) / 2.0",
    }
    for path, text in modules.items():
        path.parent.mkdir(exist_ok=True)
        imports = "import numpy as np\nfrom skdeep._kernels._jit import kernel\n"
        path.write_text(imports + text + "\n")
    (tmp_path / "cached_module.py").write_text(
        "import sys\nsys.path[:0] = ['here', 'there']\n"
    )
    calls = ["from a import f\nprint(f(4.0))", "from c import h\nprint(h(4.0))"]
    assert [float(out) for out in _start_together(tmp_path, calls)] == [5.0, 0.0]
