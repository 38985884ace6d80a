"""Where compiled kernels are cached: the directories looked in and written to.

The entries of a kernel defined in ``<source dir>/<module>.py`` live in

1. its *primary* directory, where Numba would put them: ``$NUMBA_CACHE_DIR/<sub>``
   when ``NUMBA_CACHE_DIR`` is set (the user's choice), else ``__pycache__`` next
   to the source file, where a first run or an installer left them;
2. when the primary directory cannot be written (a read-only install), a per-user
   directory of this skdeep version, for what the primary one lacks:
   ``$XDG_CACHE_HOME/skdeep/<version>/<sub>`` (``~/.cache/skdeep/...`` without
   ``XDG_CACHE_HOME``), else ``$TMPDIR/skdeep-numba-cache-<uid>/<version>/<sub>``.
   The temporary one is used only if it belongs to the user and nobody else may
   write to it (other users could plant machine code there). Lookups try it
   first, then the read-only primary directory: a complete read-only cache is
   used as it is, and a kernel it lacks (or holds stale or damaged) is compiled
   once and then found here;
3. when no directory can be written, kernels are looked up in the primary one
   and compiled in every process when they are not there.

``<sub>`` is ``<name of the source dir>_<sha1 of its absolute path>``, as Numba
names it, so that installs in different places never share entries. A directory
is writable when a temporary file can be created in it, Numba's own test: it
holds for root, who ignores permission bits, but not on a read-only file system.
Directories are chosen once per process and source directory, on the first cache
lookup (never at import).
"""

import functools
import hashlib
import os
import stat
import tempfile
from typing import NamedTuple

import numba

from skdeep._version import __version__


class CacheDirs(NamedTuple):
    """The cache directories of the kernels of one source directory."""

    lookup: tuple[str, ...]
    """Where entries are looked for, in this order."""
    write: str | None
    """Where entries are written; None when no directory is writable."""


def cache_dirs(source_dir: str) -> CacheDirs:
    """The cache directories of kernels defined in ``source_dir``."""
    return _cache_dirs(source_dir, numba.config.CACHE_DIR)


@functools.cache
def _cache_dirs(source_dir: str, numba_cache_dir: str) -> CacheDirs:
    sub = _subdir(source_dir)
    if numba_cache_dir:
        primary = os.path.join(numba_cache_dir, sub)
    else:
        primary = os.path.join(source_dir, "__pycache__")
    if _writable(primary):
        return CacheDirs((primary,), primary)
    user = user_dir()
    fallback = None if user is None else os.path.join(user, sub)
    if fallback is not None and _writable(fallback):
        return CacheDirs((fallback, primary), fallback)
    return CacheDirs((primary,), None)


@functools.cache
def user_dir() -> str | None:
    """The first writable per-user cache directory of this skdeep version."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, or invalid as the XDG spec says
        base = os.path.join(os.path.expanduser("~"), ".cache")
    home = os.path.join(base, "skdeep", __version__)
    if _writable(home):
        return home
    try:
        temp_dir = tempfile.gettempdir()
        # Python's last resort is the working directory: never litter it.
        if temp_dir == os.getcwd():
            return None
    except OSError:  # no writable temp dir, nor working directory
        return None
    uid = os.getuid() if hasattr(os, "getuid") else None
    owner = "user" if uid is None else uid
    temp = os.path.join(temp_dir, f"skdeep-numba-cache-{owner}", __version__)
    if _private(os.path.dirname(temp), uid) and _writable(temp):
        return temp
    return None


def _subdir(source_dir: str) -> str:
    digest = hashlib.sha1(source_dir.encode()).hexdigest()
    return f"{os.path.basename(source_dir)}_{digest}"


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _private(path: str, uid: int | None) -> bool:
    """Whether ``path`` is (or is made) a directory no other user may write to.

    Without user ids (Windows), the temp dir is the user's own.
    """
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    return uid is None or (info.st_uid == uid and not info.st_mode & 0o022)
