"""The decorators of skdeep's numeric kernels.

``jit(**options)`` is ``numba.njit(**options)`` with skdeep's disk cache: compiled
code is written to disk and loaded by later processes. ``kernel`` is ``jit`` with
the options most kernels share, ``error_model="numpy"``: division by zero gives
inf/NaN as in NumPy instead of raising. This lets LLVM vectorize loops with
divisions and square roots (with Python's error model each division carries a
zero check, which keeps the Adam update scalar), and non-finite values are caught
by the divergence checks.

The cache (see ``skdeep._kernels``) replaces Numba's own one on the dispatcher
(``dispatcher._cache``, a ``_cache.KernelCache``) and runs the dispatcher's
``compile`` under Numba's global compiler lock in a scope of the inter-process
compile lock (``_compile_lock``). Both rely on Numba internals (the ``_Cache``
interface, ``Dispatcher.compile``, ``CompileResult._reduce``/``_rebuild``), so
they are used with the Numba versions they were tested with only
(``KERNEL_CACHE_NUMBA``), as is the link-only compilation of kernels called by
kernels (``_linking``: every kernel has a twin that compiles its calls from other
kernels without machine code of its own). Other versions get Numba's own cache
(``enable_caching()``), keyed on each kernel's own file only, with a per-user
``NUMBA_CACHE_DIR`` when Numba finds no writable directory; so does a function
without a source file (defined in a notebook or a zip archive).

Bounds checking: with the environment variable ``SKDEEP_BOUNDSCHECK=1`` (read when
skdeep is imported), every kernel is compiled with Numba's ``boundscheck=True``,
so an index outside an array raises ``IndexError`` instead of reading or writing
memory that belongs to something else. It is meant for tests and CI (checked
kernels are slower); CI runs the tests of the kernels that index with
data-dependent integers this way. The switch (or Numba's own
``NUMBA_BOUNDSCHECK``) is part of every cache entry's key, so checked and
unchecked machine code never stand in for each other; with Numba's own cache
(other Numba versions), checked kernels are not cached at all.
"""

import functools
import inspect
import os
import warnings

import numba
from numba import njit
from numba.core.compiler_lock import global_compiler_lock

from skdeep._kernels._cache import KernelCache
from skdeep._kernels._cache_dirs import user_dir
from skdeep._kernels._calls import route_kernel_calls
from skdeep._kernels._compile_lock import compile_lock
from skdeep._kernels._linking import link_only_twin
from skdeep.exceptions import KernelCacheWarning

#: Numba versions (major, minor) whose internals skdeep's kernel cache and
#: link-only compilation were tested with (tests/kernels/test_cache_*.py,
#: test_linking.py).
KERNEL_CACHE_NUMBA = {(0, 68)}

_KERNEL_CACHE = tuple(int(part) for part in numba.__version__.split(".")[:2]) in (
    KERNEL_CACHE_NUMBA
)

#: Whether every kernel is compiled with bounds checking (``SKDEEP_BOUNDSCHECK``).
BOUNDSCHECK = os.environ.get("SKDEEP_BOUNDSCHECK", "").strip() not in ("", "0")


def bounds_checked(options: dict) -> bool:
    """Whether a kernel compiled with ``options`` checks its indices: Numba's
    ``NUMBA_BOUNDSCHECK``, when set, overrides the option."""
    if numba.config.BOUNDSCHECK is not None:
        return bool(numba.config.BOUNDSCHECK)
    return bool(options.get("boundscheck", False))


def jit(constant_args=False, **options):
    """``numba.njit(**options)`` with skdeep's disk cache (see the module
    docstring).

    Calls from other kernels (:mod:`skdeep._kernels._calls`) compile variants of
    ``.from_kernels``: the kernel's link-only twin when Numba's version is a
    tested one (:mod:`skdeep._kernels._linking`), else the kernel itself. They
    compile one variant per argument type, never per constant value, except with
    ``constant_args=True``: a kernel that other kernels call with constants on
    purpose (a fixed pooling window or stride of 1, to unroll and vectorize its
    loops) gets one variant per constant.
    """

    if BOUNDSCHECK:
        options = {**options, "boundscheck": True}

    def decorate(func):
        dispatcher = njit(**options)(func)
        # The dispatcher whose variants the calls from other kernels compile.
        dispatcher.from_kernels = (
            link_only_twin(func, options) if _KERNEL_CACHE else dispatcher
        )
        route_kernel_calls(dispatcher, dispatcher.from_kernels, not constant_args)
        source_file = inspect.getfile(func)
        checked = bounds_checked(options)
        if _KERNEL_CACHE and os.path.isfile(source_file):
            dispatcher._cache = KernelCache(dispatcher.py_func, source_file, checked)
            dispatcher.compile = _one_compile_at_a_time(dispatcher.compile)
        elif not checked:  # Numba's cache does not key on bounds checking
            _enable_numba_caching(dispatcher)
        return dispatcher

    return decorate


kernel = jit(error_model="numpy")


def _one_compile_at_a_time(compile_):
    """``Dispatcher.compile`` in a scope of the inter-process compile lock."""

    @functools.wraps(compile_)
    def compile(sig):
        with global_compiler_lock, compile_lock.scope():
            return compile_(sig)

    return compile


def _enable_numba_caching(dispatcher) -> None:
    """Numba's own cache, in a per-user directory if Numba finds none writable."""
    try:
        dispatcher.enable_caching()
        return
    except RuntimeError:  # "no locator available": nothing writable Numba knows of
        directory = user_dir()
    if directory is None:
        # stacklevel=1: one warning per process, not one per kernel.
        warnings.warn(
            "No writable cache directory: skdeep's kernels compile again in every "
            "process; set NUMBA_CACHE_DIR to a writable directory.",
            KernelCacheWarning,
            stacklevel=1,
        )
        return
    numba.config.CACHE_DIR = directory
    dispatcher.enable_caching()
