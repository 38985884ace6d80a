"""skdeep: neural-network estimators for scikit-learn, trained in Numba kernels.

Importing skdeep compiles nothing: kernels compile on first use and are cached on
disk, so later processes load them instead.
"""

from skdeep.estimators.autoencoders import (
    AdversarialAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from skdeep.estimators.cnn import CNNClassifier, CNNRegressor
from skdeep.estimators.mlp import MLPClassifier, MLPRegressor
from skdeep.estimators.perceptron import PerceptronClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "AdversarialAutoencoder",
    "CNNClassifier",
    "CNNRegressor",
    "DenoisingAutoencoder",
    "MLPClassifier",
    "MLPRegressor",
    "PerceptronClassifier",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
]
