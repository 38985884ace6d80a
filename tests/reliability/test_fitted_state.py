"""A fitted model whose attributes were edited, replaced or deleted never reaches a
kernel: every method that would read them raises a ValueError naming the
attribute, before any kernel runs, and leaves the estimator as it was.

Table-driven over every network estimator of ``_estimators.SPECS`` (the
perceptron has its own cases below), every method that reads the fitted state
(the inference methods, ``inverse_transform``, ``sample``, and the continued fits
``warm_start`` and ``partial_fit``), dense and sparse X, and the edits users
make: arrays of another shape or dtype (float32 weights in a float64 model,
integers, lists of lists), another number of layers, deleted attributes, another
``n_features_in_``, ``classes_`` that do not fit the outputs, the autoencoders'
encoder boundary and code width, the adversarial autoencoder's discriminator, a
CNN's ``input_shape_``, and damaged private state (``_network``, ``_params``,
``_state``, ``_rng_state``, ``_optimizer``). Kernels are forbidden while the
method runs (``_checks.forbid_kernels``), so a missing check fails as
``KernelCalled`` instead of touching memory. The old bug this guards against:
``coefs_[0]`` of another input width made sparse ``predict_proba`` write past a
buffer and abort the interpreter (``double free or corruption``).

Valid edits (arrays of the right shape and dtype in another memory layout,
read-only or copied) give the same results as the original model, bit for bit.
"""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _checks import assert_identical, fitted, forbid_kernels
from _estimators import SPECS
from sklearn.preprocessing import LabelBinarizer

from skdeep import PerceptronClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NETWORKS = [spec for spec in SPECS if spec.make is not PerceptronClassifier]
CONTINUED = ("warm_start", "partial_fit")


def _methods(spec):
    """Every method of ``spec`` that reads the fitted state."""
    methods = list(spec.predict_methods())
    for name in ("inverse_transform", "sample"):
        if hasattr(spec.make, name):
            methods.append(name)
    continued = [m for m in CONTINUED if m == "warm_start" or hasattr(spec.make, m)]
    return [*methods, *continued]


def _takes_sparse(spec, method):
    return spec.sparse and method not in ("inverse_transform", "sample")


def _run(spec, method, est, X, y, codes):
    """Call ``method`` of ``est`` as a user would (``codes``: valid input of
    ``inverse_transform``)."""
    if method == "inverse_transform":
        return est.inverse_transform(codes)
    if method == "sample":
        return est.sample(3, random_state=0)
    if method in CONTINUED:
        fit = est.partial_fit if method == "partial_fit" else est.fit
        classifier = method == "partial_fit" and spec.kind == "classifier"
        kwargs = {"classes": np.unique(y)} if classifier else {}
        return fit(X, **kwargs) if spec.kind == "transformer" else fit(X, y, **kwargs)
    return getattr(est, method)(X)


# -------------------------------------------------------------------- edits
def _set(name, make):
    def edit(est):
        setattr(est, name, make(est))

    return edit


def _set_item(name, index, make):
    def edit(est):
        arrays = list(getattr(est, name))
        arrays[index] = make(arrays[index])
        setattr(est, name, arrays)

    return edit


def _delete(name):
    def edit(est):
        delattr(est, name)

    return edit


def _wider(a):
    return np.zeros((2 * a.shape[0], *a.shape[1:]), dtype=a.dtype)


def _other_float(a):
    return a.astype(np.float32 if a.dtype == np.float64 else np.float64)


def _damaged_optimizer(est):
    optimizer = copy.deepcopy(est._optimizer)
    optimizer["state2"] = optimizer["state2"][:-1]  # Adam's second moments
    return optimizer


def _other_width_network(est):
    input_shape, specs = est._network
    return ((*input_shape[:-1], 2 * input_shape[-1]), specs)


def _binarizer_of_ten(est):
    est._label_binarizer = LabelBinarizer().fit(np.arange(10))
    est.classes_ = np.arange(10)


def _discriminator(spec):
    return spec.name == "AdversarialAutoencoder"


