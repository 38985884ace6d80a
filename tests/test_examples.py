"""Every example runs in its fast mode and writes the figures it promises."""

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")

CASES = {
    "quickstart.py": [],
    "mlp_loss_curves.py": ["mlp_loss_curves.png"],
    "cnn_filters.py": ["cnn_filters.png"],
    "denoising_digits.py": ["denoising_digits.png"],
    "anomaly_detection.py": ["anomaly_detection.png"],
    "grid_search_pipeline.py": [],
    "out_of_core_dask.py": ["out_of_core_dask.png"],
    "time_series_fcn.py": ["time_series_fcn.png"],
    "time_series_classification.py": ["time_series_classification.png"],
}
# Examples that need an optional extra: skipped when it is not installed.
REQUIRES = {"out_of_core_dask.py": ["dask.array", "distributed", "dask_ml"]}


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_fast(script, tmp_path):
    for module in REQUIRES.get(script, []):
        pytest.importorskip(module)
    args = [sys.executable, os.path.join(EXAMPLES, script), "--fast"]
    if script != "quickstart.py":
        args += ["--out", str(tmp_path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
    for figure in CASES[script]:
        path = tmp_path / figure
        assert path.exists() and path.stat().st_size > 1000
