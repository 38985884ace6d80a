"""Recurrent rows (skdeep/_kernels/recurrent.py, cells.py, gates.py): the forward
pass against a slow plain-NumPy oracle of PyTorch's nn.LSTM / nn.GRU / nn.RNN
equations, the gate equations on fixed weights against values worked out by hand,
and central finite differences of every backward (every cell, stacked,
bidirectional, variable length, with a dense head), in float64."""

import math

import numba
import numpy as np
import pytest
from _engine import Batch, loss_and_grad, numeric_gradient

from skdeep._kernels import codes
from skdeep._kernels.gates import exp32, exp64, sigmoid, tanh
from skdeep._kernels.optimizers import clip_gradient_norm
from skdeep._kernels.recurrent import MIN_CHUNK_ROWS, chunk_rows, row_slots
from skdeep.network.network import Network, recurrent_chunks
from skdeep.network.specs import Dense, Dropout, Recurrent

CELLS = ("lstm", "gru", "rnn")


# ------------------------------------------------------------------ the oracle
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def reference_cell(cell, x, length, W_ih, W_hh, b_ih, b_hh, reverse):
    """PyTorch's equations (REFERENCE.md 4.8) on one sequence ``x`` (T, F), read
    for ``length`` steps: ``(every step's state (T, H), last state (H,))``, zeros
    at the steps past ``length``."""
    H = W_hh.shape[1]
    h = np.zeros(H)
    c = np.zeros(H)
    outs = np.zeros((x.shape[0], H))
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for t in steps:
        if cell == "lstm":
            a = W_ih @ x[t] + b_ih + W_hh @ h + b_hh
            i, f, g, o = np.split(a, 4)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
        elif cell == "gru":
            gi = W_ih @ x[t] + b_ih
            gh = W_hh @ h + b_hh
            r = _sigmoid(gi[:H] + gh[:H])
            z = _sigmoid(gi[H : 2 * H] + gh[H : 2 * H])
            n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
            h = (1 - z) * n + z * h
        else:
            h = np.tanh(W_ih @ x[t] + b_ih + W_hh @ h + b_hh)
        outs[t] = h
    return outs, h


def reference_forward(network, params, X, lengths=None):
    """The prediction-mode forward pass of ``network`` on ``X`` (n, n_inputs),
    one sample and one layer at a time, from the PyTorch-layout weights."""
    coefs, intercepts = network.views(params.astype(np.float64))
    n = X.shape[0]
    values = [X[i].reshape(network.input_shape).astype(np.float64) for i in range(n)]
    used = 0
    for layer in network.layers:
        spec = layer.spec
        if isinstance(spec, Recurrent):
            W, b = coefs[used], intercepts[used]
            used += 1
            F = layer.input_shape[1]
            gh = spec.gate_units
            outputs = []
            for i, x in enumerate(values):
                T = x.shape[0]
                length = T if lengths is None else min(int(lengths[i]), T)
                seqs, lasts = [], []
                for d in range(spec.directions):
                    bias = b[d * 2 * gh : (d + 1) * 2 * gh]
                    seq, last = reference_cell(spec.cell, x, length, W[d, :F].T,
                                               W[d, F:].T, bias[:gh], bias[gh:],
                                               d == 1)  # fmt: skip
                    seqs.append(seq)
                    lasts.append(last)
                cat = np.concatenate(seqs, axis=1) if spec.sequences else None
                outputs.append(cat if spec.sequences else np.concatenate(lasts))
            values = outputs
        elif isinstance(spec, Dense):
            W, b = coefs[used], intercepts[used]
            used += 1
            values = [v.reshape(-1) @ W + b for v in values]
            if spec.activation == "tanh":
                values = [np.tanh(v) for v in values]
            elif spec.activation == "relu":
                values = [np.maximum(v, 0) for v in values]
            else:
                assert spec.activation == "identity"
        else:
            assert isinstance(spec, Dropout)  # the identity at prediction
    return np.array([v.reshape(-1) for v in values])


