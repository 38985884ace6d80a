"""One compilation at a time per cache directory, across processes.

Without it, processes that start together on a cold cache (``GridSearchCV``'s
workers) all compile the same kernels at once, each taking as long as one alone
on a shared machine: 93 s against 3.2 s warm. skdeep's ``Dispatcher.compile``
(``_jit.jit``) runs inside :meth:`CompileLock.scope`; a cache lookup that misses
calls :meth:`CompileLock.hold`, which waits for ``fcntl.flock`` on the file
``skdeep-compile.lock`` in the directory the entry is written to, and then looks
again: the process it waited for may have just written that entry. Otherwise the
kernel is compiled and saved, and the scope releases the lock, also when
compiling raises. Lookups that hit never touch the lock.

The lock is re-entrant within a process: a kernel that calls other kernels
compiles them while it is compiled itself (same thread, under Numba's global
compiler lock), and those nested compiles count on the lock already held, even
when they write to another directory. A process therefore holds at most one lock
file and never waits for a second one while holding it, so processes cannot
deadlock. The operating system drops the lock of a process that dies. Without
``fcntl`` (Windows), or where the lock file cannot be created or locked (some
network file systems), kernels compile without it, as before.

Every method is called with Numba's global compiler lock held, so one thread
at a time changes the state of :data:`compile_lock`.
"""

import contextlib
import os

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

#: The name of the lock file in a cache directory.
LOCK_FILE = "skdeep-compile.lock"


class CompileLock:
    """An inter-process lock on compiling, re-entrant within the process."""

    def __init__(self):
        self._depth = 0
        self._fd = None
        self._held_by_scope = []

    @contextlib.contextmanager
    def scope(self):
        """Release, when the block ends, the lock taken by :meth:`hold` in it."""
        self._held_by_scope.append(False)
        try:
            yield
        finally:
            if self._held_by_scope.pop():
                self._release()

    def hold(self, directory: str) -> None:
        """Hold the lock of ``directory`` until the innermost scope ends.

        Waits while another process holds it. Does nothing outside a scope, or if
        this scope already holds the lock.
        """
        if not self._held_by_scope or self._held_by_scope[-1]:
            return
        if self._depth == 0:
            self._fd = _lock(os.path.join(directory, LOCK_FILE))
        self._depth += 1
        self._held_by_scope[-1] = True

    def _release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None


def _lock(path: str) -> int | None:
    """A descriptor of ``path`` with an exclusive flock on it, or None."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


#: The lock of this process.
compile_lock = CompileLock()
