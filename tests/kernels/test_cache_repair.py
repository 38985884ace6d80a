"""A damaged cache repairs itself (``skdeep._kernels._cache``, ``_cache_entry``).

Each check fills a cache in a fresh process, damages its entries, and runs a
fresh process again: it must compute the same bits, warn once naming the cache
directory, and write good entries, so that the process after it loads them all
without a warning.
"""

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

from skdeep._kernels import _jit
from skdeep._kernels._cache_entry import MAGIC

pytestmark = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)

MODULE = textwrap.dedent(
    """
    import numpy as np
    from skdeep._kernels._jit import kernel

    @kernel
    def inner(a):
        return np.exp(a[0])

    @kernel
    def outer(a):
        return np.linalg.norm(a) * inner(a)
    """
)

#: Calls the kernels for two dtypes; prints the exact results, the cache hits
#: and misses, and skdeep's warnings.
RUN = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    from cached_module import outer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = [outer(np.arange(1.0, 4.0, dtype=t)).hex()
                  for t in (np.float64, np.float32)]
    stats = outer.stats
    print(json.dumps({
        "values": values,
        "hits": sum(stats.cache_hits.values()),
        "misses": sum(stats.cache_misses.values()),
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    }))
    """
)


def _run(tmp_path, code=RUN):
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _entries(tmp_path):
    return sorted((tmp_path / "__pycache__").glob("cached_module.*.nbc"))


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return (
        data[:middle]
        + bytes(b ^ 0xFF for b in data[middle : middle + 16])
        + (data[middle + 16 :])
    )


def _empty(data: bytes) -> bytes:
    return b""


def _flip_machine_code(data: bytes) -> bytes:
    """Flip one byte in 16 of the entry's object code (a crash without a check)."""
    stream = io.BytesIO(data[len(MAGIC) + 32 :])
    *_, payload = (pickle.load(stream) for _ in range(3))
    _, _, (object_code, _) = payload[0]
    start = data.index(object_code)
    damaged = bytearray(data)
    for i in range(start, start + len(object_code), 16):
        damaged[i] ^= 0xFF
    return bytes(damaged)


@pytest.fixture
def filled(tmp_path):
    """A module whose kernels are cached, and what they computed."""
    (tmp_path / "cached_module.py").write_text(MODULE)
    first = _run(tmp_path)
    assert first["misses"] == 2 and not first["warnings"]
    # One entry per dtype: inner compiles link-only inside outer, not on its own.
    assert len(_entries(tmp_path)) == 2
    assert _run(tmp_path)["hits"] == 2
    return first["values"]


@pytest.mark.parametrize(
    "damage", [_truncate, _flip_middle, _empty, _flip_machine_code]
)
def test_damaged_entries_are_recompiled_with_one_warning(
    tmp_path, filled, damage, monkeypatch
):
    monkeypatch.syspath_prepend(tmp_path)  # entries refer to cached_module
    for path in _entries(tmp_path):
        path.write_bytes(damage(path.read_bytes()))

    repaired = _run(tmp_path)
    assert repaired["values"] == filled
    assert repaired["misses"] == 2
    [warning] = repaired["warnings"]
    assert warning.startswith(
        f"KernelCacheWarning: skdeep's kernel cache in {tmp_path / '__pycache__'}: "
    )
    assert "could not be loaded" in warning

    assert _run(tmp_path) == {
        "values": filled,
        "hits": 2,
        "misses": 0,
        "warnings": [],
    }


def test_deleted_entries_are_recompiled(tmp_path, filled):
    for path in _entries(tmp_path):
        path.unlink()
    assert _run(tmp_path) == {
        "values": filled,
        "hits": 0,
        "misses": 2,
        "warnings": [],
    }
    assert len(_entries(tmp_path)) == 2


def test_an_entry_that_verifies_but_fails_to_rebuild_is_recompiled(tmp_path, filled):
    # Bitcode that LLVM cannot parse (as from another LLVM) under a valid
    # checksum: rebuilding raises, and the entry is replaced.
    code = textwrap.dedent(
        """
        import glob, io, pickle
        from skdeep._kernels import _cache_entry

        for path in glob.glob("__pycache__/cached_module.outer.*.nbc"):
            with open(path, "rb") as file:
                stream = io.BytesIO(file.read()[len(_cache_entry.MAGIC) + 32 :])
            stamp, key, payload = (pickle.load(stream) for _ in range(3))
            name, kind, (object_code, bitcode) = payload[0]
            payload = ((name, kind, (object_code, b"BC not bitcode")), *payload[1:])
            _cache_entry.write_entry(path, stamp, key, payload)
        print("{}")
        """
    )
    _run(tmp_path, code)
    repaired = _run(tmp_path)
    assert repaired["values"] == filled
    assert repaired["misses"] == 2
    [warning] = repaired["warnings"]
    assert "LLVM bitcode parsing error" in warning
    assert _run(tmp_path)["warnings"] == []


def test_an_entry_of_another_numba_is_recompiled_without_a_warning(tmp_path, filled):
    # Entries written under another Numba version are stale, not damaged.
    for path in _entries(tmp_path):
        path.unlink()
    code = "import numba; numba.__version__ = '0.68.0'\n" + RUN
    assert _run(tmp_path, code)["misses"] == 2
    assert _run(tmp_path) == {
        "values": filled,
        "hits": 0,
        "misses": 2,
        "warnings": [],
    }
