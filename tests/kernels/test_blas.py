"""The engine's matrix product (skdeep/_kernels/blas.py): every transpose combination
against NumPy in float64, and the parallel blocks of large products bit-identical
for 1, 2 and 3 Numba threads, in fits and in predictions under 1, 2 and 3 BLAS
threads (in a subprocess with three Numba threads, as this machine may have fewer
cores)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from skdeep._kernels.blas import BLOCK_MACS, MAX_BLOCKS, PARALLEL_MACS, block_size, gemm
from skdeep.utils.threads import kernel_threads

# (m, n, k): a small product (one call), rows split (m >= n, last block ragged),
# columns split (m < n).
SHAPES = [(7, 5, 3), (300, 130, 120), (90, 520, 100)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_matches_numpy(dtype, shape, trans_a, trans_b):
    m, n, k = shape
    rng = np.random.default_rng(0)
    A = rng.standard_normal((k, m) if trans_a else (m, k))
    B = rng.standard_normal((n, k) if trans_b else (k, n))
    C0 = rng.standard_normal((m, n))
    expected = 0.5 * (A.T if trans_a else A) @ (B.T if trans_b else B) + 2.0 * C0
    C = C0.astype(dtype).ravel()
    with kernel_threads():
        gemm(trans_a, trans_b, m, n, k, 0.5, A.astype(dtype).ravel(),
             B.astype(dtype).ravel(), 2.0, C)  # fmt: skip
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(C.reshape(m, n), expected, rtol=tol, atol=tol * k)


def test_beta_zero_overwrites_nan():
    m, n, k = 300, 130, 120
    A, B = np.ones(m * k), np.ones(k * n)
    C = np.full(m * n, np.nan)
    with kernel_threads():
        gemm(False, False, m, n, k, 1.0, A, B, 0.0, C)
    assert np.all(C == k)


def test_blocks_depend_on_the_sizes_only():
    assert block_size(7, 5, 3) == 7  # small: one call
    assert block_size(300, 130, 120) < 300  # split over rows
    assert block_size(90, 520, 100) < 520  # split over columns
    for m, n, k in [(256, 256, 100), (256, 512, 784), (4096, 4096, 4096)]:
        dim = max(m, n)
        block = block_size(m, n, k)
        count = -(-dim // block)
        assert block % 16 == 0
        assert 2 <= count <= MAX_BLOCKS
        if m * n * k >= PARALLEL_MACS:
            assert count >= min(MAX_BLOCKS, m * n * k // BLOCK_MACS) - 1


SAME_BITS = """
import numba, numpy as np, warnings
from threadpoolctl import threadpool_limits
from skdeep import MLPClassifier
from skdeep._kernels.blas import block_size, gemm
from skdeep.utils.threads import kernel_threads

assert numba.config.NUMBA_NUM_THREADS == 3
assert block_size(256, 256, 64) < 256  # the fit below runs parallel blocks
rng = np.random.default_rng(0)
m, n, k = 300, 130, 120
A = rng.standard_normal(m * k).astype(np.float32)
B = rng.standard_normal(k * n).astype(np.float32)
X = rng.standard_normal((512, 64))
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
results = {}
for threads in (1, 2, 3):
    numba.set_num_threads(threads)
    out = []
    with kernel_threads():
        assert numba.get_num_threads() == threads
        for ta in (False, True):
            for tb in (False, True):
                C = np.empty(m * n, np.float32)
                gemm(ta, tb, m, n, k, 1.0, A, B, 0.0, C)
                out.append(C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier((256,), batch_size=256, max_iter=3, random_state=0)
        clf.fit(X, y)
    out += [*clf.coefs_, *clf.intercepts_]
    # Predictions (512 rows: parallel blocks) under every BLAS setting as well.
    for blas in (1, 2, 3):
        with threadpool_limits(limits=blas, user_api="blas"):
            out.append(clf.predict_proba(X))
    results[threads] = out
reference = results[1][-1]
for threads in (1, 2, 3):
    for a, b in zip(results[threads], results[1][:-3] + [reference] * 3, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b), threads
print("same bits")
"""


def test_parallel_blocks_give_the_same_bits_for_1_2_and_3_threads():
    # OpenMP's default limit is the number of cores: ask for three explicitly.
    env = {**os.environ, "NUMBA_NUM_THREADS": "3", "OMP_NUM_THREADS": "3",
           "SKDEEP_LOAD_AWARE": "0"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SAME_BITS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same bits" in result.stdout
