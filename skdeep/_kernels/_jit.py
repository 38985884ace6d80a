"""The decorators of skdeep's numeric kernels.

``jit(**options)`` is ``numba.njit(cache=True, **options)``: compiled code is
written to disk and loaded by later processes. ``kernel`` is ``jit`` with the
options most kernels share, ``error_model="numpy"``: division by zero gives inf/NaN
as in NumPy instead of raising. This lets LLVM vectorize loops with divisions and
square roots (with Python's error model each division carries a zero check, which
keeps the Adam update scalar), and non-finite values are caught by the divergence
checks.

Loading from the disk cache. Before it looks a function up in its cache, Numba
refreshes its compiler's type and lowering registries (``load_overload`` calls
``target_context.refresh()``), which imports some sixty modules: 0.2 s, in a
process that has compiled nothing, on the first call of any cached function,
although running machine code already compiled needs none of it. skdeep's kernels
skip that refresh when they load and only initialize Numba's runtime (``NRT``,
which the loaded code calls), which a full refresh would do first as well; a
kernel that has to be compiled still gets the full refresh, as Numba's compiler
does it first. This relies on Numba internals (``Cache.load_overload``), so it is
used with the Numba versions it is tested with only (``LEAN_LOAD_NUMBA``); other
versions use Numba's own loader.

Decorator options are not part of Numba's cache key: change them only together
with clearing the cache (``__pycache__/*.nbi``, ``*.nbc``).
"""

import numba
from numba import njit
from numba.core.caching import FunctionCache
from numba.core.runtime import rtsys

#: Numba versions (major, minor) whose cache loader was checked to need no
#: registry refresh (tests/kernels/test_cache_load.py).
LEAN_LOAD_NUMBA = {(0, 68)}


class _KernelCache(FunctionCache):
    """Numba's function cache, minus the registry refresh before a load."""

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


_LEAN_LOAD = tuple(int(part) for part in numba.__version__.split(".")[:2]) in (
    LEAN_LOAD_NUMBA
)


def jit(**options):
    """``numba.njit(cache=True, **options)``, loading from the cache without
    Numba's registry refresh where supported (see the module docstring)."""

    def decorate(func):
        dispatcher = njit(**options)(func)
        if _LEAN_LOAD:
            dispatcher._cache = _KernelCache(dispatcher.py_func)
        else:
            dispatcher.enable_caching()
        return dispatcher

    return decorate


kernel = jit(error_model="numpy")
