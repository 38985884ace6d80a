"""Training of the perceptron's one-vs-rest problems, side by side, one compiled
epoch per problem at a time (the kernels are in :mod:`skdeep._kernels.perceptron`).
"""

import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from skdeep._kernels import codes
from skdeep._kernels import perceptron as kernels
from skdeep.exceptions import TrainingInterruptedWarning

# sklearn's ``SPARSE_INTERCEPT_DECAY``: intercept steps are damped for sparse X.
SPARSE_INTERCEPT_DECAY = 0.01
# ``WeightVector`` folds ``wscale`` into the weights below these values.
RESET_WSCALE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-6}


class Rows:
    """Training rows as the kernels read them: CSR arrays, or a raveled dense X."""

    def __init__(self, X):
        self.n_samples, self.n_features = X.shape
        self.sparse = sp.issparse(X)
        if self.sparse:
            self.data = np.ascontiguousarray(X.data)
            self.indices = np.ascontiguousarray(X.indices, dtype=np.int32)
            self.indptr = np.ascontiguousarray(X.indptr, dtype=np.int32)
        else:
            self.data = np.ascontiguousarray(X).reshape(-1)
            self.indices = np.empty(0, dtype=np.int32)
            self.indptr = np.empty(0, dtype=np.int32)


class Weights(NamedTuple):
    """Weights of a fit, one row per one-vs-rest problem; the averaged ones are
    None without ``average``."""

    coef: np.ndarray
    intercept: np.ndarray
    avg_coef: np.ndarray | None
    avg_intercept: np.ndarray | None

    def copy(self) -> "Weights":
        return Weights(*(None if a is None else a.copy() for a in self))

    def empty_like(self) -> "Weights":
        return Weights(*(None if a is None else np.empty_like(a) for a in self))


class BinaryProblem:
    """One one-vs-rest problem, trained in place one epoch at a time.

    It trains row ``i`` of the fit's :class:`Weights`, kept raw during training
    (the true weights are ``state[WSCALE] * w``); ``state`` carries the kernel's
    scalars (intercepts, ``wscale``, averaging, ``t``) between epochs. Each problem
    applies scikit-learn's stopping rule on its own, so training the problems side
    by side, epoch by epoch, gives the model that training them one after the other
    (as scikit-learn does) gives.
    """

    def __init__(
        self,
        estimator,
        rows,
        X,
        sample_weight,
        y,
        class_weight,
        skip,
        seed,
        weights,
        i,
        t,
    ):
        self.estimator = estimator
        self.rows = rows
        self.y = y
        self.sample_weight = sample_weight
        self.class_weight = class_weight
        self.skip = skip
        self.seed = seed
        self.w = weights.coef[i]
        self.averaging = weights.avg_coef is not None
        empty = np.zeros(0, dtype=self.w.dtype)
        self.aw = weights.avg_coef[i] if self.averaging else empty
        self.state = kernels.new_state(
            float(weights.intercept[i]),
            float(weights.avg_intercept[i]) if self.averaging else 0.0,
        )
        self.state[kernels.T] = t
        with np.errstate(over="ignore"):
            self.state[kernels.SQ_NORM] = float(np.dot(self.w, self.w))
            self.state[kernels.L1_NORM] = float(np.abs(self.w).sum())
        self.penalty = codes.PENALTY_CODES[estimator.penalty]
        l1 = self.penalty in (codes.PENALTY_L1, codes.PENALTY_ELASTICNET)
        self.q = np.zeros_like(self.w) if l1 else empty
        self.order = np.arange(rows.n_samples, dtype=np.int32)
        self.visit = np.empty(rows.n_samples, dtype=self.w.dtype)  # kernel scratch
        self.tol = -np.inf if estimator.tol is None else estimator.tol
        self.track_loss = bool(estimator.verbose) or not estimator.early_stopping
        self.train_count = rows.n_samples - int(skip.sum())
        if estimator.early_stopping:
            val = skip.astype(bool)
            self.validation = X[val], y[val], sample_weight[val]
        self.best = -np.inf if estimator.early_stopping else np.inf
        self.no_improvement = 0
        self.n_iter = 0
        self.converged = False
        # Where save() keeps the weights an open epoch may have to give back.
        self._saved = (self.w.copy(), self.aw.copy(), self.state.copy())
        self._saved_n_iter = 0

    def run_epoch(self) -> None:
        """Train one epoch; refuse non-finite weights; apply the stopping rule."""
        est, rows, state = self.estimator, self.rows, self.state
        if est.verbose > 0:
            print(f"-- Epoch {self.n_iter + 1}")
        kernels.perceptron_epoch(
            rows.data, rows.indices, rows.indptr, rows.n_features, rows.sparse,
            self.y, self.sample_weight, self.class_weight, self.skip, self.order,
            self.visit, self.seed, bool(est.shuffle), self.w, self.aw, self.q, state,
            self.penalty, float(est.alpha), float(est.l1_ratio), float(est.eta0),
            bool(est.fit_intercept),
            SPARSE_INTERCEPT_DECAY if rows.sparse else 1.0,
            int(est.average), RESET_WSCALE[self.w.dtype], self.track_loss,
        )  # fmt: skip
        self.n_iter += 1
        if not (np.isfinite(state[kernels.INTERCEPT]) and kernels.all_finite(self.w)):
            raise ValueError(
                f"Floating-point under-/overflow occurred at epoch #{self.n_iter}. "
                "Scaling input data with StandardScaler or MinMaxScaler might help."
            )
        if est.early_stopping:
            # sklearn scores the raw weights (without wscale) here
            score = _accuracy(*self.validation, self.w, state[kernels.INTERCEPT])
            improved = not (self.tol > -np.inf and score < self.best + self.tol)
            self.best = max(self.best, score)
            message = f", Validation score: {score:f}"
        else:
            objective = state[kernels.OBJECTIVE] / self.train_count
            improved = not (self.tol > -np.inf and objective > self.best - self.tol)
            self.best = min(self.best, objective)
            message = ""
        if est.verbose > 0:
            true_w = self.w * state[kernels.WSCALE]
            print(
                f"Norm: {np.linalg.norm(true_w):.2f}, "
                f"NNZs: {np.count_nonzero(true_w)}, "
                f"Bias: {state[kernels.INTERCEPT]:.6f}, "
                f"T: {self.n_iter * self.train_count}, "
                f"Avg. loss: {state[kernels.SUMLOSS] / self.train_count:f}{message}"
            )
        self.no_improvement = 0 if improved else self.no_improvement + 1
        if self.no_improvement >= est.n_iter_no_change:
            self.converged = True
            if est.verbose:
                print(f"Convergence after {self.n_iter} epochs")

    def save(self) -> None:
        """Keep what the published model reads, before an epoch changes it."""
        for saved, live in zip(self._saved, (self.w, self.aw, self.state)):
            saved[:] = live
        self._saved_n_iter = self.n_iter

    def restore(self) -> None:
        """Give back an epoch that did not complete (Ctrl-C): the state of save()."""
        for saved, live in zip(self._saved, (self.w, self.aw, self.state)):
            live[:] = saved
        self.n_iter = self._saved_n_iter

    def write_model(self, out: Weights, i: int) -> None:
        """Write the model as published (``wscale`` folded into the weights) into
        row ``i`` of ``out``; ``out`` may be the weights being trained."""
        state = self.state.copy()
        w = out.coef[i]
        w[:] = self.w
        aw = self.aw
        if self.averaging:
            aw = out.avg_coef[i]
            aw[:] = self.aw
        kernels.reset_wscale(w, aw, state, self.averaging)
        out.intercept[i] = state[kernels.INTERCEPT]
        if self.averaging:
            out.avg_intercept[i] = state[kernels.AVERAGE_INTERCEPT]


