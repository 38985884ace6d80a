"""Shortcut connections (residual networks), forward next to backward.

A ``RESIDUAL_ADD`` row adds two blocks of the same shape: ``out = a + b``, where
``a`` is the row before's output and ``b`` the output of its source row (or the
network's input). Backward, both receive the row's gradient ``delta`` unchanged.
Where a row's output feeds two rows (a block's input feeds its first convolution
and its shortcut), the gradients of both are summed: the later row writes its
share into a side block, which :func:`add_block` adds to the source's delta once
the earlier row has written it (see :mod:`skdeep._kernels.network`).
"""

from skdeep._kernels._jit import kernel


@kernel
def residual_forward(a, b, out, size):
    """``out = a + b`` over ``size`` values."""
    for i in range(size):
        out[i] = a[i] + b[i]


@kernel
def copy_block(src, dst, size):
    """``dst = src`` over ``size`` values."""
    for i in range(size):
        dst[i] = src[i]


@kernel
def add_block(src, dst, size):
    """``dst += src`` over ``size`` values."""
    for i in range(size):
        dst[i] += src[i]
