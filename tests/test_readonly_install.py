"""Read-only caches (``skdeep._kernels._cache_dirs``): a complete one is used as it
is, what an incomplete one lacks is compiled into a per-user directory, and
nothing fails at import, even with no writable directory at all.

Unwritable directories are real: each process runs in a mount namespace of its
own (``unshare``) where they are read-only bind mounts, which binds root too and
leaves nothing to undo. Numba decides writability the same way, by creating a
file. The kernels are a small module of the test's own, with its ``__pycache__``
next to it as in an installed package.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap

import pytest

from skdeep import __version__
from skdeep._kernels import _jit

MODULE = textwrap.dedent(
    """
    import numpy as np
    from skdeep._kernels._jit import kernel

    @kernel
    def norm_times_exp(a):
        return np.linalg.norm(a) * np.exp(a[0])
    """
)

#: Imports the kernel and calls it for the dtypes given on the command line;
#: prints the exact results, cache hits and misses, and the warnings.
RUN = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    import numba

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from cached_module import norm_times_exp as f
        values = [f(np.arange(1.0, 4.0, dtype=t)).hex() for t in sys.argv[1:]]
    print(json.dumps({
        "values": values,
        "hits": sum(f.stats.cache_hits.values()),
        "misses": sum(f.stats.cache_misses.values()),
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "numba_cache_dir": numba.config.CACHE_DIR,
    }))
    """
)

F64 = ["float64"]
BOTH = ["float64", "float32"]


def _can_mount_read_only(path) -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    command = f"mount --bind -o ro {path} {path} && ! touch {path}/probe"
    probe = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", command],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture
def site(tmp_path):
    """Directories of a fresh process: the module, a home, a temp dir."""
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs unshare and mount for read-only bind mounts")
    for name in ("module/__pycache__", "home", "tmp"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "module" / "cached_module.py").write_text(MODULE)
    return tmp_path


def _run(site, dtypes, read_only=(), code=RUN, **env_vars):
    """Run ``code`` in a fresh process that cannot write to ``read_only``."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(site / "module"),
        "HOME": str(site / "home"),
        "TMPDIR": str(site / "tmp"),
        **env_vars,
    }
    mounts = "".join(
        f"mount --bind -o ro {shlex.quote(str(path))} {shlex.quote(str(path))} && "
        for path in read_only
    )
    script = mounts + 'exec "$0" -c "$@"'  # $0: Python, $@: code and dtypes
    unshare = ["unshare", "--map-root-user", "--mount", "sh", "-c", script]
    out = subprocess.run(
        [*unshare, sys.executable, code, *dtypes],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _entries(directory):
    return sorted(path.name for path in directory.rglob("*.nbc"))


def _user_dir(root):
    """The directory of the module's entries in the per-user cache ``root``."""
    [directory] = (root / __version__).glob("module_*")
    return directory


kernel_cache = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)


@kernel_cache
@pytest.mark.parametrize("home_writable", [True, False])
def test_a_complete_read_only_cache_is_used_as_it_is(site, home_writable):
    pycache = site / "module" / "__pycache__"
    filled = _run(site, BOTH)
    assert filled["misses"] == 2
    read_only = [pycache] if home_writable else [pycache, site / "home"]
    loaded = _run(site, BOTH, read_only)
    assert loaded["values"] == filled["values"]
    assert (loaded["hits"], loaded["misses"], loaded["warnings"]) == (2, 0, [])
    assert _entries(site / "home") == _entries(site / "tmp") == []


@kernel_cache
def test_what_a_read_only_cache_lacks_is_compiled_into_the_user_cache(site):
    pycache = site / "module" / "__pycache__"
    _run(site, F64)
    installed = _entries(pycache)
    xdg = {"XDG_CACHE_HOME": str(site / "xdg")}
    first = _run(site, BOTH, [pycache], **xdg)
    assert (first["hits"], first["misses"], first["warnings"]) == (1, 1, [])
    assert _entries(pycache) == installed
    [added] = _entries(_user_dir(site / "xdg" / "skdeep"))
    assert added not in installed
    assert _run(site, BOTH, [pycache], **xdg)["hits"] == 2


