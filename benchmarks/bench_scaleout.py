"""GridSearchCV scale-out: n_jobs=1 against two workers, per candidate.

For MLPClassifier and CNNClassifier on digits (StandardScaler; the CNN sees 8x8
images), one GridSearchCV (4 candidates x cv=3, fixed epochs, refit) is timed in
several ways, alternating A/B/C/D per repeat in this one process (medians of
``--repeats``; one untimed warm-up round, so the Numba cache is warm and the worker
pools are started):

* ``n_jobs=1``: in this process, with Numba's default thread count;
* ``n_jobs=2``: joblib's loky workers (joblib gives each ``cpu_count() // 2``
  Numba and OpenMP threads);
* ``dask``: joblib's Dask backend on a ``LocalCluster`` of 2 single-threaded
  worker processes (skdeep's thread budget: one Numba thread per task);
* ``dask, 2 threads/task``: the same cluster with ``OMP_NUM_THREADS=2`` in the
  workers, so each fit takes 2 Numba threads: what the workers did before the
  thread budget (Numba defaults to all cores), i.e. oversubscription.

The table gives the wall time per candidate (search wall time / 4) and the ratio to
``n_jobs=1`` (above 1: faster than n_jobs=1), and the Numba threads a fit uses in
each kind of worker (``skdeep.utils.threads.thread_budget`` evaluated there). The
searches find the same ``cv_results_`` everywhere (checked). The Dask rows need
``pip install skdeep[dask]``. 2-process timings swing when the machine is busy.

Writes benchmarks/RESULTS_scaleout.md.

Usage: python benchmarks/bench_scaleout.py [--repeats 5] [--no-dask] [--no-write]
"""

import argparse
import os
import sys
import time
import warnings

import joblib
import numba
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

from skdeep import CNNClassifier, MLPClassifier
from skdeep.utils.threads import thread_budget

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_scaleout.md")
CV = 3

# Fixed epochs (no early stop), so every candidate does the same work each run.
ESTIMATORS = {
    "MLPClassifier": (
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, tol=0.0,
                      n_iter_no_change=31, random_state=0),
        {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]},
    ),
    "CNNClassifier": (
        CNNClassifier(filters=(8,), kernel_size=3, hidden_layer_sizes=(32,),
                      max_iter=4, tol=0.0, n_iter_no_change=5, random_state=0),
        {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]},
    ),
}  # fmt: skip


def worker_threads() -> dict:
    """Numba threads here: the default of this thread, and what a fit uses."""
    return {
        "numba default": numba.get_num_threads(),
        "fit": thread_budget(),
        "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", "-"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "-"),
        "pid": os.getpid(),
    }


def start_clusters(runs_dask: bool) -> dict:
    """``{name: (cluster, client)}`` of the Dask variants (empty without Dask)."""
    if not runs_dask:
        return {}
    from distributed import Client, LocalCluster

    clusters = {}
    saved = dict(os.environ)
    for name, omp in (("dask", "1"), ("dask, 2 threads/task", "2")):
        # Dask's nanny gives its workers this process's OMP_NUM_THREADS if set,
        # else 1 (distributed.nanny.pre-spawn-environ), and leaves it set here.
        os.environ["OMP_NUM_THREADS"] = omp
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0")  # fmt: skip
        clusters[name] = (cluster, Client(cluster, set_as_default=False))
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    os.environ.update(saved)  # so that loky's workers start as without Dask
    return clusters


def threads_seen(clusters: dict) -> dict:
    """``worker_threads()`` in each kind of worker (in a task, for Dask)."""
    seen = {"n_jobs=1": [worker_threads()]}
    seen["n_jobs=2"] = joblib.Parallel(n_jobs=2)(
        joblib.delayed(worker_threads)() for _ in range(2)
    )
    for name, (_, client) in clusters.items():
        seen[name] = [client.submit(worker_threads, pure=False).result()]
    return seen


