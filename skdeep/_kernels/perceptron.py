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
scikit-learn's Cython rounds them (``_as_weight``), which is a no-op in float64.

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

Four samples at a time. The decision value ``<w, x>`` is a chain of dependent
additions in a fixed order (sklearn's, which fixes the bits): each waits for the
previous one, 3-4 cycles, so a 50-feature row costs about 200 cycles on any CPU,
however wide its vectors, and that chain is most of what sklearn spends per sample.
As long as ``w`` does not change, the decision values of the next samples are
already determined, so the epoch computes those of four samples at once, as four
interleaved chains (each in sklearn's order), and uses them in turn until ``w``
changes: an update, a fold of ``wscale``, or, with an L1 penalty, every sample
(then one at a time). The values after a change are computed again from the new
``w``. With a quarter of the samples updating, a pass serves about 2.5 samples.
Nothing else is reordered, so the bits stay sklearn's.

The per-sample loop makes no calls and creates no array views (Numba counts the
references of each view it creates, with a call and a locked instruction each, and
inlined helpers taking arrays bring the same), indexes with unsigned positions
(Numba then leaves out the wrap-around of negative indices) and keeps the
``state`` scalars in registers. Shuffled rows of ``X`` come from memory in random
order: each is prefetched ``_PREFETCH_DISTANCE`` samples ahead into L2
(``prefetcht1``) rather than L1, whose few outstanding-miss slots would otherwise
stall the loop (on Zen 4, 53 against 90 ns per sample; AMD documents the L2 fill
from Zen 4 on, and older AMD CPUs may fill L1 as with ``prefetcht0``). The
samples' labels, weights and skip flags are gathered into visiting order once per
epoch (one number per sample), so the loop reads them in sequence instead of
prefetching three more lines per sample.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from skdeep._kernels._jit import jit
from skdeep._kernels.codes import PENALTY_ELASTICNET, PENALTY_L1, PENALTY_L2

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

# Shuffled samples are prefetched this many samples ahead of their visit, into the
# cache level of this ``llvm.prefetch`` locality: 2 is L2 (``prefetcht1``), 3 is L1
# (``prefetcht0``); see the module docstring.
_PREFETCH_DISTANCE = 12
_PREFETCH_LOCALITY = 2


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
    """Hint the CPU to bring ``arr[idx]``'s cache line closer (``llvm.prefetch``)."""
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
        # read access, locality, data cache
        builder.call(fn, [i8p, i32(0), i32(_PREFETCH_LOCALITY), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _as_weight(typingctx, value, w):
    """``value`` rounded to the dtype of ``w``: where sklearn's Cython converts to
    its ``c_type`` (a no-op for float64 weights)."""
    sig = w.dtype(value, w)

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], signature.return_type)

    return sig, codegen


@jit(nogil=True)
def _l1_truncate(w, q, indices, start, end, sparse, u, wscale):
    """Cumulative L1 truncated gradient (Tsuruoka et al. 2009) on a row's support
    (positions ``start`` to ``end`` of ``data``)."""
    for k in range(start, end):
        j = np.uint64(indices[k]) if sparse else k - start
        z = np.float64(w[j])
        if wscale * z > 0.0:
            w[j] = max(0.0, w[j] - ((u + q[j]) / wscale))
        elif wscale * z < 0.0:
            w[j] = min(0.0, w[j] + ((u - q[j]) / wscale))
        q[j] += wscale * (w[j] - z)


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
def reset_wscale(w, aw, state, averaging):
    """Fold ``wscale`` into ``w`` (and ``average_a``/``average_b`` into ``aw``).

    scikit-learn's ``axpy(average_a, w, aw)``, ``scal(1 / average_b, aw)`` and
    ``scal(wscale, w)``, with the scalars in the weight dtype. ``aw + a * w`` rounds
    the product and then the sum (reference BLAS; see the module docstring).
    """
    if averaging:
        a = _as_weight(state[AVERAGE_A], w)
        for j in range(w.shape[0]):
            aw[j] += a * w[j]
        inv_b = _as_weight(1.0 / state[AVERAGE_B], w)
        for j in range(w.shape[0]):
            aw[j] *= inv_b
        state[AVERAGE_A] = 0.0
        state[AVERAGE_B] = 1.0
    scale = _as_weight(state[WSCALE], w)
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
    visit,
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
    visit : ndarray of shape (n_samples,), weight dtype
        Scratch, see below.
    seed : int
        Seed of sklearn's xorshift shuffle (constant over the run).
    w, aw, q : ndarray of shape (n_features,), weight dtype
        Raw weights (true weights are ``state[WSCALE] * w``), averaging buffer,
        L1 penalty received per weight.
    state : ndarray of shape (N_STATE,), float64
        Scalars carried between epochs; ``SUMLOSS``/``OBJECTIVE`` are written.
    penalty : int
        One of the ``codes.PENALTY_*`` codes.
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
    n_samples = order.shape[0]
    if shuffle:
        xorshift_shuffle(order, seed)
    # Each sample's label, weight and skip flag in visiting order, to be read in
    # sequence rather than at random next to its row of X, and in one number:
    # y * sample_weight (exact, y = +-1; its sign is y's even for a zero weight,
    # -0.0), or NaN (a sample weight is finite) for a skipped sample.
    for i in range(n_samples):
        s = order[i]
        visit[i] = np.nan if skip[s] else y[s] * sample_weight[s]
    if penalty == PENALTY_L2:
        l1_ratio = 0.0
    elif penalty == PENALTY_L1:
        l1_ratio = 1.0
    has_l1 = penalty == PENALTY_L1 or penalty == PENALTY_ELASTICNET
    track_norms = penalty > 0 and track_loss
    shrink = _as_weight(max(0.0, 1.0 - ((1.0 - l1_ratio) * eta * alpha)), w)
    averaging = average > 0
    # Positions in ``data`` are unsigned: Numba then leaves out the wrap-around of
    # negative indices, which would double the instructions of the dot products.
    nf = np.uint64(n_features)
    line = np.uint64(64 // data.itemsize)  # entries of X per cache line
    one = np.uint64(1)

    # The scalars of ``state``, kept in registers during the epoch.
    intercept = state[INTERCEPT]
    average_intercept = state[AVERAGE_INTERCEPT]
    wscale = state[WSCALE]
    average_a = state[AVERAGE_A]
    average_b = state[AVERAGE_B]
    u = state[U]
    sq_norm = state[SQ_NORM]
    l1_norm = state[L1_NORM]
    t = state[T]
    sumloss = 0.0
    objective = 0.0
    # ahead[k] is <w, x> of the sample at position first + k, for k < n_ahead: see
    # "Four samples at a time" in the module docstring.
    ahead = np.empty(4)
    first = 0
    n_ahead = 0
    for i in range(n_samples):
        s = order[i]
        if shuffle and i + _PREFETCH_DISTANCE < n_samples:
            r = order[i + _PREFETCH_DISTANCE]
            r_start = np.uint64(indptr[r]) if sparse else np.uint64(r) * nf
            r_end = np.uint64(indptr[r + 1]) if sparse else r_start + nf
            for k in range(r_start, r_end, line):
                _prefetch(data, k)
            if r_end > r_start:
                _prefetch(data, r_end - one)  # the last line of an unaligned row
            if sparse:
                for k in range(r_start, r_end, np.uint64(16)):
                    _prefetch(indices, k)
        if np.isnan(visit[i]):
            continue
        # the sample's entries are data[start:end] (CSR indices[start:end])
        start = np.uint64(indptr[s]) if sparse else np.uint64(s) * nf
        end = np.uint64(indptr[s + 1]) if sparse else start + nf

        # p = <w, x> * wscale + intercept; <w, x> is a float64 sum of products in
        # the weight dtype, left to right, as sklearn's
        if i - first >= n_ahead:
            first = i
            n_ahead = 1
            d0 = d1 = d2 = d3 = 0.0
            if has_l1 or i + 4 > n_samples:
                for k in range(start, end):
                    d0 += w[np.uint64(indices[k]) if sparse else k - start] * data[k]
            else:
                n_ahead = 4
                s1, s2, s3 = order[i + 1], order[i + 2], order[i + 3]
                b1 = np.uint64(indptr[s1]) if sparse else np.uint64(s1) * nf
                b2 = np.uint64(indptr[s2]) if sparse else np.uint64(s2) * nf
                b3 = np.uint64(indptr[s3]) if sparse else np.uint64(s3) * nf
                n0, n1, n2, n3 = end - start, nf, nf, nf
                if sparse:
                    n1 = np.uint64(indptr[s1 + 1]) - b1
                    n2 = np.uint64(indptr[s2 + 1]) - b2
                    n3 = np.uint64(indptr[s3 + 1]) - b3
                common = min(n0, n1, n2, n3)
                for k in range(common):
                    if sparse:
                        d0 += w[np.uint64(indices[start + k])] * data[start + k]
                        d1 += w[np.uint64(indices[b1 + k])] * data[b1 + k]
                        d2 += w[np.uint64(indices[b2 + k])] * data[b2 + k]
                        d3 += w[np.uint64(indices[b3 + k])] * data[b3 + k]
                    else:
                        wk = w[k]
                        d0 += wk * data[start + k]
                        d1 += wk * data[b1 + k]
                        d2 += wk * data[b2 + k]
                        d3 += wk * data[b3 + k]
                # the rest of the longer rows (sparse only)
                for k in range(common, n0):
                    d0 += w[np.uint64(indices[start + k])] * data[start + k]
                for k in range(common, n1):
                    d1 += w[np.uint64(indices[b1 + k])] * data[b1 + k]
                for k in range(common, n2):
                    d2 += w[np.uint64(indices[b2 + k])] * data[b2 + k]
                for k in range(common, n3):
                    d3 += w[np.uint64(indices[b3 + k])] * data[b3 + k]
            ahead[0], ahead[1], ahead[2], ahead[3] = d0, d1, d2, d3
        p = np.float64(_as_weight(ahead[i - first] * wscale, w)) + intercept

        yi = np.copysign(1.0, visit[i])
        z = p * yi
        update = 0.0
        if z <= 0.0:
            if track_loss:
                sumloss -= z
                objective -= z
            update = eta * yi  # -eta * dloss, dloss = -y
        if track_norms:
            objective += alpha * (
                (1 - l1_ratio) * 0.5 * np.float64(_as_weight(np.sqrt(sq_norm), w)) ** 2
                + l1_ratio * np.float64(_as_weight(l1_norm, w))
            )
        if yi > 0.0:
            cw = class_weight[0]
        else:
            cw = class_weight[1]
        update *= cw * abs(visit[i])

        if penalty >= PENALTY_L2:  # sklearn's WeightVector.scale
            wscale *= shrink
            if track_norms:
                sq_norm *= shrink * shrink
                l1_norm *= abs(shrink)
            if wscale < reset_threshold:
                state[WSCALE] = wscale
                state[AVERAGE_A] = average_a
                state[AVERAGE_B] = average_b
                reset_wscale(w, aw, state, averaging)
                wscale = 1.0
                average_a = state[AVERAGE_A]
                average_b = state[AVERAGE_B]
                n_ahead = 0
        c = _as_weight(update, w)
        if update != 0.0:
            # w += x * (c / wscale), sklearn's WeightVector.add, which recomputes
            # the norms over the row's coordinates (for a sparse row not the full
            # norms; only the penalized objective reads them)
            ws = _as_weight(wscale, w)
            step = c / ws
            l2 = 0.0
            l1 = 0.0
            if sparse:  # one loop, as sklearn's: an index may repeat in a CSR row
                for k in range(start, end):
                    j = np.uint64(indices[k])
                    w[j] += np.float64(data[k]) * step
                    if track_norms:
                        l2 += w[j] * w[j]
                        l1 += abs(w[j])
            else:
                for j in range(nf):
                    w[j] += np.float64(data[start + j]) * step
                if track_norms:
                    for j in range(nf):
                        l2 += w[j] * w[j]
                        l1 += abs(w[j])
            if track_norms:
                sq_norm = l2 * (ws * ws)
                l1_norm = l1 * ws
            n_ahead = 0
            if fit_intercept:
                intercept += update * intercept_decay
        if 0 < average <= t:
            # sklearn's WeightVector.add_average (Bottou's trick), whose loop adds
            # signed zeros only when c == 0
            if c != 0:
                average_step = -c / wscale
                for k in range(start, end):
                    j = np.uint64(indices[k]) if sparse else k - start
                    aw[j] += average_a * data[k] * average_step
            num_iter = _as_weight(t - average + 1, w)
            mu = 1.0 / num_iter
            if num_iter > 1:
                average_b /= 1.0 - mu
            average_a += mu * average_b * wscale
            average_intercept += (intercept - average_intercept) / (t - average + 1)
        if has_l1:
            u += l1_ratio * eta * alpha
            _l1_truncate(w, q, indices, start, end, sparse, u, wscale)
        t += 1
    state[INTERCEPT] = intercept
    state[AVERAGE_INTERCEPT] = average_intercept
    state[WSCALE] = wscale
    state[AVERAGE_A] = average_a
    state[AVERAGE_B] = average_b
    state[U] = u
    state[SQ_NORM] = sq_norm
    state[L1_NORM] = l1_norm
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
                np.zeros(2, dtype=np.uint8), np.arange(2, dtype=np.int32),
                np.empty(2, dtype=dtype), 1, True,
                w, np.zeros(2, dtype=dtype), np.zeros(2, dtype=dtype), state,
                PENALTY_ELASTICNET, 1e-4, 0.15, 1.0, True, 1.0, 1, 1e-9, True,
            )  # fmt: skip
            reset_wscale(w, np.zeros(2, dtype=dtype), state, True)
            all_finite(w)
