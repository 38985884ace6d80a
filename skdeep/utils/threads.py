"""Thread pinning and the thread budget of training.

Training pins BLAS to one thread: two BLAS threads never helped at these matrix
sizes, they oversubscribe next to Numba's own threads, and OpenBLAS's results can
change bits with its thread count, which would break bit-identical refits.

Numba's threads (the ``prange`` loops of the convolution and pooling kernels) get a
*budget*: the number of threads the caller may use where the fit runs, so that fits
in joblib or Dask workers do not oversubscribe the cores. Results do not depend on
the number of threads, only speed does.
"""

import os
import sys
import threading
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


#: Kernels running right now that need one BLAS thread, in any thread of the
#: process, and the limit object that restores the BLAS settings in force before
#: the first of them started.
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter = None


@contextmanager
def single_threaded_blas():
    """Limit every loaded BLAS library to one thread inside the block.

    The BLAS setting is process-wide, so blocks running at once in several threads
    share one limit: the first block to start saves the settings and sets one
    thread, the last one to end restores what the first saved. (Nested
    threadpoolctl limits would instead restore each other's "1" and leave BLAS at
    one thread for the rest of the process.)
    """
    global _blas_users, _blas_limiter
    with _blas_lock:
        if _blas_users == 0:
            _blas_limiter = _controller().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


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


def thread_budget() -> int:
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

    Returns
    -------
    n_threads : int
        At least 1.
    """
    budget = numba.get_num_threads()
    if _OMP_NUM_THREADS is not None:
        budget = min(budget, _OMP_NUM_THREADS)
    elif _in_dask_worker():
        budget = 1
    for lib in _controller().select(user_api="openmp").lib_controllers:
        limit = lib.num_threads
        if isinstance(limit, int) and limit > 0:
            budget = min(budget, limit)
    return max(1, budget)


@contextmanager
def kernel_threads():
    """Run the kernels of a fit (or a CNN prediction) within the thread budget.

    Inside the block BLAS runs on one thread and Numba's parallel loops on
    :func:`thread_budget` threads; the calling thread's Numba setting is restored
    on exit. Numba's setting is per thread, so concurrent fits in other threads are
    not affected.
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(thread_budget())
    try:
        with single_threaded_blas():
            yield
    finally:
        numba.set_num_threads(previous)
