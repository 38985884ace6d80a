"""The supervised tasks of the network estimators: what the targets are, the output
layer and its loss, the early-stopping score and the prediction methods.

A task mixin reads the input through its estimator's architecture hooks
(``_as_2d`` to turn images or sequences into rows, ``_resolve_input_shape`` and
``_check_sample_shape``), so one classifier task serves the MLP and the CNN.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import assert_all_finite, column_or_1d

from skdeep._kernels import codes
from skdeep.estimators._base import STOCHASTIC_SOLVERS, FitData
from skdeep.estimators._fitted import fitted_attribute, model_dtype
from skdeep.estimators._fitting import on_published_model
from skdeep.estimators._inference import plain_rows
from skdeep.utils._compat import _check_sample_weight, validate_data


def check_stochastic(estimator) -> bool:
    """``available_if`` condition of ``partial_fit``: stochastic solvers only."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class _SupervisedTask:
    """Input handling shared by the classifier and regressor tasks."""

    def _validated_rows(self, X, y, first, y_numeric):
        """``(X, y, sample_shape)``: validated 2-D rows in a float dtype (the
        fitted model's dtype on a continued fit) and targets."""
        X, sample_shape = self._as_2d(X)
        if not first:
            self._check_sample_shape(sample_shape)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=y_numeric,
            dtype=(np.float64, np.float32),
            reset=first,
        )
        if not first and X.dtype != model_dtype(self):
            # A fitted model keeps its dtype: continuing a float32 model on float64
            # X trains in float32 (float64 values beyond its range are refused).
            X = X.astype(model_dtype(self))
            assert_all_finite(X, input_name="X")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y, sample_shape

    def _fit_data(self, X, y, sample_weight, incremental, first, classes):
        X, y, sample_shape = self._validated_rows(X, y, first, self._y_numeric)
        Y = self._targets(y, incremental, first, classes).astype(X.dtype)
        input_shape = self._resolve_input_shape(X.shape[1], sample_shape, first)
        user_sw = None
        if sample_weight is not None:
            user_sw = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        out = self._out_activation(Y) if first else self.out_activation_
        return FitData(
            X=X,
            input_shape=input_shape,
            Y=np.ascontiguousarray(Y),
            sample_weight=self._effective_sample_weight(user_sw, y),
            user_sample_weight=user_sw,
            out_activation=out,
            loss=codes.OUTPUT_LOSS_CODES[out],
            lengths=self._sequence_lengths(sample_shape),
        )

    def _sequence_lengths(self, sample_shape):
        """Each row's number of valid time steps, for architectures that read
        sequences padded at the end (the recurrent networks); None when every
        row is read whole."""
        return None

    def _effective_sample_weight(self, sample_weight, y):
        return sample_weight

    def _inference_rows(self, X):
        """Validated 2-D rows of ``X`` for prediction (the common case of a plain
        ndarray needs none: :func:`~skdeep.estimators._inference.plain_rows`)."""
        rows = plain_rows(self, X)
        if rows is not None:
            return rows
        X, sample_shape = self._as_2d(X)
        self._check_sample_shape(sample_shape)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )


