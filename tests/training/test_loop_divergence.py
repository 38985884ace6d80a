"""The divergence a new user hit (issue 15), exactly as reported.

``MLPRegressor(solver='sgd', learning_rate_init=1e4)`` on standardized float32
data used to keep a "last finite epoch" with weights near 1e18 whose predictions
on the training rows were 2e37 (and inf on ``100 * X``). Such a model is no more
usable than a NaN one: the fit must raise the documented ValueError and leave the
previously fitted model exactly as it was, on X and on ``100 * X``.
``tests/reliability/test_divergence.py`` covers every estimator in both dtypes.
"""

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from skdeep import MLPRegressor


def _identical(actual, expected):
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(actual[key], value, strict=True)
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            for a, b in zip(actual[key], value, strict=True):
                np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_a_huge_sgd_rate_on_standardized_float32_data_raises(scale):
    X, y = make_regression(n_samples=300, n_features=8, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    y = y.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPRegressor(random_state=0, max_iter=20).fit(X, y)
    before_predictions = est.predict(X)
    est.set_params(solver="sgd", learning_rate_init=1e4)
    before = copy.deepcopy(vars(est))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"Training diverged"):
            est.fit(X * np.float32(scale), y)
    _identical(vars(est), before)
    np.testing.assert_array_equal(est.predict(X), before_predictions)
    # The refused model is not kept anywhere: what is kept predicts finite values
    # far below float32's limit, also on 100 * X.
    assert np.abs(est.predict(100 * X)).max() < np.finfo(np.float32).max ** 0.5
