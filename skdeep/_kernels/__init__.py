"""Every ``@njit`` of skdeep lives in this package, and nothing else does.

Kernels are compiled lazily on first call and cached on disk (``cache=True``), so
importing this package compiles nothing. When neither the package directory nor
``NUMBA_CACHE_DIR`` is writable (a read-only install), the cache goes to a per-user
temporary directory instead of failing at import.
"""

import os
import tempfile

import numba


def _ensure_writable_cache() -> None:
    if numba.config.CACHE_DIR:
        return
    if os.access(os.path.dirname(os.path.abspath(__file__)), os.W_OK):
        return
    user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    path = os.path.join(tempfile.gettempdir(), f"skdeep-numba-cache-{user}")
    os.makedirs(path, exist_ok=True)
    numba.config.CACHE_DIR = path


_ensure_writable_cache()
