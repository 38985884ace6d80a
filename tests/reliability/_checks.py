"""Checks shared by the table-driven reliability tests.

* :func:`forbid_kernels` makes every compiled kernel raise if it is called, to
  prove that an error was raised before any training (or inference) started;
* :func:`assert_identical` compares states bit for bit (take a snapshot with
  ``copy.deepcopy(vars(est))``), :func:`assert_same_model` two fitted estimators
  through everything they publish;
* :func:`fitted` gives a fresh copy of an estimator of ``SPECS`` fitted on its
  data, fitted once per test session;
* :func:`known_bug` marks a case that fails today because of a bug elsewhere.
"""

import copy
import importlib
import pkgutil
import warnings
from functools import cache

import numpy as np
import pytest
from numba.core.dispatcher import Dispatcher

import skdeep


class KernelCalled(AssertionError):
    """A compiled kernel was called where none may run."""


@cache
def kernel_entry_points() -> tuple:
    """``(module, name)`` of every compiled kernel that Python code can call.

    Every module of skdeep (but the optional integrations) is imported and each
    attribute that is a Numba dispatcher is listed: estimators and trainers reach
    kernels through module globals, which is what :func:`forbid_kernels` patches.
    """
    points = []
    for info in pkgutil.walk_packages(skdeep.__path__, "skdeep."):
        if ".integrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        points.extend(
            (module, name)
            for name, value in vars(module).items()
            if isinstance(value, Dispatcher)
        )
    return tuple(points)


def forbid_kernels(monkeypatch) -> None:
    """Make every kernel raise :class:`KernelCalled` until the test ends."""
    for module, name in kernel_entry_points():

        def called(*args, _name=f"{module.__name__}.{name}", **kwargs):
            raise KernelCalled(f"kernel {_name} was called")

        monkeypatch.setattr(module, name, called)


def fitted_attributes(est) -> dict:
    """Everything ``est`` publishes as fitted: its attributes ending in ``_``."""
    return {
        name: value
        for name, value in vars(est).items()
        if name.endswith("_") and not name.startswith("_")
    }


def assert_identical(actual, expected, path="") -> None:
    """``actual`` equals ``expected`` bit for bit: arrays with their shapes and
    dtypes, containers and plain objects (through their ``__dict__``) item by item,
    dicts whatever their order."""
    if isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected, strict=True, err_msg=path)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert set(actual) == set(expected), f"{path}: {set(actual) ^ set(expected)}"
        for key, value in expected.items():
            assert_identical(actual[key], value, f"{path}[{key!r}]")
    elif isinstance(expected, list | tuple):
        assert type(actual) is type(expected), path
        assert len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_identical(a, e, f"{path}[{i}]")
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(actual), path
    elif hasattr(expected, "__dict__") and not isinstance(expected, type):
        assert type(actual) is type(expected), path
        assert_identical(vars(actual), vars(expected), f"{path}.")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def assert_same_model(actual, expected, ignore=()) -> None:
    """The same fitted attributes, bit for bit, but those named in ``ignore``."""
    assert_identical(
        {k: v for k, v in fitted_attributes(actual).items() if k not in ignore},
        {k: v for k, v in fitted_attributes(expected).items() if k not in ignore},
    )


def known_bug(reason) -> list:
    """Marks of a case that fails for ``reason`` (none if ``reason`` is None): a
    strict xfail, so that the fix shows up as a failure asking to drop the mark."""
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


_FITTED: dict = {}


def fitted(spec):
    """A fresh copy of ``spec``'s estimator fitted on ``spec.data()``."""
    if spec.name not in _FITTED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITTED[spec.name] = spec.fitted()
    return copy.deepcopy(_FITTED[spec.name])
