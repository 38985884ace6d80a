"""Cached kernels are keyed on every kernel source and on skdeep's version
(``skdeep._kernels._sources``): an edit anywhere under ``_kernels/`` or an upgrade
recompiles instead of running stale machine code.

The subprocess checks run probe kernels of their own inside a copy of the package
(first on ``PYTHONPATH``), so they do not depend on skdeep's real kernels.
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
from skdeep._kernels import _jit, _sources

pytestmark = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)

#: Probe kernels: one reads a constant of another module and calls a kernel of a
#: subpackage, as skdeep's kernels read ``codes`` and call each other.
PROBE = {
    "probe_constants.py": "SLOPE = 0.5\n",
    "probe_layers/__init__.py": "",
    "probe_layers/called.py": textwrap.dedent(
        """
        from skdeep._kernels._jit import kernel

        @kernel
        def offset(x):
            return x + 1.0
        """
    ),
    "probe.py": textwrap.dedent(
        """
        import numpy as np
        from skdeep._kernels import probe_constants
        from skdeep._kernels._jit import kernel
        from skdeep._kernels.probe_layers.called import offset

        @kernel
        def scaled(x):
            return offset(np.sum(x) * probe_constants.SLOPE)
        """
    ),
}

#: Calls the probe kernel in a fresh process; prints what it computed and whether
#: it loaded it or compiled it.
RUN = textwrap.dedent(
    """
    import json
    import numpy as np
    from skdeep._kernels.probe import scaled

    value = scaled(np.arange(4.0))
    stats = scaled.stats
    print(json.dumps({"value": value, "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values())}))
    """
)


@pytest.fixture
def package(tmp_path):
    """A copy of skdeep with the probe kernels, first on ``PYTHONPATH``."""
    copy = tmp_path / "skdeep"
    shutil.copytree(
        Path(skdeep.__file__).parent,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (copy / "_kernels" / "probe_layers").mkdir()
    for name, text in PROBE.items():
        (copy / "_kernels" / name).write_text(text)
    return copy


def _run(package: Path, code: str = RUN):
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=package.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_edit_in_another_kernel_module_recompiles(package):
    kernels = package / "_kernels"
    first = _run(package)
    assert first == {"value": 4.0, "hits": 0, "misses": 1}
    assert _run(package) == {"value": 4.0, "hits": 1, "misses": 0}

    # A constant of another module: Numba alone would load the old code (4.0).
    _edit(kernels / "probe_constants.py", "0.5", "2.0")
    assert _run(package) == {"value": 13.0, "hits": 0, "misses": 1}
    # A kernel called from another module, in a subpackage.
    _edit(kernels / "probe_layers" / "called.py", "x + 1.0", "x - 1.0")
    assert _run(package) == {"value": 11.0, "hits": 0, "misses": 1}
    assert _run(package) == {"value": 11.0, "hits": 1, "misses": 0}


def test_a_new_version_recompiles_rather_than_loads(package):
    assert _run(package)["misses"] == 1
    assert _run(package)["hits"] == 1
    # A simulated upgrade: the same sources under another version.
    _edit(package / "_version.py", skdeep.__version__, "99.0")
    assert _run(package) == {"value": 4.0, "hits": 0, "misses": 1}
    assert _run(package) == {"value": 4.0, "hits": 1, "misses": 0}


def test_sources_are_hashed_on_first_use_not_at_import(package):
    code = textwrap.dedent(
        """
        import json
        import numpy as np
        import skdeep
        from skdeep._kernels import _cache_dirs, _sources
        from skdeep._kernels.probe import scaled

        def done():
            return (_sources.sources_key.cache_info().currsize,
                    _cache_dirs._cache_dirs.cache_info().currsize)

        at_import = done()
        scaled(np.arange(4.0))
        print(json.dumps([at_import, done()]))
        """
    )
    # One source directory looked up: the probe's callee, in a directory of its
    # own, compiles link-only inside the probe and is never looked up in a cache.
    assert _run(package, code) == [[0, 0], [1, 1]]


def test_the_sources_key_covers_every_python_file_below_the_kernels(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(_sources, "KERNELS_DIR", str(tmp_path))
    (tmp_path / "layers" / "__pycache__").mkdir(parents=True)
    (tmp_path / "codes.py").write_text("SLOPE = 0.5\n")
    (tmp_path / "layers" / "dense.py").write_text("def f(): pass\n")

    def key():
        _sources.file_digest.cache_clear()
        return _sources.sources_key.__wrapped__()

    keys = [key()]
    # Neither caches nor other files are sources.
    (tmp_path / "layers" / "__pycache__" / "dense.py").write_text("stale")
    (tmp_path / "notes.txt").write_text("notes")
    assert key() == keys[0]
    for edit in (
        lambda: (tmp_path / "layers" / "dense.py").write_text("def f(): return\n"),
        lambda: (tmp_path / "layers" / "dense.py").rename(tmp_path / "dense.py"),
        lambda: monkeypatch.setattr(_sources, "__version__", "99.0"),
        lambda: (tmp_path / "layers" / "new.py").write_text(""),
    ):
        edit()
        keys.append(key())
    assert len(set(keys)) == len(keys)
