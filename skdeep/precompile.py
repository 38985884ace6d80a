"""Compile the kernels ahead of use: ``skdeep.precompile(...)`` or
``python -m skdeep.precompile``.

The first fit of each kind of network compiles its kernels (seconds) and caches
them on disk; later processes load them. Run this once where the cache lives (in a
Docker build step, after ``pip install``, before a grid search) so no user-facing
process, and no parallel worker, pays for compilation::

    python -m skdeep.precompile                      # every estimator, both dtypes
    python -m skdeep.precompile --estimators MLPClassifier --dtypes float32

Each requested estimator is fitted once on a few random rows in each requested dtype
and used once for inference, which compiles exactly the kernel variants its default
configuration uses (see the README's "Compile time and caching").

The module itself is callable, so ``skdeep.precompile(...)`` and
``from skdeep.precompile import precompile`` both work.
"""

import argparse
import sys
import time
import types
import warnings

import numpy as np

#: The estimators :func:`precompile` knows, with a tiny configuration and its data
#: kind ("classifier", "regressor" or "transformer").
CONFIGURATIONS = {
    "MLPClassifier": ({"hidden_layer_sizes": (3,), "max_iter": 1}, "classifier"),
    "MLPRegressor": ({"hidden_layer_sizes": (3,), "max_iter": 1}, "regressor"),
    "CNNClassifier": (
        {"filters": (2,), "hidden_layer_sizes": (2,), "max_iter": 1},
        "classifier",
    ),
    "CNNRegressor": (
        {"filters": (2,), "hidden_layer_sizes": (2,), "max_iter": 1},
        "regressor",
    ),
    "DenoisingAutoencoder": ({"n_components": 2, "max_iter": 1}, "transformer"),
    "SparseAutoencoder": ({"n_components": 2, "max_iter": 1}, "transformer"),
    "VariationalAutoencoder": ({"n_components": 2, "max_iter": 1}, "transformer"),
    "AdversarialAutoencoder": ({"n_components": 2, "max_iter": 1}, "transformer"),
    "PerceptronClassifier": ({"max_iter": 1, "tol": None}, "classifier"),
    "RNNClassifier": ({"recurrent_units": (2,), "max_iter": 1}, "classifier"),
    "RNNRegressor": ({"recurrent_units": (2,), "max_iter": 1}, "regressor"),
}

DTYPES = ("float64", "float32")


def precompile(estimators=None, dtypes=DTYPES, verbose=False) -> dict:
    """Compile (or load from the disk cache) the kernels of ``estimators``.

    Parameters
    ----------
    estimators : list of str, default=None
        Estimator class names (keys of :data:`CONFIGURATIONS`); None means all.
    dtypes : sequence of {'float64', 'float32'}, default=('float64', 'float32')
        The dtypes to compile for.
    verbose : bool, default=False
        Print each estimator's time.

    Returns
    -------
    seconds : dict
        Wall time per ``(estimator, dtype)``: compile time on an empty cache, load
        time on a warm one.

    Examples
    --------
    >>> import skdeep
    >>> seconds = skdeep.precompile(["MLPClassifier"], dtypes=["float64"])
    >>> sorted(seconds)
    [('MLPClassifier', 'float64')]
    """
    import skdeep

    names = list(CONFIGURATIONS) if estimators is None else list(estimators)
    unknown = [name for name in names if name not in CONFIGURATIONS]
    if unknown:
        raise ValueError(
            f"Unknown estimators {unknown}; choose from {sorted(CONFIGURATIONS)}."
        )
    bad = [d for d in dtypes if d not in DTYPES]
    if bad:
        raise ValueError(f"Unknown dtypes {bad}; choose from {list(DTYPES)}.")
    rng = np.random.RandomState(0)
    seconds = {}
    for name in names:
        params, kind = CONFIGURATIONS[name]
        for dtype in dtypes:
            X = rng.uniform(size=(8, 16)).astype(dtype)
            y = {
                "classifier": np.arange(8) % 2,
                "regressor": X[:, 0],
                "transformer": None,
            }[kind]
            start = time.perf_counter()
            est = getattr(skdeep, name)(random_state=0, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, y)
            (est.transform if kind == "transformer" else est.predict)(X)
            if kind == "transformer":
                est.score_samples(X)
            seconds[(name, dtype)] = time.perf_counter() - start
            if verbose:
                print(f"{name} {dtype}: {seconds[(name, dtype)]:.2f} s")
    return seconds


def main(argv=None) -> int:
    """The command line: ``python -m skdeep.precompile [--estimators ...]
    [--dtypes ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m skdeep.precompile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--estimators", nargs="+", choices=sorted(CONFIGURATIONS))
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    precompile(args.estimators, args.dtypes, verbose=True)
    print(f"total: {time.perf_counter() - start:.2f} s")
    return 0


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`precompile`."""

    def __call__(self, estimators=None, dtypes=DTYPES, verbose=False) -> dict:
        return precompile(estimators, dtypes, verbose)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