# name: (edit, regex the error must match, which specs, which methods (None: all))
EDITS = {
    "coefs_0_wider": (_set_item("coefs_", 0, _wider), r"coefs_\[0\]", None, None),
    "coefs_0_other_float": (
        _set_item("coefs_", 0, _other_float),
        r"coefs_\[0\].*dtype",
        None,
        None,
    ),
    "coefs_0_int": (
        _set_item("coefs_", 0, lambda a: a.astype(np.int64)),
        r"coefs_\[0\]",
        None,
        None,
    ),
    "coefs_lists": (
        _set("coefs_", lambda est: [c.tolist() for c in est.coefs_]),
        r"coefs_\[0\] must be a numpy array",
        None,
        None,
    ),
    "coefs_array": (
        _set("coefs_", lambda est: np.zeros(3)),
        r"coefs_ must be a list",
        None,
        None,
    ),
    "coefs_one_layer_less": (
        _set("coefs_", lambda est: est.coefs_[:-1]),
        r"coefs_ must be a list of \d+ arrays",
        None,
        None,
    ),
    "coefs_deleted": (_delete("coefs_"), r"coefs_ is missing", None, None),
    "intercepts_last_longer": (
        _set_item("intercepts_", -1, lambda a: np.zeros(a.shape[0] + 3, a.dtype)),
        r"intercepts_\[\d+\]",
        None,
        None,
    ),
    "intercepts_0_other_float": (
        _set_item("intercepts_", 0, _other_float),
        r"intercepts_\[0\].*dtype",
        None,
        None,
    ),
    "intercepts_deleted": (
        _delete("intercepts_"),
        r"intercepts_ is missing",
        None,
        None,
    ),
    "params_deleted": (_delete("_params"), r"_params", None, None),
    "params_shorter": (
        _set("_params", lambda est: est._params[:-2]),
        r"_params",
        None,
        None,
    ),
    "params_other_float": (
        _set("_params", lambda est: _other_float(est._params)),
        r"_params",
        None,
        None,
    ),
    "params_int": (
        _set("_params", lambda est: est._params.astype(np.int64)),
        r"_params",
        None,
        None,
    ),
    "state_deleted": (_delete("_state"), r"_state", None, None),
    "state_longer": (
        _set("_state", lambda est: np.zeros(len(est._state) + 5, est._state.dtype)),
        r"_state",
        None,
        None,
    ),
    "state_other_float": (
        _set("_state", lambda est: _other_float(est._state)),
        r"_state",
        None,
        None,
    ),
    "network_damaged": (
        _set("_network", lambda est: [list(est._network[0])]),
        r"_network",
        None,
        None,
    ),
    "network_other_width": (
        _set("_network", _other_width_network),
        # A globally pooled network has the same parameters at any length: there
        # the width check refuses it.
        r"_params|fitted network reads \d+ features per sample",
        None,
        None,
    ),
    "n_features_in_": (
        _set("n_features_in_", lambda est: est.n_features_in_ + 1),
        r"n_features_in_|features",
        None,
        None,
    ),
    "rng_state_empty": (
        _set("_rng_state", lambda est: np.zeros(0, np.uint64)),
        r"_rng_state",
        None,
        CONTINUED,
    ),
    "optimizer_damaged": (
        _set("_optimizer", _damaged_optimizer),
        r"_optimizer",
        None,
        CONTINUED,
    ),
    # Classifiers: 3 classes were fitted (3 output units).
    "classes_10": (
        _set("classes_", lambda est: np.arange(10)),
        r"classes_",
        "classifier",
        None,
    ),
    "classes_2": (
        _set("classes_", lambda est: np.arange(2)),
        r"classes_",
        "classifier",
        None,
    ),
    "classes_and_binarizer_10": (
        _binarizer_of_ten,
        r"classes_ has 10 classes, but the fitted network has 3 outputs",
        "classifier",
        None,
    ),
    "classes_deleted": (_delete("classes_"), r"classes_", "classifier", None),
    # CNNs: fitted on 4x4 images.
    "input_shape_": (
        _set("input_shape_", lambda est: (1, 2, 8)),
        r"input_shape_",
        "images",
        None,
    ),
    "input_shape_list": (
        _set("input_shape_", lambda est: list(est.input_shape_)),
        r"input_shape_",
        "images",
        None,
    ),
    # Autoencoders.
    "encoder_specs_plus_1": (
        _set("_encoder_specs", lambda est: est._encoder_specs + 1),
        r"_encoder_specs",
        "transformer",
        None,
    ),
    "encoder_specs_0": (
        _set("_encoder_specs", lambda est: 0),
        r"_encoder_specs",
        "transformer",
        None,
    ),
    "encoder_specs_deleted": (
        _delete("_encoder_specs"),
        r"_encoder_specs",
        "transformer",
        None,
    ),
    "n_features_out_10": (
        _set("_n_features_out", lambda est: 10),
        r"_n_features_out",
        "transformer",
        None,
    ),
    "reconstruction_loss_": (
        _set("reconstruction_loss_", lambda est: "hinge"),
        r"reconstruction_loss_",
        "transformer",
        None,
    ),
    # The adversarial autoencoder's discriminator.
    "discriminator_coefs_0_wider": (
        _set_item("discriminator_coefs_", 0, _wider),
        r"discriminator_coefs_\[0\]",
        _discriminator,
        None,
    ),
    "discriminator_coefs_0_other_float": (
        _set_item("discriminator_coefs_", 0, _other_float),
        r"discriminator_coefs_\[0\]",
        _discriminator,
        None,
    ),
    "discriminator_intercepts_deleted": (
        _delete("discriminator_intercepts_"),
        r"discriminator_intercepts_",
        _discriminator,
        None,
    ),
    "critic_network_damaged": (
        _set("_critic_network", lambda est: None),
        r"_critic_network",
        _discriminator,
        None,
    ),
}


