"""Compiled kernels of the (averaged) perceptron, trained by plain SGD.

The arithmetic reproduces scikit-learn's ``_plain_sgd`` (``_sgd_fast.pyx.tp``) with
``loss=Hinge(0.0)`` and ``learning_rate='constant'``, operation for operation, so
that :class:`skdeep.PerceptronClassifier` gives the same ``coef_`` as
``sklearn.linear_model.Perceptron``. For one sample ``x`` with label
``y in {-1, +1}`` and weight ``s = class_weight * sample_weight``::

    p = wscale * <w, x> + b                       # decision value
    loss = max(0, -y p);  update = eta * y * s   if y p <= 0 else 0
    wscale *= max(0, 1 - eta * alpha * (1 - l1_ratio))           # L2 part
    w += x * update / wscale;  b += update * intercept_decay
    u += eta * alpha * l1_ratio;  truncate w toward 0 by (u + q)   # L1 part

The weight vector is stored as ``wscale * w`` (the "wscale trick"), so the L2
shrinkage costs one multiplication per sample. The L1 part is the cumulative
truncated gradient of Tsuruoka, Tsujii & Ananiadou (2009): ``u`` is the total L1
penalty every weight could have received so far, ``q[j]`` what weight ``j``
actually received. The averaged weights use Bottou's (2012) sparse trick: the
average is ``(aw + average_a * w) / average_b``.

One kernel call runs one epoch for one binary (one-vs-rest) problem. Samples are
rows of a CSR matrix ``(data, indices, indptr)``; a dense C-ordered ``X`` is passed
as ``data = X.ravel()`` with ``sparse=False``, and then ``indices``/``indptr`` are
not read. Every kernel is generic over float32/float64: weights keep the input
dtype, scalars are float64, and values are rounded to the weight dtype exactly where
scikit-learn's Cython rounds them (``_to_dtype``), which is a no-op in float64.

Same bits on every CPU. Every operation here is one IEEE multiplication, division,
addition or square root, each rounded, in sklearn's order; no multiply-add is fused
and no sum is reordered (no ``fastmath``), so the results do not depend on the CPU
Numba compiles for. scikit-learn's per-sample arithmetic is plain C that its wheels
compile without fused multiply-adds (x86-64 baseline; C11 mode, no contraction, with
GCC), so ``w``, the intercepts and the stopping decisions are bit-identical to
sklearn's on any CPU. The one place where sklearn's result depends on the CPU is
``reset_wscale`` with averaging: sklearn computes ``aw += average_a * w`` with BLAS
``axpy``, and BLAS kernels differ in whether they fuse that multiply-add (OpenBLAS:
every entry with AVX-512, blocks of 16 doubles or 32 floats with AVX2 and the rest
unfused, none with SSE or AVX). No kernel can match them all, so none is imitated:
``reset_wscale`` rounds the product and the sum separately, as the reference BLAS
does. The averaged weights then equal sklearn's bit for bit where its BLAS does not
fuse, and differ by a few roundings of the terms of that sum where it does; with
``penalty='l2'`` or ``'elasticnet'`` those terms are up to ``1 / (tau ln(1/tau))``
times the averaged weights (``tau`` the ``reset_threshold``), so the averaged model
agrees to about ``1e-8`` relative in float64 and ``1e-2`` in float32 there.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from skdeep._kernels._jit import jit

# Layout of the float64 ``state`` array a training run carries between epochs.
INTERCEPT = 0
AVERAGE_INTERCEPT = 1
WSCALE = 2
AVERAGE_A = 3
AVERAGE_B = 4
U = 5  # cumulative L1 penalty
SQ_NORM = 6
L1_NORM = 7
T = 8  # sample counter, starts at 1.0 like sklearn's ``t_``
SUMLOSS = 9  # written by each epoch
OBJECTIVE = 10  # written by each epoch
N_STATE = 11

# Penalty codes, as in scikit-learn's ``PENALTY_TYPES``.
PENALTY_NONE = 0
PENALTY_L1 = 1
PENALTY_L2 = 2
PENALTY_ELASTICNET = 3

# Shuffled samples are prefetched this many samples ahead of their visit.
_PREFETCH_DISTANCE = 12


def new_state(intercept: float, average_intercept: float) -> np.ndarray:
    """Fresh ``state`` array of one training run (``wscale = average_b = t = 1``)."""
    state = np.zeros(N_STATE, dtype=np.float64)
    state[INTERCEPT] = intercept
    state[AVERAGE_INTERCEPT] = average_intercept
    state[WSCALE] = 1.0
    state[AVERAGE_B] = 1.0
    state[T] = 1.0
    return state


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to load ``arr[idx]``'s cache line (``llvm.prefetch``)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        arr_type = signature.args[0]
        array = context.make_array(arr_type)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, arr_type, array, [args[1]], wraparound=False
        )
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read access, high temporal locality, data cache
        builder.call(fn, [i8p, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@jit(nogil=True)
def _prefetch_sample(
    data, indices, indptr, n_features, sparse, y, sample_weight, skip, row
):
    """Prefetch everything an epoch reads for sample ``row``.

    That is every cache line of the row of ``X`` (and its CSR indices), and the
    row's entries of ``y``, ``sample_weight`` and ``skip``: at 100,000 samples these
    arrays no longer stay in cache next to ``X``, and each is one more miss.
    """
    step = 64 // data.itemsize
    if sparse:
        start = indptr[row]
        end = indptr[row + 1]
        for k in range(start, end, step):
            _prefetch(data, k)
        for k in range(start, end, 16):
            _prefetch(indices, k)
    else:
        start = row * n_features
        for k in range(start, start + n_features, step):
            _prefetch(data, k)
    _prefetch(y, row)
    _prefetch(sample_weight, row)
    _prefetch(skip, row)


@jit(nogil=True)
def _to_dtype(buf, value):
    """Round ``value`` to ``buf``'s dtype (where sklearn's Cython casts)."""
    buf[0] = value
    return buf[0]


@jit(nogil=True)
def xorshift_shuffle(order, seed):
    """Fisher-Yates shuffle of ``order`` in place, sklearn's ``SequentialDataset``.

    ``our_rand_r`` is a 32-bit xorshift; ``seed`` (never 0) restarts every epoch,
    so each epoch applies the same permutation to the previous epoch's order.
    """
    n = order.shape[0]
    s = np.uint64(seed) & np.uint64(0xFFFFFFFF)
    if s == 0:
        s = np.uint64(1)
    mask = np.uint64(0xFFFFFFFF)
    for i in range(n - 1):
        s ^= (s << np.uint64(13)) & mask
        s ^= s >> np.uint64(17)
        s ^= (s << np.uint64(5)) & mask
        r = s % np.uint64(2147483648)
        j = i + np.int64(r % np.uint64(n - i))
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


@jit(nogil=True)
def _raw_dot(w, data, indices, start, end, sparse):
    """``<w, x>`` in sklearn's order: float64 sum of dtype products, left to right."""
    acc = 0.0
    if sparse:
        for k in range(start, end):
            acc += w[indices[k]] * data[k]
    else:
        for j in range(end - start):
            acc += w[j] * data[start + j]
    return acc


