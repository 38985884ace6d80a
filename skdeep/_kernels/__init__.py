"""Every ``@njit`` of skdeep lives in this package, and nothing else does.

Kernels go through ``_jit.jit`` (or ``_jit.kernel``): they compile lazily on first
call and are cached on disk, so importing this package compiles nothing and reads
no cache file. The cache (Numba 0.68; other versions use Numba's own):

- **Key** (``_sources``, ``_cache``): an entry is loaded only for the same
  signature, CPU, function bytecode and closure (Numba's key), Numba and llvmlite
  versions, skdeep version and bytes of every ``*.py`` under ``_kernels/``
  (subpackages included). Editing any kernel module (a constant in ``codes.py``, a
  called kernel, a decorator option) or installing another version recompiles
  instead of running stale machine code. The sources are hashed once per process,
  on the first cache lookup.
- **Files** (``_cache_dirs``, ``_cache_entry``): one file per compiled signature,
  ``<module>.<function>.py<XY>.<key digest>.nbc``, in ``__pycache__`` next to the
  kernel's module, or under ``NUMBA_CACHE_DIR`` when it is set. A read-only cache
  directory is read; what it lacks is compiled into a per-user directory,
  ``$XDG_CACHE_HOME/skdeep/<version>`` (``~/.cache/skdeep/<version>``), else
  ``$TMPDIR/skdeep-numba-cache-<uid>/<version>``. With no writable directory at
  all, kernels compile in every process (one warning); importing never fails.
- **Damage** (``_cache_entry``, ``_cache``): each file carries a checksum of its
  bytes, verified before anything unpickles it. An entry that fails to load
  (truncated, corrupted, unreadable) is discarded, compiled again and replaced,
  with one ``KernelCacheWarning`` naming the directory.
- **Linking** (``_linking``, ``_calls``): a kernel called by another kernel is
  compiled by its link-only twin, into LLVM IR that its callers link: only the
  kernels called from Python (``train_epoch``, ``forward_rows``, ...) are
  optimized and emitted to machine code, once for their whole call tree, and
  only they are cached. Numba would emit every callee on its own and again in
  each caller, with wrappers nobody calls.
- **Lock** (``_compile_lock``): a process that misses the cache takes a file lock
  (``skdeep-compile.lock`` in the directory written to), looks again (another
  process may have just compiled the kernel), compiles and saves, then releases
  it, also when compiling fails. It is re-entrant within a process, so a kernel
  that compiles the kernels it calls does not deadlock. Loads from a warm cache
  never take it.
"""
