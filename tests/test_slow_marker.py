"""The ``slow`` marker: every pattern of ``conftest.SLOW`` marks tests, and
``-m "not slow"`` leaves them out (the fast day-to-day run)."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SLOW, slow_pattern

ROOT = Path(__file__).resolve().parents[1]


def _collect(*args) -> list:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q",
         "-p", "no:cacheprovider", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.slow  # collects the files of SLOW twice in subprocesses
def test_every_slow_pattern_marks_tests_and_the_fast_run_leaves_them_out():
    files = sorted({pattern.partition("::")[0] for pattern in SLOW})
    everything = _collect(*files)
    fast = set(_collect(*files, "-m", "not slow"))
    for pattern in SLOW:
        matched = [test for test in everything if slow_pattern(pattern).match(test)]
        assert matched, f"conftest.SLOW pattern {pattern!r} matches no test"
        assert not fast & set(matched), pattern
    # The fast run keeps the other tests of these files, one CNN and one RNN
    # configuration of scikit-learn's checks among them.
    assert fast
    assert any("test_sklearn_compatible[CNNClassifier(dropout" in t for t in fast)
    assert any("test_sklearn_compatible[RNNClassifier(bidirectional" in t for t in fast)
