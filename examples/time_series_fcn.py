"""The FCN of Wang, Yan and Oates (2017) on generated series, and where it looks.

Three classes of series: a box, a triangle or one period of a sine, each at a
random position in noise. The FCN recipe (three convolution blocks with batch
normalization and ReLU, global average pooling, softmax) finds the shape wherever
it is. Its class activation map (Zhou et al. 2016, as in the FCN paper) weighs
the last block's channels by the output layer's weights of the predicted class:
``cam(t) = sum_k W[k, c] A_k(t)``; it peaks on the shape.

Saves ``time_series_fcn.png`` (a few series coloured by their class activation).

Usage: python examples/time_series_fcn.py [--fast] [--out DIR]
"""

import os
import warnings

import numpy as np
from _common import parse_args
from scipy.signal import correlate

from skdeep import CNNClassifier

args = parse_args(__doc__.splitlines()[0])
LENGTH, WIDTH = 128, 16
NAMES = ["box", "triangle", "sine"]


def shapes_at_random_positions(n, seed):
    rng = np.random.RandomState(seed)
    y = rng.randint(3, size=n)
    X = 0.3 * rng.randn(n, LENGTH)
    t = np.arange(WIDTH)
    half = (WIDTH - 1) / 2
    forms = [np.ones(WIDTH), 1.5 * (1 - np.abs(t - half) / half),
             np.sin(2 * np.pi * t / WIDTH)]  # fmt: skip
    for i in range(n):
        start = rng.randint(0, LENGTH - WIDTH + 1)
        X[i, start : start + WIDTH] += forms[y[i]]
    return X, y


X_train, y_train = shapes_at_random_positions(300 if args.fast else 1000, seed=0)
X_test, y_test = shapes_at_random_positions(500, seed=1)

# The recipe: input_shape=(channels, length), three blocks of 128, 256 and 128
# filters of widths 8, 5 and 3, batch norm, global average pooling, no dense
# hidden layer; Adam at 0.001 and batches of 16 as in the paper (which trains for
# 2,000 epochs; a few dozen suffice here).
fcn = CNNClassifier(
    input_shape=(1, LENGTH),
    filters=(32, 64, 32) if args.fast else (128, 256, 128),
    kernel_size=(8, 5, 3),
    pool_size=None,
    batch_norm=True,
    global_pool="avg",
    hidden_layer_sizes=(),
    batch_size=16,
    max_iter=5 if args.fast else 40,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # ConvergenceWarning of the short fit
    fcn.fit(X_train, y_train)
print(f"FCN test accuracy {fcn.score(X_test, y_test):.3f}")


def last_block(fcn, X):
    """The last block's outputs ``A`` (n, channels, length), recomputed from the
    fitted filters, biases and running statistics: convolution with PyTorch's
    'same' padding, batch normalization in prediction mode, ReLU."""
    a = X[:, None, :]
    for kernel, bias, norm in zip(
        fcn.filters_, fcn.intercepts_, fcn.batch_norm_layers_
    ):
        k = kernel.shape[-1]
        padded = np.pad(a, ((0, 0), (0, 0), ((k - 1) // 2, k // 2)))
        z = np.stack([
            [sum(correlate(x[c], kernel[o, c, 0], mode="valid")
                 for c in range(x.shape[0])) + bias[o]
             for o in range(kernel.shape[0])]
            for x in padded
        ])  # fmt: skip
        scale = norm["scale"] / np.sqrt(norm["running_var"] + 1e-5)
        z = (
            scale[:, None] * (z - norm["running_mean"][:, None])
            + norm["shift"][:, None]
        )
        a = np.maximum(z, 0.0)
    return a


shown = [int(np.flatnonzero(y_test == c)[0]) for c in range(3)]
A = last_block(fcn, X_test[shown])
predicted = fcn.predict(X_test[shown])
W = fcn.coefs_[-1]  # (channels, classes): the output layer after the pooling
# The pooled features are the channel means of A: the recomputation must agree
# with the model's own prediction.
logits = A.mean(axis=2) @ W + fcn.intercepts_[-1]
assert np.array_equal(np.argmax(logits, axis=1), predicted)

import matplotlib.pyplot as plt  # noqa: E402

fig, axes = plt.subplots(len(shown), 1, figsize=(8, 2.2 * len(shown)), sharex=True)
for ax, i, a, c in zip(axes, shown, A, predicted):
    cam = W[:, c] @ a  # (length,)
    cam = (cam - cam.min()) / (np.ptp(cam) + 1e-12)
    t = np.arange(LENGTH)
    ax.plot(t, X_test[i], color="0.8", lw=1, zorder=1)
    points = ax.scatter(t, X_test[i], c=cam, cmap="jet", s=8, zorder=2)
    ax.set_title(f"true: {NAMES[y_test[i]]}, predicted: {NAMES[c]}", fontsize=9)
fig.colorbar(points, ax=axes, label="class activation (scaled)")
axes[-1].set_xlabel("time step")
path = os.path.join(args.out, "time_series_fcn.png")
fig.savefig(path, dpi=100)
print(f"saved {path}")