@jit(nogil=True)
def _add(w, data, indices, start, end, sparse, c, wscale, track_norms, state):
    """``w += x * c / wscale``; sklearn's ``WeightVector.add``.

    ``c`` and ``wscale`` arrive in the weight dtype. When ``track_norms``, the norms
    are recomputed over the touched coordinates, as sklearn does (for sparse rows
    that is not the full norm; only the penalized objective reads them).
    """
    step = c / wscale
    l2 = 0.0
    l1 = 0.0
    if sparse:
        for k in range(start, end):
            idx = indices[k]
            w[idx] += np.float64(data[k]) * step
            if track_norms:
                l2 += w[idx] * w[idx]
                l1 += abs(w[idx])
    else:
        for j in range(end - start):
            w[j] += np.float64(data[start + j]) * step
            if track_norms:
                l2 += w[j] * w[j]
                l1 += abs(w[j])
    if track_norms:
        state[SQ_NORM] = l2 * (wscale * wscale)
        state[L1_NORM] = l1 * wscale


@jit(nogil=True)
def _add_average(aw, data, indices, start, end, sparse, c, num_iter, state):
    """Averaged-SGD bookkeeping for one sample; sklearn's ``WeightVector.add_average``.

    ``c`` and ``num_iter`` arrive in the weight dtype. When ``c == 0`` the loop would
    add signed zeros only, so it is skipped (values are unchanged).
    """
    wscale = state[WSCALE]
    average_a = state[AVERAGE_A]
    if c != 0:
        step = -c / wscale
        if sparse:
            for k in range(start, end):
                aw[indices[k]] += average_a * data[k] * step
        else:
            for j in range(end - start):
                aw[j] += average_a * data[start + j] * step
    mu = 1.0 / num_iter
    if num_iter > 1:
        state[AVERAGE_B] /= 1.0 - mu
    state[AVERAGE_A] = average_a + mu * state[AVERAGE_B] * wscale


