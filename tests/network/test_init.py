"""Initialization schemes of Network.init: scikit-learn's Glorot bound and
PyTorch's 1/sqrt(fan_in) (kaiming-uniform with a = sqrt(5)), drawn in
scikit-learn's order, against draws made here with NumPy."""

from math import sqrt

import numpy as np
import pytest

from skdeep.network.network import Network
from skdeep.network.specs import Conv2D, Dense, Flatten, MaxPool2D


def _cnn():
    return Network(
        (3, 8, 8),
        (Conv2D(4, 3, 3, padding="same", activation_name="relu"), MaxPool2D(2, 2),
         Flatten(), Dense(5, "relu"), Dense(2)),
    )  # fmt: skip


def _expected(network, bounds, seed=0):
    rs = np.random.RandomState(seed)
    coefs, intercepts = [], []
    for layer, bound in zip(network.parametric_layers, bounds, strict=True):
        coefs.append(rs.uniform(-bound, bound, layer.weight_shape))
        intercepts.append(rs.uniform(-bound, bound, layer.n_biases))
    return network.pack(coefs, intercepts, np.float64)


def test_pytorch_scheme_draws_one_over_sqrt_fan_in():
    network = _cnn()
    # fan_in: conv C_in kh kw = 27, dense 4*4*4 = 64, then 5.
    gain = sqrt(2.0 / (1 + 5))  # kaiming_uniform(a=sqrt(5)): gain sqrt(3 / fan_in)
    torch_bounds = [gain * sqrt(3.0 / fan_in) for fan_in in (27, 64, 5)]
    bounds = [1 / sqrt(27), 1 / sqrt(64), 1 / sqrt(5)]
    np.testing.assert_allclose(torch_bounds, bounds, rtol=1e-15)
    params = network.init(np.random.RandomState(0), np.float64, scheme="pytorch")
    np.testing.assert_array_equal(params, _expected(network, bounds))
    for coef, bound in zip(network.views(params)[0], bounds, strict=True):
        assert np.abs(coef).max() <= bound


def test_glorot_scheme_is_unchanged():
    network = _cnn()
    fans = [(27, 36), (64, 5), (5, 2)]  # conv fan_out = C_out kh kw
    bounds = [sqrt(6.0 / (a + b)) for a, b in fans]
    params = network.init(np.random.RandomState(0), np.float64)
    np.testing.assert_array_equal(params, _expected(network, bounds))
    same = network.init(np.random.RandomState(0), np.float64, scheme="glorot")
    np.testing.assert_array_equal(params, same)


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scheme"):
        _cnn().init(np.random.RandomState(0), np.float64, scheme="he")
