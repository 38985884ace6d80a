"""Same random_state and data give bit-identical weights wherever fit runs.

Here: other processes started with 1 or 2 Numba threads, and joblib workers.
``tests/reliability/test_determinism_threads.py`` fits every estimator with 1 and
2 threads in this process.
"""

import hashlib
import os
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest

FIT_AND_HASH = textwrap.dedent(
    """
    import hashlib, warnings
    import numpy as np
    from sklearn.datasets import load_digits
    from skdeep import MLPClassifier

    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    X, y = X[:500] / 16.0, y[:500]
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), dropout=0.1, max_iter=5,
                        random_state=11).fit(X, y)
    digest = hashlib.sha256()
    for a in clf.coefs_ + clf.intercepts_:
        digest.update(a.tobytes())
    print(digest.hexdigest())
    """
)


def _hash_in_subprocess(threads: int) -> str:
    env = {
        **os.environ,
        "NUMBA_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
    }
    out = subprocess.run(
        [sys.executable, "-c", FIT_AND_HASH],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _hash_here() -> str:
    namespace: dict = {}
    from contextlib import redirect_stdout
    from io import StringIO

    buffer = StringIO()
    with redirect_stdout(buffer):
        exec(FIT_AND_HASH, namespace)
    return buffer.getvalue().strip()


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs two cores")
def test_bit_identical_across_processes_and_thread_counts():
    here = _hash_here()
    assert _hash_in_subprocess(1) == here
    assert _hash_in_subprocess(2) == here


def test_bit_identical_in_a_joblib_worker():
    here = _hash_here()
    in_worker = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_hash_here)() for _ in range(2)
    )
    assert in_worker == [here, here]


def test_hash_depends_on_the_seed():
    from sklearn.datasets import load_digits

    from skdeep import MLPClassifier

    X, y = load_digits(return_X_y=True)
    hashes = set()
    for seed in (0, 1):
        clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=seed)
        clf.fit(X[:200] / 16.0, y[:200])
        hashes.add(hashlib.sha256(clf.coefs_[0].tobytes()).hexdigest())
    assert len(hashes) == 2
    np.testing.assert_equal(len(hashes), 2)