def _network(cell, T=4, F=2, units=3, bidirectional=False, stacked=False,
             head=True, dropout=False):  # fmt: skip
    specs = []
    if stacked:
        specs.append(Recurrent(cell, units + 1, bidirectional, sequences=True))
        if dropout:
            specs.append(Dropout(0.3))
    specs.append(Recurrent(cell, units, bidirectional))
    if head:
        specs += [Dense(3, "tanh"), Dense(2)]
    return Network((T, F), tuple(specs))


def _params(network, seed=0, dtype=np.float64, scale=1.0):
    params = network.init(np.random.RandomState(seed), dtype)
    return (params * scale).astype(dtype)


def _data(network, n, seed=1, ragged=True):
    rng = np.random.RandomState(seed)
    T, F = network.input_shape
    X = rng.normal(size=(n, T * F))
    lengths = None
    if ragged:
        lengths = rng.randint(1, T + 1, size=n)
        lengths[0] = T
        for i, length in enumerate(lengths):
            # Past a sequence's end the values must not matter: make them large.
            X[i, length * F :] = 100.0 * rng.normal(size=(T - length) * F)
    return X, lengths


def _forward(network, params, X, lengths=None):
    batch = Batch(network, X, params)
    if lengths is not None:
        batch.work.lengths[: X.shape[0]] = lengths
    out, _ = batch.forward()
    return out


# ------------------------------------------------------------------- forward
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("ragged", [False, True])
def test_forward_matches_numpy_oracle(cell, bidirectional, ragged):
    network = _network(cell, bidirectional=bidirectional, stacked=True, head=False)
    params = _params(network, scale=2.0)
    X, lengths = _data(network, 5, ragged=ragged)
    expected = reference_forward(network, params, X, lengths)
    np.testing.assert_allclose(_forward(network, params, X, lengths), expected,
                               rtol=1e-12, atol=1e-13)  # fmt: skip
    params32 = params.astype(np.float32)
    np.testing.assert_allclose(
        _forward(network, params32, X.astype(np.float32), lengths), expected,
        rtol=1e-5, atol=2e-6,
    )  # fmt: skip


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_output_is_zero_past_each_length(cell):
    network = Network((5, 2), (Recurrent(cell, 3, True, sequences=True),))
    params = _params(network)
    X, lengths = _data(network, 4)
    out = _forward(network, params, X, lengths).reshape(4, 5, 6)
    for i, length in enumerate(lengths):
        assert np.all(out[i, length:] == 0)
        assert np.all(out[i, :length] != 0)


def test_lstm_gate_equations_by_hand():
    """One LSTM unit, one feature, two steps, fixed weights (PyTorch's i|f|g|o):
    the states computed by hand from the documented equations."""
    network = Network((2, 1), (Recurrent("lstm", 1),))
    # coefs_ (1, F + H, 4H): row 0 = W_ih^T, row 1 = W_hh^T; then b_ih, b_hh.
    W = np.array([[0.5, -0.25, 1.0, 0.75], [0.2, 0.4, -0.6, 0.1]])
    b_ih = np.array([0.1, 0.2, 0.3, 0.4])
    b_hh = np.array([-0.05, 0.0, 0.05, 0.1])
    params = np.concatenate([W.ravel(), b_ih, b_hh])
    x1, x2 = 1.0, -2.0
    s = lambda v: 1 / (1 + math.exp(-v))
    # step 1 (h0 = c0 = 0): a = W_ih x1 + b_ih + b_hh
    i1, f1 = s(0.5 + 0.05), s(-0.25 + 0.2)
    g1, o1 = math.tanh(1.0 + 0.35), s(0.75 + 0.5)
    c1 = f1 * 0.0 + i1 * g1
    h1 = o1 * math.tanh(c1)
    # step 2: a = W_ih x2 + b_ih + b_hh + W_hh h1
    i2 = s(-1.0 + 0.05 + 0.2 * h1)
    f2 = s(0.5 + 0.2 + 0.4 * h1)
    g2 = math.tanh(-2.0 + 0.35 - 0.6 * h1)
    o2 = s(-1.5 + 0.5 + 0.1 * h1)
    c2 = f2 * c1 + i2 * g2
    h2 = o2 * math.tanh(c2)
    out = _forward(network, params, np.array([[x1, x2]]))
    np.testing.assert_allclose(out, [[h2]], rtol=1e-14)
    assert h2 == pytest.approx(0.0296212, abs=1e-7)


