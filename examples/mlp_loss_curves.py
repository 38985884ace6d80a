"""skdeep's MLPClassifier next to scikit-learn's, with both loss curves.

Same network, same initial weights (same random_state) and no shuffling: the two
curves lie on top of each other, because skdeep computes the same updates.
Saves ``mlp_loss_curves.png``.

Usage: python examples/mlp_loss_curves.py [--fast] [--out DIR]
"""

import os
import warnings

import matplotlib.pyplot as plt
from _common import parse_args
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

from skdeep import LossCurveDisplay, MLPClassifier

args = parse_args(__doc__.splitlines()[0])
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
params = dict(hidden_layer_sizes=(64,), max_iter=5 if args.fast else 60,
              shuffle=False, random_state=0)  # fmt: skip
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ours = MLPClassifier(**params).fit(X, y)
    theirs = SklearnMLP(**params).fit(X, y)
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
display = LossCurveDisplay.from_estimator(ours, ax=ax)
display.line_.set_label("skdeep")
ax.plot(range(1, len(theirs.loss_curve_) + 1), theirs.loss_curve_, "--",
        label="scikit-learn")  # fmt: skip
ax.set_title("Training loss from the same initial weights")
ax.legend()
path = os.path.join(args.out, "mlp_loss_curves.png")
fig.savefig(path)
gap = max(abs(a - b) for a, b in zip(ours.loss_curve_, theirs.loss_curve_))
print(f"largest loss difference over {ours.n_iter_} epochs: {gap:.1e}; saved {path}")
