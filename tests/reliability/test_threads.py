"""Inference of one fitted estimator from 8 Python threads at once gives the same
results as serial calls, for every estimator and inference method."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _estimators import SPECS

N_THREADS = 8
N_CALLS = 32  # four calls per thread


def _cases():
    for spec in SPECS:
        methods = spec.predict_methods()
        if hasattr(spec.make, "inverse_transform"):
            methods.append("inverse_transform")
        for method in methods:
            yield pytest.param(spec, method, id=f"{spec}-{method}")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("spec", "method"), list(_cases()))
def test_concurrent_inference_matches_serial(spec, method):
    est = spec.fitted()
    X = spec.data()[0]
    if method == "inverse_transform":
        X = est.transform(X)
    rng = np.random.RandomState(1)
    # Each call gets its own rows, so a mix-up between threads would show.
    inputs = [X[rng.permutation(X.shape[0])] for _ in range(N_CALLS)]
    func = getattr(est, method)
    serial = [func(Xi) for Xi in inputs]
    # The barrier releases the calls eight at a time, so they really overlap.
    barrier = threading.Barrier(N_THREADS, timeout=60)

    def call(Xi):
        barrier.wait()
        return func(Xi)

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        concurrent = list(pool.map(call, inputs))
    for got, expected in zip(concurrent, serial, strict=True):
        np.testing.assert_array_equal(got, expected)
