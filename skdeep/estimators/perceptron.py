"""Rosenblatt's perceptron and the averaged perceptron, as a scikit-learn classifier."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted

from skdeep._kernels import perceptron as kernels
from skdeep.estimators._persistence import VersionedStateMixin
from skdeep.utils._compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    validate_data,
)

__all__ = ["PerceptronClassifier"]

_MAX_INT = np.iinfo(np.int32).max
_PENALTIES = {
    None: kernels.PENALTY_NONE,
    "l1": kernels.PENALTY_L1,
    "l2": kernels.PENALTY_L2,
    "elasticnet": kernels.PENALTY_ELASTICNET,
}
# sklearn's ``SPARSE_INTERCEPT_DECAY``: intercept steps are damped for sparse X.
_SPARSE_INTERCEPT_DECAY = 0.01
# ``WeightVector`` folds ``wscale`` into the weights below these values.
_RESET_WSCALE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-6}


class _Rows:
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


class PerceptronClassifier(VersionedStateMixin, ClassifierMixin, BaseEstimator):
    """Linear perceptron classifier, optionally averaged, trained in Numba kernels.

    A drop-in for :class:`sklearn.linear_model.Perceptron`: the same parameters,
    attributes and arithmetic (plain SGD on the loss ``max(0, -y f(x))`` with a
    constant learning rate ``eta0``), so with the same data and ``random_state`` it
    learns the same ``coef_`` and ``intercept_``. Multiclass problems are solved
    one-vs-rest. With ``average``, the model returned is the average of the weight
    vectors over the updates (the averaged perceptron, as ``SGDClassifier``'s
    ``average``), which generalizes better on noisy data.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'}, default=None
        The penalty (aka regularization term) to be used.
    alpha : float, default=0.0001
        Constant that multiplies the regularization term if regularization is used.
    l1_ratio : float, default=0.15
        The Elastic Net mixing parameter, with ``0 <= l1_ratio <= 1``. Only used if
        ``penalty='elasticnet'``.
    fit_intercept : bool, default=True
        Whether the intercept should be estimated or not.
    max_iter : int, default=1000
        The maximum number of passes over the training data (epochs) in ``fit``.
        :meth:`partial_fit` always makes one pass.
    tol : float or None, default=1e-3
        The stopping criterion: training stops when the training objective (or the
        validation score with ``early_stopping``) has not improved by at least
        ``tol`` for ``n_iter_no_change`` consecutive epochs. ``None`` disables it.
    shuffle : bool, default=True
        Whether the training data is shuffled before each epoch.
    verbose : int, default=0
        The verbosity level.
    eta0 : float, default=1
        Constant by which the updates are multiplied.
    n_jobs : int, default=None
        The number of threads that train the one-vs-rest problems of a multiclass
        fit. Results do not depend on it. ``None`` means 1 unless in a
        :obj:`joblib.parallel_backend` context, ``-1`` means all processors.
    random_state : int, RandomState instance or None, default=0
        Seeds the shuffling (and the validation split of ``early_stopping``). The
        shuffling order is scikit-learn's, so the same seed gives the same model.
    early_stopping : bool, default=False
        Whether to set aside a stratified ``validation_fraction`` of the training
        data and stop when the validation accuracy stops improving.
    validation_fraction : float, default=0.1
        The proportion of training data set aside for early stopping.
    n_iter_no_change : int, default=5
        Number of epochs with no improvement to wait before stopping.
    class_weight : dict, {class_label: weight} or "balanced", default=None
        Weights associated with classes; ``"balanced"`` uses
        ``n_samples / (n_classes * np.bincount(y))``. Multiplies ``sample_weight``.
    warm_start : bool, default=False
        When True, ``fit`` starts from the previous solution.
    average : bool or int, default=False
        When True, compute the averaged weights over all updates and store them in
        ``coef_``; when an int greater than 1, start averaging once that many
        samples have been seen.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The unique class labels.
    coef_ : ndarray of shape (1, n_features) if n_classes == 2 else \
            (n_classes, n_features)
        Weights assigned to the features; the dtype of the training data
        (float32 or float64), as in scikit-learn.
    intercept_ : ndarray of shape (1,) if n_classes == 2 else (n_classes,)
        Constants in the decision function.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature
        names that are all strings.
    n_iter_ : int
        The number of epochs run; for multiclass fits the maximum over classes.
    t_ : int
        Number of weight updates performed during training, ``n_iter_ * n_samples
        + 1``.

    See Also
    --------
    sklearn.linear_model.Perceptron : The scikit-learn estimator this reproduces.
    sklearn.linear_model.SGDClassifier : Linear classifiers trained with SGD.

    Notes
    -----
    Training runs one compiled kernel call per epoch and per class on the raw
    arrays (CSR ``data``/``indices``/``indptr`` or the dense rows). float32 input is
    trained in float32, with the roundings of scikit-learn's float32 path, and
    ``coef_`` is float32 then, as in scikit-learn.

    Deliberate differences from scikit-learn: negative sample weights are
    rejected; a fit that fails leaves the fitted model untouched; ``coef_init`` is
    copied, not trained in place; with ``average``, later :meth:`partial_fit` calls
    continue from the non-averaged intercept (scikit-learn loses it after the
    first call).

    References
    ----------
    Rosenblatt, F. (1958). The perceptron: a probabilistic model for information
    storage and organization in the brain. Psychological Review 65(6).

    Freund, Y. and Schapire, R. E. (1999). Large margin classification using the
    perceptron algorithm. Machine Learning 37(3).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep.estimators.perceptron import PerceptronClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = PerceptronClassifier(tol=1e-3, random_state=0)
    >>> clf.fit(X, y)
    PerceptronClassifier()
    >>> round(clf.score(X, y), 3)
    0.939
    >>> avg = PerceptronClassifier(average=True, random_state=0).fit(X, y)
    >>> avg.coef_.shape
    (10, 64)
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
    }

    def __init__(
        self,
        *,
        penalty: str | None = None,
        alpha: float = 0.0001,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        shuffle: bool = True,
        verbose: int = 0,
        eta0: float = 1.0,
        n_jobs: int | None = None,
        random_state=0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        class_weight=None,
        warm_start: bool = False,
        average: bool | int = False,
    ) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.eta0 = eta0
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X, y, coef_init=None, intercept_init=None, sample_weight=None
    ) -> "PerceptronClassifier":
        """Fit the perceptron with stochastic gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        coef_init : ndarray of shape (n_classes, n_features), default=None
            The initial coefficients to warm-start the optimization.
        intercept_init : ndarray of shape (n_classes,), default=None
            The initial intercept to warm-start the optimization.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, multiplied with ``class_weight``.
            If not provided, uniform weights are assumed.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(
            X,
            y,
            classes=None,
            sample_weight=sample_weight,
            coef_init=coef_init,
            intercept_init=intercept_init,
            incremental=False,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X, y, classes=None, sample_weight=None
    ) -> "PerceptronClassifier":
        """Perform one epoch of stochastic gradient descent on given samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Subset of the training data.
        y : array-like of shape (n_samples,)
            Subset of the target values.
        classes : array-like of shape (n_classes,), default=None
            Classes across all calls to ``partial_fit``; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if not hasattr(self, "classes_"):
            if self.early_stopping:
                raise ValueError("early_stopping should be False with partial_fit")
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. "
                    "Use compute_class_weight('balanced', classes=classes, y=y) on "
                    "a large enough sample of the targets and pass the resulting "
                    "weights as the class_weight parameter."
                )
        return self._fit(
            X,
            y,
            classes=classes,
            sample_weight=sample_weight,
            coef_init=None,
            intercept_init=None,
            incremental=True,
        )

    def _fit(
        self, X, y, classes, sample_weight, coef_init, intercept_init, incremental
    ):
        """Validate, train on copies, and only then publish the fitted attributes."""
        saved = {
            k: self.__dict__[k]
            for k in ("n_features_in_", "feature_names_in_")
            if k in self.__dict__
        }
        try:
            fitted = self._train(
                X, y, classes, sample_weight, coef_init, intercept_init, incremental
            )
        except BaseException:
            for k in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(k, None)
            self.__dict__.update(saved)
            raise
        self.__dict__.update(fitted)
        return self

    def _train(
        self, X, y, classes, sample_weight, coef_init, intercept_init, incremental
    ):
        first_call = not (incremental and hasattr(self, "classes_"))
        dtype = [np.float64, np.float32]
        if not first_call:
            dtype = self._standard_coef.dtype
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=dtype,
            order="C",
            accept_large_sparse=False,
            reset=first_call,
        )
        check_classification_targets(y)
        if incremental:
            if first_call:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit."
                    )
                all_classes = unique_labels(classes)
            else:
                all_classes = self.classes_
                if classes is not None and not np.array_equal(
                    self.classes_, unique_labels(classes)
                ):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on last call to "
                        f"partial_fit, was: {self.classes_!r}"
                    )
        else:
            all_classes = np.unique(y)
        n_classes = all_classes.shape[0]
        if n_classes < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got "
                f"{n_classes} class"
            )
        class_weight = compute_class_weight(self.class_weight, classes=all_classes, y=y)
        sample_weight = _check_sample_weight(
            sample_weight,
            X,
            dtype=X.dtype,
            ensure_non_negative=True,
            allow_all_zero_weights=self.early_stopping,
        )
        n_samples, n_features = X.shape
        n_out = 1 if n_classes == 2 else n_classes
        averaging = self.average > 0

        # Starting point: copies, so that a failing fit changes nothing.
        if not incremental and self.warm_start and hasattr(self, "coef_"):
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = (
                self.intercept_ if intercept_init is None else intercept_init
            )
        if incremental and not first_call:
            if n_features != self._standard_coef.shape[1]:
                raise ValueError(
                    f"Number of features {n_features} does not match previous "
                    f"data {self._standard_coef.shape[1]}."
                )
            coef = self._standard_coef.copy()
            intercept = self._standard_intercept.copy()
            avg_coef = self._average_coef.copy() if averaging else None
            avg_intercept = self._average_intercept.copy() if averaging else None
            t = self.t_
        else:
            coef, intercept = _initial_parameters(
                coef_init, intercept_init, n_out, n_features, X.dtype
            )
            avg_coef = np.zeros_like(coef) if averaging else None
            avg_intercept = np.zeros_like(intercept) if averaging else None
            t = 1.0

        rows = _Rows(X)
        max_iter = 1 if incremental else self.max_iter
        tasks = []
        if n_classes == 2:
            rng = check_random_state(self.random_state)
            rng.randint(1, _MAX_INT)  # the draw of sklearn's make_dataset
            y_bin = _binary_labels(y, all_classes[1], X.dtype)
            skip = self._validation_mask(y_bin, sample_weight)
            seed = rng.randint(_MAX_INT)
            weights = np.array([class_weight[1], class_weight[0]], dtype=X.dtype)
            tasks.append((0, y_bin, weights, skip, seed))
        else:
            skip = self._validation_mask(y, sample_weight)
            seeds = check_random_state(self.random_state).randint(
                _MAX_INT, size=n_classes
            )
            for i in range(n_classes):
                rng = np.random.RandomState(seeds[i])
                rng.randint(1, _MAX_INT)
                seed = rng.randint(_MAX_INT)
                weights = np.array([class_weight[i], 1.0], dtype=X.dtype)
                y_bin = _binary_labels(y, all_classes[i], X.dtype)
                tasks.append((i, y_bin, weights, skip, seed))

        def run(task):
            i, y_bin, weights, skip, seed = task
            return self._fit_binary(
                rows,
                X,
                y_bin,
                sample_weight,
                weights,
                skip,
                seed,
                coef[i],
                intercept[i : i + 1],
                None if avg_coef is None else avg_coef[i],
                None if avg_intercept is None else avg_intercept[i : i + 1],
                t,
                max_iter,
            )

        if len(tasks) > 1 and self.n_jobs not in (None, 1):
            n_iters = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(run)(task) for task in tasks
            )
        else:
            n_iters = [run(task) for task in tasks]
        n_iter = max(n_iters)
        t_new = t + n_iter * n_samples

        if not incremental and self.tol is not None and n_iter == self.max_iter:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
                stacklevel=3,
            )

        fitted = {
            "classes_": all_classes,
            "_standard_coef": coef,
            "_standard_intercept": intercept,
            "_average_coef": avg_coef,
            "_average_intercept": avg_intercept,
            "_expanded_class_weight": class_weight,
            "t_": t_new,
            "n_iter_": n_iter,
        }
        if averaging and self.average <= t_new - 1:
            fitted["coef_"], fitted["intercept_"] = avg_coef, avg_intercept
        else:
            fitted["coef_"], fitted["intercept_"] = coef, intercept
        return fitted

    def _validation_mask(self, y, sample_weight):
        """uint8 mask of the early-stopping validation samples (sklearn's split)."""
        n_samples = y.shape[0]
        mask = np.zeros(n_samples, dtype=np.uint8)
        if not self.early_stopping:
            return mask
        from sklearn.model_selection import StratifiedShuffleSplit  # slow import

        cv = StratifiedShuffleSplit(
            test_size=self.validation_fraction, random_state=self.random_state
        )
        idx_train, idx_val = next(cv.split(np.zeros((n_samples, 1)), y))
        if not np.any(sample_weight[idx_val] > 0):
            raise ValueError(
                "The sample weights for validation set are all zero, consider using a"
                " different random state."
            )
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(
                f"Splitting {n_samples} samples into a train set and a validation "
                f"set with validation_fraction={self.validation_fraction!r} led to "
                "an empty set. Please either change validation_fraction, increase "
                "number of samples, or disable early_stopping."
            )
        mask[idx_val] = 1
        return mask

    def _fit_binary(
        self,
        rows,
        X,
        y,
        sample_weight,
        class_weight,
        skip,
        seed,
        w,
        intercept,
        aw,
        avg_intercept,
        t,
        max_iter,
    ):
        """Train one one-vs-rest problem in place; return the number of epochs."""
        averaging = aw is not None
        state = kernels.new_state(
            float(intercept[0]), float(avg_intercept[0]) if averaging else 0.0
        )
        state[kernels.T] = t
        with np.errstate(over="ignore"):
            state[kernels.SQ_NORM] = float(np.dot(w, w))
            state[kernels.L1_NORM] = float(np.abs(w).sum())
        penalty = _PENALTIES[self.penalty]
        q = np.zeros_like(w) if penalty in (1, 3) else np.zeros(0, dtype=w.dtype)
        aw_buf = aw if averaging else np.zeros(0, dtype=w.dtype)
        order = np.arange(rows.n_samples, dtype=np.int32)
        tol = -np.inf if self.tol is None else self.tol
        track_loss = bool(self.verbose) or not self.early_stopping
        train_count = rows.n_samples - int(skip.sum())
        if self.early_stopping:
            val = skip.astype(bool)
            X_val, y_val, sw_val = X[val], y[val], sample_weight[val]
        best, no_improvement = (-np.inf if self.early_stopping else np.inf), 0
        for epoch in range(max_iter):
            if self.verbose > 0:
                print(f"-- Epoch {epoch + 1}")
            kernels.perceptron_epoch(
                rows.data,
                rows.indices,
                rows.indptr,
                rows.n_features,
                rows.sparse,
                y,
                sample_weight,
                class_weight,
                skip,
                order,
                seed,
                bool(self.shuffle),
                w,
                aw_buf,
                q,
                state,
                penalty,
                float(self.alpha),
                float(self.l1_ratio),
                float(self.eta0),
                bool(self.fit_intercept),
                _SPARSE_INTERCEPT_DECAY if rows.sparse else 1.0,
                int(self.average),
                _RESET_WSCALE[w.dtype],
                track_loss,
            )
            if not (np.isfinite(state[kernels.INTERCEPT]) and kernels.all_finite(w)):
                raise ValueError(
                    f"Floating-point under-/overflow occurred at epoch #{epoch + 1}. "
                    "Scaling input data with StandardScaler or MinMaxScaler might "
                    "help."
                )
            if self.early_stopping:
                # sklearn scores the raw weights (without wscale) here
                score = _accuracy(X_val, y_val, sw_val, w, state[kernels.INTERCEPT])
                improved = not (tol > -np.inf and score < best + tol)
                best = max(best, score)
                message = f", Validation score: {score:f}"
            else:
                objective = state[kernels.OBJECTIVE] / train_count
                improved = not (tol > -np.inf and objective > best - tol)
                best = min(best, objective)
                message = ""
            if self.verbose > 0:
                true_w = w * state[kernels.WSCALE]
                print(
                    f"Norm: {np.linalg.norm(true_w):.2f}, "
                    f"NNZs: {np.count_nonzero(true_w)}, "
                    f"Bias: {state[kernels.INTERCEPT]:.6f}, "
                    f"T: {(epoch + 1) * train_count}, "
                    f"Avg. loss: {state[kernels.SUMLOSS] / train_count:f}{message}"
                )
            no_improvement = 0 if improved else no_improvement + 1
            if no_improvement >= self.n_iter_no_change:
                if self.verbose:
                    print(f"Convergence after {epoch + 1} epochs")
                break
        kernels.reset_wscale(w, aw_buf, state, averaging)
        intercept[0] = state[kernels.INTERCEPT]
        if averaging:
            avg_intercept[0] = state[kernels.AVERAGE_INTERCEPT]
        return epoch + 1

    # --------------------------------------------------------------- inference
    def decision_function(self, X) -> np.ndarray:
        """Predict confidence scores for samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data matrix for which we want to get the confidence scores.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Signed distances to the hyperplanes; for binary problems, positive
            values predict ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """Predict class labels for samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data matrix for which we want to get the predictions.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The predicted class of each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            indices = (scores > 0).astype(int)
        else:
            indices = scores.argmax(axis=1)
        return self.classes_[indices]

    def densify(self) -> "PerceptronClassifier":
        """Convert a sparse ``coef_`` back to a dense numpy array.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self) -> "PerceptronClassifier":
        """Convert ``coef_`` to a ``scipy.sparse`` CSR matrix.

        Further training continues from the dense weights kept internally.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _binary_labels(y, positive, dtype):
    """+1 where ``y == positive``, -1 elsewhere, in the weight dtype."""
    y_bin = np.ones(y.shape, dtype=dtype)
    y_bin[y != positive] = -1.0
    return y_bin


