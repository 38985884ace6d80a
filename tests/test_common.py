"""scikit-learn's estimator checks over every skdeep estimator and configuration.

Each configuration's expected failures are listed below with their reason; every
other check must pass.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeep import (
    AdversarialAutoencoder,
    CNNClassifier,
    CNNRegressor,
    DenoisingAutoencoder,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    RNNClassifier,
    RNNRegressor,
    SparseAutoencoder,
    VariationalAutoencoder,
)

SMALL_CNN = dict(filters=(4,), hidden_layer_sizes=(16,), random_state=0)

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
    PerceptronClassifier(),
    PerceptronClassifier(average=True),
    CNNClassifier(**SMALL_CNN, max_iter=100),
    CNNRegressor(**SMALL_CNN, max_iter=100),
    CNNClassifier(**SMALL_CNN, max_iter=100, weight_init="pytorch"),
    # Kernels that fit the 2x2 and 3x3 images scikit-learn's checks make of 4 and 9
    # features (only the single-row images of other widths clip their kernels).
    CNNClassifier(
        filters=(3, 4),
        kernel_size=(2, 1),
        pool_size=None,
        strides=(1, 2),
        padding="valid",
        hidden_layer_sizes=(),
        dropout=0.2,
        solver="sgd",
        max_iter=50,
        learning_rate_init=0.05,
    ),
    # Batch normalization: the checks' tiny fits normalize with the statistics of
    # one full batch, and sample weights count as repetitions there too.
    MLPClassifier(hidden_layer_sizes=(16, 8), batch_norm=True, max_iter=100),
    MLPRegressor(hidden_layer_sizes=(8,), batch_norm=True, solver="lbfgs", max_iter=50),
    # The FCN recipe (scaled down) on the checks' rows read as single-row images
    # (1-D convolutions, batch norm per channel, global average pooling), and
    # residual groups of two blocks with batch norm.
    CNNClassifier(
        filters=(4, 8, 4),
        kernel_size=(8, 5, 3),
        pool_size=None,
        batch_norm=True,
        global_pool="avg",
        hidden_layer_sizes=(),
        max_iter=50,
        random_state=0,
    ),
    CNNRegressor(
        filters=(3, 3),
        kernel_size=(2, 1),
        padding="same",
        pool_size=None,
        batch_norm=True,
        residual=True,
        residual_block_size=2,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=50,
        random_state=0,
    ),
    # The checks' 2-D rows are univariate series (one step per column).
    RNNClassifier(),
    RNNRegressor(learning_rate_init=0.01),
    RNNClassifier(
        cell="gru",
        recurrent_units=(8, 8),
        bidirectional=True,
        hidden_layer_sizes=(8,),
        dropout=0.1,
        clip_norm=1.0,
        learning_rate_init=0.01,
        max_iter=50,
    ),
    RNNRegressor(cell="rnn", recurrent_units=(16,), solver="lbfgs", max_iter=100),
    DenoisingAutoencoder(n_components=2, hidden_layer_sizes=(8,), max_iter=20),
    DenoisingAutoencoder(
        n_components=2, hidden_layer_sizes=(8,), batch_norm=True, max_iter=20
    ),
    # scikit-learn's checks fit rows around 100 unscaled: plain SGD with momentum
    # diverges there above a rate of 1e-4 (a fit that skdeep refuses).
    DenoisingAutoencoder(
        n_components=3,
        hidden_layer_sizes=(6, 4),
        noise="salt_pepper",
        dropout=0.1,
        solver="sgd",
        learning_rate_init=1e-4,
        max_iter=20,
    ),
    SparseAutoencoder(n_components=3, hidden_layer_sizes=(8,), max_iter=20),
    VariationalAutoencoder(n_components=2, hidden_layer_sizes=(8,), max_iter=20),
    AdversarialAutoencoder(
        n_components=2,
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=20,
    ),
]

DROPOUT_REASON = (
    "dropout draws one mask per row, so a row repeated twice gets two masks while a "
    "row of weight 2 gets one: the fits differ by design"
)
SGD_WEIGHT_REASON = (
    "sample_weight is not equivalent to repeating samples in the perceptron's "
    "per-sample updates: a repeated sample makes two updates, a weighted one makes "
    "one (sklearn expects the same failure for its Perceptron)"
)
RECURRENT_LBFGS_REASON = (
    "L-BFGS on a recurrent network's non-convex objective: the weighted and the "
    "repeated problems are equal, but rounding sends the line searches to nearby "
    "different points (outputs differ by ~1e-4, beyond the check's 1e-9)"
)
AVERAGED_CLASS_WEIGHT_REASON = (
    "with class weights 1000 vs 0.0001 the average keeps the early iterates' bias; "
    "sklearn's SGDClassifier(loss='perceptron', average=True) fails it too"
)


def expected_failed_checks(estimator) -> dict:
    """Checks that must fail for a configuration, with the reason."""
    failures = {}
    if isinstance(estimator, PerceptronClassifier):
        failures["check_sample_weight_equivalence_on_dense_data"] = SGD_WEIGHT_REASON
        failures["check_sample_weight_equivalence_on_sparse_data"] = SGD_WEIGHT_REASON
        if estimator.average:
            failures["check_class_weight_classifiers"] = AVERAGED_CLASS_WEIGHT_REASON
    elif (
        isinstance(estimator, RNNClassifier | RNNRegressor)
        and estimator.solver == "lbfgs"
    ):
        failures["check_sample_weight_equivalence_on_dense_data"] = (
            RECURRENT_LBFGS_REASON
        )
        failures["check_sample_weight_equivalence_on_sparse_data"] = (
            RECURRENT_LBFGS_REASON
        )
    elif (
        isinstance(
            estimator,
            MLPClassifier | MLPRegressor | CNNClassifier | RNNClassifier | RNNRegressor,
        )
        and estimator.dropout
    ):
        # The autoencoders' dropout passes the checks (they take no sample_weight).
        failures["check_sample_weight_equivalence_on_dense_data"] = DROPOUT_REASON
        failures["check_sample_weight_equivalence_on_sparse_data"] = DROPOUT_REASON
    return failures


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