def test_gru_gate_equations_by_hand():
    """One GRU unit (PyTorch's r|z|n, reset applied to W_hn h + b_hn), two steps."""
    network = Network((2, 1), (Recurrent("gru", 1),))
    W = np.array([[0.5, -0.25, 1.0], [0.2, 0.4, -0.6]])
    b_ih = np.array([0.1, 0.2, 0.3])
    b_hh = np.array([-0.05, 0.0, 0.25])
    params = np.concatenate([W.ravel(), b_ih, b_hh])
    s = lambda v: 1 / (1 + math.exp(-v))
    x1, x2 = 1.0, -2.0
    r1, z1 = s(0.5 + 0.05), s(-0.25 + 0.2)
    n1 = math.tanh(1.0 + 0.3 + r1 * 0.25)
    h1 = (1 - z1) * n1
    r2 = s(-1.0 + 0.05 + 0.2 * h1)
    z2 = s(0.5 + 0.2 + 0.4 * h1)
    n2 = math.tanh(-2.0 + 0.3 + r2 * (-0.6 * h1 + 0.25))
    h2 = (1 - z2) * n2 + z2 * h1
    out = _forward(network, params, np.array([[x1, x2]]))
    np.testing.assert_allclose(out, [[h2]], rtol=1e-14)
    assert h2 == pytest.approx(0.0516890, abs=1e-7)


def test_rnn_equation_by_hand_bidirectional():
    network = Network((2, 1), (Recurrent("rnn", 1, bidirectional=True),))
    # direction 0 then direction 1: (F + H, 1) weights each, then the biases.
    params = np.array([0.5, 0.2, -0.3, 0.7, 0.1, -0.05, 0.2, 0.3])
    x1, x2 = 1.0, -2.0
    forward_h = math.tanh(0.5 * x2 + 0.05 + 0.2 * math.tanh(0.5 * x1 + 0.05))
    backward_h = math.tanh(-0.3 * x1 + 0.5 + 0.7 * math.tanh(-0.3 * x2 + 0.5))
    out = _forward(network, params, np.array([[x1, x2]]))
    np.testing.assert_allclose(out, [[forward_h, backward_h]], rtol=1e-14)


def test_lengths_beyond_the_sequence_read_it_whole():
    network = _network("lstm", head=False)
    params = _params(network)
    X, _ = _data(network, 3, ragged=False)
    whole = _forward(network, params, X)
    np.testing.assert_array_equal(_forward(network, params, X, [4, 10, 2**40]), whole)


# ---------------------------------------------------------- finite differences
def _check_gradient(network, X, lengths, loss=codes.SQUARED_ERROR, Y=None,
                    alpha=0.0):  # fmt: skip
    params = _params(network, scale=1.5)
    n = X.shape[0]
    if Y is None:
        Y = np.random.RandomState(3).normal(size=(n, network.n_outputs))
    sw = np.linspace(0.5, 1.5, n)
    value, grad = loss_and_grad(network, params, X, Y, sw, alpha, loss,
                                lengths=lengths)  # fmt: skip

    def f(p):
        return loss_and_grad(network, p, X, Y, sw, alpha, loss, lengths=lengths)[0]

    assert value == pytest.approx(f(params), rel=1e-14)
    numeric = numeric_gradient(f, params)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    assert np.abs(grad).max() > 1e-3  # the test sees a gradient


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradient_single_layer_with_dense_head(cell, bidirectional):
    network = _network(cell, bidirectional=bidirectional)
    X, _ = _data(network, 5, ragged=False)
    _check_gradient(network, X, None, alpha=0.1)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradient_stacked_variable_length(cell, bidirectional):
    network = _network(cell, bidirectional=bidirectional, stacked=True)
    X, lengths = _data(network, 6)
    _check_gradient(network, X, lengths)


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_of_the_states_themselves(cell):
    """No dense head: the last states themselves are scored (squared error)."""
    network = _network(cell, head=False, bidirectional=True)
    X, lengths = _data(network, 5)
    _check_gradient(network, X, lengths)


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_classifier_head(cell):
    network = Network((6, 2), (Recurrent(cell, 4), Dense(3, "softmax")))
    X, lengths = _data(network, 7)
    Y = np.eye(3)[np.arange(7) % 3]
    _check_gradient(network, X, lengths, codes.CATEGORICAL_CROSSENTROPY, Y)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("ragged", [False, True])