class ClassifierTask(_SupervisedTask, ClassifierMixin):
    """Classification: log-loss with a softmax output (multiclass) or logistic
    outputs (binary and multilabel), accuracy as the early-stopping score."""

    _y_numeric = False

    def _targets(self, y, incremental, first, classes):
        if incremental and _check_partial_fit_first_call(self, classes):
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
        elif first:
            if unique_labels(y).shape[0] < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in "
                    f"y; got 1 class: {unique_labels(y)[0]!r}."
                )
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            labels = unique_labels(y)
            if self.warm_start and not incremental:
                if set(labels) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {labels}"
                    )
            elif len(np.setdiff1d(labels, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {labels}."
                )
        return self._label_binarizer.transform(y).astype(bool)

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
        return weights if sample_weight is None else sample_weight * weights

    def _check_fitted_attributes(self, network) -> None:
        """``classes_`` and the label binarizer agree with each other and with the
        network's outputs (one per class; one for two classes)."""
        super()._check_fitted_attributes(network)
        classes = fitted_attribute(self, "classes_")
        binarizer = fitted_attribute(self, "_label_binarizer")
        known = getattr(binarizer, "classes_", None)
        if not (
            isinstance(classes, np.ndarray)
            and isinstance(known, np.ndarray)
            and classes.shape == known.shape
            and np.array_equal(classes, known)
        ):
            raise ValueError(
                "classes_ does not match the classes the model was fitted on "
                "(_label_binarizer.classes_); fit the model again to change them."
            )
        binary = getattr(binarizer, "y_type_", None) == "binary"
        expected = 1 if binary else len(classes)
        if network.n_outputs != expected:
            raise ValueError(
                f"classes_ has {len(classes)} classes, but the fitted network has "
                f"{network.n_outputs} outputs; fit the model again."
            )

    def _out_activation(self, Y) -> str:
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _stratify(self, data: FitData):
        # scikit-learn stratifies the early-stopping split only when the binarized
        # target has one column (binary problems).
        return data.Y.astype(bool) if data.Y.shape[1] == 1 else None

    def _output_to_prediction(self, P):
        binarizer = self._label_binarizer
        kind = getattr(binarizer, "y_type_", None)
        if not getattr(binarizer, "sparse_input_", True):
            # LabelBinarizer.inverse_transform's own arithmetic, without its
            # checks (50 us): the arg-max of each row, or the threshold halfway
            # between the labels.
            if kind == "multiclass" and P.shape[1] > 1:
                return binarizer.classes_.take(P.argmax(axis=1), mode="clip")
            if kind == "binary" and P.shape[1] == 1 and len(binarizer.classes_) == 2:
                threshold = (binarizer.pos_label + binarizer.neg_label) / 2.0
                return binarizer.classes_[np.array(P.ravel() > threshold, dtype=int)]
        if P.shape[1] == 1:
            P = P.ravel()
        return binarizer.inverse_transform(P)

    def _validation_score(self, outputs, losses, rows, data) -> float:
        from sklearn.metrics import accuracy_score  # slow import

        y_true = self._label_binarizer.inverse_transform(data.Y[rows])
        weights = (
            None if data.user_sample_weight is None else data.user_sample_weight[rows]
        )
        return accuracy_score(
            y_true, self._output_to_prediction(outputs), sample_weight=weights
        )

    @on_published_model
    def predict(self, X) -> np.ndarray:
        """Predict the class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._output_to_prediction(self._network_output(self._inference_rows(X)))

    @on_published_model
    def predict_proba(self, X) -> np.ndarray:
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
        P = self._network_output(self._inference_rows(X))
        if P.shape[1] == 1 and len(self.classes_) == 2:
            p = P.ravel()
            return np.vstack([1 - p, p]).T
        return P

    @on_published_model
    def predict_log_proba(self, X) -> np.ndarray:
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


class RegressorTask(_SupervisedTask, RegressorMixin):
    """Regression: the squared error (identity output) or the Poisson deviance
    (exponential output), R^2 as the early-stopping score."""

    _y_numeric = True

    def _targets(self, y, incremental, first, classes):
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative targets y.")
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _out_activation(self, Y) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _output_to_prediction(self, P):
        return P.ravel() if P.shape[1] == 1 else P

    def _validation_score(self, outputs, losses, rows, data) -> float:
        from sklearn.metrics import r2_score  # slow import

        weights = (
            None if data.user_sample_weight is None else data.user_sample_weight[rows]
        )
        return r2_score(
            self._output_to_prediction(data.Y[rows]),
            self._output_to_prediction(outputs),
            sample_weight=weights,
        )

    @on_published_model
    def predict(self, X) -> np.ndarray:
        """Predict the target of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._output_to_prediction(self._network_output(self._inference_rows(X)))
