"""Recognizing activities from a phone's accelerometer: a GRU next to an MLP.

Generated recordings that look like a phone's 3-axis accelerometer in a trouser
pocket, sampled at 10 Hz for 4 to 8 seconds: walking, running, standing,
sitting down, standing up, falling. The walking and running gait is a periodic
bounce (frequency, amplitude and phase vary), gravity shows which way the phone
points (upright, tilted forward when seated, sideways when lying), the phone's
angle in the pocket varies, and sensor noise is added. The transitions happen at
a random moment.

Recordings of different durations are padded at the end with NaN: the
RNNClassifier reads each one up to its last valid step. The MLP sees the same
recordings flattened to one row (NaN padding as zeros, standardized), as a
scikit-learn model would: it must learn each pattern at every position and
recording length, and confuses walking with standing more often.

Saves ``time_series_classification.png`` (one recording per activity, and both
models' confusion matrices on held-out recordings).

Usage: python examples/time_series_classification.py [--fast] [--out DIR]
"""

import os
import time
import warnings

import numpy as np
from _common import parse_args
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import MLPClassifier, RNNClassifier

args = parse_args(__doc__.splitlines()[0])
RATE, STEPS = 10, 80  # 10 Hz, at most 8 s
NAMES = ["walking", "running", "standing", "sitting down", "standing up", "falling"]
UPRIGHT, SEATED, LYING = (
    np.eye(3)[2],
    np.array([0.95, 0, 0.3]),
    np.array([0.1, 0.95, 0.2]),
)


def recordings(n, seed):
    """``X`` (n, STEPS, 3) in g, NaN after each recording's end, and labels."""
    rng = np.random.RandomState(seed)
    y = rng.randint(len(NAMES), size=n)
    X = np.full((n, STEPS, 3), np.nan)
    for i, c in enumerate(y):
        T = rng.randint(STEPS // 2, STEPS + 1)
        step = np.arange(T)
        f = rng.uniform(2.5, 3.2) if c == 1 else rng.uniform(1.5, 2.1)  # steps/s
        w = 2 * np.pi * f * step / RATE + rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.3, 0.5) * (2.0 if c == 1 else 1.0)
        gait = amp * np.stack(
            [0.6 * np.sin(w + 0.5), 0.3 * np.sin(w / 2), np.sin(w)], 1
        )
        moving = np.ones(T) if c != 2 else np.full(T, 0.05)
        gravity = np.tile(UPRIGHT, (T, 1))
        if c >= 3:  # a posture change at a random moment
            switch = rng.randint(T // 4, 3 * T // 4)
            seconds = 0.2 if c == 5 else 0.8
            ramp = np.clip((step - switch) / (RATE * seconds), 0, 1)[:, None]
            if c == 4:  # standing up: seated, then walking away
                ramp = 1 - ramp
                moving[:switch] = 0.05
            else:
                moving[switch:] = 0.05
            end = LYING if c == 5 else SEATED
            gravity = (1 - ramp) * UPRIGHT + ramp * end
            if c == 5 and switch + 2 < T:  # the impact
                gravity[switch + 2] += rng.uniform(1.5, 2.5) * np.array([0.5, 0.5, -1])
        yaw = rng.uniform(-0.6, 0.6)  # the phone's angle in the pocket
        turn = np.array([[np.cos(yaw), -np.sin(yaw), 0],
                         [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])  # fmt: skip
        signal = (gravity + moving[:, None] * gait) @ turn.T
        X[i, :T] = signal + 0.2 * rng.randn(T, 3)
    return X, y


X_train, y_train = recordings(400 if args.fast else 600, seed=0)
X_test, y_test = recordings(1000, seed=1)

# One GRU layer of 32 units reads the 3 channels step by step; its last valid
# state goes to the softmax layer. clip_norm keeps an early large gradient from
# throwing training off (as torch.nn.utils.clip_grad_norm_).
rnn = RNNClassifier(
    cell="gru",
    recurrent_units=(32,),
    learning_rate_init=0.01,
    clip_norm=5.0,
    max_iter=25 if args.fast else 40,
    random_state=0,
)
# The MLP on the flattened rows (step 0's x, y, z, then step 1's...), the padding
# as zeros.
mlp = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(128,), max_iter=200, random_state=0),
)


def flat(X):
    return np.nan_to_num(X.reshape(len(X), -1))


results = {}
for name, model, X_fit, X_eval in [
    ("RNNClassifier (GRU)", rnn, X_train, X_test),
    ("MLP on flattened rows", mlp, flat(X_train), flat(X_test)),
]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        model.fit(X_fit, y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(X_eval)
    accuracy = np.mean(predicted == y_test)
    results[name] = (accuracy, confusion_matrix(y_test, predicted))
    print(f"{name:22s} held-out accuracy {accuracy:.3f} (fit {seconds:.1f} s)")

import matplotlib.pyplot as plt  # noqa: E402

fig = plt.figure(figsize=(12, 7), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.4, 1])
axes = left.subplots(3, 2, sharex=True, sharey=True)
for c, ax in enumerate(axes.T.ravel()):
    i = int(np.flatnonzero(y_test == c)[0])
    for channel, color in zip(range(3), ["tab:blue", "tab:orange", "tab:green"]):
        ax.plot(np.arange(STEPS) / RATE, X_test[i, :, channel], color=color, lw=1)
    ax.set_title(NAMES[c], fontsize=9)
axes[0, 0].legend(["x", "y", "z"], fontsize=7, loc="lower left", ncol=3)
for ax in axes[-1]:
    ax.set_xlabel("seconds")
for ax in axes[:, 0]:
    ax.set_ylabel("acceleration (g)")
matrices = right.subplots(2, 1)
for ax, (name, (accuracy, matrix)) in zip(matrices, results.items()):
    ax.imshow(matrix, cmap="Blues")
    for (r, k), count in np.ndenumerate(matrix):
        ax.text(k, r, count, ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(NAMES)), NAMES, fontsize=7, rotation=30, ha="right")
    ax.set_yticks(range(len(NAMES)), NAMES, fontsize=7)
    ax.set_title(f"{name}: accuracy {accuracy:.3f}", fontsize=9)
matrices[-1].set_xlabel("predicted")
path = os.path.join(args.out, "time_series_classification.png")
fig.savefig(path, dpi=100)
print(f"saved {path}")
