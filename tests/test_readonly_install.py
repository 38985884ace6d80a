"""A read-only install (no writable package dir) still imports and fits."""

import subprocess
import sys
import textwrap


def test_cache_falls_back_to_a_writable_temp_dir(tmp_path):
    code = textwrap.dedent(
        """
        import os
        real_access = os.access
        # Pretend the package directory is not writable (root ignores chmod).
        os.access = lambda path, mode: (
            False if "skdeep" in str(path) and mode == os.W_OK
            else real_access(path, mode)
        )
        import numba
        from skdeep import MLPClassifier  # imports the kernels
        os.access = real_access
        from sklearn.datasets import load_iris
        X, y = load_iris(return_X_y=True)
        clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
        assert numba.config.CACHE_DIR.startswith(os.environ["TMPDIR"])
        assert os.listdir(numba.config.CACHE_DIR)
        print(clf.score(X, y))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert 0.0 <= float(out.stdout) <= 1.0
