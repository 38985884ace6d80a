"""skdeep's disk cache of one compiled kernel, behind Numba's cache interface.

A kernel's dispatcher asks its cache for an overload before compiling
(``load_overload``) and hands it the result after (``save_overload``);
``_jit.jit`` gives every kernel a :class:`KernelCache` instead of Numba's
``FunctionCache``. What it does differently:

- **Keyed on the sources.** An entry is keyed, as in Numba, on the signature, the
  CPU (target triple and features) and digests of the function's bytecode and
  closure, plus whether it checks its indices (``SKDEEP_BOUNDSCHECK``, see
  ``_jit``), and stamped with Numba's and llvmlite's versions, the kernel sources
  (``_sources.sources_key``: skdeep's version and every file under
  ``_kernels/``) and the function's own file. Only an entry with the same key and
  stamp is loaded: an edit anywhere in the kernels, or an upgrade, recompiles
  instead of running stale machine code. The stale entry is then replaced, as
  its file name does not depend on the stamp.
- **One file per entry**, ``<module>.<function>.py<XY>.<digest of the key>.nbc``,
  that checks its own bytes (``_cache_entry``), without an index file; the
  directories are those of ``_cache_dirs`` (read-only caches are read, and
  completed elsewhere).
- **Self-repairing.** An entry that fails to load (bytes that do not match their
  checksum, or unpickling or rebuilding that raises) is discarded, the kernel is
  compiled again and the new entry replaces it. One
  :class:`~skdeep.exceptions.KernelCacheWarning` per directory and process names
  the directory. An entry that cannot be written (a full disk) warns too,
  rather than failing the fit.
- **A miss waits for other compilations** (``_compile_lock``) and looks again
  before the kernel is compiled.
- **Lean loads.** Before loading, Numba refreshes its compiler's type and
  lowering registries (``target_context.refresh()``): sixty imports, 0.2 s in a
  process that compiles nothing. Running machine code needs none of them, only
  Numba's runtime (NRT), which is initialized instead; compiling still refreshes,
  in Numba's compiler.

Nothing is read at import: directories, stamps and file names are worked out on
the first lookup of a kernel.
"""

import hashlib
import os
import sys
import warnings

import llvmlite
import numba
from numba.core.caching import _Cache
from numba.core.compiler import CompileResult
from numba.core.errors import NumbaWarning
from numba.core.runtime import rtsys
from numba.core.serialize import dumps

from skdeep._kernels._cache_dirs import cache_dirs
from skdeep._kernels._cache_entry import read_entry, write_entry
from skdeep._kernels._compile_lock import compile_lock
from skdeep._kernels._sources import file_digest, sources_key
from skdeep.exceptions import KernelCacheWarning

_PYTHON = f"py{sys.version_info[0]}{sys.version_info[1]}{getattr(sys, 'abiflags', '')}"

#: ``(kind, directory)`` of the warnings this process gave.
_warned = set()


class KernelCache(_Cache):
    """The disk cache of the kernel ``py_func``, defined in ``source_file``."""

    def __init__(self, py_func, source_file: str, boundscheck: bool = False):
        self._py_func = py_func
        self._boundscheck = bool(boundscheck)
        self._source_file = source_file
        self._source_dir = os.path.dirname(os.path.abspath(source_file))
        module = os.path.splitext(os.path.basename(source_file))[0]
        function = py_func.__qualname__.replace("<", "").replace(">", "")
        self._name = f"{module}.{function}.{_PYTHON}"
        self._stamp = None
        self._enabled = True

    @property
    def cache_path(self):
        """The directory looked in first (``dispatcher.stats.cache_path``)."""
        return cache_dirs(self._source_dir).lookup[0]

    def enable(self):
        self._enabled = True

    def disable(self):
        self._enabled = False

    def flush(self):
        """Delete this kernel's entries where they are written, so that
        ``dispatcher.recompile()`` compiles."""
        directory = cache_dirs(self._source_dir).write
        if directory is None:
            return
        for name in os.listdir(directory):
            if name.startswith(f"{self._name}.") and name.endswith(".nbc"):
                os.unlink(os.path.join(directory, name))

    def load_overload(self, sig, target_context):
        """The cached overload for ``sig``, or None (then Numba compiles it)."""
        if not self._enabled:
            return None
        rtsys.initialize(target_context)
        key = self._key(sig, target_context.codegen())
        cres = self._load(key, target_context)
        directory = cache_dirs(self._source_dir).write
        if cres is None and directory is not None:
            compile_lock.hold(directory)
            cres = self._load(key, target_context)
        return cres

    def save_overload(self, sig, data):
        """Write the entry of the overload ``data`` compiled for ``sig``."""
        if not self._enabled or not self._cachable(data):
            return
        dirs = cache_dirs(self._source_dir)
        if dirs.write is None:
            _warn_once(
                "read-only",
                dirs.lookup[0],
                "it cannot be written, nor can a per-user cache directory, so "
                "kernels compile again in every process; set NUMBA_CACHE_DIR to a "
                "writable directory",
            )
            return
        key = self._key(sig, data.codegen)
        path = os.path.join(dirs.write, self._file_name(key))
        try:
            write_entry(path, self._get_stamp(), key, data._reduce())
        except OSError as exc:
            _warn_once("write", dirs.write, f"could not save a compiled kernel ({exc})")

    def _load(self, key, target_context):
        name, stamp = self._file_name(key), self._get_stamp()
        for directory in cache_dirs(self._source_dir).lookup:
            try:
                payload = read_entry(os.path.join(directory, name), stamp, key)
                if payload is not None:
                    return CompileResult._rebuild(target_context, *payload)
            except Exception as exc:  # whatever fails to load is compiled again
                _warn_once(
                    "damaged",
                    directory,
                    f"discarded {name}, which could not be loaded ({exc!r}), and "
                    "compiled its kernel again; other entries of this directory that "
                    "fail to load are discarded without a warning",
                )
        return None

    def _cachable(self, cres) -> bool:
        """Whether ``cres`` may be cached; warns as Numba does when it may not."""
        if cres.library.has_dynamic_globals or any(
            not function.can_cache for function in cres.lifted
        ):
            warnings.warn_explicit(
                f"Cannot cache compiled function {cres.fndesc.qualname!r} as it "
                "uses lifted code or dynamic globals (such as ctypes pointers and "
                "large global arrays)",
                NumbaWarning,
                self._source_file,
                self._py_func.__code__.co_firstlineno,
            )
            return False
        return True

    def _key(self, sig, codegen) -> tuple:
        """Numba's key of an entry (signature, CPU, bytecode and closure) and
        whether the code checks its indices."""
        code = self._py_func.__code__.co_code
        cells = self._py_func.__closure__
        closure = dumps(tuple(cell.cell_contents for cell in cells)) if cells else b""
        digests = tuple(hashlib.sha256(data).hexdigest() for data in (code, closure))
        return (sig, codegen.magic_tuple(), digests, self._boundscheck)

    def _file_name(self, key: tuple) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        return f"{self._name}.{digest}.nbc"

    def _get_stamp(self) -> tuple:
        if self._stamp is None:
            self._stamp = (
                numba.__version__,
                llvmlite.__version__,
                sources_key(),
                file_digest(self._source_file),
            )
        return self._stamp


def _warn_once(kind: str, directory: str, message: str) -> None:
    if (kind, directory) not in _warned:
        _warned.add((kind, directory))
        warnings.warn(
            f"skdeep's kernel cache in {directory}: {message}.",
            KernelCacheWarning,
            stacklevel=3,
        )