def _applies(spec, which) -> bool:
    if which is None:
        return True
    if callable(which):
        return which(spec)
    if which == "images":
        return spec.images
    return spec.kind == which


def _edit_cases():
    for spec in NETWORKS:
        for method in _methods(spec):
            for name, (_, _, which, methods) in EDITS.items():
                if not _applies(spec, which) or (methods and method not in methods):
                    continue
                layouts = (False, True) if _takes_sparse(spec, method) else (False,)
                for sparse in layouts:
                    kind = "sparse" if sparse else "dense"
                    yield pytest.param(
                        spec, method, name, sparse, id=f"{spec}-{method}-{name}-{kind}"
                    )


def _inputs(spec, est, sparse):
    X, y = spec.data()
    codes = est.transform(X) if hasattr(est, "transform") else None
    return (sp.csr_matrix(X) if sparse else X), y, codes


@pytest.mark.parametrize(("spec", "method", "edit", "sparse"), list(_edit_cases()))
def test_edited_fitted_state_is_refused(spec, method, edit, sparse, monkeypatch):
    est = fitted(spec)
    X, y, codes = _inputs(spec, est, sparse)
    if method == "warm_start":
        est.set_params(warm_start=True)
    apply, match, _, _ = EDITS[edit]
    apply(est)
    state = copy.deepcopy(vars(est))
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError, match=match):
        _run(spec, method, est, X, y, codes)
    monkeypatch.undo()
    assert_identical(vars(est), state)


# --------------------------------------------------------------- valid edits
def _non_contiguous(a):
    wide = np.repeat(a[..., None], 2, axis=-1)
    return wide[..., 0]


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _replace_all(make, names=("coefs_", "intercepts_")):
    def edit(est):
        for name in names:
            if hasattr(est, name):
                setattr(est, name, [make(a) for a in getattr(est, name)])

    return edit


ALL_WEIGHTS = ("coefs_", "intercepts_", "discriminator_coefs_",
               "discriminator_intercepts_")  # fmt: skip
VALID_EDITS = {
    "non_contiguous": _replace_all(_non_contiguous, ALL_WEIGHTS),
    "fortran": _replace_all(np.asfortranarray, ALL_WEIGHTS),
    "read_only": _replace_all(_read_only, ALL_WEIGHTS),
    "copies": _replace_all(np.array, ALL_WEIGHTS),
    "tuples": lambda est: setattr(est, "coefs_", tuple(est.coefs_)),
}


def _valid_cases():
    for spec in NETWORKS:
        for method in _methods(spec):
            for name in VALID_EDITS:
                yield pytest.param(spec, method, name, id=f"{spec}-{method}-{name}")


