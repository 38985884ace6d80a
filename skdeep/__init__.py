"""skdeep: neural-network estimators for scikit-learn, trained in Numba kernels.

Importing skdeep compiles nothing: kernels compile on first use and are cached on
disk, so later processes load them instead. Estimator modules are imported on first
access (``from skdeep import MLPClassifier`` loads only the MLP's modules), which
keeps the start-up of a script that uses one estimator short.
"""

import importlib

__version__ = "0.1.0.dev0"

_ESTIMATOR_MODULES = {
    "AdversarialAutoencoder": "skdeep.estimators.autoencoders",
    "CNNClassifier": "skdeep.estimators.cnn",
    "CNNRegressor": "skdeep.estimators.cnn",
    "DenoisingAutoencoder": "skdeep.estimators.autoencoders",
    "MLPClassifier": "skdeep.estimators.mlp",
    "MLPRegressor": "skdeep.estimators.mlp",
    "PerceptronClassifier": "skdeep.estimators.perceptron",
    "SparseAutoencoder": "skdeep.estimators.autoencoders",
    "VariationalAutoencoder": "skdeep.estimators.autoencoders",
}

__all__ = [*sorted(_ESTIMATOR_MODULES), "__version__"]


def __getattr__(name: str):
    if name in _ESTIMATOR_MODULES:
        value = getattr(importlib.import_module(_ESTIMATOR_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skdeep' has no attribute {name!r}")


def __dir__():
    return __all__
