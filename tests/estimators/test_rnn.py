"""RNNClassifier and RNNRegressor: input layouts (3-D, univariate 2-D, flattened
with input_shape, aeon/sktime's), NaN padding for variable length, any number of
steps at prediction, the fitted recurrent weights in PyTorch's layout against an
independent NumPy forward pass, initialization, gradient clipping, persistence,
plots and the training options they share with the MLPs."""

import importlib
import io
import math
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdeep import RNNClassifier, RNNRegressor
from skdeep._kernels import codes
from skdeep.estimators._base import network_from_data

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning"),
]

CELLS = ("lstm", "gru", "rnn")


def _engine():
    """tests/kernels/_engine.py, which drives the network kernels directly."""
    folder = str(Path(__file__).parents[1] / "kernels")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module("_engine")


def _data(n=40, steps=6, features=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, features))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    return X, y


def _padded(X, seed=1, shortest=1):
    """X with each sequence cut to a random length by NaN at its end, and the
    lengths (the first sequence keeps every step)."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(shortest, X.shape[1] + 1, size=X.shape[0])
    lengths[0] = X.shape[1]
    X = X.copy()
    for i, length in enumerate(lengths):
        X[i, length:] = np.nan
    return X, lengths


# ---------------------------------------------------------- an independent oracle
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _cell(cell, x, weights, reverse):
    """PyTorch's equations on one sequence ``x`` (L, F), with the tensors of
    ``recurrent_weights_`` (PyTorch's layout): every step's state and the last."""
    W_ih, W_hh = weights["weight_ih"], weights["weight_hh"]
    b_ih, b_hh = weights["bias_ih"], weights["bias_hh"]
    H = W_hh.shape[1]
    h, c = np.zeros(H), np.zeros(H)
    states = np.zeros((len(x), H))
    for t in range(len(x) - 1, -1, -1) if reverse else range(len(x)):
        gi, gh = W_ih @ x[t] + b_ih, W_hh @ h + b_hh
        if cell == "lstm":
            i, f, g, o = np.split(gi + gh, 4)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
        elif cell == "gru":
            r = _sigmoid(gi[:H] + gh[:H])
            z = _sigmoid(gi[H : 2 * H] + gh[H : 2 * H])
            n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
            h = (1 - z) * n + z * h
        else:
            h = np.tanh(gi + gh)
        states[t] = h
    return states, h


def _reference_predict(est, X):
    """The regressor's prediction computed from ``recurrent_weights_`` and the
    dense ``coefs_``, one sequence at a time, reading each up to its last
    non-NaN step."""
    layers = est.recurrent_weights_
    dense = [(W, b) for W, b in zip(est.coefs_, est.intercepts_) if W.ndim == 2]
    out = []
    for x in X:
        x = x[~np.isnan(x).all(axis=1)]
        for k, directions in enumerate(layers):
            results = [_cell(est.cell, x, w, d == 1) for d, w in enumerate(directions)]
            if k < len(layers) - 1:
                x = np.concatenate([states for states, _ in results], axis=1)
            else:
                x = np.concatenate([last for _, last in results])
        for j, (W, b) in enumerate(dense):
            x = x @ W + b
            if j < len(dense) - 1:
                x = np.maximum(x, 0)  # relu
        out.append(x)
    return np.array(out).reshape(len(X), -1).squeeze(axis=1)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_predictions_follow_pytorchs_equations_from_recurrent_weights(
    cell, bidirectional
):
    X, y = _data()
    X, _ = _padded(X)
    reg = RNNRegressor(cell=cell, recurrent_units=(5, 4), bidirectional=bidirectional,
                       hidden_layer_sizes=(3,), max_iter=5, random_state=0)  # fmt: skip
    reg.fit(X, y.astype(float))
    np.testing.assert_allclose(reg.predict(X), _reference_predict(reg, X),
                               rtol=1e-10, atol=1e-12)  # fmt: skip


def test_recurrent_weights_layout_and_views():
    X, y = _data(features=3)
    clf = RNNClassifier(cell="lstm", recurrent_units=(5, 4), bidirectional=True,
                        max_iter=2, random_state=0).fit(X, y)  # fmt: skip
    layers = clf.recurrent_weights_
    assert [len(directions) for directions in layers] == [2, 2]
    first, second = layers[0][0], layers[1][1]
    assert first["weight_ih"].shape == (20, 3)  # 4 gates x 5 units, 3 features
    assert first["weight_hh"].shape == (20, 5)
    assert first["bias_ih"].shape == first["bias_hh"].shape == (20,)
    assert second["weight_ih"].shape == (16, 10)  # reads both directions of 5
    assert second["weight_hh"].shape == (16, 4)
    for directions in layers:
        for tensors in directions:
            for value in tensors.values():
                assert np.shares_memory(value, clf._params)
    assert clf.coefs_[0].shape == (2, 3 + 5, 20)
    np.testing.assert_array_equal(clf.coefs_[0][1, :3].T, layers[0][1]["weight_ih"])


def test_initialization_is_pytorchs_uniform_and_glorot_for_the_head():
    """One Adam step of 1e-300 leaves the initial weights: recurrent weights and
    biases within 1/sqrt(units) (PyTorch's), the dense head within Glorot's
    bound (scikit-learn's)."""
    X, y = _data(n=200, steps=3)
    reg = RNNRegressor(cell="gru", recurrent_units=25, hidden_layer_sizes=(10,),
                       max_iter=1, learning_rate_init=1e-300,
                       random_state=0)  # fmt: skip
    reg.fit(X, y.astype(float))
    bound = 1 / math.sqrt(25)
    tensors = list(reg.recurrent_weights_[0][0].values())
    values = np.concatenate([t.ravel() for t in tensors])
    assert np.abs(values).max() <= bound < 1.02 * np.abs(values).max()
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    glorot = math.sqrt(6 / (25 + 10))
    assert np.abs(reg.coefs_[1]).max() <= glorot < 1.1 * np.abs(reg.coefs_[1]).max()


# ------------------------------------------------------------------ input rules
def test_input_layouts_give_the_same_model():
    X, y = _data()
    n, steps, features = X.shape
    params = dict(recurrent_units=4, max_iter=3, random_state=0)
    three_d = RNNClassifier(**params).fit(X, y)
    flat = RNNClassifier(input_shape=(steps, features), **params)
    flat.fit(X.reshape(n, -1), y)
    assert three_d.input_shape_ == flat.input_shape_ == (steps, features)
    np.testing.assert_array_equal(three_d._params, flat._params)
    univariate = RNNClassifier(**params).fit(X[:, :, 0], y)
    assert univariate.input_shape_ == (steps, 1)
    one_feature = RNNClassifier(**params).fit(X[:, :, :1], y)
    np.testing.assert_array_equal(univariate._params, one_feature._params)
    np.testing.assert_array_equal(
        univariate.predict_proba(X[:, :, 0]), one_feature.predict_proba(X[:, :, :1])
    )


def test_aeon_sktime_layout():
    """Data laid out as aeon and sktime do, (n_cases, n_channels, n_timepoints):
    the documented snippet, ``X.transpose(0, 2, 1)``."""
    X, y = _data(features=3)
    X_aeon = np.ascontiguousarray(X.transpose(0, 2, 1))  # (n_cases, 3, 6)
    assert X_aeon.shape == (40, 3, 6)
    clf = RNNClassifier(recurrent_units=4, max_iter=3, random_state=0)
    clf.fit(X_aeon.transpose(0, 2, 1), y)
    assert clf.input_shape_ == (6, 3)
    direct = RNNClassifier(recurrent_units=4, max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf._params, direct._params)
    np.testing.assert_array_equal(
        clf.predict_proba(X_aeon.transpose(0, 2, 1)), direct.predict_proba(X)
    )


def test_aeon_sktime_unequal_length_snippet():
    """aeon's unequal-length collections, a list of (n_channels, n_timepoints_i)
    arrays: the documented snippet pads them at the end with NaN into
    (n_cases, max_timepoints, n_channels), and each case is read up to its own
    end (the same probabilities as the case alone, and as the equal-length
    layout for the cases that have every step)."""
    X, y = _data(features=3)
    X_padded, lengths = _padded(X, shortest=2)
    series = [X[i, : lengths[i]].T.copy() for i in range(len(X))]  # aeon's list
    assert series[1].shape == (3, lengths[1])
    # The snippet:
    steps = max(s.shape[1] for s in series)
    X_ours = np.full((len(series), steps, series[0].shape[0]), np.nan)
    for i, s in enumerate(series):
        X_ours[i, : s.shape[1]] = s.T
    np.testing.assert_array_equal(X_ours, X_padded)
    clf = RNNClassifier(recurrent_units=4, max_iter=3, random_state=0).fit(X_ours, y)
    proba = clf.predict_proba(X_ours)
    for i in (0, 1, 2):
        alone = clf.predict_proba(series[i].T[None])  # any length at prediction
        np.testing.assert_allclose(proba[i : i + 1], alone, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_nan_padding_reads_each_sequence_up_to_its_end(cell):
    X, y = _data()
    X, lengths = _padded(X)
    clf = RNNClassifier(cell=cell, recurrent_units=(4, 3), bidirectional=True,
                        max_iter=3, random_state=0).fit(X, y)  # fmt: skip
    proba = clf.predict_proba(X)
    for i in (0, 1, 2, 3):
        alone = clf.predict_proba(X[i : i + 1, : lengths[i]])
        np.testing.assert_allclose(proba[i : i + 1], alone, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_padding_does_not_leak_into_training(cell):
    """The same sequences padded with NaN to 8 or to 11 steps train the same
    model: the steps past a sequence's end take no part in the fit."""
    X, y = _data(steps=8)
    X, _ = _padded(X, shortest=3)
    longer = np.concatenate([X, np.full((40, 3, 2), np.nan)], axis=1)
    params = dict(cell=cell, recurrent_units=4, bidirectional=True, max_iter=3,
                  random_state=0)  # fmt: skip
    short = RNNRegressor(**params).fit(X, y.astype(float))
    long = RNNRegressor(**params).fit(longer, y.astype(float))
    np.testing.assert_allclose(long._params, short._params, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(long.predict(X), short.predict(X), rtol=1e-12)


@pytest.mark.parametrize("method", ["fit", "predict"])
def test_nan_other_than_end_padding_is_refused(method):
    X, y = _data()
    clf = RNNClassifier(recurrent_units=3, max_iter=2, random_state=0).fit(X, y)
    inside = X.copy()
    inside[3, 2, :] = np.nan  # a padded step followed by valid ones
    some_features = X.copy()
    some_features[4, 5] = np.nan
    some_features[4, 4, 1] = np.nan  # step 4 is NaN in one feature only
    empty = X.copy()
    empty[5] = np.nan
    cases = [
        (inside, r"NaN inside a sequence \(row 3\)"),
        (some_features, r"NaN in some features of a time step only \(row 4\)"),
        (empty, r"NaN only in row 5"),
    ]
    for bad, match in cases:
        with pytest.raises(ValueError, match=match):
            if method == "fit":
                RNNClassifier(recurrent_units=3, max_iter=2).fit(bad, y)
            else:
                clf.predict(bad)


def test_nan_padding_of_2d_and_dataframe_input():
    X, y = _data(features=1)
    X2d = _padded(X)[0][:, :, 0]
    frame = pd.DataFrame(X2d, columns=[f"t{j}" for j in range(6)])
    clf = RNNClassifier(recurrent_units=3, max_iter=3, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == list(frame.columns)
    from_array = RNNClassifier(recurrent_units=3, max_iter=3, random_state=0)
    from_array.fit(X2d, y)
    np.testing.assert_array_equal(clf._params, from_array._params)
    np.testing.assert_array_equal(
        clf.predict_proba(frame), from_array.predict_proba(X2d)
    )
    # Flattened multivariate rows: a padded step is NaN in all its features.
    X3, _ = _padded(_data(features=2)[0])
    flat = RNNClassifier(recurrent_units=3, input_shape=(6, 2), max_iter=2,
                         random_state=0).fit(X3.reshape(40, -1), y)  # fmt: skip
    np.testing.assert_allclose(flat.predict_proba(X3.reshape(40, -1)),
                               flat.predict_proba(X3), rtol=1e-12)  # fmt: skip


def test_prediction_reads_any_number_of_steps():
    X, y = _data(steps=6)
    clf = RNNClassifier(cell="gru", recurrent_units=4, max_iter=3, random_state=0)
    clf.fit(X, y)
    longer = np.concatenate([X, X], axis=1)
    assert clf.predict_proba(longer).shape == (40, 2)
    assert clf.predict_proba(X[:, :2]).shape == (40, 2)
    # The first steps of a longer sequence, NaN-padded, give the short one's.
    padded = longer.copy()
    padded[:, 6:] = np.nan
    np.testing.assert_allclose(clf.predict_proba(padded), clf.predict_proba(X),
                               rtol=1e-12)  # fmt: skip
    with pytest.raises(ValueError, match="sequences of 3 features"):
        clf.predict(np.concatenate([longer, longer[:, :, :1]], axis=2))
    with pytest.raises(ValueError, match="features"):  # 2-D keeps sklearn's check
        clf.predict(longer.reshape(40, -1))
    with pytest.raises(ValueError, match="same shape"):  # training needs it
        clf.partial_fit(longer, y)


def test_input_shape_must_fit_the_data():
    X, y = _data()
    with pytest.raises(ValueError, match=r"input_shape=.*has 15 values"):
        RNNClassifier(input_shape=(5, 3), max_iter=1).fit(X.reshape(40, -1), y)
    with pytest.raises(ValueError, match=r"sequences of shape \(6, 2\)"):
        RNNClassifier(input_shape=(4, 3), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="4 dimensions"):
        RNNClassifier(max_iter=1).fit(X[:, :, :, None], y)


# -------------------------------------------------------------- clip_norm
def test_clip_norm_scales_the_batch_gradient_as_torch_does():
    """One full-batch SGD step (no momentum): ``theta - lr * g * min(1, c /
    (||g|| + 1e-6))``, with g the gradient of the objective at the initial
    weights (read after a step of 1e-300, which leaves them)."""
    loss_and_grad = _engine().loss_and_grad
    X, y = _data(n=30)
    y = y.astype(float)
    common = dict(cell="lstm", recurrent_units=4, solver="sgd", momentum=0.0,
                  batch_size=30, shuffle=False, max_iter=1, alpha=0.01,
                  random_state=0)  # fmt: skip
    start = RNNRegressor(learning_rate_init=1e-300, **common).fit(X, y)
    network = network_from_data(start._network)
    params = start._params.copy()
    _, g = loss_and_grad(network, params, X.reshape(30, -1), y[:, None], None, 0.01,
                         codes.SQUARED_ERROR)  # fmt: skip
    norm = np.sqrt(np.sum(g**2))
    for clip in (None, 1e-3, 10 * norm):
        step = RNNRegressor(learning_rate_init=0.5, clip_norm=clip, **common)
        step.fit(X, y)
        factor = 1.0 if clip is None else min(1.0, clip / (norm + 1e-6))
        np.testing.assert_allclose(step._params, params - 0.5 * factor * g,
                                   rtol=1e-10, atol=1e-14)  # fmt: skip


def test_clip_norm_bounds_each_update():
    X, y = _data(n=64)
    clf = RNNClassifier(recurrent_units=8, solver="sgd", momentum=0.0,
                        learning_rate_init=10.0, clip_norm=0.01, batch_size=16,
                        max_iter=1, random_state=0)  # fmt: skip
    start = RNNClassifier(**{**clf.get_params(), "learning_rate_init": 1e-300})
    start.fit(X, y)
    clf.fit(X, y)
    moved = np.sqrt(np.sum((clf._params - start._params) ** 2))
    assert moved <= 4 * 10.0 * 0.01 * (1 + 1e-9)  # 4 batches of at most lr * c
    assert moved > 0.1


# --------------------------------------------------------- shared behaviour
def test_training_options_shared_with_the_mlps():
    X, y = _data(n=80)
    X, _ = _padded(X)
    clf = RNNClassifier(recurrent_units=4, early_stopping=True, max_iter=15,
                        n_iter_no_change=3, class_weight="balanced",
                        random_state=0).fit(X, y)  # fmt: skip
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ is not None
    warm = RNNClassifier(recurrent_units=4, max_iter=2, warm_start=True,
                         random_state=0).fit(X, y)  # fmt: skip
    before = warm._params.copy()
    warm.fit(X, y)
    assert warm.t_ == 4 * 80 and not np.array_equal(before, warm._params)
    part = RNNClassifier(recurrent_units=4, random_state=0)
    part.partial_fit(X[:40], y[:40], classes=[0, 1]).partial_fit(X[40:], y[40:])
    assert part.n_iter_ == 1 and part.t_ == 80
    reg = RNNRegressor(cell="gru", recurrent_units=4, solver="lbfgs", max_iter=20,
                       random_state=0).fit(X, y.astype(float))  # fmt: skip
    assert 1 <= reg.n_iter_ <= 20 and reg.best_loss_ is None
    weighted = RNNRegressor(recurrent_units=4, max_iter=2, random_state=0)
    weighted.fit(X, y.astype(float), sample_weight=np.linspace(0, 2, 80))
    assert weighted.n_layers_ == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, y = _data()
    clf = RNNClassifier(recurrent_units=3, max_iter=2, random_state=0)
    clf.fit(X.astype(dtype), y)
    assert clf._params.dtype == dtype
    assert clf.predict_proba(X).dtype == dtype


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _data()
    RNNClassifier(recurrent_units=3, max_iter=3, verbose=True).fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 3


def test_stacked_layers_and_dropout_per_layer():
    X, y = _data()
    clf = RNNClassifier(cell="gru", recurrent_units=(4, 3), hidden_layer_sizes=(5,),
                        dropout=[0.1, 0.0, 0.2], max_iter=2,
                        random_state=0).fit(X, y)  # fmt: skip
    network = network_from_data(clf._network)
    kinds = [type(spec).__name__ for spec in network.specs]
    assert kinds == ["Recurrent", "Dropout", "Recurrent", "Dense", "Dropout", "Dense"]
    assert clf.n_layers_ == 5


# -------------------------------------------------------------- persistence
def test_pickle_and_skops_round_trip():
    X, y = _data()
    X, _ = _padded(X)
    clf = RNNClassifier(cell="gru", recurrent_units=(4, 3), bidirectional=True,
                        max_iter=2, random_state=0).fit(X, y)  # fmt: skip
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert np.shares_memory(loaded.coefs_[0], loaded._params)
    sio = pytest.importorskip("skops.io")
    import skdeep

    blob = sio.dumps(clf)
    assert set(sio.get_untrusted_types(data=blob)) == {
        "skdeep.estimators.rnn.RNNClassifier"
    }
    assert "skdeep.estimators.rnn.RNNClassifier" in skdeep.SKOPS_TRUSTED_TYPES
    loaded = sio.loads(blob, trusted=list(skdeep.SKOPS_TRUSTED_TYPES))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_loss_curve_display():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skdeep import LossCurveDisplay

    X, y = _data(n=60)
    clf = RNNClassifier(recurrent_units=3, max_iter=4, early_stopping=True,
                        random_state=0).fit(X, y)  # fmt: skip
    display = LossCurveDisplay.from_estimator(clf)
    buffer = io.BytesIO()
    display.figure_.savefig(buffer, format="png")
    assert buffer.tell() > 1000


def test_convergence_warning_at_max_iter():
    X, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RNNClassifier(recurrent_units=3, max_iter=1).fit(X, y)
    assert any(w.category is ConvergenceWarning for w in caught)