@jit(nogil=True)
def _l1_truncate(w, q, data, indices, start, end, sparse, u, wscale):
    """Cumulative L1 truncated gradient (Tsuruoka et al. 2009) on ``x``'s support."""
    n = end - start
    for k in range(n):
        idx = indices[start + k] if sparse else k
        z = np.float64(w[idx])
        if wscale * z > 0.0:
            w[idx] = max(0.0, w[idx] - ((u + q[idx]) / wscale))
        elif wscale * z < 0.0:
            w[idx] = min(0.0, w[idx] + ((u - q[idx]) / wscale))
        q[idx] += wscale * (w[idx] - z)


@jit(nogil=True)
def reset_wscale(w, aw, state, averaging):
    """Fold ``wscale`` into ``w`` (and ``average_a``/``average_b`` into ``aw``).

    scikit-learn's ``axpy(average_a, w, aw)``, ``scal(1 / average_b, aw)`` and
    ``scal(wscale, w)``, with the scalars in the weight dtype. ``aw + a * w`` rounds
    the product and then the sum (reference BLAS; see the module docstring).
    """
    buf = np.empty(1, dtype=w.dtype)
    if averaging:
        a = _to_dtype(buf, state[AVERAGE_A])
        for j in range(w.shape[0]):
            aw[j] += a * w[j]
        inv_b = _to_dtype(buf, 1.0 / state[AVERAGE_B])
        for j in range(w.shape[0]):
            aw[j] *= inv_b
        state[AVERAGE_A] = 0.0
        state[AVERAGE_B] = 1.0
    scale = _to_dtype(buf, state[WSCALE])
    for j in range(w.shape[0]):
        w[j] *= scale
    state[WSCALE] = 1.0


