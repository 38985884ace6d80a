"""Pickled estimators carry skdeep's version; loading another version's warns, and
a model of an earlier pre-1.0 release is refused with a clear error."""

import pathlib
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris

import skdeep
from skdeep.exceptions import InconsistentVersionWarning

ESTIMATORS = [
    skdeep.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    skdeep.PerceptronClassifier(max_iter=2, random_state=0),
    skdeep.CNNClassifier(filters=(2,), hidden_layer_sizes=(), max_iter=1,
                         input_shape=(2, 2), random_state=0),
    skdeep.DenoisingAutoencoder(n_components=2, hidden_layer_sizes=(3,),
                                max_iter=2, random_state=0),
]  # fmt: skip


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_version_stamp_round_trip_and_mismatch_warning(est):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    blob = pickle.dumps(est)
    assert est.__getstate__()["_skdeep_version"] == skdeep.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        same = pickle.loads(blob)  # same version: no warning
    assert "_skdeep_version" not in vars(same)
    # Another version of the same minor release (same length as the real one).
    other = skdeep.__version__.rsplit(".", 1)[0] + ".xx00"
    assert len(other) == len(skdeep.__version__)
    old = blob.replace(skdeep.__version__.encode(), other.encode())
    with pytest.warns(InconsistentVersionWarning, match=f"version {other}"):
        loaded = pickle.loads(old)
    method = loaded.predict if hasattr(loaded, "predict") else loaded.transform
    reference = est.predict if hasattr(est, "predict") else est.transform
    np.testing.assert_array_equal(method(X), reference(X))


def _one_of_each():
    """One small fitted estimator of every class, and the data it was fitted on."""
    X, y = load_iris(return_X_y=True)
    small = dict(max_iter=2, random_state=0)
    estimators = [
        skdeep.MLPClassifier(hidden_layer_sizes=(4,), **small),
        skdeep.MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", **small),
        skdeep.MLPRegressor(hidden_layer_sizes=(4,), **small),
        skdeep.PerceptronClassifier(**small),
        skdeep.PerceptronClassifier(average=True, **small),
        skdeep.CNNClassifier(filters=(2,), hidden_layer_sizes=(), **small),
        skdeep.CNNRegressor(filters=(2,), hidden_layer_sizes=(), **small),
        skdeep.DenoisingAutoencoder(n_components=2, hidden_layer_sizes=(3,), **small),
        skdeep.SparseAutoencoder(n_components=2, hidden_layer_sizes=(3,), **small),
        skdeep.VariationalAutoencoder(n_components=2, hidden_layer_sizes=(3,), **small),
        skdeep.AdversarialAutoencoder(n_components=2, hidden_layer_sizes=(3,), **small),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in estimators:
            est.fit(X, y)
    return X, estimators


@pytest.mark.parametrize(
    "name", ["mlp_classifier", "cnn_classifier", "denoising_autoencoder"]
)
def test_a_model_pickled_by_skdeep_0_1_is_refused_naming_the_version(name):
    """tests/data holds models pickled by skdeep 0.1.0.dev0 (before Engine v2)."""
    path = pathlib.Path(__file__).parents[1] / "data" / f"skdeep_0_1_{name}.pkl"
    with pytest.raises(ValueError, match=r"pickled by skdeep 0\.1\.0\.dev0.*Refit"):
        pickle.loads(path.read_bytes())


def test_skops_round_trip_trusts_only_skdeeps_documented_types():
    sio = pytest.importorskip("skops.io")
    X, estimators = _one_of_each()
    for est in estimators:
        blob = sio.dumps(est)
        untrusted = set(sio.get_untrusted_types(data=blob))
        # Nothing but the public estimator class itself: no internal types.
        cls = type(est)
        assert untrusted == {f"{cls.__module__}.{cls.__name__}"}
        assert untrusted <= set(skdeep.SKOPS_TRUSTED_TYPES), type(est).__name__
        loaded = sio.loads(blob, trusted=list(skdeep.SKOPS_TRUSTED_TYPES))
        method = "predict" if hasattr(est, "predict") else "transform"
        np.testing.assert_array_equal(
            getattr(loaded, method)(X), getattr(est, method)(X)
        )
