"""The logistic function and tanh of the recurrent cells, vectorizable, in the
data's dtype.

``np.exp`` and ``np.tanh`` inside a kernel are calls into the C library, one value
at a time (here ~5 ns for exp, ~29 ns for tanh per value): at T steps of a few
thousand gate values per batch they would cost as much as the matrix products. The
functions below are written with arithmetic only, so that LLVM vectorizes the
loops that call them (~0.35 ns per value in float32):

* ``exp(x) = 2^k exp(r)`` with ``k = round(x / ln 2)`` and ``r = x - k ln 2``
  (Cody-Waite: ``ln 2`` split in a part ``k ln2_hi`` computes exactly and a
  small correction), ``exp(r)`` a polynomial on ``|r| <= ln(2) / 2`` and ``2^k``
  written directly into the exponent bits. float32: Cephes' ``expf``
  coefficients (relative error below 1.5e-7); float64: the Taylor series to
  degree 13 (below 3e-16). Inputs are clamped to the range where ``2^k`` is a
  normal number (exp(88) / exp(709) at most), so ``inf`` gives a large finite
  value and NaN stays NaN;
* ``sigmoid(x) = 1 / (1 + exp(-x))``, which is exact to a few ulps everywhere
  (0 and 1 in the limits);
* ``tanh(x) = 1 - 2 / (exp(2x) + 1)``, within a few ulps of 1 in absolute
  terms (so relative accuracy is lost only for |x| far below the dtype's eps,
  where tanh x = x would be exact).

Each works on a float32 or float64 scalar and returns one of the same type; the
overloads below pick the implementation from the argument's type when a kernel
compiles. Called from Python (tests), they compute the same formulas with NumPy.
Kernels that call them use ``fastmath={"contract"}`` so multiply-adds fuse (the
polynomials are latency-bound otherwise); results are deterministic run to run.
"""

import numpy as np
from numba.core import types
from numba.extending import overload, register_jitable

_OPTIONS = {"fastmath": {"contract"}, "error_model": "numpy"}

# float64 constants
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_ROUND64 = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer
_HI64 = 709.0
_LO64 = -708.0

# float32 constants
_LOG2E32 = np.float32(_LOG2E)
_LN2_HI32 = np.float32(0.693359375)
_LN2_LO32 = np.float32(-2.12194440e-4)
_ROUND32 = np.float32(12582912.0)  # 1.5 * 2^23
_ROUND32_BITS = np.int32(0x4B400000)  # the bits of _ROUND32
_HI32 = np.float32(88.0)
_LO32 = np.float32(-87.0)
_P32 = tuple(
    np.float32(c)
    for c in (
        1.9875691500e-4,
        1.3981999507e-3,
        8.3334519073e-3,
        4.1665795894e-2,
        1.6666665459e-1,
        5.0000001201e-1,
    )
)
_ONE32 = np.float32(1.0)
_TWO32 = np.float32(2.0)
_BIAS32 = np.int32(127)
_SHIFT32 = np.int32(23)


@register_jitable(**_OPTIONS)
def exp32(x):
    """``exp(x)`` of a float32 ``x``, in float32 (see the module docstring)."""
    if x > _HI32:
        x = _HI32
    if x < _LO32:
        x = _LO32
    t = x * _LOG2E32 + _ROUND32
    k = t - _ROUND32
    r = (x - k * _LN2_HI32) - k * _LN2_LO32
    p0, p1, p2, p3, p4, p5 = _P32
    p = p0 * r + p1
    p = p * r + p2
    p = p * r + p3
    p = p * r + p4
    p = p * r + p5
    p = p * r * r + r + _ONE32
    bits = (np.float32(t).view(np.int32) - _ROUND32_BITS + _BIAS32) << _SHIFT32
    return p * np.int32(bits).view(np.float32)


@register_jitable(**_OPTIONS)
def exp64(x):
    """``exp(x)`` of a float64 ``x`` (see the module docstring)."""
    if x > _HI64:
        x = _HI64
    if x < _LO64:
        x = _LO64
    t = x * _LOG2E + _ROUND64
    k = t - _ROUND64
    r = (x - k * _LN2_HI) - k * _LN2_LO
    # exp(r) = sum_{i <= 13} r^i / i!, by Horner's rule
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # t's low mantissa bits hold k; k + 1023 becomes the exponent of 2^k.
    bits = (np.float64(t).view(np.int64) + 1023) << 52
    return p * np.int64(bits).view(np.float64)


def _is_float32(x) -> bool:
    return isinstance(x, types.Float) and x.bitwidth == 32


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-x))


@overload(sigmoid, jit_options=_OPTIONS)
def _sigmoid(x):
    if _is_float32(x):

        def sigmoid32(x):
            return _ONE32 / (_ONE32 + exp32(-x))

        return sigmoid32

    def sigmoid64(x):
        return 1.0 / (1.0 + exp64(-x))

    return sigmoid64


def tanh(x):
    """``tanh x = 1 - 2 / (exp(2x) + 1)``."""
    return 1.0 - 2.0 / (np.exp(2.0 * x) + 1.0)


@overload(tanh, jit_options=_OPTIONS)
def _tanh(x):
    if _is_float32(x):

        def tanh32(x):
            return _ONE32 - _TWO32 / (exp32(_TWO32 * x) + _ONE32)

        return tanh32

    def tanh64(x):
        return 1.0 - 2.0 / (exp64(2.0 * x) + 1.0)

    return tanh64