@jit(nogil=True)
def perceptron_epoch(
    data,
    indices,
    indptr,
    n_features,
    sparse,
    y,
    sample_weight,
    class_weight,
    skip,
    order,
    seed,
    shuffle,
    w,
    aw,
    q,
    state,
    penalty,
    alpha,
    l1_ratio,
    eta,
    fit_intercept,
    intercept_decay,
    average,
    reset_threshold,
    track_loss,
):
    """One SGD epoch of the perceptron (``Hinge(0.0)`` loss) on one binary problem.

    Parameters
    ----------
    data, indices, indptr : ndarray
        CSR rows of ``X`` (``indices``/``indptr`` int32); dense: ``X.ravel()``.
    n_features : int
        Row length of a dense ``X``.
    sparse : bool
        Whether ``data`` is CSR data or a raveled dense matrix.
    y : ndarray of shape (n_samples,), weight dtype
        Labels in {-1, +1}.
    sample_weight : ndarray of shape (n_samples,), weight dtype
    class_weight : ndarray of shape (2,), weight dtype
        Weight of the positive and of the negative class.
    skip : ndarray of shape (n_samples,), uint8
        1 for samples held out for validation (never trained on).
    order : ndarray of shape (n_samples,), int32
        Visiting order, shuffled in place when ``shuffle``.
    seed : int
        Seed of sklearn's xorshift shuffle (constant over the run).
    w, aw, q : ndarray of shape (n_features,), weight dtype
        Raw weights (true weights are ``state[WSCALE] * w``), averaging buffer,
        L1 penalty received per weight.
    state : ndarray of shape (N_STATE,), float64
        Scalars carried between epochs; ``SUMLOSS``/``OBJECTIVE`` are written.
    penalty : int
        One of the ``PENALTY_*`` codes.
    alpha, l1_ratio, eta : float
    fit_intercept : bool
    intercept_decay : float
        1.0 for dense input, 0.01 for sparse (as sklearn).
    average : int
        Start averaging at sample ``t >= average``; 0 disables averaging.
    reset_threshold : float
        Fold ``wscale`` into ``w`` when it falls below (1e-9 f64, 1e-6 f32).
    track_loss : bool
        Accumulate the training loss and objective.
    """
    buf = np.empty(1, dtype=w.dtype)
    n_samples = order.shape[0]
    if shuffle:
        xorshift_shuffle(order, seed)
    if penalty == PENALTY_L2:
        l1_ratio = 0.0
    elif penalty == PENALTY_L1:
        l1_ratio = 1.0
    has_l1 = penalty == PENALTY_L1 or penalty == PENALTY_ELASTICNET
    track_norms = penalty > 0 and track_loss
    shrink = max(0.0, 1.0 - ((1.0 - l1_ratio) * eta * alpha))
    shrink_c = _to_dtype(buf, shrink)

    intercept = state[INTERCEPT]
    average_intercept = state[AVERAGE_INTERCEPT]
    t = state[T]
    sumloss = 0.0
    objective = 0.0
    for i in range(n_samples):
        s = order[i]
        if shuffle and i + _PREFETCH_DISTANCE < n_samples:
            _prefetch_sample(
                data, indices, indptr, n_features, sparse, y, sample_weight, skip,
                order[i + _PREFETCH_DISTANCE],
            )  # fmt: skip
        if skip[s]:
            continue
        if sparse:
            start = indptr[s]
            end = indptr[s + 1]
        else:
            start = s * n_features
            end = start + n_features
        raw = _raw_dot(w, data, indices, start, end, sparse)
        p = _to_dtype(buf, raw * state[WSCALE]) + intercept

        yi = y[s]
        z = p * yi
        update = 0.0
        if z <= 0.0:
            if track_loss:
                sumloss -= z
                objective -= z
            update = eta * yi  # -eta * dloss, dloss = -y
        if track_norms:
            objective += alpha * (
                (1 - l1_ratio)
                * 0.5
                * np.float64(_to_dtype(buf, np.sqrt(state[SQ_NORM]))) ** 2
                + l1_ratio * np.float64(_to_dtype(buf, state[L1_NORM]))
            )
        if yi > 0.0:
            cw = class_weight[0]
        else:
            cw = class_weight[1]
        update *= cw * sample_weight[s]

        if penalty >= PENALTY_L2:
            state[WSCALE] *= shrink_c
            if track_norms:
                state[SQ_NORM] *= shrink_c * shrink_c
                state[L1_NORM] *= abs(shrink_c)
            if state[WSCALE] < reset_threshold:
                reset_wscale(w, aw, state, average > 0)
        c = _to_dtype(buf, update)
        if update != 0.0:
            _add(
                w,
                data,
                indices,
                start,
                end,
                sparse,
                c,
                _to_dtype(buf, state[WSCALE]),
                track_norms,
                state,
            )
        if fit_intercept and update != 0:
            intercept += update * intercept_decay
        if 0 < average <= t:
            _add_average(
                aw,
                data,
                indices,
                start,
                end,
                sparse,
                c,
                _to_dtype(buf, t - average + 1),
                state,
            )
            average_intercept += (intercept - average_intercept) / (t - average + 1)
        if has_l1:
            state[U] += l1_ratio * eta * alpha
            _l1_truncate(
                w, q, data, indices, start, end, sparse, state[U], state[WSCALE]
            )
        t += 1
    state[INTERCEPT] = intercept
    state[AVERAGE_INTERCEPT] = average_intercept
    state[T] = t
    state[SUMLOSS] = sumloss
    state[OBJECTIVE] = objective


@jit(nogil=True)
def all_finite(w):
    """Whether every entry of ``w`` is finite."""
    for j in range(w.shape[0]):
        if not np.isfinite(w[j]):
            return False
    return True


def precompile() -> None:
    """Compile (or load from the disk cache) the kernels for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.array([1.0, -1.0, 0.5, 2.0], dtype=dtype)
        idx = np.array([0, 1, 0, 1], dtype=np.int32)
        ptr = np.array([0, 2, 4], dtype=np.int32)
        y = np.array([1.0, -1.0], dtype=dtype)
        ones = np.ones(2, dtype=dtype)
        for sparse in (False, True):
            w = np.zeros(2, dtype=dtype)
            state = new_state(0.0, 0.0)
            perceptron_epoch(
                x, idx, ptr, 2, sparse, y, ones, ones,
                np.zeros(2, dtype=np.uint8), np.arange(2, dtype=np.int32), 1, True,
                w, np.zeros(2, dtype=dtype), np.zeros(2, dtype=dtype), state,
                PENALTY_ELASTICNET, 1e-4, 0.15, 1.0, True, 1.0, 1, 1e-9, True,
            )  # fmt: skip
            reset_wscale(w, np.zeros(2, dtype=dtype), state, True)
            all_finite(w)
