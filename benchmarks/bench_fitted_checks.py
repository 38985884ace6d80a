"""What the fitted-state checks and the inference snapshot cost per prediction.

Every inference method checks the fitted attributes against the network
(``BaseNetwork._fitted_model``, skdeep/estimators/_fitted.py) and runs on a one-step
snapshot of the attribute dictionary (``_fitting.on_published_model``). This times,
alternately in one process (medians of rounds), a one-row ``predict_proba`` /
``transform``, the checks alone, the snapshot alone, and the check that
``coefs_``/``intercepts_`` are still the published views two ways: against the
network's cached layout (one address read per array, what skdeep does) and by
building ``network.views`` and comparing two addresses per array (the way before).

Usage: python benchmarks/bench_fitted_checks.py [--rounds 15]
"""

import argparse
import os
import statistics
import time
import warnings

from sklearn.datasets import load_digits

from skdeep import CNNClassifier, DenoisingAutoencoder, MLPClassifier
from skdeep.estimators._fitted import are_views
from skdeep.estimators._fitting import snapshot


def views_by_building(coefs, intercepts, network, params) -> bool:
    """The view check before the layout cache: build the views, compare."""
    expected = network.views(params)
    return all(
        a.shape == b.shape
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        for a, b in zip((*coefs, *intercepts), (*expected[0], *expected[1]))
    )


def per_call(func, n=200) -> float:
    func()
    start = time.perf_counter()
    for _ in range(n):
        func()
    return (time.perf_counter() - start) / n


def time_model(name, est, row, n_rounds) -> str:
    """One line: the medians of every timing of ``est``, alternated per round."""
    method = getattr(est, "predict_proba", None) or est.transform
    network, _, _ = est._fitted_model()
    params = est._params[: network.n_params]
    timings = {
        "1-row call": lambda: method(row),
        "checks": est._fitted_model,
        "snapshot": lambda: snapshot(est),
        "views: layout": lambda: are_views(
            est.coefs_, est.intercepts_, network, params
        ),
        "views: build": lambda: views_by_building(
            est.coefs_, est.intercepts_, network, params
        ),
    }
    rounds = {key: [] for key in timings}
    for _ in range(n_rounds):  # A, B, C... alternately
        for key, func in timings.items():
            rounds[key].append(per_call(func))
    medians = {key: statistics.median(v) * 1e6 for key, v in rounds.items()}
    share = (medians["checks"] + medians["snapshot"]) / medians["1-row call"]
    return (
        f"{name:28s} "
        + "  ".join(f"{key} {value:7.1f}" for key, value in medians.items())
        + f"  (checks + snapshot: {100 * share:.0f}% of the call; views "
        f"build/layout: {medians['views: build'] / medians['views: layout']:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X = X / 16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {
            "MLPClassifier((100,))": MLPClassifier(max_iter=5, random_state=0),
            "CNNClassifier(filters=(8,))": CNNClassifier(
                filters=(8,), max_iter=2, random_state=0
            ),
            "DenoisingAutoencoder(8)": DenoisingAutoencoder(n_components=8, max_iter=5),
        }
        for name, est in models.items():
            est.fit(X) if "Autoencoder" in name else est.fit(X, y)
    print(f"load average before: {os.getloadavg()}")
    print("median microseconds per call; a one-row prediction, and its parts")
    for name, est in models.items():
        print(time_model(name, est, X[:1], args.rounds))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
