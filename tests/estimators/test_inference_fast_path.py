"""The fast path of inference (skdeep/estimators/_inference.py): plain ndarrays skip
scikit-learn's validation and the fitted-attribute checks are reused, with the same
results and every error and warning of the full path."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdeep import CNNClassifier, DenoisingAutoencoder, MLPClassifier, MLPRegressor
from skdeep.estimators._inference import InferenceCheck


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


def _fit(model, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


MODELS = {
    "mlp": lambda: MLPClassifier((16,), max_iter=3, random_state=0),
    "cnn": lambda: CNNClassifier(
        filters=(4,), hidden_layer_sizes=(8,), max_iter=2, random_state=0
    ),
    "dae": lambda: DenoisingAutoencoder(n_components=4, max_iter=2, random_state=0),
}


def _methods(model):
    if isinstance(model, DenoisingAutoencoder):
        return ["transform", "score_samples"]
    return ["predict", "predict_proba"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_gives_the_full_paths_bits(digits, name, dtype):
    X, y = digits
    X = X.astype(dtype)
    model = _fit(MODELS[name](), X, None if name == "dae" else y)
    for rows in (X[:1], X[:7], X[:100]):
        plain = np.ascontiguousarray(rows)
        fortran = np.asfortranarray(rows)  # not the common case: full validation
        for method in _methods(model):
            fast = getattr(model, method)(plain)
            full = getattr(model, method)(fortran)
            listed = getattr(model, method)(plain.tolist())
            assert fast.dtype == full.dtype
            np.testing.assert_array_equal(fast, full)
            if method != "transform" and method != "score_samples":
                np.testing.assert_array_equal(fast, listed)


def test_images_take_the_fast_path_too(digits):
    X, y = digits
    model = _fit(MODELS["cnn"](), X.reshape(-1, 1, 8, 8), y)
    images = np.ascontiguousarray(X[:5].reshape(-1, 1, 8, 8))
    np.testing.assert_array_equal(model.predict_proba(images),
                                  model.predict_proba(X[:5]))  # fmt: skip
    with pytest.raises(ValueError, match="images of shape"):
        model.predict(np.zeros((2, 1, 4, 16)))


@pytest.mark.parametrize("name", MODELS)
def test_bad_input_keeps_its_errors(digits, name):
    X, y = digits
    model = _fit(MODELS[name](), X, None if name == "dae" else y)
    method = getattr(model, _methods(model)[0])
    bad = X[:3].copy()
    bad[1, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        method(bad)
    bad[1, 5] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        method(bad)
    with pytest.raises(ValueError, match="features"):
        method(X[:3, :10].copy())
    with pytest.raises(ValueError, match="0 sample"):
        method(X[:0])
    with pytest.raises(ValueError, match="2D array"):
        method(X[0])


def test_feature_names_still_warn(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = _fit(MLPClassifier((8,), max_iter=2, random_state=0), frame, y)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(np.ascontiguousarray(X[:2]))


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.coefs_.__setitem__(0, np.zeros((3, 16))),
        lambda m: setattr(m, "coefs_", [*m.coefs_[:1]]),
        lambda m: setattr(m.coefs_[0], "shape", (16, 64)),
        lambda m: setattr(m, "_params", m._params.astype(np.float32)),
        lambda m: setattr(m, "_params", m._params[:-1].copy()),
        lambda m: setattr(m, "classes_", m.classes_[:3]),
        lambda m: delattr(m, "_network"),
        lambda m: setattr(m, "n_features_in_", 10),
    ],
    ids=["coef shape", "coefs list", "view reshaped", "params dtype",
         "params length", "classes", "network deleted", "n_features_in_"],
)  # fmt: skip
def test_edited_fitted_attributes_are_checked_again(digits, edit):
    X, y = digits
    model = _fit(MLPClassifier((16,), max_iter=2, random_state=0), X, y)
    x = np.ascontiguousarray(X[:2])
    model.predict(x)  # checked and remembered
    edit(model)
    with pytest.raises(ValueError):
        model.predict(x)


def test_values_edited_in_place_are_used(digits):
    X, y = digits
    model = _fit(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0), X, y
    )
    x = np.ascontiguousarray(X[:2])
    before = model.predict(x)
    model.intercepts_[-1][:] += 1.0  # a view of the parameters
    np.testing.assert_allclose(model.predict(x), before + 1.0)


def test_check_is_not_pickled_or_shared_by_deep_copies(digits):
    import copy

    X, y = digits
    model = _fit(MLPClassifier((8,), max_iter=2, random_state=0), X, y)
    x = np.ascontiguousarray(X[:3])
    expected = model.predict_proba(x)
    assert model._inference_check.entry is not None
    for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert isinstance(other._inference_check, InferenceCheck)
        assert other._inference_check.entry is None
        np.testing.assert_array_equal(other.predict_proba(x), expected)


@pytest.mark.parametrize(
    "labels", [np.array(["no", "yes"]), np.array([3, 7, 9]), np.array([0.0, 1.0])]
)
def test_predictions_match_the_label_binarizer(digits, labels):
    X, y = digits
    target = labels[y % len(labels)]
    model = _fit(MLPClassifier((8,), max_iter=3, random_state=0), X, target)
    P = model.predict_proba(X)
    Y = P[:, 1:] if len(labels) == 2 else P
    expected = model._label_binarizer.inverse_transform(
        Y.ravel() if len(labels) == 2 else Y
    )
    got = model.predict(np.ascontiguousarray(X))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
