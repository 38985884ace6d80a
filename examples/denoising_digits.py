"""A denoising autoencoder cleaning noisy digits.

Saves ``denoising_digits.png``: originals, noisy inputs, reconstructions.

Usage: python examples/denoising_digits.py [--fast] [--out DIR]
"""

import os
import warnings

import numpy as np
from _common import parse_args
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import DenoisingAutoencoder, ReconstructionDisplay

args = parse_args(__doc__.splitlines()[0])
X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16.0, test_size=0.25, random_state=0)
dae = DenoisingAutoencoder(
    n_components=16,
    noise="gaussian",
    noise_level=0.2,
    out_activation="sigmoid",
    loss="binary_crossentropy",
    max_iter=5 if args.fast else 150,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    dae.fit(X_train)
rng = np.random.RandomState(1)
noisy = np.clip(X_test + 0.2 * rng.randn(*X_test.shape), 0, 1)
cleaned = dae.inverse_transform(dae.transform(noisy))
print(f"mean squared distance to the clean digits: noisy "
      f"{np.mean((noisy - X_test) ** 2):.4f}, cleaned "
      f"{np.mean((cleaned - X_test) ** 2):.4f}")  # fmt: skip
display = ReconstructionDisplay.from_estimator(dae, X_test, n_images=8, random_state=1)
path = os.path.join(args.out, "denoising_digits.png")
display.figure_.savefig(path)
print(f"saved {path}")
