"""Checks of hyperparameters that scikit-learn's parameter constraints cannot
express (the entries of a sequence)."""

from numbers import Integral

import numpy as np


def is_positive_int(value) -> bool:
    """Whether ``value`` is an integer of at least 1 (a bool is not)."""
    return (
        isinstance(value, Integral | np.integer)
        and not isinstance(value, bool)
        and value >= 1
    )


def check_layer_sizes(sizes, name: str) -> tuple[int, ...]:
    """``sizes`` (an int or a sequence of ints) as a tuple of positive ints.

    Raises
    ------
    ValueError
        Naming the parameter ``name``, if an entry is not a positive integer.
    """
    entries = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    if not all(is_positive_int(size) for size in entries):
        raise ValueError(f"{name} must be positive integers, got {entries}.")
    return tuple(int(size) for size in entries)
