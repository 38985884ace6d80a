"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's."""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skdeep.estimators._mlp_base import STOCHASTIC_SOLVERS, BaseMLP
from skdeep.estimators._mlp_docs import (
    CLASS_WEIGHT_PARAMETER,
    CLASSES_ATTRIBUTE,
    CLASSIFIER_OUT_ACTIVATION,
    SHARED_ATTRIBUTES,
    SHARED_PARAMETERS,
)
from skdeep.utils._compat import StrOptions, _fit_context, validate_data


def _check_stochastic(estimator) -> bool:
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):
    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        lr_decay=0.95,
        lr_step_size=10,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )
        self.class_weight = class_weight

    # ----------------------------------------------------------- targets
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            if not incremental and unique_labels(y).shape[0] < 2:
                raise ValueError(
                    "MLPClassifier needs samples of at least 2 classes in y; got 1 "
                    f"class: {unique_labels(y)[0]!r}."
                )
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y).astype(bool)
        return X, Y

    def _effective_sample_weight(self, sample_weight, y):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(
            self.class_weight,
            column_or_1d(y) if np.ndim(y) == 2 and np.shape(y)[1] == 1 else y,
        )
        if np.any(weights < 0):
            raise ValueError(
                f"class_weight must be non-negative, got {self.class_weight!r}."
            )
        if sample_weight is None:
            return weights
        return sample_weight * weights

    def _out_activation(self, Y):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _stratify(self, Y):
        # scikit-learn stratifies the early-stopping split only when the binarized
        # target has one column (binary problems).
        return Y.astype(bool) if Y.shape[1] == 1 else None

    def _output_to_prediction(self, P):
        if P.shape[1] == 1:
            P = P.ravel()
        return self._label_binarizer.inverse_transform(P)

    def _validation_targets(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _score_function(self, y_true, y_pred, sample_weight=None):
        from sklearn.metrics import accuracy_score  # slow import

        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    # ----------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target labels (a label-indicator matrix for multilabel).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(_check_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            All classes across calls; required on the first call.

        Returns
        -------
        self : object
            The updated model.
        """
        saved_state = dict(self.__dict__)
        try:
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    if len(self.classes_) < 2:
                        raise ValueError(
                            f"{type(self).__name__} needs at least 2 classes; got "
                            f"classes={self.classes_!r}."
                        )
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight=sample_weight, incremental=True)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._output_to_prediction(self._network_output(X))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        P = self._network_output(X)
        if P.shape[1] == 1 and len(self.classes_) == 2:
            p = P.ravel()
            return np.vstack([1 - p, p]).T
        return P

    def predict_log_proba(self, X):
        """Log of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        lr_decay=0.95,
        lr_step_size=10,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative targets y.")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, Y

    def _out_activation(self, Y):
        return "exp" if self.loss == "poisson" else "identity"

    def _output_to_prediction(self, P):
        return P.ravel() if P.shape[1] == 1 else P

    def _validation_targets(self, Y_val):
        return self._output_to_prediction(Y_val)

    def _score_function(self, y_true, y_pred, sample_weight=None):
        from sklearn.metrics import r2_score  # slow import

        return r2_score(y_true, y_pred, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(_check_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Unlike scikit-learn 1.9, ``partial_fit`` does not exist for
        ``solver='lbfgs'`` (scikit-learn silently runs a full fit there).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._output_to_prediction(self._network_output(X))


MLPClassifier.__doc__ = f"""Multi-layer perceptron classifier, trained in Numba kernels.

A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: same
parameters, defaults, attributes and results (from the same initial weights it
computes the same updates), plus ``dropout``, the 'adagrad' and 'rmsprop' solvers,
the 'exponential' and 'step' schedules and ``class_weight``. Optimizes log-loss
with a softmax output (multiclass) or logistic outputs (binary and multilabel).

Parameters
----------
{SHARED_PARAMETERS}
{CLASS_WEIGHT_PARAMETER}
Attributes
----------
{CLASSES_ATTRIBUTE}
{SHARED_ATTRIBUTES}
{CLASSIFIER_OUT_ACTIVATION}
See Also
--------
MLPRegressor : The regression counterpart.
sklearn.neural_network.MLPClassifier : The scikit-learn model this replaces.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from skdeep import MLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0)
>>> clf.fit(X, y).score(X, y) > 0.9
True
>>> clf.predict_proba(X[:2]).shape
(2, 3)
"""

MLPRegressor.__doc__ = f"""Multi-layer perceptron regressor, trained in Numba kernels.

A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: same
parameters (``loss`` first), defaults, attributes and results from the same initial
weights, plus ``dropout``, the 'adagrad' and 'rmsprop' solvers and the
'exponential' and 'step' schedules. Optimizes the squared error (identity output)
or the Poisson deviance (exponential output).

Parameters
----------
loss : {{'squared_error', 'poisson'}}, default='squared_error'
    The loss; 'poisson' needs non-negative targets and uses an exp output.

{SHARED_PARAMETERS}
Attributes
----------
{SHARED_ATTRIBUTES}
out_activation_ : str
    'identity' for squared error, 'exp' for Poisson.

See Also
--------
MLPClassifier : The classification counterpart.
sklearn.neural_network.MLPRegressor : The scikit-learn model this replaces.

Examples
--------
>>> from sklearn.datasets import make_regression
>>> from skdeep import MLPRegressor
>>> X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=0)
>>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
>>> reg.fit(X, y).score(X, y) > 0.95
True
"""
