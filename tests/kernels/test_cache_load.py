"""Kernels load from skdeep's disk cache without Numba's registry refresh, and
what they compute does not change (``skdeep._kernels._cache``).

Each check compiles (and fills the cache) first, then runs a fresh process that
only loads. A process that only loads must not import Numba's lowering
registries (the refresh the lean loader skips), must compute the same bits, and
must still compile new code afterwards: a kernel signature that is not cached, and
a user's own ``njit`` function. A kernel that cannot be cached warns as with
Numba's cache, and ``recompile()`` compiles again.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba.core.registry import cpu_target

from skdeep._kernels import _jit

pytestmark = pytest.mark.skipif(
    not _jit._KERNEL_CACHE, reason="this Numba version uses Numba's own cache"
)

#: A module whose kernel uses NumPy functions that need Numba's registries to
#: compile (``np.linalg.norm``, ``np.exp``).
MODULE = textwrap.dedent(
    """
    import numpy as np
    from skdeep._kernels._jit import kernel

    @kernel
    def norm_times_exp(a):
        return np.linalg.norm(a) * np.exp(a[0])
    """
)

#: Loads (or compiles) the kernel, then compiles new code; prints what it saw.
CALLER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from numba import njit
    from cached_module import norm_times_exp

    print(repr(norm_times_exp(np.arange(1.0, 4.0))))
    print("numba.np.npyimpl" in sys.modules)
    print(sum(norm_times_exp.stats.cache_hits.values()))
    # New code after a lean load: an uncached signature, and a user's kernel.
    print(repr(norm_times_exp(np.arange(1.0, 4.0, dtype=np.float32))))

    @njit
    def users_kernel(a):
        return np.sum(np.sqrt(a))

    print(repr(users_kernel(np.arange(4.0))))
    """
)


def _run(code: str, cwd, cache_dir=None) -> list[str]:
    """Run ``code`` in a fresh process; ``cache_dir`` None: skdeep's own cache."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.splitlines()


def test_a_cached_kernel_loads_without_the_registries_and_new_code_compiles(tmp_path):
    (tmp_path / "cached_module.py").write_text(MODULE)
    cache = tmp_path / "cache"
    compiled = _run(CALLER, tmp_path, cache)
    loaded = _run(CALLER, tmp_path, cache)

    value, registries, hits, *new_code = compiled
    assert float(value) == pytest.approx(14**0.5 * np.e)
    assert (registries, hits) == ("True", "0")  # compiling needs the registries
    assert loaded[0] == value
    # The kernel came from the cache, and the refresh was skipped.
    assert loaded[1:3] == ["False", "1"]
    # New code compiled after the lean load is right (and the same as before).
    assert loaded[3:] == new_code
    assert float(new_code[0]) == pytest.approx(14**0.5 * np.e, rel=1e-6)
    assert float(new_code[1]) == pytest.approx(sum(i**0.5 for i in range(4)))


def test_a_kernel_that_cannot_be_cached_runs_warns_and_writes_nothing(tmp_path):
    # A large global array is referenced by address: its machine code is valid
    # in the process that compiled it only.
    (tmp_path / "cached_module.py").write_text(
        MODULE
        + "\nBIG = np.arange(10**6.0)\n\n@kernel\ndef big(i):\n    return BIG[i]\n"
    )
    code = textwrap.dedent(
        """
        import warnings
        from cached_module import big

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(big(5), sum(big.stats.cache_misses.values()))
        for w in caught:
            print(f"{w.category.__name__}: {w.message} ({w.filename})")
        """
    )
    for _ in range(2):
        value, warning = _run(code, tmp_path)
        assert value == "5.0 1"
        assert warning == (
            "NumbaWarning: Cannot cache compiled function 'big' as it uses lifted "
            "code or dynamic globals (such as ctypes pointers and large global "
            f"arrays) ({tmp_path / 'cached_module.py'})"
        )
    assert not list((tmp_path / "__pycache__").glob("*.nbc"))


def test_recompile_compiles_again_and_replaces_the_entry(tmp_path):
    (tmp_path / "cached_module.py").write_text(MODULE)
    code = textwrap.dedent(
        """
        import numpy as np
        from cached_module import norm_times_exp as f

        f(np.arange(1.0, 4.0))
        f.recompile()
        print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))
        """
    )
    assert _run(code, tmp_path) == ["0 2"]
    assert _run(code, tmp_path) == ["1 1"]
    assert len(list((tmp_path / "__pycache__").glob("*.nbc"))) == 1


FAMILIES = textwrap.dedent(
    """
    import hashlib, sys, warnings
    import numpy as np
    from sklearn.datasets import load_digits
    from skdeep import (
        AdversarialAutoencoder, CNNClassifier, DenoisingAutoencoder, MLPClassifier,
        MLPRegressor, PerceptronClassifier, SparseAutoencoder, VariationalAutoencoder,
    )

    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16.0, y[:200]
    X32, images = X.astype(np.float32), X.reshape(-1, 8, 8)
    ae = dict(n_components=3, hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    cases = [
        (MLPClassifier(max_iter=3, random_state=0), X, y),
        (MLPClassifier(max_iter=3, dropout=0.2, random_state=0), X32, y),
        (MLPClassifier(solver="lbfgs", max_iter=3, random_state=0), X, y),
        (MLPRegressor(max_iter=3, random_state=0), X, X[:, 10]),
        (CNNClassifier(filters=(2,), max_iter=2, random_state=0), images, y),
        (PerceptronClassifier(random_state=0), X, y),
        (PerceptronClassifier(average=True, random_state=0), X32, y),
        (DenoisingAutoencoder(**ae), X, None),
        (SparseAutoencoder(**ae), X, None),
        (VariationalAutoencoder(**ae), X, None),
        (AdversarialAutoencoder(**ae), X, None),
    ]
    digest = hashlib.sha256()
    for est, X_fit, y_fit in cases:
        est.fit(X_fit, y_fit)
        out = est.transform(X_fit) if y_fit is None else est.predict(X_fit)
        digest.update(np.ascontiguousarray(out).tobytes())
    print(digest.hexdigest(), "numba.np.npyimpl" in sys.modules)
    """
)


def test_every_estimator_computes_the_same_from_the_cache(tmp_path, capsys):
    # The reference: this process, with Numba's registries refreshed as its own
    # loader does. This also fills skdeep's cache for every kernel.
    cpu_target.target_context.refresh()
    exec(FAMILIES, {})
    here = capsys.readouterr().out.split()
    assert here[1] == "True"
    loaded = _run(FAMILIES, tmp_path)[0].split()
    assert loaded == [here[0], "False"]
