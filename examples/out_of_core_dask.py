"""Out-of-core training with Dask: skdeep estimators learn from a dask array one
chunk at a time.

The training set is a stream of jittered digits (shifted by up to a pixel, with
noise) that exists only as a dask array: each chunk is generated on a worker of a
local cluster when it is needed and dropped after use. ``dask_ml``'s
``Incremental`` calls ``partial_fit`` on one chunk after another, on the workers,
once per pass. An MLPClassifier and a DenoisingAutoencoder are compared with
in-memory training on the original digits for the same number of passes. Saves
``out_of_core_dask.png`` (test accuracy and test reconstruction error per pass).

Usage: python examples/out_of_core_dask.py [--fast] [--out DIR]
"""

import os

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from _common import parse_args
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import DenoisingAutoencoder, MLPClassifier
from skdeep.utils.threads import thread_budget


def jittered_chunk(X, y, n_rows, seed):
    """``n_rows`` digits drawn from ``(X, y)``, each shifted by -1, 0 or 1 pixel
    along both axes and blurred with Gaussian noise; pixels in [0, 1]."""
    rng = np.random.RandomState(seed)
    rows = rng.randint(X.shape[0], size=n_rows)
    images = X[rows].reshape(n_rows, 8, 8)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    dy, dx = rng.randint(3, size=(2, n_rows))
    out = np.empty_like(images)
    for i in range(n_rows):
        out[i] = padded[i, dy[i] : dy[i] + 8, dx[i] : dx[i] + 8]
    noisy = out.reshape(n_rows, 64) + 0.05 * rng.randn(n_rows, 64)
    return np.clip(noisy, 0.0, 1.0), y[rows]


def jittered_stream(X, y, n_chunks, chunk_rows):
    """``(X, y)`` dask arrays of ``n_chunks`` chunks made by ``jittered_chunk``."""
    X_parts, y_parts = [], []
    X_source, y_source = dask.delayed(X), dask.delayed(y)  # in the graph once
    for seed in range(n_chunks):
        chunk = dask.delayed(jittered_chunk, nout=2)(
            X_source, y_source, chunk_rows, seed
        )
        X_parts.append(da.from_delayed(chunk[0], (chunk_rows, 64), X.dtype))
        y_parts.append(da.from_delayed(chunk[1], (chunk_rows,), y.dtype))
    return da.concatenate(X_parts), da.concatenate(y_parts)


def reconstruction_error(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def main():
    args = parse_args(__doc__.splitlines()[0])
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0
    )
    n_chunks, chunk_rows, passes = (4, 500, 2) if args.fast else (30, 2000, 10)
    classifier = MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    autoencoder = DenoisingAutoencoder(
        n_components=16,
        noise_level=0.1,
        out_activation="sigmoid",
        loss="binary_crossentropy",
        random_state=0,
    )
    # Fit once here first, so that the workers load the compiled kernels from
    # the on-disk cache instead of both compiling them.
    classifier.partial_fit(X_train[:50], y_train[:50], classes=np.arange(10))
    autoencoder.partial_fit(X_train[:50])

    # Two single-threaded worker processes; each task gets one Numba thread.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        budget = client.submit(thread_budget, pure=False).result()
        X_stream, y_stream = jittered_stream(X_train, y_train, n_chunks, chunk_rows)
        print(
            f"training stream: {X_stream.shape[0]} rows in {X_stream.numblocks[0]} "
            f"chunks of {chunk_rows}; Numba threads per task on the workers: "
            f"{budget}"
        )
        out_of_core = {"accuracy": [], "error": []}
        in_memory = {"accuracy": [], "error": []}
        inc_clf = Incremental(classifier, random_state=0)
        inc_ae = Incremental(autoencoder, random_state=0)
        mem_clf, mem_ae = clone(classifier), clone(autoencoder)
        for _ in range(passes):
            inc_clf.partial_fit(X_stream, y_stream, classes=np.arange(10))
            inc_ae.partial_fit(X_stream)
            mem_clf.partial_fit(X_train, y_train, classes=np.arange(10))
            mem_ae.partial_fit(X_train)
            out_of_core["accuracy"].append(inc_clf.estimator_.score(X_test, y_test))
            out_of_core["error"].append(reconstruction_error(inc_ae.estimator_, X_test))
            in_memory["accuracy"].append(mem_clf.score(X_test, y_test))
            in_memory["error"].append(reconstruction_error(mem_ae, X_test))

    epochs = np.arange(1, passes + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    for ax, key, title in zip(
        axes,
        ("accuracy", "error"),
        (
            "MLPClassifier: test accuracy",
            "DenoisingAutoencoder: test reconstruction MSE",
        ),
    ):
        ax.plot(
            epochs,
            out_of_core[key],
            "o-",
            label=f"Incremental on Dask, {X_stream.shape[0]} jittered rows",
        )
        ax.plot(
            epochs,
            in_memory[key],
            "s--",
            label=f"partial_fit in memory, {X_train.shape[0]} digits",
        )
        ax.set_xlabel("pass over the training data")
        ax.set_title(title)
    axes[0].legend(loc="lower right", fontsize="small")
    path = os.path.join(args.out, "out_of_core_dask.png")
    fig.savefig(path)
    ooc, mem = out_of_core, in_memory
    print(
        f"after {passes} passes: test accuracy {ooc['accuracy'][-1]:.3f} out of core "
        f"vs {mem['accuracy'][-1]:.3f} in memory; reconstruction MSE "
        f"{ooc['error'][-1]:.4f} vs {mem['error'][-1]:.4f}"
    )
    print(f"saved {path}")


if __name__ == "__main__":  # the workers are processes that import this module
    main()