def _initial_parameters(coef_init, intercept_init, n_out, n_features, dtype):
    """Writable ``(n_out, n_features)`` weights and ``(n_out,)`` intercepts."""
    if coef_init is None:
        coef = np.zeros((n_out, n_features), dtype=dtype)
    else:
        if sp.issparse(coef_init):
            coef_init = coef_init.toarray()
        coef = np.array(coef_init, dtype=dtype, order="C", copy=True)
        if coef.size != n_out * n_features or (n_out > 1 and coef.ndim != 2):
            raise ValueError("Provided coef_init does not match dataset.")
        coef = coef.reshape(n_out, n_features)
    if intercept_init is None:
        intercept = np.zeros(n_out, dtype=dtype)
    else:
        intercept = np.array(intercept_init, dtype=dtype, copy=True).reshape(-1)
        if intercept.shape != (n_out,):
            raise ValueError("Provided intercept_init does not match dataset.")
    return coef, intercept


def _accuracy(X, y, sample_weight, w, intercept):
    """Weighted accuracy of ``sign(X w + b)`` against ``y`` in {-1, +1}."""
    scores = safe_sparse_dot(X, w.reshape(1, -1).T, dense_output=True) + intercept
    pred = np.where(scores.ravel() > 0, 1.0, -1.0)
    return float(np.average(pred == y, weights=sample_weight))