def train_epochs(problems, max_iter, n_threads, callbacks, weights) -> None:
    """Train ``problems`` side by side for up to ``max_iter`` epochs.

    Each epoch runs one epoch of every problem that has not converged (in
    ``n_threads`` threads), then hands the callbacks (an
    :class:`~skdeep.training.callbacks.EpochCallbacks` or None) the model as it
    stands; a callback can stop training. Ctrl-C stops training cleanly: an epoch
    that had started is given back by every problem, so the model is the one a fit
    of that many complete epochs returns, and a
    :class:`~skdeep.exceptions.TrainingInterruptedWarning` says so.
    """
    active = problems
    epoch_open = False
    try:
        with _epoch_runner(n_threads) as run_epoch:
            for _ in range(max_iter):
                for problem in active:
                    problem.save()
                if callbacks is not None:
                    callbacks.begin()
                epoch_open = True
                run_epoch(active)
                epoch_open = False
                active = [problem for problem in active if not problem.converged]
                if callbacks is not None:
                    model = weights.empty_like()
                    for i, problem in enumerate(problems):
                        problem.write_model(model, i)
                    if callbacks.end(model):
                        break
                if not active:
                    break
    except KeyboardInterrupt:
        if epoch_open:
            for problem in active:
                problem.restore()
        if callbacks is not None:
            callbacks.abandon()
        warnings.warn(
            "Training interrupted by user; the model keeps the weights of its last "
            "complete epoch.",
            TrainingInterruptedWarning,
            stacklevel=4,
        )


@contextmanager
def _epoch_runner(n_threads: int):
    """Yield ``run(problems)``, which trains one epoch of each problem, in
    ``n_threads`` threads (the kernel releases the GIL)."""
    if n_threads <= 1:
        yield lambda problems: [problem.run_epoch() for problem in problems]
        return
    # On leaving, the pool waits for its running epochs, so that an interrupted
    # epoch is given back only once no thread writes to the weights any more.
    with ThreadPoolExecutor(n_threads) as pool:
        yield lambda problems: list(pool.map(BinaryProblem.run_epoch, problems))


def _accuracy(X, y, sample_weight, w, intercept):
    """Weighted accuracy of ``sign(X w + b)`` against ``y`` in {-1, +1}."""
    scores = safe_sparse_dot(X, w.reshape(1, -1).T, dense_output=True) + intercept
    pred = np.where(scores.ravel() > 0, 1.0, -1.0)
    return float(np.average(pred == y, weights=sample_weight))
