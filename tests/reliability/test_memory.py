"""Fit and predict must not copy X: no float64 copy of float32 input, no dense copy
of it in its own dtype either.

NumPy reports its allocations to ``tracemalloc``, so the traced peak of a call is
the most extra memory that call held in NumPy arrays (X itself was allocated
before tracing began). The target is "peak under 1.5 x X.nbytes in all", i.e.
at most ``0.5 * X.nbytes`` *extra*, plus a small margin for buffers that do not
grow with X. For the 16 MB float32 X used here:

* a float64 copy of X costs ``2 * X.nbytes`` = 32 MB extra -> fails;
* a float32 copy (``np.array(X)``, ``X[perm]``) costs ``X.nbytes`` = 16 MB -> fails;
* what fit really allocates (measured: ~0.1 * X.nbytes for all three estimators
  below) passes.

Allocations made *inside* compiled kernels go through Numba's own allocator and
are invisible to ``tracemalloc``; they are bounded per batch / per chunk by
design and are covered by the RSS figures of ``benchmarks/bench_memory.py``.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from _estimators import SMALL_AE

from skdeep import CNNRegressor, DenoisingAutoencoder, MLPRegressor
from skdeep.network.network import PREDICT_BUDGET

N_ROWS, N_COLS = 40_000, 100  # float32: 16 MB; 100 features = 10x10 images
MB = 2**20
# Extra memory that does not scale with X.nbytes: y and its float copies
# (8 bytes/row each), int64 shuffle/row index arrays (8 bytes/row each), the
# per-batch buffers and the parameters. Two of each per-row array at 40,000 rows
# is 4 x 320 kB ~ 1.3 MB; 4 MB leaves room without hiding a copy of X (16 MB).
FIT_MARGIN = 4 * MB
# Predict: the output plus one chunk's buffers; "well below X.nbytes".
PREDICT_LIMIT_FRACTION = 0.25
# A CNN's forward-only scratch is sized by a values-per-chunk budget.
CNN_SCRATCH = PREDICT_BUDGET * np.dtype(np.float32).itemsize

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.rand(N_ROWS, N_COLS).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1]).astype(np.float32)
    return X, y


def _traced_peak(func, *args):
    """Peak bytes NumPy/Python allocated while ``func(*args)`` ran."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _fit_limit(X):
    return 0.5 * X.nbytes + FIT_MARGIN  # X itself + this = 1.5 x X.nbytes + margin


def test_tracemalloc_sees_a_float64_copy(data):
    """The measurement can fail: a float64 copy of X shows as 2 x X.nbytes, above
    the fit limit."""
    X, _ = data
    peak = _traced_peak(X.astype, np.float64)
    assert peak >= 2 * X.nbytes
    assert peak > _fit_limit(X)


ESTIMATORS = {
    "MLPRegressor": (
        lambda: MLPRegressor(
            hidden_layer_sizes=(16,), max_iter=1, batch_size=256, random_state=0
        ),
        True,
        0,
    ),
    "CNNRegressor": (
        lambda: CNNRegressor(
            filters=(2,),
            hidden_layer_sizes=(4,),
            max_iter=1,
            batch_size=256,
            random_state=0,
        ),
        True,
        CNN_SCRATCH,
    ),
    "DenoisingAutoencoder": (
        lambda: DenoisingAutoencoder(**{**SMALL_AE, "max_iter": 1, "batch_size": 256}),
        False,
        0,
    ),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fit_and_predict_do_not_copy_X(data, name):
    make, supervised, scratch = ESTIMATORS[name]
    X, y = data
    y = y if supervised else None
    est = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:512], y if y is None else y[:512])  # compile / load kernels

        fit_peak = _traced_peak(est.fit, X, y)
    assert fit_peak < _fit_limit(X), (
        f"{name}.fit allocated {fit_peak / MB:.1f} MB for a {X.nbytes / MB:.0f} MB "
        f"X (limit {_fit_limit(X) / MB:.1f} MB): is X being copied?"
    )

    infer = est.predict if supervised else est.transform
    predict_peak = _traced_peak(infer, X)
    limit = PREDICT_LIMIT_FRACTION * X.nbytes + scratch
    assert predict_peak < limit, (
        f"{name}.{infer.__name__} allocated {predict_peak / MB:.1f} MB for a "
        f"{X.nbytes / MB:.0f} MB X (limit {limit / MB:.1f} MB): is X being copied?"
    )
