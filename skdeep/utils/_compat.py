"""scikit-learn helpers that are not part of its stable public API.

Every private or semi-private sklearn import in skdeep goes through this module, so a
change in scikit-learn is fixed in one place.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight
from sklearn.utils.validation import validate_data as _sklearn_validate_data

from skdeep.utils.validation import check_sparse_structure

try:  # scikit-learn >= 1.9: the public callback API
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn: no callbacks

    class CallbackSupportMixin:
        """Stand-in when scikit-learn has no ``sklearn.callback``."""


def validate_data(_estimator, /, X="no_validation", y="no_validation", **params):
    """scikit-learn's ``validate_data``, after refusing a sparse ``X`` whose index
    arrays do not fit its shape (:func:`~skdeep.utils.validation.
    check_sparse_structure`), before scikit-learn or scipy convert it."""
    check_sparse_structure(X)
    return _sklearn_validate_data(_estimator, X, y, **params)


__all__ = [
    "CallbackSupportMixin",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_check_optimize_result",
    "_check_sample_weight",
    "_fit_context",
    "validate_data",
]
