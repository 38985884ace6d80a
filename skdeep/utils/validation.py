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


def dropout_rates(dropout, n_hidden: int, solver: str) -> list[float]:
    """The dropout rate after each of ``n_hidden`` layers: ``dropout`` (a rate for
    all, or one per layer) checked to lie in [0, 1).

    Raises
    ------
    ValueError
        Naming ``dropout``, for a wrong value or count, or a rate with
        ``solver='lbfgs'`` (dropout makes the objective random, which breaks the
        line search).
    """
    if np.ndim(dropout) == 0:
        rates = [dropout] * n_hidden
    else:
        rates = list(np.ravel(np.asarray(dropout, dtype=object)))
        if len(rates) != n_hidden:
            raise ValueError(
                "dropout must be a float or have one rate per hidden layer "
                f"({n_hidden}), got {len(rates)} rates."
            )
    try:
        rates = [float(r) for r in rates]
    except (TypeError, ValueError):
        raise ValueError(
            f"dropout must be a float or a sequence of floats, got {dropout!r}."
        ) from None
    if not all(0 <= r < 1 for r in rates):
        raise ValueError(f"dropout rates must be in [0, 1), got {dropout!r}.")
    if solver == "lbfgs" and any(r > 0 for r in rates):
        raise ValueError(
            "dropout is not supported with solver='lbfgs' (it makes the objective "
            "random, which breaks the line search); use a stochastic solver."
        )
    return rates


def check_sparse_structure(X) -> None:
    """Refuse a sparse ``X`` whose index arrays do not describe a matrix of its
    shape (a column index beyond ``n_features`` or negative, a decreasing
    ``indptr``): converting or gathering its rows would read and write outside
    their buffers, in scipy's code or in skdeep's kernels. Dense and non-sparse
    input pass unchanged.

    Raises
    ------
    ValueError
        Naming what is malformed.
    """
    import scipy.sparse as sp

    if not sp.issparse(X):
        return
    try:
        if hasattr(X, "check_format"):  # CSR, CSC, BSR: full check of the indices
            X.check_format(full_check=True)
        elif X.format == "coo" and X.nnz:
            for axis, coords in enumerate(X.coords):
                if coords.min() < 0 or coords.max() >= X.shape[axis]:
                    raise ValueError(f"coordinates of axis {axis} out of range")
    except ValueError as exc:
        raise ValueError(f"X is a malformed sparse matrix: {exc}.") from None
