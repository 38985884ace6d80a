"""ONNX export of RNNClassifier and RNNRegressor (ONNX's LSTM, GRU and RNN
operators): onnxruntime gives predict's probabilities and values to 1e-5 in
float32 and the same labels, for every cell, stacked and bidirectional layers,
and sequences padded with NaN at the end (``sequence_lens``)."""

import warnings

import numpy as np
import pytest

from skdeep import RNNClassifier, RNNRegressor
from skdeep.integrations._onnx_recurrent import ONNX_GATE_ORDER, onnx_gates

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from skdeep.integrations.onnx import to_onnx  # noqa: E402

CELLS = ("lstm", "gru", "rnn")


def _data(n=60, steps=7, features=3, padded=True, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, features))
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int) + (X[:, 0, -1] > 1)
    if padded:
        lengths = rng.randint(1, steps + 1, size=n)
        lengths[0] = steps
        for i, length in enumerate(lengths):
            X[i, length:] = np.nan
    return X, y


def _run(model, X):
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X.reshape(X.shape[0], -1)})


def _fit(est, X, y, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X.astype(dtype), y)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_parity_float32(cell, bidirectional):
    X, y = _data()
    clf = RNNClassifier(cell=cell, recurrent_units=(6, 5), bidirectional=bidirectional,
                        hidden_layer_sizes=(4,), dropout=0.1, max_iter=5,
                        learning_rate_init=0.01, random_state=0)  # fmt: skip
    clf = _fit(clf, X, y, np.float32)
    X32 = X.astype(np.float32)
    model = to_onnx(clf, X32[:2])
    ops = {node.op_type for node in model.graph.node}
    assert {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}.keys() & ops
    labels, proba = _run(model, X32)
    np.testing.assert_allclose(proba, clf.predict_proba(X32), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(labels, clf.predict(X32))


@pytest.mark.parametrize("cell", CELLS)
def test_regressor_parity_float32_univariate(cell):
    X, _ = _data(features=1)
    X = X[:, :, 0]  # univariate 2-D rows, NaN-padded
    y = np.nan_to_num(X).sum(axis=1)
    reg = _fit(RNNRegressor(cell=cell, recurrent_units=5, max_iter=5,
                            random_state=0), X, y, np.float32)  # fmt: skip
    (out,) = _run(to_onnx(reg, X[:2].astype(np.float32)), X.astype(np.float32))
    np.testing.assert_allclose(out[:, 0], reg.predict(X.astype(np.float32)),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def test_sequences_read_to_their_length():
    """A sequence padded with NaN gives what the same sequence cut short gives
    (exported for the shorter number of steps)."""
    X, y = _data(padded=False)
    clf = _fit(RNNClassifier(cell="lstm", recurrent_units=4, bidirectional=True,
                             max_iter=3, random_state=0), X, y, np.float32)  # fmt: skip
    X32 = X.astype(np.float32)
    padded = X32.copy()
    padded[:, 4:] = np.nan
    _, proba = _run(to_onnx(clf, X32[:2]), padded)
    np.testing.assert_allclose(proba, clf.predict_proba(X32[:, :4]), rtol=1e-5,
                               atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("cell", CELLS)
def test_float64_graph_is_valid(cell):
    """A float64 model exports a checked float64 graph; onnxruntime 1.32 runs
    its LSTM, GRU and RNN operators in float32 only."""
    X, y = _data()
    clf = _fit(RNNClassifier(cell=cell, recurrent_units=4, max_iter=2,
                             random_state=0), X, y, np.float64)  # fmt: skip
    model = to_onnx(clf, X[:2])
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    try:
        _, proba = _run(model, X)
    except Exception as error:
        message = str(error)
        if not ("does not support double" in message
                or "Could not find an implementation" in message):  # fmt: skip
            raise
        pytest.skip("onnxruntime has no float64 kernel for this operator")
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_gate_orders():
    """PyTorch's gate blocks in ONNX's order: LSTM i|f|g|o -> i|o|f|c, GRU
    r|z|n -> z|r|h."""
    blocks = np.repeat(np.arange(4), 2)[:, None]  # gate g's 2 rows hold g
    assert onnx_gates(blocks, "lstm", 2).ravel().tolist() == [0, 0, 3, 3, 1, 1, 2, 2]
    assert onnx_gates(blocks[:6], "gru", 2).ravel().tolist() == [1, 1, 0, 0, 2, 2]
    assert ONNX_GATE_ORDER["rnn"] == (0,)
