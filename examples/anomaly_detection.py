"""Anomaly detection with an autoencoder's ``score_samples``.

Trained on digits 0-8, a variational autoencoder scores held-out digits 0-8
above the unseen digit 9 and far above random-noise images. Saves
``anomaly_detection.png`` (score histograms).

Usage: python examples/anomaly_detection.py [--fast] [--out DIR]
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _common import parse_args
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skdeep import VariationalAutoencoder

args = parse_args(__doc__.splitlines()[0])
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X[y != 9], test_size=0.25, random_state=0)
noise = np.random.RandomState(0).uniform(size=(200, X.shape[1]))
vae = VariationalAutoencoder(n_components=4, max_iter=5 if args.fast else 100,
                             random_state=0)  # fmt: skip
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    vae.fit(X_train)
groups = {"held-out 0-8": X_test, "unseen 9": X[y == 9], "random noise": noise}
scores = {name: vae.score_samples(rows) for name, rows in groups.items()}
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, values in scores.items():
    ax.hist(values, bins=40, alpha=0.6, label=name)
ax.set_xlabel("score_samples (ELBO)")
ax.set_ylabel("rows")
ax.legend()
path = os.path.join(args.out, "anomaly_detection.png")
fig.savefig(path)
normal = scores["held-out 0-8"]
for name in ("unseen 9", "random noise"):
    labels = np.r_[np.ones(len(normal)), np.zeros(len(scores[name]))]
    auc = roc_auc_score(labels, np.r_[normal, scores[name]])
    print(f"ROC AUC, held-out digits vs {name}: {auc:.3f}")
print(f"saved {path}")
