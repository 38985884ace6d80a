"""Quickstart: skdeep's MLPClassifier next to scikit-learn's, on the digits data.

Both train the same network (64 -> 100 relu -> 10 softmax, adam, batch 200) in a
StandardScaler pipeline on a stratified 75/25 split of scikit-learn's bundled digits
(1797 8x8 images), with the same random_state. The script prints each model's test
accuracy and fit time, both on one BLAS thread (skdeep pins it during fit; two
threads do not help at this size and are much slower on a busy machine). skdeep's
first fit on a new machine also compiles its kernels (a few seconds, cached on disk
for later runs); that is timed on its own.

Usage: python examples/quickstart.py [--fast]
"""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skdeep


def timed_fit(model, X, y) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        # --fast stops before convergence on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="train 20 epochs instead of 200 (for CI)"
    )
    args = parser.parse_args()
    epochs = 20 if args.fast else 200

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    params = dict(
        hidden_layer_sizes=(100,), batch_size=200, max_iter=epochs, random_state=0
    )

    # One epoch on a few rows compiles (or loads from the cache) every kernel the
    # real fit uses, so the fit below measures training alone.
    compile_seconds = timed_fit(
        make_pipeline(
            StandardScaler(), skdeep.MLPClassifier(**{**params, "max_iter": 1})
        ),
        X_train[:200],
        y_train[:200],
    )

    results = []
    for name, cls in [
        ("skdeep.MLPClassifier", skdeep.MLPClassifier),
        ("sklearn MLPClassifier", SklearnMLPClassifier),
    ]:
        model = make_pipeline(StandardScaler(), cls(**params))
        with threadpool_limits(limits=1, user_api="blas"):
            seconds = timed_fit(model, X_train, y_train)
        mlp = model[-1]
        results.append((name, model.score(X_test, y_test), seconds, mlp.n_iter_))

    print(
        f"digits: {len(X_train)} training rows, {len(X_test)} test rows, "
        f"up to {epochs} epochs\n"
    )
    header = ("model", "test accuracy", "fit time", "epochs")
    rows = [(n, f"{acc:.4f}", f"{s:.2f} s", str(it)) for n, acc, s, it in results]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths))
            )
        )
    speedup = results[1][2] / results[0][2]
    print(
        f"\nskdeep trained {speedup:.1f}x as fast as scikit-learn (1 BLAS thread "
        "each). Its one-time "
        f"kernel compile/cache load took {compile_seconds:.2f} s (compiled once per "
        "machine, then loaded from the on-disk cache)."
    )


if __name__ == "__main__":
    main()
