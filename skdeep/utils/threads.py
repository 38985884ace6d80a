"""Thread pinning and the thread budget of training and prediction.

BLAS runs on one thread inside every kernel call: OpenBLAS's own threads spin, so
two of them next to Numba's threads, or next to another process on a busy machine,
run 10x slower or worse, and OpenBLAS's results can change bits with its thread
count, which would break bit-identical refits. The large matrix products of a batch
run in parallel anyway, as blocks of single-threaded BLAS calls in Numba's threads
(:mod:`skdeep._kernels.blas`).

Numba's threads (those blocks and the ``prange`` loops of the convolution and
pooling kernels) get a *budget*: the number of threads the caller may use where the
fit runs, so that fits in joblib or Dask workers do not oversubscribe the cores.
Within the budget, a fit (and a large prediction) uses only the cores that other
processes leave free (:func:`usable_threads`; measured again after every epoch, see
:func:`adapt_threads`): a parallel loop waits for its slowest thread, and a thread
that shares its core with another process runs in time slices of milliseconds.
Results do not depend on the number of threads, only speed does.
"""

import os
import sys
import threading
import time
from contextlib import contextmanager
from functools import lru_cache

import numba


@lru_cache(maxsize=1)
def _controller():
    # Start Numba's threading layer (its OpenMP runtime, with the default layer) and
    # load scipy's BLAS (the one Numba's np.dot calls) before taking the inventory.
    numba.get_num_threads()
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class _BlasThreads:
    """The thread setting of one BLAS library, read and set through the
    library's own functions where threadpoolctl finds them (OpenBLAS), else
    through threadpoolctl's controller. (threadpoolctl lets only one Python
    thread of the process set a process-wide OpenBLAS and silently ignores the
    others; :func:`single_threaded_blas` serializes the settings itself, from
    any thread.)"""

    def __init__(self, lib):
        symbol = getattr(lib, "_get_symbol", None)
        direct = lib.internal_api == "openblas" and symbol is not None
        getter = symbol("openblas_get_num_threads") if direct else None
        setter = symbol("openblas_set_num_threads") if direct else None
        if getter is None or setter is None:
            getter, setter = lib.get_num_threads, lib.set_num_threads
        self.get_num_threads = getter
        self.set_num_threads = setter


@lru_cache(maxsize=1)
def _blas_libraries() -> tuple:
    """The thread settings of every loaded BLAS library (:class:`_BlasThreads`)."""
    return tuple(
        _BlasThreads(lib)
        for lib in _controller().select(user_api="blas").lib_controllers
    )


@lru_cache(maxsize=1)
def _openmp_libraries() -> tuple:
    """threadpoolctl's controllers of every loaded OpenMP runtime."""
    return tuple(_controller().select(user_api="openmp").lib_controllers)


#: Kernels running right now that need one BLAS thread, in any thread of the
#: process, and the ``(library, thread count)`` pairs to restore after the last.
_blas_lock = threading.Lock()
_blas_users = 0
_blas_restore = ()


@contextmanager
def single_threaded_blas():
    """Limit every loaded BLAS library to one thread inside the block.

    The BLAS setting is process-wide, so blocks running at once in several threads
    share one limit: the first block to start sets one thread where a library has
    more (and remembers their counts), the last one to end restores them. (Nested
    threadpoolctl limits would instead restore each other's "1" and leave BLAS at
    one thread for the rest of the process.) Each library's count is read and set
    through its own functions, under a microsecond, so predictions can afford it.
    """
    _blas_acquire()
    try:
        yield
    finally:
        _blas_release()


def _blas_acquire() -> None:
    global _blas_users, _blas_restore
    with _blas_lock:
        if _blas_users == 0:
            restore = []
            for lib in _blas_libraries():
                count = lib.get_num_threads()
                if count != 1:
                    lib.set_num_threads(1)
                    restore.append((lib, count))
            _blas_restore = tuple(restore)
        _blas_users += 1


def _blas_release() -> None:
    global _blas_users, _blas_restore
    with _blas_lock:
        _blas_users -= 1
        if _blas_users == 0:
            for lib, count in _blas_restore:
                lib.set_num_threads(count)
            _blas_restore = ()


def _env_threads(name: str) -> int | None:
    """The positive thread count in environment variable ``name``, else None.

    OpenMP accepts a comma-separated list (one count per nesting level): the first
    one is the count of the outermost parallel region, which is what Numba's is.
    """
    value = os.environ.get(name, "").split(",")[0].strip()
    try:
        count = int(value)
    except ValueError:
        return None
    return count if count > 0 else None


