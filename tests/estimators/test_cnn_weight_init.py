"""CNN weight_init: the network starts from PyTorch's U(-1/sqrt(fan_in),
1/sqrt(fan_in)) draws (or scikit-learn's Glorot ones), made here with NumPy in
scikit-learn's order (weights then biases, layer by layer)."""

import warnings
from math import sqrt

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdeep import CNNClassifier, CNNRegressor


@pytest.mark.parametrize("scheme", ["pytorch", "glorot"])
@pytest.mark.parametrize("model", [CNNClassifier, CNNRegressor])
def test_first_weights_are_the_schemes_draws(scheme, model):
    rng = np.random.RandomState(1)
    X = rng.rand(30, 1, 6, 6)
    y = np.arange(30) % 3
    est = model(filters=(4,), kernel_size=3, padding="valid", pool_size=2,
                hidden_layer_sizes=(5,), weight_init=scheme, max_iter=1,
                learning_rate_init=1e-12, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    n_out = 3 if model is CNNClassifier else 1
    # conv 1 -> 4 (3x3) on 6x6 -> 4x4, pool -> 2x2: dense 16 -> 5 -> n_out
    shapes = [((4, 1, 3, 3), 4), ((16, 5), 5), ((5, n_out), n_out)]
    fans = [(9, 36), (16, 5), (5, n_out)]
    draws = np.random.RandomState(0)
    for coef, intercept, (shape, n_b), (fan_in, fan_out) in zip(
        est.coefs_, est.intercepts_, shapes, fans, strict=True
    ):
        bound = (
            1 / sqrt(fan_in) if scheme == "pytorch" else sqrt(6 / (fan_in + fan_out))
        )
        np.testing.assert_allclose(coef, draws.uniform(-bound, bound, shape),
                                   atol=1e-9, rtol=0)  # fmt: skip
        np.testing.assert_allclose(intercept, draws.uniform(-bound, bound, n_b),
                                   atol=1e-9, rtol=0)  # fmt: skip


def test_default_is_glorot():
    assert CNNClassifier().weight_init == "glorot"
    assert CNNRegressor().weight_init == "glorot"
