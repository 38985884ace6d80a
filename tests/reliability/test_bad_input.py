"""Bad input must fail early with a ValueError or TypeError that names the problem,
and leave the estimator exactly as it was; valid but unusual memory layouts must
give the same result as a C-contiguous copy.

Table-driven over every estimator of ``_estimators.SPECS`` and every method that
takes data: ``fit``, ``partial_fit``, the inference methods and
``inverse_transform``; for bad X also ``fit`` with ``warm_start=True``. ``fit``
and ``warm_start`` start from a fitted model, ``partial_fit`` from one
``partial_fit`` call.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _checks import assert_identical, known_bug
from _estimators import SPECS

from skdeep import PerceptronClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIT_METHODS = ("fit", "warm_start", "partial_fit")


def _methods(spec):
    """Every method of ``spec`` that takes an X."""
    methods = [*spec.fit_methods(), *spec.predict_methods()]
    if hasattr(spec.make, "inverse_transform"):
        methods.append("inverse_transform")
    return methods


def _classes(spec, y):
    return {"classes": np.unique(y)} if spec.kind == "classifier" else {}


def _prepared(spec, method, dtype=np.float64, frame=False):
    """``(estimator, X, y)``: an estimator ready for ``method`` and valid X, y.

    For ``partial_fit`` the estimator has had one ``partial_fit`` call already, so
    the checks against the fitted state (features, names, labels) apply; ``fit``
    refits a fitted model (``warm_start``: continues it).
    """
    X, y = spec.data(dtype)
    if frame:
        X = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    est = spec.build()
    if method == "partial_fit":
        est.partial_fit(X, y, **_classes(spec, y))
        return est, X, y
    est.fit(X, y)
    if method in ("fit", "warm_start"):
        return est.set_params(warm_start=method == "warm_start"), X, y
    if method == "inverse_transform":
        return est, est.transform(X), None
    return est, X, y


def _call(spec, method, est, X, y=None, **kwargs):
    if method in FIT_METHODS:
        fit = est.partial_fit if method == "partial_fit" else est.fit
        if method == "partial_fit" and spec.kind == "classifier":
            kwargs.setdefault("classes", est.classes_)
        if spec.kind == "transformer":
            return fit(X, **kwargs)
        return fit(X, y, **kwargs)
    return getattr(est, method)(X)


def _refused(spec, method, est, X, y, match, error=ValueError, **kwargs):
    """``method`` refuses ``X, y`` and leaves ``est`` exactly as it was."""
    state = copy.deepcopy(vars(est))
    with pytest.raises(error, match=match):
        _call(spec, method, est, X, y, **kwargs)
    assert_identical(vars(est), state)


# ----------------------------------------------------------------- X mutations
def _with_value(value):
    def mutate(X):
        X = np.array(X, dtype=np.float64)
        X[0, 0] = value
        return X

    return mutate


def _object_column(X):
    X = np.asarray(X).astype(object)
    X[:, 0] = [{"a": i} for i in range(X.shape[0])]
    return X


def _string_column(X):
    X = np.asarray(X).astype(object)
    X[:, 0] = "abc"
    return X


def _three_d(X):
    return np.stack([X, X], axis=-1)


def _five_d(X):
    return np.asarray(X).reshape(X.shape[0], 1, 1, 1, -1)


def _sparse_nan(X):
    X = sp.csr_matrix(X)
    X.data[0] = np.nan
    return X


def _malformed_sparse(where):
    """A CSR matrix whose index arrays do not fit its shape (built by hand, as
    scipy accepts them unchecked): converting it or gathering its rows would
    read and write outside their buffers."""

    def mutate(X):
        X = sp.csr_matrix(X)
        if where == "index_too_large":
            X.indices[-1] = 10**6
        elif where == "negative_index":
            X.indices[0] = -(10**6)
        else:  # indptr past the end of the data
            X.indptr[-1] = X.nnz + 100
        return X

    return mutate


# name: (mutation of a valid X, regex the message must match, methods it applies to)
AFTER_FIT = ("warm_start", "partial_fit", "predict", "predict_proba",
             "decision_function", "transform", "score_samples",
             "inverse_transform")  # fmt: skip
SPARSE = ("fit", "warm_start", "partial_fit", "predict", "predict_proba",
          "decision_function", "transform", "score_samples")  # fmt: skip
X_CASES = {
    "nan": (_with_value(np.nan), r"NaN", None),
    "+inf": (_with_value(np.inf), r"infinity", None),
    "-inf": (_with_value(-np.inf), r"infinity", None),
    "object_column": (_object_column, r"float|object|dict", None),
    "string_column": (_string_column, r"could not convert string to float", None),
    "complex": (lambda X: np.asarray(X) + 1j, r"[Cc]omplex", None),
    "0_samples": (lambda X: X[:0], r"0 sample\(s\)", None),
    "0_features": (lambda X: X[:, :0], r"0 feature\(s\)", None),
    "1d": (lambda X: X[0], r"Expected 2D array", None),
    "3d": (_three_d, r"dim 3|Expected 2D|2-D", None),
    "wrong_n_features": (lambda X: X[:, :-1], r"features", AFTER_FIT),
    "sparse_nan": (_sparse_nan, r"NaN", SPARSE),
    "sparse_index_too_large": (
        _malformed_sparse("index_too_large"),
        r"malformed sparse",
        SPARSE,
    ),
    "sparse_negative_index": (
        _malformed_sparse("negative_index"),
        r"malformed sparse",
        SPARSE,
    ),
    "sparse_indptr_past_the_data": (
        _malformed_sparse("indptr"),
        r"malformed sparse",
        SPARSE,
    ),
}
# The CNNs take 3-D (n, H, W) and 4-D (n, C, H, W) images; 5-D is their "too many".
CNN_X_CASES = {"3d": (_five_d, r"5 dimensions", None)}


def _four_d(X):
    """The RNNs take 3-D (n, n_timesteps, n_features) sequences; 4-D is their
    "too many"."""
    return np.asarray(X)[:, None, :, None]


RNN_X_CASES = {"3d": (_four_d, r"4 dimensions", None)}


# Cases that fail today because of a bug in skdeep, with the bug.
KNOWN_BUGS: dict = {}


def _x_cases():
    for spec in SPECS:
        for method in ["warm_start", *_methods(spec)]:
            for name, (mutate, match, methods) in X_CASES.items():
                if methods is not None and method not in methods:
                    continue
                bug = KNOWN_BUGS.get((spec.name, method, name))
                if spec.images:
                    mutate, match, _ = CNN_X_CASES.get(name, (mutate, match, None))
                    name = "5d" if name == "3d" else name
                if spec.sequences:
                    mutate, match, _ = RNN_X_CASES.get(name, (mutate, match, None))
                    name = "4d" if name == "3d" else name
                yield pytest.param(
                    spec,
                    method,
                    mutate,
                    match,
                    id=f"{spec}-{method}-{name}",
                    marks=known_bug(bug),
                )


@pytest.mark.parametrize(("spec", "method", "mutate", "match"), list(_x_cases()))
def test_bad_X(spec, method, mutate, match):
    est, X, y = _prepared(spec, method)
    _refused(spec, method, est, mutate(X), y, match, error=(ValueError, TypeError))


# ------------------------------------------------ overflow on the float32 path
def _overflow_cases():
    for spec in SPECS:
        for method in _methods(spec):
            if method == "fit":
                continue  # 1e39 is a valid float64: nothing is cast
            yield pytest.param(spec, method, id=f"{spec}-{method}")


@pytest.mark.parametrize(("spec", "method"), list(_overflow_cases()))
def test_float32_overflow(spec, method):
    """A float64 X with values beyond float32's range, given to a model with
    float32 weights, is refused where it is cast to float32, never silently inf."""
    est, X, y = _prepared(spec, method, dtype=np.float32)
    X = np.array(X, dtype=np.float64)
    X[0, 0] = 1e39
    if (spec.kind == "classifier" and method == "decision_function") or (
        spec.make is PerceptronClassifier and method == "predict"
    ):
        # The perceptron scores float64 X in float64: nothing is cast.
        assert np.all(np.isfinite(est.decision_function(X)))
        return
    _refused(spec, method, est, X, y, r"infinity or a value too large")


# --------------------------------------------------------- feature names
def _name_cases():
    for spec in SPECS:
        for method in _methods(spec):
            if method in ("fit", "inverse_transform"):
                continue
            yield pytest.param(spec, method, id=f"{spec}-{method}")


@pytest.mark.parametrize(("spec", "method"), list(_name_cases()))
def test_feature_names_differ(spec, method):
    est, X, y = _prepared(spec, method, frame=True)
    X = X.rename(columns=lambda c: "g" + c[1:])
    _refused(spec, method, est, X, y, r"feature names should match")


# ------------------------------------------------------------------- targets
SUPERVISED = [s for s in SPECS if s.kind != "transformer"]
CLASSIFIERS = [s for s in SPECS if s.kind == "classifier"]
WEIGHTED = [s for s in SPECS if s.sample_weight]


def _fit_cases(specs):
    return [
        pytest.param(spec, method, id=f"{spec}-{method}")
        for spec in specs
        for method in spec.fit_methods()
    ]


@pytest.mark.parametrize(("spec", "method"), _fit_cases(SUPERVISED))
def test_y_wrong_length(spec, method):
    est, X, y = _prepared(spec, method)
    _refused(spec, method, est, X, y[:-1], r"inconsistent numbers of samples")


@pytest.mark.parametrize(("spec", "method"), _fit_cases(SUPERVISED))
def test_y_nan(spec, method):
    est, X, y = _prepared(spec, method)
    y = y.astype(np.float64)
    y[0] = np.nan
    _refused(spec, method, est, X, y, r"NaN")


@pytest.mark.parametrize(("spec", "method"), _fit_cases(CLASSIFIERS))
def test_single_class(spec, method):
    est, X, y = spec.build(), *spec.data()
    y = np.zeros_like(y)
    kwargs = {"classes": [0]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match=r"class"):
        getattr(est, method)(X, y, **kwargs)


@pytest.mark.parametrize("spec", CLASSIFIERS, ids=str)
def test_partial_fit_unseen_label(spec):
    est, X, y = _prepared(spec, "partial_fit")
    y = y.copy()
    y[0] = 7
    _refused(spec, "partial_fit", est, X, y, r"class", classes=None)


@pytest.mark.parametrize(
    ("weights", "match"),
    [("negative", r"[Nn]egative"), ("zero", r"non-zero|zero")],
)
@pytest.mark.parametrize(("spec", "method"), _fit_cases(WEIGHTED))
def test_bad_sample_weight(spec, method, weights, match):
    est, X, y = _prepared(spec, method)
    sample_weight = (
        np.ones(X.shape[0]) if weights == "negative" else np.zeros(X.shape[0])
    )
    sample_weight[0] = -1.0 if weights == "negative" else 0.0
    _refused(spec, method, est, X, y, match, sample_weight=sample_weight)


# ------------------------------------------ valid but unusual memory layouts
def _non_contiguous(X):
    wide = np.repeat(np.asarray(X), 2, axis=1)
    out = wide[:, ::2]
    assert not out.flags.c_contiguous and not out.flags.f_contiguous
    return out


def _fortran(X):
    out = np.asfortranarray(X)
    assert not out.flags.c_contiguous
    return out


def _read_only(X):
    out = np.array(X)
    out.flags.writeable = False
    return out


LAYOUTS = {
    "non_contiguous": _non_contiguous,
    "fortran": _fortran,
    "read_only": _read_only,
}


def _layout_cases():
    for spec in SPECS:
        for method in _methods(spec):
            for name in LAYOUTS:
                yield pytest.param(spec, method, name, id=f"{spec}-{method}-{name}")
            if method not in FIT_METHODS:
                yield pytest.param(
                    spec, method, "1_sample", id=f"{spec}-{method}-1_sample"
                )


def _outcome(spec, method, X, y):
    est, _, _ = _prepared(spec, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _call(spec, method, est, X, y)
    if method in FIT_METHODS:
        # Compare what the fitted models compute on the same (C-contiguous) data.
        return getattr(result, spec.predict_methods()[-1])(spec.data()[0])
    return result


@pytest.mark.parametrize(("spec", "method", "layout"), list(_layout_cases()))
def test_valid_layout(spec, method, layout):
    _, X, y = _prepared(spec, method)
    if layout == "1_sample":
        X = X[:1]
        expected_all = _outcome(spec, method, np.ascontiguousarray(_prepared(
            spec, method)[1]), y)  # fmt: skip
        unusual = _outcome(spec, method, X, y)
        np.testing.assert_allclose(unusual, expected_all[:1], rtol=1e-6, atol=1e-7)
    else:
        unusual = _outcome(spec, method, LAYOUTS[layout](X), y)
    expected = _outcome(spec, method, np.ascontiguousarray(X), y)
    np.testing.assert_array_equal(unusual, expected)