#: ``OMP_NUM_THREADS`` as this process started. OpenMP runtimes read it once, when
#: they load; so does skdeep. Later changes to ``os.environ`` are ignored: a Dask
#: ``LocalCluster`` started from this process sets its workers' ``OMP_NUM_THREADS=1``
#: in this process's environment too, which should not pin fits run here.
_OMP_NUM_THREADS = _env_threads("OMP_NUM_THREADS")


def _in_dask_worker() -> bool:
    """True inside a task run by a ``dask.distributed`` worker.

    Never imports Dask: a process that has not imported ``distributed`` runs no
    Dask worker.
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except (ValueError, AttributeError):
        return False
    return True


def thread_budget(numba_threads: int | None = None) -> int:
    """The number of Numba threads a fit may use in the calling thread.

    The smallest of:

    * the calling thread's Numba setting, :func:`numba.get_num_threads`: the
      ``NUMBA_NUM_THREADS`` environment variable (joblib's loky workers get
      ``cpu_count() // n_jobs`` there) or what the caller set with
      :func:`numba.set_num_threads`;
    * ``OMP_NUM_THREADS`` as the process started (loky workers get the same
      count as ``NUMBA_NUM_THREADS``; Dask's nanny-started workers get 1, one
      thread per task slot);
    * the OpenMP limit in force in this thread, as set by
      ``threadpoolctl.threadpool_limits(n)`` (or ``user_api="openmp"``);
    * in a Dask worker task, 1 when ``OMP_NUM_THREADS`` is not set: a worker runs
      as many tasks at once as it has threads, so each task gets one thread.
      Raise it for workers with ``distributed.nanny.pre-spawn-environ``.

    Parameters
    ----------
    numba_threads : int, optional
        The calling thread's Numba setting, when the caller has just read it.

    Returns
    -------
    n_threads : int
        At least 1.
    """
    budget = numba.get_num_threads() if numba_threads is None else numba_threads
    if _OMP_NUM_THREADS is not None:
        budget = min(budget, _OMP_NUM_THREADS)
    elif _in_dask_worker():
        budget = 1
    for lib in _openmp_libraries():
        limit = lib.get_num_threads()
        if isinstance(limit, int) and limit > 0:
            budget = min(budget, limit)
    return max(1, budget)


#: Whether fits and large predictions leave out the cores that other processes
#: keep busy (:func:`usable_threads`). Results never depend on it; the tests turn
#: it off so that the number of threads they ask for is the number used.
LOAD_AWARE = os.environ.get("SKDEEP_LOAD_AWARE", "1").strip() != "0"

#: A thread is counted as usable when at least this much of a core is free.
_FREE_CORE = 0.7

#: Busy time is measured over at least this many seconds before it is trusted.
_MIN_INTERVAL = 0.05


@lru_cache(maxsize=1)
def _usable_cpus() -> tuple:
    """The CPUs this process may run on (as the process started)."""
    if hasattr(os, "sched_getaffinity"):
        return tuple(sorted(os.sched_getaffinity(0)))
    return tuple(range(os.cpu_count() or 1))


#: ``(time, value)`` of the last :func:`_running_elsewhere` reading.
_elsewhere = (-1.0, None)

#: A reading of ``/proc/loadavg`` (about 20 us) serves this many seconds, so
#: that predictions in a loop do not pay for it every call.
_READING_LIFE = 0.1


def _running_elsewhere() -> float | None:
    """Threads of other processes running or waiting to run right now (the
    kernel's count of runnable threads, in ``/proc/loadavg``, less the caller);
    None where the system does not tell. Read at most every ``_READING_LIFE``
    seconds."""
    global _elsewhere
    now = time.monotonic()
    if now - _elsewhere[0] < _READING_LIFE:
        return _elsewhere[1]
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        value = float(max(0, running - 1))
    except (OSError, ValueError, IndexError):
        value = None
    _elsewhere = (now, value)
    return value


class CoreMonitor:
    """How many cores other processes kept busy since the last reading: the
    busy time of this process's CPUs (``/proc/stat``) less this process's own
    CPU time, over the wall-clock time between two readings (Linux; elsewhere
    :meth:`others_busy` returns None)."""

    def __init__(self):
        self._cpus = {f"cpu{i}".encode() for i in _usable_cpus()}
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._last = self._reading()

    def _reading(self):
        try:
            with open("/proc/stat", "rb") as f:
                lines = f.read().splitlines()
        except OSError:
            return None
        busy = 0
        for line in lines[1:]:
            fields = line.split()
            if not fields or not fields[0].startswith(b"cpu"):
                break
            if fields[0] in self._cpus:
                # user nice system idle iowait irq softirq steal ...
                values = [int(v) for v in fields[1:9]]
                busy += sum(values) - values[3] - values[4]
        own = os.times()
        return time.monotonic(), busy / self._tick, own.user + own.system

    def others_busy(self) -> float | None:
        """Cores kept busy by other processes since the last reading that returned
        a value; None while less than ``_MIN_INTERVAL`` seconds have passed, or
        where the system does not tell."""
        if self._last is None:
            return None
        now = self._reading()
        if now is None or now[0] - self._last[0] < _MIN_INTERVAL:
            return None
        wall = now[0] - self._last[0]
        others = (now[1] - self._last[1]) - (now[2] - self._last[2])
        self._last = now
        return max(0.0, others / wall)


def usable_threads(budget: int, others_busy: float | None) -> int:
    """Threads worth running within ``budget`` when other processes keep
    ``others_busy`` cores busy (None: unknown, use the budget): one per CPU of
    this process at least ``_FREE_CORE`` free, at least one."""
    if others_busy is None or budget <= 1:
        return max(1, budget)
    free = len(_usable_cpus()) - others_busy
    return max(1, min(budget, int(free + (1.0 - _FREE_CORE))))


_local = threading.local()


class kernel_threads:  # used as a function: with kernel_threads():
    """Run the kernels of a fit (or a prediction) within the thread budget.

    Inside the block BLAS runs on one thread and Numba's parallel loops on
    :func:`thread_budget` threads (at most ``max_threads``: a prediction of a few
    rows has nothing to share out; 0 when the kernels run no parallel loop at
    all, which leaves Numba's setting alone), fewer when other processes keep
    cores busy (``load_aware`` and :data:`LOAD_AWARE`); :func:`adapt_threads`
    measures again between epochs. The calling thread's Numba setting is
    restored on exit. Numba's setting is per thread, so concurrent fits in other
    threads are not affected. (A class rather than a generator: entering and
    leaving cost a few microseconds, which a one-row prediction notices.)
    """

    __slots__ = ("_changed", "_load_aware", "_max_threads", "_outer", "_previous")

    def __init__(self, load_aware: bool = True, max_threads: int | None = None):
        self._load_aware = load_aware
        self._max_threads = max_threads

    def __enter__(self):
        if self._max_threads == 0:  # no parallel loop: only BLAS matters
            self._changed = False
            self._outer = getattr(_local, "governor", None)
            _local.governor = None
            _blas_acquire()
            return self
        previous = numba.get_num_threads()
        budget = thread_budget(previous)
        if self._max_threads is not None:
            budget = max(1, min(budget, self._max_threads))
        threads = budget
        aware = self._load_aware and LOAD_AWARE and budget > 1
        if aware:
            threads = usable_threads(budget, _running_elsewhere())
        if threads != previous:
            numba.set_num_threads(threads)
        self._previous = previous
        self._changed = threads != previous or aware
        self._outer = getattr(_local, "governor", None)
        # [budget, monitor]: the monitor starts at the first adapt_threads() call.
        _local.governor = [budget, None] if aware else None
        _blas_acquire()
        return self

    def __exit__(self, *exc) -> None:
        _local.governor = self._outer
        _blas_release()
        if self._changed and numba.get_num_threads() != self._previous:
            numba.set_num_threads(self._previous)


def adapt_threads(cap: int | None = None) -> None:
    """Between two epochs of a load-aware :func:`kernel_threads` block: set the
    Numba threads of the next epoch from the cores other processes kept busy
    during the last ones, at most ``cap`` (a network whose parallel loops are too
    small to pay for a second thread passes 1). The first call starts measuring;
    nothing happens outside such a block."""
    governor = getattr(_local, "governor", None)
    if governor is None:
        return
    budget, monitor = governor
    if cap is not None:
        budget = max(1, min(budget, cap))
    if monitor is None:  # the first epoch: measure from here on
        governor[1] = CoreMonitor()
        if numba.get_num_threads() > budget:
            numba.set_num_threads(budget)
        return
    others = monitor.others_busy()
    if others is not None:
        threads = usable_threads(budget, others)
        if threads != numba.get_num_threads():
            numba.set_num_threads(threads)
