"""The fast path of inference: what a prediction of a few rows may skip, safely.

A fitted model answers ``predict`` on one row in microseconds only if it does not
repeat, at every call, checks whose answer cannot have changed:

* :func:`plain_rows`: the common input, a C-contiguous float ndarray of the fitted
  dtype and width, all finite, from a model fitted without feature names, needs
  none of scikit-learn's input validation (which takes about 100 us); any other
  input goes through it, with its usual errors and warnings;
* :func:`checked_model`: the fitted attributes were checked against each other
  (:meth:`BaseNetwork._fitted_model`); the result is kept in the model's
  :class:`InferenceCheck` and reused while every attribute is the very object it
  was checked with (and the arrays of ``coefs_``-like lists too, with their
  shapes). Replacing, adding or deleting any attribute, or an array of such a
  list, checks again. Values edited in place are not checked again: they cannot
  change a shape or a dtype, which is what the kernels' memory depends on.
"""

import operator

import numpy as np

_is = operator.is_


class InferenceCheck:
    """The fitted attributes a model's inference last found consistent, and what
    the check returned. Lives in the fitted model's attributes (``publish`` puts a
    new one there with every fit); never pickled or deep-copied with its
    contents."""

    __slots__ = ("entry",)

    def __init__(self):
        # (attribute values, [(position, arrays, shapes) of lists of arrays],
        #  result): one tuple, replaced in one assignment.
        self.entry = None

    def __reduce__(self):
        return (InferenceCheck, ())

    def __deepcopy__(self, memo):
        return InferenceCheck()

    # A cache, not part of the model: any two are equal (a deep copy of a fitted
    # model equals the model).
    def __eq__(self, other):
        return isinstance(other, InferenceCheck)

    def __hash__(self):
        return hash(InferenceCheck)


def _lists_of_arrays(values) -> tuple:
    """``(position, arrays, shapes)`` of every list of numpy arrays among
    ``values`` (``coefs_``, ``intercepts_``, ...): a list can change in place."""
    found = []
    for i, value in enumerate(values):
        if type(value) is list and value and isinstance(value[0], np.ndarray):
            arrays = tuple(value)
            found.append((i, arrays, tuple(getattr(a, "shape", None) for a in arrays)))
    return tuple(found)


def _unchanged(values, entry) -> bool:
    cached, lists, _ = entry
    if len(values) != len(cached) or not all(map(_is, values, cached)):
        return False
    for i, arrays, shapes in lists:
        now = values[i]
        if len(now) != len(arrays) or not all(map(_is, now, arrays)):
            return False
        if tuple(getattr(a, "shape", None) for a in arrays) != shapes:
            return False
    return True


def checked_model(estimator, check):
    """``check()`` (the full check of the fitted attributes), or what it returned
    for the same attributes before (see the module docstring)."""
    attrs = estimator.__dict__
    holder = attrs.get("_inference_check")
    if type(holder) is not InferenceCheck:
        return check()
    values = tuple(attrs.values())
    entry = holder.entry
    if entry is not None and _unchanged(values, entry):
        return entry[2]
    result = check()
    holder.entry = (values, _lists_of_arrays(values), result)
    return result


def plain_rows(estimator, X):
    """``X`` as 2-D rows when it is the common case of inference, else None.

    The common case: a numpy ndarray (not a subclass) of the fitted model's dtype,
    C-contiguous, with at least one row, of ``n_features_in_`` values per row
    (or, for an estimator that reads images, of the fitted image shape), whose
    values are all finite, for a model fitted without feature names. scikit-learn's
    validation would return it unchanged, so it is skipped; anything else returns
    None and takes the full path.
    """
    if type(X) is not np.ndarray:
        return None
    attrs = estimator.__dict__
    params = attrs.get("_params")
    if (
        "feature_names_in_" in attrs
        or type(params) is not np.ndarray
        or X.dtype != params.dtype
        or not X.flags.c_contiguous
    ):
        return None
    if X.ndim != 2:
        as_2d = getattr(estimator, "_as_2d", None)  # images or signals
        if X.ndim < 3 or as_2d is None:
            return None
        X, shape = as_2d(X)
        if shape is None:
            return None
        estimator._check_sample_shape(shape)
    if X.shape[0] == 0 or X.shape[1] != attrs.get("n_features_in_"):
        return None
    # A non-finite sum means a NaN or inf value (or an overflow: the full path
    # then tells which).
    if not np.isfinite(np.add.reduce(X.reshape(-1))):
        return None
    return X