@kernel_cache
def test_without_a_writable_home_the_user_cache_is_in_the_temp_dir(site):
    pycache, home = site / "module" / "__pycache__", site / "home"
    _run(site, F64)
    first = _run(site, BOTH, [pycache, home])
    assert (first["hits"], first["misses"], first["warnings"]) == (1, 1, [])
    assert len(_entries(_user_dir(site / "tmp" / "skdeep-numba-cache-0"))) == 1
    assert _run(site, BOTH, [pycache, home])["hits"] == 2


@kernel_cache
def test_with_nothing_writable_kernels_compile_and_warn_once(site):
    # Python falls back from an unwritable TMPDIR to these.
    temp_dirs = [
        path for path in ("/tmp", "/var/tmp", "/usr/tmp") if os.path.isdir(path)
    ]
    read_only = [site / "module" / "__pycache__", site / "home", site / "tmp"]
    read_only += temp_dirs
    compiled = _run(site, BOTH, read_only)
    assert compiled["misses"] == 2
    [warning] = compiled["warnings"]
    assert warning.startswith(
        f"KernelCacheWarning: skdeep's kernel cache in {read_only[0]}: it cannot "
        "be written"
    )
    assert compiled["values"] == _run(site, BOTH)["values"]


@kernel_cache
@pytest.mark.parametrize("planted", ["world-writable", "another user's"])
def test_a_temp_dir_others_can_write_is_never_used(site, planted):
    # Anyone may create /tmp/skdeep-numba-cache-<uid> first and plant machine
    # code there: such a directory must be neither read nor written.
    temp = site / "tmp" / "skdeep-numba-cache-0"
    temp.mkdir()
    if planted == "world-writable":
        temp.chmod(0o777)
    elif os.geteuid() == 0:
        os.chown(temp, 1, 1)
    else:
        pytest.skip("needs root to make a directory of another user")
    read_only = [site / "module" / "__pycache__", site / "home"]
    compiled = _run(site, F64, read_only)
    assert compiled["misses"] == 1
    assert "it cannot be written" in compiled["warnings"][0]
    assert _entries(temp) == []


@kernel_cache
def test_numba_cache_dir_is_the_primary_directory_when_set(site):
    chosen = {"NUMBA_CACHE_DIR": str(site / "chosen")}
    assert _run(site, F64, **chosen)["misses"] == 1
    assert _entries(site / "module") == []
    assert len(_entries(site / "chosen")) == 1
    # Also when it is read-only: used as it is, completed in the user cache.
    both = _run(site, BOTH, [site / "chosen"], **chosen)
    assert (both["hits"], both["misses"], both["warnings"]) == (1, 1, [])
    assert len(_entries(_user_dir(site / "home" / ".cache" / "skdeep"))) == 1


def test_other_numba_versions_use_numbas_cache_in_a_user_directory(site):
    # Numba's own cache, as on Numba versions skdeep's cache was not tested with:
    # with the module's __pycache__ and the home read-only, Numba finds no
    # directory and skdeep points it at the per-user temp directory.
    code = "from skdeep._kernels import _jit\n_jit._KERNEL_CACHE = False\n" + RUN
    read_only = [site / "module" / "__pycache__", site / "home"]
    first = _run(site, F64, read_only, code=code)
    second = _run(site, F64, read_only, code=code)
    expected = str(site / "tmp" / "skdeep-numba-cache-0" / __version__)
    assert first["numba_cache_dir"] == second["numba_cache_dir"] == expected
    assert (first["misses"], second["hits"]) == (1, 1)
    assert second["values"] == first["values"]
    assert _entries(site / "module") == []
