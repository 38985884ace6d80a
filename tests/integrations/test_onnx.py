"""to_onnx: every exported graph, run by onnxruntime on held-out rows, reproduces
predict / predict_proba / decision_function / transform of the estimator;
unsupported estimators and unfitted ones are refused."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Perceptron

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from skdeep.estimators.autoencoders import (  # noqa: E402
    AdversarialAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from skdeep.estimators.cnn import CNNClassifier, CNNRegressor  # noqa: E402
from skdeep.estimators.mlp import MLPClassifier, MLPRegressor  # noqa: E402
from skdeep.estimators.perceptron import PerceptronClassifier  # noqa: E402
from skdeep.integrations.onnx import to_onnx  # noqa: E402

ATOL = 1e-5


def _fit(estimator, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        return estimator.fit(X) if y is None else estimator.fit(X, y)


def _run(model, X):
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X})))


def _split(X, *ys, dtype=np.float32):
    X = np.asarray(X, dtype=dtype)
    n = X.shape[0] * 3 // 4
    return (X[:n], X[n:]), *((y[:n], y[n:]) for y in ys)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def _check_classifier(clf, X_test):
    model = to_onnx(clf, X_test[:3])
    out = _run(model, X_test)
    np.testing.assert_allclose(
        out["probabilities"], clf.predict_proba(X_test), rtol=0, atol=ATOL
    )
    np.testing.assert_array_equal(out["label"], clf.predict(X_test))
    return model, out


# ------------------------------------------------------------------ MLPClassifier
@pytest.mark.parametrize(
    "activation", ["relu", "tanh", "logistic", "leaky_relu", "identity"]
)
def test_mlp_classifier_multiclass(blobs, activation):
    (X_train, X_test), (y_train, _) = _split(*blobs)
    clf = _fit(
        MLPClassifier((10, 5), activation=activation, max_iter=60, random_state=0),
        X_train,
        y_train + 3,  # labels 3, 4, 5: the graph must map indices to classes_
    )
    model, out = _check_classifier(clf, X_test)
    assert clf.out_activation_ == "softmax"
    assert out["label"].dtype == np.int64
    assert set(np.unique(out["label"])) <= {3, 4, 5}
    (x,) = model.graph.input
    assert x.name == "X"
    assert x.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = x.type.tensor_type.shape.dim
    assert not dims[0].dim_value and dims[1].dim_value == 6


def test_mlp_classifier_binary(blobs):
    X, y = blobs
    (X_train, X_test), (y_train, _) = _split(X, (y > 0).astype(int) * 7 - 2)
    clf = _fit(MLPClassifier((8,), max_iter=80, random_state=0), X_train, y_train)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    _, out = _check_classifier(clf, X_test)
    assert out["probabilities"].shape == (X_test.shape[0], 2)
    assert set(np.unique(out["label"])) == {-2, 5}


def test_mlp_classifier_string_labels(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "emu"])
    (X_train, X_test), (y_train, _) = _split(X, names[y])
    clf = _fit(MLPClassifier((8,), max_iter=60, random_state=0), X_train, y_train)
    _, out = _check_classifier(clf, X_test)
    assert out["label"].dtype == object


def test_mlp_classifier_float_labels(blobs):
    X, y = blobs
    (X_train, X_test), (y_train, _) = _split(X, y.astype(float) - 1.0)
    clf = _fit(MLPClassifier((8,), max_iter=60, random_state=0), X_train, y_train)
    _, out = _check_classifier(clf, X_test)
    assert out["label"].dtype == np.float64


def test_mlp_classifier_multilabel(blobs):
    X, y = blobs
    Y = np.stack([y == 0, y != 1, y == 2], axis=1).astype(int)
    (X_train, X_test), (Y_train, _) = _split(X, Y)
    clf = _fit(MLPClassifier((8,), max_iter=60, random_state=0), X_train, Y_train)
    _check_classifier(clf, X_test)


def test_float64_model_keeps_its_dtype(blobs):
    (X_train, X_test), (y_train, _) = _split(*blobs, dtype=np.float64)
    clf = _fit(
        MLPClassifier((8,), activation="leaky_relu", max_iter=60, random_state=0),
        X_train,
        y_train,
    )
    model, out = _check_classifier(clf, X_test)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    np.testing.assert_allclose(
        out["probabilities"], clf.predict_proba(X_test), rtol=0, atol=1e-12
    )


# ------------------------------------------------------------------- MLPRegressor
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_mlp_regressor(loss, n_targets):
    X, y = make_regression(
        n_samples=200, n_features=5, n_targets=n_targets, noise=0.1, random_state=0
    )
    X /= X.std()
    y = y / np.abs(y).max()
    if loss == "poisson":
        y = np.exp(y)
    (X_train, X_test), (y_train, _) = _split(X, y)
    reg = _fit(
        MLPRegressor(loss, (12, 6), activation="tanh", max_iter=80, random_state=0),
        X_train,
        y_train,
    )
    assert reg.out_activation_ == ("exp" if loss == "poisson" else "identity")
    out = _run(to_onnx(reg, X_test), X_test)["variable"]
    assert out.shape == (X_test.shape[0], n_targets)
    expected = reg.predict(X_test).reshape(X_test.shape[0], -1)
    np.testing.assert_allclose(out, expected, rtol=0, atol=ATOL)


# ------------------------------------------------------------------- autoencoders
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16.0).astype(np.float32), y[:600]


@pytest.mark.parametrize(
    "estimator",
    [
        DenoisingAutoencoder(n_components=5, hidden_layer_sizes=(16,), max_iter=5),
        SparseAutoencoder(n_components=6, hidden_layer_sizes=(16,), max_iter=5),
        VariationalAutoencoder(n_components=3, hidden_layer_sizes=(16,), max_iter=5),
        AdversarialAutoencoder(n_components=2, hidden_layer_sizes=(16,), max_iter=5),
        DenoisingAutoencoder(
            n_components=4, hidden_layer_sizes=(), activation="relu", max_iter=5
        ),
    ],
    ids=lambda est: type(est).__name__,
)
def test_autoencoder_transform(digits, estimator):
    (X_train, X_test), _ = _split(*digits)
    ae = _fit(estimator.set_params(random_state=0), X_train)
    codes = _run(to_onnx(ae, X_test), X_test)["codes"]
    expected = ae.transform(X_test)
    assert codes.shape == expected.shape == (X_test.shape[0], ae.n_components)
    np.testing.assert_allclose(codes, expected, rtol=0, atol=ATOL)


# -------------------------------------------------------------------------- CNNs
@pytest.mark.parametrize(
    "params",
    [
        {"filters": (4,), "kernel_size": 3, "padding": "same", "pool_size": 2},
        # kernel 4, 'same': pads 1 before and 2 after (asymmetric).
        {"filters": (3, 4), "kernel_size": 4, "padding": "same", "pool_size": 2},
        {"filters": (4,), "kernel_size": 3, "padding": "valid", "pool_size": 2},
        # stride 2 on 8x8: 'same' -> 4x4 (pads 0/1), 'valid' -> 3x3 (one row
        # unread), then floor-mode pooling of the odd map.
        {"filters": (4,), "kernel_size": 3, "strides": 2, "padding": "same"},
        # The second block's 1x1 map takes a 1x1 kernel: a kernel larger than
        # the map is an error, not clipped.
        {
            "filters": (4, 3),
            "kernel_size": (3, 1),
            "strides": (2, 1),
            "padding": "valid",
            "pool_size": (2, None),
        },
    ],
    ids=["same", "same-k4-asym", "valid", "same-s2", "valid-s2-pool-odd"],
)
def test_cnn_classifier_digits(digits, params):
    (X_train, X_test), (y_train, _) = _split(*digits)
    clf = _fit(
        CNNClassifier(**params, hidden_layer_sizes=(16,), max_iter=3, random_state=0),
        X_train,
        y_train,
    )
    assert clf.input_shape_ == (1, 8, 8)
    _check_classifier(clf, X_test)


def test_cnn_multichannel_and_regressor():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(120, 2, 6, 5)).astype(np.float32)
    y = X[:, 0, :3, :2].sum(axis=(1, 2)) - X[:, 1].mean(axis=(1, 2))
    reg = _fit(
        CNNRegressor(
            filters=(3,),
            kernel_size=2,
            pool_size=2,
            hidden_layer_sizes=(),
            activation="leaky_relu",
            max_iter=3,
            random_state=0,
        ),
        X[:90],
        y[:90],
    )
    X_test = X[90:].reshape(30, -1)
    model = to_onnx(reg, X[90:])  # images accepted as the sample
    out = _run(model, X_test)["variable"]
    np.testing.assert_allclose(out.ravel(), reg.predict(X_test), rtol=0, atol=ATOL)


# ----------------------------------------------------------- PerceptronClassifier
def _check_perceptron(clf, X_test, atol=ATOL):
    """Labels equal predict; scores (always 2-D) equal decision_function."""
    out = _run(to_onnx(clf, X_test[:3]), X_test)
    scores = clf.decision_function(X_test).reshape(X_test.shape[0], -1)
    np.testing.assert_allclose(out["scores"], scores, rtol=0, atol=atol)
    np.testing.assert_array_equal(out["label"], clf.predict(X_test))
    return out


@pytest.mark.parametrize("average", [False, True])
def test_perceptron_multiclass(blobs, average):
    (X_train, X_test), (y_train, _) = _split(*blobs)
    clf = _fit(
        PerceptronClassifier(average=average, random_state=0), X_train, y_train + 3
    )
    assert clf.coef_.dtype == np.float32
    out = _check_perceptron(clf, X_test)
    assert out["scores"].shape == (X_test.shape[0], 3)
    assert out["label"].dtype == np.int64
    assert set(np.unique(out["label"])) == {3, 4, 5}


def test_perceptron_binary_string_labels_and_sparsified_coef(blobs):
    X, y = blobs
    names = np.array(["no", "yes"])
    (X_train, X_test), (y_train, _) = _split(X, names[(y > 0).astype(int)])
    clf = _fit(PerceptronClassifier(random_state=0), X_train, y_train)
    out = _check_perceptron(clf, X_test)
    assert out["scores"].shape == (X_test.shape[0], 1)
    assert set(out["label"]) == {"no", "yes"}
    clf.sparsify()  # coef_ is a CSR matrix now: exported dense, same graph
    sparse_out = _check_perceptron(clf, X_test)
    np.testing.assert_array_equal(sparse_out["scores"], out["scores"])


@pytest.mark.parametrize("binary", [False, True])
def test_perceptron_float64_matches_sklearn(blobs, binary):
    X, y = blobs
    y = (y > 0).astype(int) if binary else y
    (X_train, X_test), (y_train, _) = _split(X, y, dtype=np.float64)
    clf = _fit(PerceptronClassifier(random_state=0), X_train, y_train)
    model = to_onnx(clf, X_test)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    out = _check_perceptron(clf, X_test, atol=1e-12)
    # the same scores as scikit-learn's Perceptron trained on the same data
    ref = _fit(Perceptron(random_state=0), X_train, y_train)
    scores = ref.decision_function(X_test).reshape(X_test.shape[0], -1)
    np.testing.assert_allclose(out["scores"], scores, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(out["label"], ref.predict(X_test))


# ----------------------------------------------------------------- options, errors
def test_target_opset(blobs):
    (X_train, X_test), (y_train, _) = _split(*blobs)
    clf = _fit(MLPClassifier((4,), max_iter=20, random_state=0), X_train, y_train)
    model = to_onnx(clf, None, target_opset=13)
    assert model.opset_import[0].version == 13
    np.testing.assert_array_equal(_run(model, X_test)["label"], clf.predict(X_test))
    with pytest.raises(ValueError, match="target_opset must be between 13"):
        to_onnx(clf, X_test, target_opset=9)


def test_refuses_unsupported_estimators(blobs):
    X, y = blobs
    sklearn_perceptron = _fit(Perceptron(max_iter=5, random_state=0), X, y)
    with pytest.raises(TypeError, match="Cannot export Perceptron to ONNX"):
        to_onnx(sklearn_perceptron, X)
    with pytest.raises(TypeError, match="Cannot export dict"):
        to_onnx({}, X)


def test_refuses_unfitted_estimators(blobs):
    X, _ = blobs
    unfitted = (MLPClassifier(), CNNClassifier(), SparseAutoencoder())
    for estimator in (*unfitted, PerceptronClassifier()):
        with pytest.raises(NotFittedError, match="fit it before exporting"):
            to_onnx(estimator, X)
    assert issubclass(NotFittedError, ValueError)


def test_refuses_sample_of_the_wrong_width(blobs):
    X, y = blobs
    clf = _fit(MLPClassifier((4,), max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="X_sample has 5 features per row"):
        to_onnx(clf, X[:, :5])
    with pytest.raises(ValueError, match="X_sample must be 2-D"):
        to_onnx(clf, X[0])


# ------------------------------------------- batch norm, 1-D CNNs, shortcuts
def _signals(n=160, length=24, channels=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, channels * length)
    y = X[:, : length // 2].sum(axis=1) > X[:, length // 2 : length].sum(axis=1)
    return X, y.astype(int)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_with_batch_norm(blobs, dtype):
    (X_train, X_test), (y_train, _) = _split(*blobs, dtype=dtype)
    clf = _fit(MLPClassifier((10, 5), batch_norm=True, max_iter=40, random_state=0),
               X_train, y_train)  # fmt: skip
    model, _ = _check_classifier(clf, X_test)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("BatchNormalization") == 2


# onnxruntime's CPU provider has no float64 Conv: the CNNs are checked in float32.
@pytest.mark.parametrize("dtype", [np.float32])
def test_fcn_recipe_on_signals(dtype):
    X, y = _signals()
    (X_train, X_test), (y_train, _) = _split(X, y, dtype=dtype)
    clf = _fit(
        CNNClassifier(input_shape=(2, 24), filters=(6, 8, 6), kernel_size=(8, 5, 3),
                      pool_size=None, batch_norm=True, global_pool="avg",
                      hidden_layer_sizes=(), max_iter=4, random_state=0),
        X_train, y_train,
    )  # fmt: skip
    model, _ = _check_classifier(clf, X_test)
    ops = [node.op_type for node in model.graph.node]
    assert "GlobalAveragePool" in ops and ops.count("BatchNormalization") == 3
    conv = next(node for node in model.graph.node if node.op_type == "Conv")
    kernel = next(a for a in conv.attribute if a.name == "kernel_shape")
    assert list(kernel.ints) == [8]  # a 1-D convolution


@pytest.mark.parametrize("dtype", [np.float32])
def test_resnet_recipe_with_max_pooling_and_global_max(dtype):
    X, y = _signals(length=16)
    (X_train, X_test), (y_train, _) = _split(X, y, dtype=dtype)
    clf = _fit(
        CNNClassifier(input_shape=(2, 16), filters=(3,) * 3 + (4,) * 3 + (4,) * 3,
                      kernel_size=(8, 5, 3) * 3, pool_size=(None, None, 2) * 3,
                      batch_norm=True, residual=True, global_pool="max",
                      hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        X_train, y_train,
    )  # fmt: skip
    model, _ = _check_classifier(clf, X_test)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("Add") == 3 and "GlobalMaxPool" in ops


def test_residual_cnn_on_images_without_batch_norm():
    X, y = load_digits(return_X_y=True)
    (X_train, X_test), (y_train, _) = _split(X[:300] / 16, y[:300])
    clf = _fit(
        CNNClassifier(input_shape=(1, 8, 8), filters=(4, 4), strides=(2, 1),
                      pool_size=None, residual=True, residual_block_size=2,
                      global_pool="avg", hidden_layer_sizes=(), max_iter=3,
                      random_state=0),
        X_train, y_train,
    )  # fmt: skip
    _check_classifier(clf, X_test)


def test_cnn_regressor_on_signals_with_pooling():
    X, _ = _signals(length=20)
    target = X[:, :5].mean(axis=1)
    (X_train, X_test), (t_train, _) = _split(X, target)
    reg = _fit(CNNRegressor(input_shape=(2, 20), filters=(3,), kernel_size=4,
                            pool_size=2, batch_norm=True, hidden_layer_sizes=(5,),
                            max_iter=5, random_state=0), X_train, t_train)  # fmt: skip
    out = _run(to_onnx(reg, X_test[:2]), X_test)
    np.testing.assert_allclose(out["variable"].ravel(), reg.predict(X_test),
                               rtol=0, atol=ATOL)  # fmt: skip


@pytest.mark.parametrize("make", [DenoisingAutoencoder, VariationalAutoencoder])
def test_autoencoder_with_batch_norm(make):
    X, _ = make_classification(n_samples=200, n_features=8, random_state=0)
    ((X_train, X_test),) = _split(X)
    ae = _fit(make(n_components=2, hidden_layer_sizes=(6,), batch_norm=True,
                   max_iter=5, random_state=0), X_train)  # fmt: skip
    out = _run(to_onnx(ae, X_test[:2]), X_test)
    np.testing.assert_allclose(out["codes"], ae.transform(X_test), rtol=0, atol=ATOL)
