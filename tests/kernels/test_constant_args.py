"""Calls between kernels compile one variant per argument type, not per constant
value, unless a kernel asks for constants (``jit(constant_args=True)``), which the
pooling and im2col loops use to unroll fixed window sizes and a stride of 1."""

import os
import subprocess
import sys
import textwrap

MODULE = textwrap.dedent(
    """
    from skdeep._kernels._jit import jit, kernel

    @kernel
    def scale(x, factor, flag):
        return x * factor if flag else x

    @jit(constant_args=True)
    def unrolled(x, window):
        total = 0.0
        for i in range(window):
            total += x
        return total

    @kernel
    def caller(x):
        return (scale(x, 2, True) + scale(x, 3, False) + scale(x, 4, True)
                + unrolled(x, 2) + unrolled(x, 3))
    """
)

CHECK = textwrap.dedent(
    """
    from kernels_under_test import caller, scale, unrolled
    assert caller(1.0) == 1.0 * 2 + 1.0 + 4 + 2 + 3
    print(len(scale.from_kernels.signatures), len(unrolled.from_kernels.signatures))
    """
)


def test_constants_compile_once_per_type_unless_asked(tmp_path):
    (tmp_path / "kernels_under_test.py").write_text(MODULE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), os.environ.get("PYTHONPATH", "")]
        ),
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    # scale: one variant for (float64, int64, bool) whatever the constants;
    # unrolled: one variant per window constant.
    assert out.stdout.split() == ["1", "2"]
