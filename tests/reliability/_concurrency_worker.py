"""Concurrent use of one estimator of ``_estimators.SPECS``, in a process of its own.

Run as ``python _concurrency_worker.py <estimator name>`` by
``test_concurrent_use.py``: an interpreter abort here fails that estimator's tests
instead of the test session. Prints one JSON line with what it saw:

* ``predict_during_refits``: one thread refits the estimator again and again,
  alternating two configurations whose fitted models differ in shape (3 or 2
  classes; 1 or 2 regression outputs; 2 or 3 components), while another predicts
  with every inference method on dense and sparse X. Every result must be bit for
  bit the result of one of the two models: never a mix, never an error.
* ``racing_fits``: two threads fit the same estimator at once on two data sets,
  many times. Each call either fits or is refused with the documented
  RuntimeError, and the estimator ends as one of the two models, whole.
"""

import json
import sys
import threading
import warnings

import numpy as np
import scipy.sparse as sp
from _estimators import SPECS

N_REFITS = 10
N_ROUNDS = 8
REFUSED = "already being fitted"


def variants(spec, reshape=True):
    """Two ``(params, X, y)`` configurations of ``spec`` that fit different
    models; with ``reshape``, models of different output shapes."""
    X, y = spec.data()
    if spec.kind == "classifier":
        return (spec.params, X, y), (spec.params, X, np.arange(len(y)) % 2)
    if spec.kind == "regressor":
        two = np.column_stack([y, X[:, 2] - X[:, 3]])
        return (spec.params, X, y), (spec.params, X, two if reshape else 1 - y)
    if reshape:
        more = {**spec.params, "n_components": spec.params["n_components"] + 1}
        return (spec.params, X, None), (more, X, None)
    return (spec.params, X, None), (spec.params, 1.0 - X, None)


def fit(est, params, X, y):
    est.set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X) if y is None else est.fit(X, y)


def outputs(spec, est, X):
    """Every inference method's result on dense (and sparse) X."""
    inputs = {"dense": X}
    if spec.sparse:
        inputs["sparse"] = sp.csr_matrix(X)
    return {
        f"{method}/{kind}": np.asarray(getattr(est, method)(data))
        for method in spec.predict_methods()
        for kind, data in inputs.items()
    }


def matches(got, expected) -> bool:
    return got.shape == expected.shape and np.array_equal(got, expected)


def predict_during_refits(spec) -> dict:
    (params_a, X, y_a), (params_b, X_b, y_b) = variants(spec)
    references = [
        outputs(spec, fit(spec.build(), params_a, X, y_a), X),
        outputs(spec, fit(spec.build(), params_b, X_b, y_b), X),
    ]
    est = fit(spec.build(), params_a, X, y_a)
    done = threading.Event()
    problems, seen = [], [0, 0]
    calls = 0

    def refit():
        try:
            for i in range(N_REFITS):
                if i % 2 == 0:
                    fit(est, params_b, X_b, y_b)
                else:
                    fit(est, params_a, X, y_a)
        except Exception as exc:  # reported to the test
            problems.append(f"refit raised {exc!r}")
        finally:
            done.set()

    thread = threading.Thread(target=refit)
    thread.start()
    while not done.is_set() or calls == 0:
        for name in references[0]:
            method, kind = name.split("/")
            data = X if kind == "dense" else sp.csr_matrix(X)
            try:
                got = np.asarray(getattr(est, method)(data))
            except Exception as exc:  # reported to the test
                problems.append(f"{name} raised {exc!r}")
                continue
            calls += 1
            which = [matches(got, ref[name]) for ref in references]
            if not any(which):
                problems.append(f"{name} gave a result of neither model")
            else:
                seen[which.index(True)] += 1
    thread.join()
    return {"problems": problems[:10], "calls": calls, "seen": seen}


def racing_fits(spec) -> dict:
    (params, X_a, y_a), (_, X_b, y_b) = variants(spec, reshape=False)
    references = [
        outputs(spec, fit(spec.build(), params, X_a, y_a), X_a),
        outputs(spec, fit(spec.build(), params, X_b, y_b), X_a),
    ]
    problems, refused = [], 0
    for _ in range(N_ROUNDS):
        est = fit(spec.build(), params, X_a, y_a)
        barrier = threading.Barrier(2)
        results = [None, None]

        def run(k, X, y, est=est, barrier=barrier, results=results):
            barrier.wait()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X) if y is None else est.fit(X, y)
                results[k] = "fitted"
            except RuntimeError as exc:
                results[k] = "refused" if REFUSED in str(exc) else repr(exc)
            except Exception as exc:  # reported to the test
                results[k] = repr(exc)

        threads = [
            threading.Thread(target=run, args=(0, X_a, y_a)),
            threading.Thread(target=run, args=(1, X_b, y_b)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if sorted(results) not in (["fitted", "refused"], ["fitted", "fitted"]):
            problems.append(f"outcomes {results}")
        refused += results.count("refused")
        got = outputs(spec, est, X_a)
        if not any(
            all(matches(got[name], ref[name]) for name in ref) for ref in references
        ):
            problems.append("the estimator holds neither model whole")
    return {"problems": problems[:10], "refused": refused, "rounds": N_ROUNDS}


if __name__ == "__main__":
    (spec,) = [spec for spec in SPECS if spec.name == sys.argv[1]]
    print(
        json.dumps(
            {
                "predict_during_refits": predict_during_refits(spec),
                "racing_fits": racing_fits(spec),
            }
        )
    )
