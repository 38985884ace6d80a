"""scikit-learn's estimator checks over every skdeep estimator and configuration."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeep import MLPClassifier, MLPRegressor

ESTIMATORS = [
    MLPClassifier(max_iter=100),
    MLPRegressor(max_iter=100),
    # Non-default configurations that exercise other kernels and code paths.
    MLPClassifier(hidden_layer_sizes=(32, 16), dropout=0.1, max_iter=200),
    MLPClassifier(solver="sgd", momentum=0.9, learning_rate_init=0.05, max_iter=50),
    MLPClassifier(solver="lbfgs", activation="tanh", max_iter=50),
    MLPRegressor(
        solver="rmsprop", activation="leaky_relu", learning_rate="step", max_iter=50
    ),
    MLPRegressor(
        solver="adagrad",
        learning_rate="exponential",
        learning_rate_init=0.01,
        max_iter=50,
    ),
]


def expected_failed_checks(estimator) -> dict:
    """Checks that must fail for a configuration, with the reason."""
    if getattr(estimator, "dropout", 0.0):
        reason = (
            "dropout draws one mask per row, so a row repeated twice gets two masks "
            "while a row of weight 2 gets one: the fits differ by design"
        )
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
