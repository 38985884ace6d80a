"""Forward passes of a fitted network: predictions, codes, per-sample losses."""

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.blas import PARALLEL_MACS
from skdeep._kernels.inference import forward_rows
from skdeep._kernels.structs import NetworkArrays, Objective


def count_rows(rows, n_inputs: int) -> int:
    """Number of samples in the kernel ``rows`` (of ``n_inputs`` values each)."""
    if rows.indptr.shape[0]:
        return rows.indptr.shape[0] - 1
    return rows.X.shape[0] // max(1, n_inputs)


#: Predictions of at most this many rows keep their work buffers for the next call
#: of the same network (allocating a dozen small arrays costs more than a forward
#: pass of one row through a small network); larger ones allocate their own.
POOLED_ROWS = 256

#: ``(id(network), rows, capacity, dtype) -> (network, [buffers, ...])``: work
#: buffers and family arguments not in use. A call takes one set (or allocates),
#: uses it alone and puts it back, so concurrent calls never share buffers.
_pools: dict = {}

#: Most sets kept per key, and most keys, so the pools stay a few MB at most.
_POOL_SIZE = 4
_POOL_KEYS = 256

_NO_OBJECTIVE = Objective(0, 0.0, False)

#: Row kinds whose prediction kernels run no parallel loop (the dense rows' large
#: products aside); any other kind counts as parallel.
_SERIAL_KINDS = (codes.DENSE, codes.DROPOUT, codes.CORRUPTION, codes.SPARSITY,
                 codes.GAUSSIAN, codes.BATCHNORM, codes.GLOBAL_POOL,
                 codes.RESIDUAL_ADD)  # fmt: skip

#: Predictions of fewer rows run on one Numba thread: the parallel loops split
#: samples (or large products), and a parallel loop with nothing to share out
#: would only wait for a second thread, milliseconds when the core is busy.
PARALLEL_ROWS = 32


def prediction_threads(network, n_rows: int, layers=slice(None)) -> int | None:
    """The most Numba threads worth using to predict ``n_rows`` rows through
    ``network``'s rows ``layers`` (:func:`~skdeep.utils.threads.kernel_threads`'s
    ``max_threads``): 0 when its kernels run no parallel loop (no convolution,
    pooling or recurrent row, and every dense product below the parallel size
    of :mod:`skdeep._kernels.blas`), 1 below
    :data:`PARALLEL_ROWS` rows, else None (the budget)."""
    plan = _plan(network, layers)
    rows = min(n_rows, plan[5])  # a chunk at most
    if not plan[6] and rows * plan[7] < PARALLEL_MACS:
        return 0
    return 1 if n_rows < PARALLEL_ROWS else None


#: ``(id(network), rows) -> (network, table, values, n_in, n_out, chunk,
#: spatial, largest dense n_in * n_out)``.
_plans: dict = {}


def _plan(network, layers: slice) -> tuple:
    """What a prediction through ``network``'s rows ``layers`` needs of the
    network: its table and settings, input and output widths, chunk size, and
    whether it has parallel loops (looked up once per network and run of
    rows)."""
    key = (id(network), layers.start, layers.stop, layers.step)
    plan = _plans.get(key)
    if plan is None or plan[0] is not network:
        table, values, _ = network._run(layers)
        n_in = int(table[0, codes.COL_N_IN])
        n_out = int(table[-1, codes.COL_N_OUT])
        kinds = table[:, codes.COL_KIND]
        dense = kinds == codes.DENSE
        widest = table[dense, codes.COL_N_IN] * table[dense, codes.COL_N_OUT]
        plan = (network, table, values, n_in, n_out, network.predict_capacity(layers),
                not np.isin(kinds, _SERIAL_KINDS).all(),
                int(widest.max()) if widest.size else 0)  # fmt: skip
        if len(_plans) >= _POOL_KEYS:
            _plans.clear()
        _plans[key] = plan
    return plan


def _take_buffers(network, layers: slice, capacity: int, dtype):
    """``(key, work, families)`` for up to ``capacity`` rows; ``key`` is None when
    the buffers are not pooled."""
    if capacity > POOLED_ROWS:
        return (None, network.work(capacity, dtype, rows=layers, backward=False),
                network.family_arguments(capacity, dtype, backward=False))  # fmt: skip
    capacity = 1 << (capacity - 1).bit_length()  # a few sizes: 1, 2, 4, ... 256
    key = (id(network), layers.start, layers.stop, layers.step, capacity, dtype)
    entry = _pools.get(key)
    if entry is not None and entry[0] is network:
        try:
            work, families = entry[1].pop()
            return key, work, families
        except IndexError:
            pass
    return (key, network.work(capacity, dtype, rows=layers, backward=False),
            network.family_arguments(capacity, dtype, backward=False))  # fmt: skip


def _give_back(network, key, work, families) -> None:
    entry = _pools.get(key)
    if entry is None or entry[0] is not network:
        if len(_pools) >= _POOL_KEYS:
            _pools.clear()
        entry = _pools.setdefault(key, (network, []))
        if entry[0] is not network:  # another network took the key meanwhile
            return
    if len(entry[1]) < _POOL_SIZE:
        entry[1].append((work, families))


def network_output(network, params, state, rows, order=None, *, layers=slice(None),
                   objective=None, outputs=True):  # fmt: skip
    """Run the prediction-mode forward pass of ``network`` (or of its table rows
    ``layers``, e.g. an autoencoder's encoder) over the samples ``order`` of
    ``rows`` (default: all of them, in order).

    Returns ``(outputs, losses)``: the outputs, shape ``(n, n_outputs)`` in the
    parameters' dtype (None unless ``outputs``), and, when an ``objective`` is
    given, each sample's unweighted loss against its target plus its per-sample
    penalties, shape ``(n,)`` (else None). Memory is bounded by the network's
    prediction chunk whatever the number of samples; the buffers of a call are
    its own (small ones are reused by later calls, :data:`POOLED_ROWS`), so
    concurrent calls on one model are safe.
    """
    _, table, values, n_in, n_out, chunk, _, _ = _plan(network, layers)
    if order is None:
        order = np.arange(count_rows(rows, n_in))
    n = order.shape[0]
    dtype = params.dtype
    out = np.empty((n if outputs else 0, n_out), dtype)
    losses = np.empty(n if objective is not None else 0, dtype=np.float64)
    if not state.flags.writeable:
        # The batch-normalization kernel is compiled with its training-time update
        # of the running statistics, which Numba types for a writeable state only:
        # a read-only fitted state (a memory-mapped model) is copied (it is small).
        state = state.copy()
    if n:
        key, work, families = _take_buffers(network, layers, min(chunk, n), dtype)
        forward_rows(
            rows,
            order.astype(np.int64, copy=False),
            NetworkArrays(table, values, params, state),
            objective if objective is not None else _NO_OBJECTIVE,
            out.reshape(-1),
            losses,
            work,
            *families,
        )
        if key is not None:
            _give_back(network, key, work, families)
    return (out if outputs else None), (losses if objective is not None else None)
