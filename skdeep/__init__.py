"""skdeep: neural-network estimators for scikit-learn, trained in Numba kernels.

Importing skdeep compiles nothing: kernels compile on first use and are cached on
disk, so later processes load them instead.
"""

from skdeep.estimators.mlp import MLPClassifier, MLPRegressor
from skdeep.estimators.perceptron import PerceptronClassifier

__version__ = "0.1.0.dev0"

__all__ = ["MLPClassifier", "MLPRegressor", "PerceptronClassifier", "__version__"]
