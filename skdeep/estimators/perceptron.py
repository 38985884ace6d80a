"""Rosenblatt's perceptron and the averaged perceptron, as a scikit-learn classifier."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted

from skdeep.estimators._fitted import MODEL_DTYPES, fitted_attribute
from skdeep.estimators._fitting import fitting, on_published_model, publish
from skdeep.estimators._persistence import VersionedStateMixin
from skdeep.training.callbacks import start_fit_task
from skdeep.training.perceptron import BinaryProblem, Rows, Weights, train_epochs
from skdeep.utils._compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    validate_data,
)
from skdeep.utils.threads import kernel_threads

__all__ = ["PerceptronClassifier"]

_MAX_INT = np.iinfo(np.int32).max


class PerceptronClassifier(
    VersionedStateMixin, CallbackSupportMixin, ClassifierMixin, BaseEstimator
):
    """Linear perceptron classifier, optionally averaged, trained in Numba kernels.

    A drop-in for :class:`sklearn.linear_model.Perceptron`: the same parameters,
    attributes and arithmetic (plain SGD on the loss ``max(0, -y f(x))`` with a
    constant learning rate ``eta0``), so with the same data and ``random_state`` it
    learns the same ``coef_`` and ``intercept_``, bit for bit (the averaged
    ``coef_`` within a few roundings, see Notes). Multiclass problems are solved
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
        The number of complete epochs run; for multiclass fits the maximum over
        classes.
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

    The one-vs-rest problems of a multiclass fit train side by side, one epoch of
    each at a time, and each stops on scikit-learn's criterion by itself: the model
    is the one scikit-learn's problem-after-problem training gives. An epoch (of
    every problem not yet converged) is one task of scikit-learn's callback API
    (:mod:`sklearn.callback`): ``set_callbacks(ProgressBar())`` shows a live bar,
    ``ScoringMonitor`` scores the model after every epoch (also inside
    :class:`~sklearn.model_selection.GridSearchCV`), and a callback that returns
    True stops training. Callbacks do not change the model. Ctrl-C during
    :meth:`fit` or :meth:`partial_fit` stops training cleanly: the model keeps the
    weights of its last complete epoch, ``n_iter_`` and ``t_`` count the complete
    epochs, and a :class:`~skdeep.exceptions.TrainingInterruptedWarning` says so.

    Same model as scikit-learn on any CPU. The kernels round every operation in
    scikit-learn's order and fuse no multiply-add, so they give the same bits
    whatever CPU Numba compiles for; scikit-learn's per-sample arithmetic is plain
    C that its wheels compile without fused multiply-adds. ``coef_``,
    ``intercept_``, ``n_iter_`` and ``t_`` are therefore those of
    :class:`~sklearn.linear_model.Perceptron` bit for bit, and with ``average`` so
    are the intercept and the non-averaged weights. The averaged
    ``coef_`` is the one exception: scikit-learn computes it (at the end of
    training, and with an L2 penalty whenever the weight scale is folded into the
    weights) with BLAS ``axpy``, which fuses the multiply-add or not depending on
    the CPU and the BLAS build (OpenBLAS with AVX-512 does, its SSE kernels do not);
    skdeep imitates no BLAS and rounds the product and the sum separately, as the
    reference BLAS does. Where scikit-learn's BLAS does not fuse, the averaged
    ``coef_`` is identical; where it does, each averaged weight differs by at most
    ``eps * (|w| + 4 |coef_|)`` (``eps`` of the dtype, ``w`` the non-averaged
    weight) without penalty or with ``'l1'``, and with ``'l2'`` or
    ``'elasticnet'``, where the terms of that sum cancel up to about
    ``1 / (tau ln(1/tau))``-fold (``tau`` = 1e-9 in float64, 1e-6 in float32), by
    about ``1e-8`` (float64) or ``1e-2`` (float32) of the largest averaged weight
    of its class (the tests allow four times that). That is scikit-learn's own
    CPU-to-CPU spread.

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

    Callbacks see every epoch; ``ScoringMonitor`` records the training accuracy
    after each one (and of the fitted model):

    >>> from sklearn.callback import ScoringMonitor
    >>> monitor = ScoringMonitor(scoring="accuracy")
    >>> clf = PerceptronClassifier(max_iter=3, tol=None).set_callbacks(monitor)
    >>> clf.fit(X, y)
    PerceptronClassifier(max_iter=3, tol=None)
    >>> [round(row["accuracy"], 3) for row in monitor.get_logs().data
    ...  if row["task_name"] == "epoch"]
    [0.939, 0.938, 0.948]
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
        """Validate and train a copy of the estimator, and only then publish its
        fitted attributes, in one step (:mod:`skdeep.estimators._fitting`): a
        failed fit changes nothing, a concurrent ``predict`` sees the old model
        or the new one, and a second fit of this object meanwhile is refused."""
        with fitting(self) as model:
            with kernel_threads():
                fitted = model._train(
                    X, y, classes, sample_weight, coef_init, intercept_init,
                    incremental, owner=self,
                )  # fmt: skip
            model.__dict__.update(fitted)
            publish(self, model)
        return self

    def _train(
        self, X, y, classes, sample_weight, coef_init, intercept_init, incremental,
        owner=None,
    ):  # fmt: skip
        """Fit this copy of the estimator; return its fitted attributes. ``owner``
        is the estimator the user called (the callbacks' estimator)."""
        owner = self if owner is None else owner
        first_call = not (incremental and hasattr(self, "classes_"))
        if hasattr(self, "classes_") and (incremental or self.warm_start):
            self._check_fitted_weights()  # what the fit continues from
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
        if np.any(class_weight < 0):
            raise ValueError(
                f"class_weight must be non-negative, got {self.class_weight!r}."
            )
        # What the callbacks receive: the validated weights, if the user gave any.
        weights_given = sample_weight is not None
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
            if coef_init is None and n_features != self.coef_.shape[1]:
                raise ValueError(
                    f"X has {n_features} features, but the model to warm-start was "
                    f"fitted with {self.coef_.shape[1]}; set warm_start=False to "
                    "fit on a different number of features."
                )
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
            if averaging and self._average_coef is None:
                raise ValueError(
                    "average was switched on after the first call to partial_fit; "
                    "call fit to train an averaged perceptron."
                )
            weights = Weights(
                self._standard_coef,
                self._standard_intercept,
                self._average_coef if averaging else None,
                self._average_intercept if averaging else None,
            ).copy()
            t = self.t_
        else:
            coef, intercept = _initial_parameters(
                coef_init, intercept_init, n_out, n_features, X.dtype
            )
            weights = Weights(
                coef,
                intercept,
                np.zeros_like(coef) if averaging else None,
                np.zeros_like(intercept) if averaging else None,
            )
            t = 1.0

        tasks = []  # labels, class weights, validation mask and seed per problem
        if n_classes == 2:
            rng = check_random_state(self.random_state)
            rng.randint(1, _MAX_INT)  # the draw of sklearn's make_dataset
            y_bin = _binary_labels(y, all_classes[1], X.dtype)
            skip = self._validation_mask(y_bin, sample_weight)
            seed = rng.randint(_MAX_INT)
            pair = np.array([class_weight[1], class_weight[0]], dtype=X.dtype)
            tasks.append((y_bin, pair, skip, seed))
        else:
            skip = self._validation_mask(y, sample_weight)
            seeds = check_random_state(self.random_state).randint(
                _MAX_INT, size=n_classes
            )
            for i in range(n_classes):
                rng = np.random.RandomState(seeds[i])
                rng.randint(1, _MAX_INT)
                seed = rng.randint(_MAX_INT)
                pair = np.array([class_weight[i], 1.0], dtype=X.dtype)
                y_bin = _binary_labels(y, all_classes[i], X.dtype)
                tasks.append((y_bin, pair, skip, seed))
        rows = Rows(X)
        problems = [
            BinaryProblem(self, rows, X, sample_weight, *task, weights, i, t)
            for i, task in enumerate(tasks)
        ]

        def fitted_attributes(model):
            n_iter = max(problem.n_iter for problem in problems)
            return self._fitted_attributes(
                all_classes, class_weight, model, n_iter, t + n_iter * n_samples
            )

        metadata = {"sample_weight": sample_weight} if weights_given else None
        max_iter = 1 if incremental else self.max_iter
        fit_task, callbacks = start_fit_task(
            owner, X, y, metadata, max_iter, fitted_attributes
        )
        n_threads = 1  # a binary fit never reads n_jobs, as in scikit-learn
        if len(problems) > 1:
            n_threads = min(effective_n_jobs(self.n_jobs), len(problems))
        train_epochs(problems, max_iter, n_threads, callbacks, weights)
        for i, problem in enumerate(problems):
            problem.write_model(weights, i)
        if averaging and not (
            np.isfinite(weights.avg_coef).all()
            and np.isfinite(weights.avg_intercept).all()
        ):
            # The plain weights are checked every epoch; their average can still
            # overflow (scikit-learn's SGDClassifier then returns NaN).
            raise ValueError(
                "Floating-point under-/overflow occurred in the averaged weights. "
                "Scaling input data with StandardScaler or MinMaxScaler might help."
            )
        fitted = fitted_attributes(weights)
        if (
            not incremental
            and self.tol is not None
            and fitted["n_iter_"] == self.max_iter
        ):
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if fit_task is not None:
            fit_task.call_on_fit_task_end(
                estimator=owner,
                X=X,
                y=y,
                metadata=metadata,
                reconstruction_attributes=fitted,
            )
        return fitted

    def _fitted_attributes(self, classes, class_weight, model, n_iter, t):
        """The attributes of a model trained ``n_iter`` epochs, ``t_ = t``."""
        fitted = {
            "classes_": classes,
            "_standard_coef": model.coef,
            "_standard_intercept": model.intercept,
            "_average_coef": model.avg_coef,
            "_average_intercept": model.avg_intercept,
            "_expanded_class_weight": class_weight,
            "t_": t,
            "n_iter_": n_iter,
        }
        # The input checks of the callbacks' model of an epoch read these too.
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, name):
                fitted[name] = getattr(self, name)
        if model.avg_coef is not None and self.average <= t - 1:
            fitted["coef_"], fitted["intercept_"] = model.avg_coef, model.avg_intercept
        else:
            fitted["coef_"], fitted["intercept_"] = model.coef, model.intercept
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

    # --------------------------------------------------------------- inference
    def _check_fitted_weights(self) -> tuple:
        """``(coef_, intercept_)``, checked against ``classes_`` and
        ``n_features_in_`` (and, for ``partial_fit``, the weights it continues
        from), with a ValueError naming the attribute that does not fit."""
        check_is_fitted(self)
        classes = fitted_attribute(self, "classes_")
        n_features = fitted_attribute(self, "n_features_in_")
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 2:
            raise ValueError(
                f"classes_ must be an array of at least 2 classes, got {classes!r}."
            )
        n_out = 1 if len(classes) == 2 else len(classes)
        shapes = {
            "coef_": (n_out, n_features),
            "intercept_": (n_out,),
            "_standard_coef": (n_out, n_features),
            "_standard_intercept": (n_out,),
            "_average_coef": (n_out, n_features),
            "_average_intercept": (n_out,),
        }
        for name, shape in shapes.items():
            value = fitted_attribute(self, name)
            if value is None and name.startswith("_average"):
                continue  # not averaged
            array = value.toarray() if name == "coef_" and sp.issparse(value) else value
            if not (
                isinstance(array, np.ndarray)
                and array.shape == shape
                and array.dtype in MODEL_DTYPES
            ):
                got = (
                    f"shape {array.shape} and dtype {array.dtype}"
                    if isinstance(array, np.ndarray)
                    else f"a {type(value).__name__}"
                )
                raise ValueError(
                    f"{name} must be a float32 or float64 array of shape {shape} "
                    f"for {len(classes)} classes and {n_features} features "
                    f"(classes_, n_features_in_), got {got}; fit the model again."
                )
        internal = ("_standard_coef", "_standard_intercept", "_average_coef",
                    "_average_intercept")  # fmt: skip
        dtypes = {getattr(getattr(self, n), "dtype", None) for n in internal}
        dtypes.discard(None)  # not averaged
        if len(dtypes) > 1:
            raise ValueError(
                f"The fitted weights ({', '.join(internal)}) must share one dtype, "
                f"got {sorted(str(d) for d in dtypes)}; fit the model again."
            )
        return self.coef_, self.intercept_

    @on_published_model
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
        coef, intercept = self._check_fitted_weights()
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = safe_sparse_dot(X, coef.T, dense_output=True) + intercept
        return scores.ravel() if scores.shape[1] == 1 else scores

    @on_published_model
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