def _outcome(spec, method, est, X, y, codes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "warm_start":
            est.set_params(warm_start=True)
        result = _run(spec, method, est, X, y, codes)
    if method in CONTINUED:
        return spec.outputs(result, X)
    return result


@pytest.mark.parametrize(("spec", "method", "edit"), list(_valid_cases()))
def test_valid_edits_give_the_same_results(spec, method, edit):
    original = fitted(spec)
    X, y, codes = _inputs(spec, original, sparse=False)
    edited = copy.deepcopy(original)
    VALID_EDITS[edit](edited)
    expected = _outcome(spec, method, original, X, y, codes)
    assert_identical(_outcome(spec, method, edited, X, y, codes), expected)


def test_every_network_estimator_is_covered():
    covered = {param.values[0].name for param in _edit_cases()}
    assert covered == {spec.name for spec in NETWORKS}


# ------------------------------------------------------------ the perceptron
PERCEPTRONS = [spec for spec in SPECS if spec.make is PerceptronClassifier]
PERCEPTRON_METHODS = ("predict", "decision_function", "warm_start", "partial_fit")
INFERENCE = ("predict", "decision_function")


def _wider_columns(a):
    return np.zeros((a.shape[0], 2 * a.shape[1]), dtype=a.dtype)


# name: (edit, regex the error must match, methods (None: all))
PERCEPTRON_EDITS = {
    "coef_wider": (
        _set("coef_", lambda est: _wider_columns(est.coef_)),
        r"coef_",
        None,
    ),
    "coef_int": (_set("coef_", lambda est: est.coef_.astype(np.int64)), r"coef_", None),
    "coef_lists": (_set("coef_", lambda est: est.coef_.tolist()), r"coef_", None),
    "coef_deleted": (_delete("coef_"), r"coef_ is missing", None),
    "intercept_longer": (
        _set("intercept_", lambda est: np.zeros(len(est.intercept_) + 1)),
        r"intercept_",
        None,
    ),
    "intercept_deleted": (_delete("intercept_"), r"intercept_ is missing", None),
    # 3 classes were fitted: 3 rows of weights.
    "classes_10": (_set("classes_", lambda est: np.arange(10)), r"classes", None),
    "classes_2": (_set("classes_", lambda est: np.arange(2)), r"classes", None),
    "classes_1": (_set("classes_", lambda est: np.arange(1)), r"classes_", None),
    # Without classes_, partial_fit starts a new model and warm_start uses coef_
    # as coef_init (checked against the data): nothing stale is read.
    "classes_deleted": (_delete("classes_"), r"classes_", INFERENCE),
    "n_features_in_": (
        _set("n_features_in_", lambda est: est.n_features_in_ + 1),
        r"n_features_in_|features",
        None,
    ),
    "standard_coef_wider": (
        _set("_standard_coef", lambda est: _wider_columns(est._standard_coef)),
        r"_standard_coef",
        None,
    ),
    "standard_intercept_other_float": (
        _set("_standard_intercept", lambda est: _other_float(est._standard_intercept)),
        r"one dtype",
        None,
    ),
}


def _perceptron_cases():
    for spec in PERCEPTRONS:
        for method in PERCEPTRON_METHODS:
            for name, (_, _, methods) in PERCEPTRON_EDITS.items():
                if methods is not None and method not in methods:
                    continue
                for sparse in (False, True):
                    kind = "sparse" if sparse else "dense"
                    yield pytest.param(
                        spec, method, name, sparse, id=f"{spec}-{method}-{name}-{kind}"
                    )


@pytest.mark.parametrize(
    ("spec", "method", "edit", "sparse"), list(_perceptron_cases())
)
def test_perceptron_edited_state_is_refused(spec, method, edit, sparse, monkeypatch):
    est = fitted(spec)
    X, y, codes = _inputs(spec, est, sparse)
    if method == "warm_start":
        est.set_params(warm_start=True)
    apply, match, _ = PERCEPTRON_EDITS[edit]
    apply(est)
    state = copy.deepcopy(vars(est))
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError, match=match):
        _run(spec, method, est, X, y, codes)
    monkeypatch.undo()
    assert_identical(vars(est), state)


PERCEPTRON_VALID_EDITS = {
    "sparsified": lambda est: est.sparsify(),
    "fortran": lambda est: setattr(est, "coef_", np.asfortranarray(est.coef_)),
    "read_only": lambda est: setattr(est, "coef_", _read_only(est.coef_)),
    "non_contiguous": lambda est: setattr(est, "coef_", _non_contiguous(est.coef_)),
}


@pytest.mark.parametrize("edit", list(PERCEPTRON_VALID_EDITS))
@pytest.mark.parametrize("method", PERCEPTRON_METHODS)
@pytest.mark.parametrize("spec", PERCEPTRONS, ids=str)
def test_perceptron_valid_edits_give_the_same_results(spec, method, edit):
    original = fitted(spec)
    X, y, codes = _inputs(spec, original, sparse=False)
    edited = copy.deepcopy(original)
    PERCEPTRON_VALID_EDITS[edit](edited)
    expected = _outcome(spec, method, original, X, y, codes)
    got = _outcome(spec, method, edited, X, y, codes)
    if method == "decision_function":
        # NumPy and scipy's products round differently for other layouts.
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    else:
        assert_identical(got, expected)