def test_input_gradient(cell, ragged):
    """The gradient with respect to the input sequences (what a layer below
    receives), bidirectional, against central differences of the output."""
    network = _network(cell, bidirectional=True, head=False)
    params = _params(network, scale=1.5)
    X, lengths = _data(network, 3, ragged=ragged)
    top = np.random.RandomState(5).normal(size=(3, network.n_outputs))
    batch = Batch(network, X, params)
    if lengths is not None:
        batch.work.lengths[:3] = lengths
    batch.forward(training=True)
    _, d_input = batch.backward(top, input_gradient=True)

    def f(x):
        return float(np.sum(_forward(network, params, x.reshape(X.shape), lengths)
                            * top))  # fmt: skip

    numeric = numeric_gradient(f, X.ravel().copy()).reshape(X.shape)
    np.testing.assert_allclose(d_input, numeric, rtol=1e-6, atol=1e-8)
    if ragged:  # nothing flows into the steps past a sequence's end
        F = network.input_shape[1]
        for i, length in enumerate(lengths):
            assert np.all(d_input[i, length * F :] == 0)


def test_chunked_full_batch_gradient_equals_one_chunk():
    network = _network("lstm", stacked=True, bidirectional=True)
    params = _params(network)
    X, lengths = _data(network, 7)
    Y = np.random.RandomState(3).normal(size=(7, 2))
    whole = loss_and_grad(network, params, X, Y, None, 0.0, codes.SQUARED_ERROR,
                          lengths=lengths)  # fmt: skip
    chunked = loss_and_grad(network, params, X, Y, None, 0.0, codes.SQUARED_ERROR,
                            lengths=lengths, chunk=3)  # fmt: skip
    assert chunked[0] == pytest.approx(whole[0], rel=1e-13)
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-11, atol=1e-14)


