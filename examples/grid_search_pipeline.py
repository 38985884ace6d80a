"""GridSearchCV over a Pipeline of a scaler and skdeep's MLPClassifier.

Usage: python examples/grid_search_pipeline.py [--fast] [--out DIR]
"""

import warnings

from _common import parse_args
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import MLPClassifier

args = parse_args(__doc__.splitlines()[0])
X, y = load_digits(return_X_y=True)
if args.fast:
    X, y = X[:400], y[:400]
pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=5 if args.fast else 100,
                                                     random_state=0))  # fmt: skip
# Fit once in this process first, so the two workers load the compiled kernels
# from the on-disk cache instead of both compiling them.
pipe.fit(X[:50], y[:50])
grid = GridSearchCV(
    pipe,
    {"mlpclassifier__hidden_layer_sizes": [(32,), (64,)],
     "mlpclassifier__alpha": [1e-4, 1e-2],
     "mlpclassifier__dropout": [0.0, 0.2]},
    cv=3,
    n_jobs=2,
)  # fmt: skip
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    grid.fit(X, y)
print(f"best cross-validated accuracy {grid.best_score_:.4f} with {grid.best_params_}")
