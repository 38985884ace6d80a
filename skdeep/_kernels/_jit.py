"""The one decorator of skdeep's numeric kernels.

``kernel`` is ``numba.njit`` with the options every numeric kernel shares:

* ``cache=True``: compiled code is written to disk and loaded by later processes;
* ``error_model="numpy"``: division by zero gives inf/NaN as in NumPy instead of
  raising. This lets LLVM vectorize loops with divisions and square roots (with
  Python's error model each division carries a zero check, which keeps the Adam
  update scalar), and non-finite values are caught by the divergence checks.

Decorator options are not part of Numba's cache key: change them here only, and
clear the cache (``__pycache__/*.nbi``, ``*.nbc``) when you do.
"""

from numba import njit

kernel = njit(cache=True, error_model="numpy")