def test_batches_cut_in_chunks_give_the_gradient():
    """A batch of 40 sequences of a small layer runs as two chunks of 20 rows
    (parallel tasks, each with its own weight-gradient copy)."""
    network = _network("gru", T=3, bidirectional=True, stacked=True)
    layer = network.rows[-3]
    assert recurrent_chunks(40, layer.spec.units, layer.spec.gate_units) == 2
    X, lengths = _data(network, 40)
    _check_gradient(network, X, lengths)
    # One chunk (a batch of one sample at a time) gives the same gradient.
    params = _params(network, scale=1.5)
    Y = np.random.RandomState(3).normal(size=(40, 2))
    whole = loss_and_grad(network, params, X, Y, None, 0.0, codes.SQUARED_ERROR,
                          lengths=lengths)  # fmt: skip
    single = loss_and_grad(network, params, X, Y, None, 0.0, codes.SQUARED_ERROR,
                           lengths=lengths, chunk=1)  # fmt: skip
    np.testing.assert_allclose(single[1], whole[1], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("cell", CELLS)
def test_same_bits_for_any_number_of_threads(cell):
    """Chunks and directions run as parallel tasks: 1 and 2 threads give the same
    outputs and gradients, bit for bit."""
    network = _network(cell, T=5, bidirectional=True, stacked=True)
    params = _params(network)
    X, lengths = _data(network, 70)
    Y = np.random.RandomState(3).normal(size=(70, 2))
    results = []
    previous = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            results.append(
                loss_and_grad(
                    network,
                    params,
                    X,
                    Y,
                    None,
                    0.0,
                    codes.SQUARED_ERROR,
                    lengths=lengths,
                )
            )
    finally:
        numba.set_num_threads(previous)
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("units", [1, 3, 8, 20, 64, 256])
@pytest.mark.parametrize("gates", [1, 3, 4])
def test_chunk_rule_in_python_is_the_kernels(units, gates):
    for n in (1, 15, 16, 31, 32, 33, 64, 65, 100, 128, 200):
        rows = chunk_rows(n, units, gates * units)
        assert recurrent_chunks(n, units, gates * units) == -(-n // rows)
        assert rows >= 1 and (rows >= MIN_CHUNK_ROWS or rows == n)


# -------------------------------------------------------------------- layout
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_slots_agree_with_the_kernel_layout(cell, bidirectional):
    network = Network((7, 3), (Recurrent(cell, 5, bidirectional),))
    layer = network.rows[0]
    assert row_slots(network.table, 0) == layer.spec.float_slots(layer.input_shape)


def test_initialization_is_pytorchs_uniform():
    """Every weight and bias of a recurrent layer ~ U(-1/sqrt(H), 1/sqrt(H)); the
    dense head keeps scikit-learn's Glorot bound."""
    network = Network((3, 2), (Recurrent("gru", 16, True), Dense(4), Dense(1)))
    params = network.init(np.random.RandomState(0), np.float64)
    coefs, intercepts = network.views(params)
    bound = 1 / math.sqrt(16)
    for values in (coefs[0], intercepts[0]):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound
        assert abs(values.mean()) < 0.05 * bound  # centred
        assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    glorot = math.sqrt(6 / (32 + 4))
    assert glorot < 0.95 * bound or glorot > 1.05 * bound  # distinguishable
    assert 0.9 * glorot < np.abs(coefs[1]).max() <= glorot


# --------------------------------------------------------------------- gates
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_exp_sigmoid_tanh_accuracy(dtype):
    from numba import njit

    exp = exp32 if dtype == np.float32 else exp64

    @njit
    def apply(x, which):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            if which == 0:
                out[i] = sigmoid(x[i])
            elif which == 1:
                out[i] = tanh(x[i])
            else:
                out[i] = exp(x[i])
        return out

    x = np.concatenate([np.linspace(-30, 30, 20001), [0.0, 1e-6, -1e-6]]).astype(dtype)
    x64 = x.astype(np.float64)
    eps = np.finfo(dtype).eps
    sig = apply(x, 0)
    assert sig.dtype == dtype
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-x64)), rtol=4 * eps, atol=0)
    np.testing.assert_allclose(apply(x, 1), np.tanh(x64), rtol=0, atol=4 * eps)
    wide = np.linspace(-80, 80, 20001).astype(dtype)
    np.testing.assert_allclose(apply(wide, 2), np.exp(wide.astype(np.float64)),
                               rtol=3 * eps)  # fmt: skip
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30], dtype=dtype)
    s = apply(special, 0)
    # NaN stays NaN; the limits are 1 and 0 to within the smallest normal number.
    tiny = np.finfo(dtype).tiny
    assert np.isnan(s[0]) and s[1] == 1 and s[3] == 1
    assert 0 <= s[2] < tiny and 0 <= s[4] < tiny
    t = apply(special, 1)
    assert np.isnan(t[0]) and list(t[1:]) == [1, -1, 1, -1]


def test_clip_gradient_norm_is_torchs_rule():
    g = np.array([3.0, 4.0, 0.0])
    total = clip_gradient_norm(g, 1.0)
    assert total == 5.0
    np.testing.assert_allclose(g, np.array([3.0, 4.0, 0.0]) / (5.0 + 1e-6))
    g = np.array([0.3, 0.4], dtype=np.float32)
    clip_gradient_norm(g, 1.0)  # below the bound: unchanged
    np.testing.assert_array_equal(g, np.array([0.3, 0.4], dtype=np.float32))