def search_runs(estimator, grid, X, y, clusters, results) -> dict:
    def run(name, n_jobs=1, client=None):
        def go():
            search = GridSearchCV(estimator, grid, cv=CV, n_jobs=n_jobs)
            if client is None:
                search.fit(X, y)
            else:
                with joblib.parallel_backend("dask", client=client):
                    search.fit(X, y)
            results[name] = search.cv_results_

        return go

    runs = {"n_jobs=1": run("n_jobs=1"), "n_jobs=2": run("n_jobs=2", n_jobs=2)}
    for name, (_, client) in clusters.items():
        runs[name] = run(name, client=client)
    return runs


def same_results(results: dict) -> bool:
    reference = results["n_jobs=1"]
    for other in results.values():
        for key, values in reference.items():
            if key.endswith("_time"):
                continue
            if key == "params":
                if other[key] != values:
                    return False
            elif not np.array_equal(np.asarray(other[key]), np.asarray(values)):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask rows")
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not write {RESULTS}"
    )
    args = parser.parse_args()
    command = "python benchmarks/bench_scaleout.py" + "".join(
        " " + a for a in sys.argv[1:]
    )
    info = tm.machine()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # Fill (or load) the Numba cache here, so workers only load it.
    for estimator, _ in ESTIMATORS.values():
        estimator.__class__(**{**estimator.get_params(), "max_iter": 1}).fit(
            X[:100], y[:100]
        )

    try:
        import dask_ml  # noqa: F401  (the [dask] extra: dask, distributed, dask-ml)
        import distributed  # noqa: F401

        runs_dask = not args.no_dask
    except ImportError:
        runs_dask = False
    clusters = start_clusters(runs_dask)
    start = time.perf_counter()
    out = []
    try:
        seen = threads_seen(clusters)
        out.append("## Numba threads of a fit, per kind of worker\n")
        out.append("| where | Numba default | a fit uses | NUMBA_NUM_THREADS | "
                   "OMP_NUM_THREADS |")  # fmt: skip
        out.append("|---|---|---|---|---|")
        for name, reports in seen.items():
            r = reports[0]
            cells = (r["numba default"], r["fit"], r["NUMBA_NUM_THREADS"],
                     r["OMP_NUM_THREADS"])  # fmt: skip
            out.append(f"| {name} | " + " | ".join(map(str, cells)) + " |")
        print("\n".join(out), flush=True)

        n_candidates = None
        table = ["", "## GridSearchCV wall time per candidate\n"]
        table.append("| estimator | variant | per candidate | ratio to n_jobs=1 | "
                     "same cv_results_ |")  # fmt: skip
        table.append("|---|---|---|---|---|")
        for est_name, (estimator, grid) in ESTIMATORS.items():
            n_candidates = int(np.prod([len(v) for v in grid.values()]))
            results = {}
            times = tm.alternate(
                search_runs(estimator, grid, X, y, clusters, results),
                repeats=args.repeats,
                warmup=1,
            )
            same = same_results(results)
            for name, walls in times.items():
                per = [w / n_candidates for w in walls]
                table.append(f"| {est_name} | {name} | {tm.spread(per)} | "
                             f"{tm.ratio(times, 'n_jobs=1', name):.2f} | "
                             f"{same} |")  # fmt: skip
            print("\n".join(table[-len(times) :]), flush=True)
        out.extend(table)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    elapsed = time.perf_counter() - start
    body = (
        f"digits {X.shape[0]}x{X.shape[1]}, GridSearchCV over {n_candidates} "
        f"candidates, cv={CV}, refit; per candidate = search wall time / "
        f"{n_candidates} (median (min-max) of {args.repeats} alternating repeats). "
        "Ratio above 1: faster than n_jobs=1.\n\n"
        + "\n".join(out)
        + f"\n\nTotal benchmark time {elapsed:.0f} s.\n"
    )
    print(f"\ntotal {elapsed:.0f} s")
    if not args.no_write:
        tm.write_results(
            RESULTS, "GridSearchCV scale-out: n_jobs=1 vs 2 workers", command, info,
            body,
        )  # fmt: skip
        print(f"wrote {RESULTS}")


if __name__ == "__main__":  # Dask's worker processes import this module
    main()
