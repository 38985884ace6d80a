"""A CNN on the 8x8 digits, configured by hyperparameters only, and its filters.

Saves ``cnn_filters.png`` (the first convolution's 3x3 filters).

Usage: python examples/cnn_filters.py [--fast] [--out DIR]
"""

import os
import warnings

from _common import parse_args
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import CNNClassifier, FilterDisplay

args = parse_args(__doc__.splitlines()[0])
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, stratify=y, test_size=0.25, random_state=0
)
cnn = CNNClassifier(filters=(16,), dropout=0.25, max_iter=3 if args.fast else 40,
                    random_state=0)  # fmt: skip
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    cnn.fit(X_train, y_train)
display = FilterDisplay.from_estimator(cnn, name="first-layer filters")
path = os.path.join(args.out, "cnn_filters.png")
display.figure_.savefig(path)
print(f"test accuracy {cnn.score(X_test, y_test):.4f}; saved {path}")
