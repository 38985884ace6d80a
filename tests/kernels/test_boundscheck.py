"""``SKDEEP_BOUNDSCHECK=1`` compiles every kernel with Numba's bounds checking, so an
index outside an array is an ``IndexError``, never another object's memory; the
switch is part of the kernel cache's key, so a cached unchecked kernel never runs
in its place (nor the other way round).

Everything runs in subprocesses: a probe kernel that indexes with a
data-dependent integer, in a copy of the package (so the test does not depend on
skdeep's real kernels), and skdeep's real sparse gather given a malformed row.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import skdeep
from skdeep._kernels import _jit

pytestmark = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)

#: A kernel that reads and writes at a position it is given, as the sparse gather,
#: the pooling arg-max and sequence lengths do.
PROBE = textwrap.dedent(
    """
    from skdeep._kernels._jit import kernel

    @kernel
    def move(values, source, target):
        values[target] = values[source]
        return values[target]
    """
)

#: Calls the probe within bounds (and, with ``outside``, one past the end, which
#: only a checked kernel may be asked to do); prints what happened and whether the
#: kernel was loaded from the cache or compiled.
RUN = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from skdeep._kernels.probe_bounds import move

    values = np.arange(4.0)
    report = {"inside": move(values, 1, 2)}
    if sys.argv[1] == "outside":
        try:
            move(values, 4, 0)
            report["outside"] = "no error"
        except IndexError as exc:
            report["outside"] = f"IndexError: {exc}"
    stats = move.stats
    report["hits"] = sum(stats.cache_hits.values())
    report["misses"] = sum(stats.cache_misses.values())
    print(json.dumps(report))
    """
)


@pytest.fixture
def package(tmp_path):
    """A copy of skdeep with the probe kernel, first on ``PYTHONPATH``."""
    copy = tmp_path / "skdeep"
    shutil.copytree(
        Path(skdeep.__file__).parent,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (copy / "_kernels" / "probe_bounds.py").write_text(PROBE)
    (tmp_path / "run.py").write_text(RUN)
    return tmp_path


def _run(root, *, checked, outside=False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("NUMBA_BOUNDSCHECK", None)
    env.pop("SKDEEP_BOUNDSCHECK", None)
    if checked:
        env["SKDEEP_BOUNDSCHECK"] = "1"
    result = subprocess.run(
        [sys.executable, str(root / "run.py"), "outside" if outside else "inside"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_checked_kernels_raise_index_error_and_are_cached_apart(package):
    # An unchecked kernel is compiled and cached first...
    first = _run(package, checked=False)
    assert (first["inside"], first["hits"], first["misses"]) == (1.0, 0, 1)
    # ...and is not what the switch runs: the checked kernel is compiled, and an
    # index one past the end is an IndexError.
    checked = _run(package, checked=True, outside=True)
    assert checked["misses"] == 1 and checked["hits"] == 0
    assert checked["outside"].startswith("IndexError"), checked
    # Both are cached, each under its own key.
    again = _run(package, checked=True, outside=True)
    assert (again["hits"], again["misses"]) == (1, 0)
    assert again["outside"].startswith("IndexError")
    unchecked = _run(package, checked=False)
    assert (unchecked["inside"], unchecked["hits"], unchecked["misses"]) == (1.0, 1, 0)


GATHER = textwrap.dedent(
    """
    import json
    import numpy as np
    from skdeep._kernels.batches import gather
    from skdeep.network.network import Network
    from skdeep.network.specs import Dense
    from skdeep._kernels.structs import Rows

    d, n = 4, 2
    network = Network((d,), (Dense(1, "identity"),))
    work = network.work(n, np.float64, backward=False)
    empty = np.empty(0)
    # Row 1 holds a column index far outside its 4 features (a malformed CSR
    # that the estimators refuse before any kernel, see test_bad_input.py).
    rows = Rows(
        X=empty, data=np.ones(3), indices=np.array([0, 3, 10**6]),
        indptr=np.array([0, 2, 3]), Y=empty, sample_weight=empty,
        lengths=np.empty(0, dtype=np.int64),
    )
    try:
        gather(rows, np.arange(n), 0, n, d, 1, work)
        print(json.dumps("no error"))
    except IndexError as exc:
        print(json.dumps(f"IndexError: {exc}"))
    """
)


def test_the_sparse_gather_raises_index_error_when_checked(tmp_path):
    script = tmp_path / "gather.py"
    script.write_text(GATHER)
    env = {**os.environ, "SKDEEP_BOUNDSCHECK": "1"}
    env.pop("NUMBA_BOUNDSCHECK", None)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]).startswith("IndexError")
