"""One small, fast configuration of every skdeep estimator, with fit data.

Shared by the table-driven reliability tests: each entry knows what kind of
estimator it is (classifier, regressor or transformer), which methods it has and
the data it is fitted on. Configurations are tiny (few epochs, small layers), and
the CNNs see 16 features, i.e. 4x4 images, and the RNNs univariate series of 16
steps.

Besides one default-like configuration per estimator (named after its class),
variants named ``Class+variant`` exercise layers the defaults lack (batch
normalization, 1-D signals, global pooling, residual groups); tables keyed by
estimator use the class name (:attr:`EstimatorSpec.cls`) unless a variant needs
an entry of its own.

``epoch_kernel`` names the compiled kernel that ``fit`` calls for every epoch (for
every one-vs-rest problem, for the perceptron), as ``"module:attribute"``: the
interrupt tests patch it to simulate a Ctrl-C during an epoch.
"""

from dataclasses import dataclass, field

import numpy as np

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

N_SAMPLES = 24
N_FEATURES = 16  # 4x4 images for the CNNs
MLP_EPOCH = "skdeep.training.runner:train_epoch"
AUTOENCODER_EPOCH = "skdeep.training.runner:train_epoch"
SMALL_AE = dict(n_components=2, hidden_layer_sizes=(4,), max_iter=3, random_state=0)
SMALL_RNN = dict(recurrent_units=(4,), max_iter=3, random_state=0)


@dataclass(frozen=True)
class EstimatorSpec:
    """A configuration to build fresh estimators from, and its fit data."""

    name: str
    make: type
    epoch_kernel: str
    params: dict = field(default_factory=dict)
    kind: str = "classifier"  # "classifier", "regressor" or "transformer"
    sparse: bool = True
    sample_weight: bool = True
    images: bool = False  # accepts 3-D (n, H, W) and 4-D (n, C, H, W) input
    sequences: bool = False  # accepts 3-D (n, n_timesteps, n_features) input

    @property
    def cls(self) -> str:
        """The estimator's class name (a variant's name adds ``+variant``)."""
        return self.make.__name__

    def build(self):
        return self.make(**self.params)

    def data(self, dtype=np.float64):
        """``(X, y)`` to fit on; ``y`` is None for transformers."""
        rng = np.random.RandomState(0)
        X = rng.rand(N_SAMPLES, N_FEATURES).astype(dtype)
        if self.kind == "classifier":
            y = np.arange(N_SAMPLES) % 3
        elif self.kind == "regressor":
            y = X[:, 0] + 0.5 * X[:, 1]
        else:
            y = None
        return X, y

    def fitted(self, dtype=np.float64):
        X, y = self.data(dtype)
        return self.build().fit(X, y)

    def predict_methods(self):
        """Names of the inference methods that take ``X`` like ``fit`` does."""
        if self.kind == "classifier":
            names = ["predict", "decision_function", "predict_proba"]
        elif self.kind == "regressor":
            names = ["predict"]
        else:
            names = ["transform", "score_samples"]
        return [name for name in names if hasattr(self.make, name)]

    def outputs(self, est, X) -> dict:
        """What ``est`` computes from ``X``, by inference method."""
        return {name: getattr(est, name)(X) for name in self.predict_methods()}

    def fit_methods(self):
        return ["fit", "partial_fit"] if hasattr(self.make, "partial_fit") else ["fit"]

    def __str__(self):
        return self.name


SPECS = [
    EstimatorSpec(
        "MLPClassifier",
        MLPClassifier,
        MLP_EPOCH,
        dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
    ),
    EstimatorSpec(
        "MLPRegressor",
        MLPRegressor,
        MLP_EPOCH,
        dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        kind="regressor",
    ),
    EstimatorSpec(
        "PerceptronClassifier",
        PerceptronClassifier,
        "skdeep._kernels.perceptron:perceptron_epoch",
        dict(max_iter=3, tol=None, random_state=0),
    ),
    EstimatorSpec(
        "CNNClassifier",
        CNNClassifier,
        MLP_EPOCH,
        dict(filters=(2,), hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        images=True,
    ),
    EstimatorSpec(
        "CNNRegressor",
        CNNRegressor,
        MLP_EPOCH,
        dict(filters=(2,), hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        kind="regressor",
        images=True,
    ),
    EstimatorSpec(
        "RNNClassifier",
        RNNClassifier,
        MLP_EPOCH,
        SMALL_RNN,
        sequences=True,
    ),
    EstimatorSpec(
        "RNNRegressor",
        RNNRegressor,
        MLP_EPOCH,
        {**SMALL_RNN, "cell": "gru"},
        kind="regressor",
        sequences=True,
    ),
    EstimatorSpec(
        "MLPClassifier+batch_norm",
        MLPClassifier,
        MLP_EPOCH,
        dict(
            hidden_layer_sizes=(4,),
            batch_norm=True,
            dropout=0.1,
            max_iter=3,
            random_state=0,
        ),
    ),
    EstimatorSpec(
        "CNNClassifier+fcn",  # the FCN recipe, scaled down, on 2 signals of 8 steps
        CNNClassifier,
        MLP_EPOCH,
        dict(
            input_shape=(2, 8),
            filters=(2, 3, 2),
            kernel_size=(8, 5, 3),
            pool_size=None,
            batch_norm=True,
            global_pool="avg",
            hidden_layer_sizes=(),
            batch_size=16,
            max_iter=3,
            random_state=0,
        ),
        images=True,
    ),
    EstimatorSpec(
        "CNNRegressor+resnet",  # residual groups, batch norm and global max on 4x4
        CNNRegressor,
        MLP_EPOCH,
        dict(
            filters=(2, 2, 3, 3),
            kernel_size=(3, 2, 3, 2),
            pool_size=None,
            batch_norm=True,
            residual=True,
            residual_block_size=2,
            global_pool="max",
            hidden_layer_sizes=(3,),
            max_iter=3,
            random_state=0,
        ),
        kind="regressor",
        images=True,
    ),
    EstimatorSpec(
        "DenoisingAutoencoder",
        DenoisingAutoencoder,
        AUTOENCODER_EPOCH,
        SMALL_AE,
        kind="transformer",
        sample_weight=False,
    ),
    EstimatorSpec(
        "DenoisingAutoencoder+batch_norm",
        DenoisingAutoencoder,
        AUTOENCODER_EPOCH,
        {**SMALL_AE, "batch_norm": True},
        kind="transformer",
        sample_weight=False,
    ),
    EstimatorSpec(
        "SparseAutoencoder",
        SparseAutoencoder,
        AUTOENCODER_EPOCH,
        SMALL_AE,
        kind="transformer",
        sample_weight=False,
    ),
    EstimatorSpec(
        "VariationalAutoencoder",
        VariationalAutoencoder,
        AUTOENCODER_EPOCH,
        SMALL_AE,
        kind="transformer",
        sample_weight=False,
    ),
    EstimatorSpec(
        "AdversarialAutoencoder",
        AdversarialAutoencoder,
        "skdeep.training.runner:adversarial_epoch",
        {**SMALL_AE, "discriminator_layer_sizes": (4,)},
        kind="transformer",
        sample_weight=False,
    ),
]
