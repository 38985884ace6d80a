"""skdeep: neural-network estimators for scikit-learn, trained in Numba kernels.

Importing skdeep compiles nothing: kernels compile on first use and are cached on
disk, so later processes load them instead. Estimator modules are imported on first
access (``from skdeep import MLPClassifier`` loads only the MLP's modules), which
keeps the start-up of a script that uses one estimator short. The plotting
Display objects import matplotlib only when they draw.
"""

import importlib

from skdeep._version import __version__

_LAZY_MODULES = {
    "AdversarialAutoencoder": "skdeep.estimators.autoencoders",
    "CNNClassifier": "skdeep.estimators.cnn",
    "CNNRegressor": "skdeep.estimators.cnn",
    "DenoisingAutoencoder": "skdeep.estimators.autoencoders",
    "MLPClassifier": "skdeep.estimators.mlp",
    "MLPRegressor": "skdeep.estimators.mlp",
    "PerceptronClassifier": "skdeep.estimators.perceptron",
    "RNNClassifier": "skdeep.estimators.rnn",
    "RNNRegressor": "skdeep.estimators.rnn",
    "SparseAutoencoder": "skdeep.estimators.autoencoders",
    "VariationalAutoencoder": "skdeep.estimators.autoencoders",
    # Plots (matplotlib is imported only when plotting).
    "FilterDisplay": "skdeep.integrations.plotting",
    "LossCurveDisplay": "skdeep.integrations.plotting",
    "ReconstructionDisplay": "skdeep.integrations.plotting",
    "SampleDisplay": "skdeep.integrations.plotting",
}

#: Every skdeep type a fitted estimator's state may hold: the public estimator
#: classes only (their fitted state is NumPy arrays, builtins, tuples, dicts and
#: scikit-learn's own types). Pass them to ``skops.io.load(path, trusted=...)``;
#: any other type that ``skops.io.get_untrusted_types`` reports for a file is not
#: skdeep's.
SKOPS_TRUSTED_TYPES = (
    *(f"{module}.{name}" for name, module in sorted(_LAZY_MODULES.items())
      if module.startswith("skdeep.estimators")),
)  # fmt: skip

__all__ = [*sorted(_LAZY_MODULES), "SKOPS_TRUSTED_TYPES", "__version__", "precompile"]


def __getattr__(name: str):
    if name == "precompile":  # the module is callable: skdeep.precompile(...)
        return importlib.import_module("skdeep.precompile")
    if name in _LAZY_MODULES:
        value = getattr(importlib.import_module(_LAZY_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skdeep' has no attribute {name!r}")


def __dir__():
    return __all__
