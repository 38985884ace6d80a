"""Every public estimator's docstrings pass numpydoc's validation.

The class docstring documents every constructor parameter, in signature order,
with a one-line summary, its attributes, a described "See Also" and Examples (run
by ``--doctest-modules``); each public method and fitted-attribute property has a
one-line summary and documents its parameters and what it returns. Ignored, as
scikit-learn's own validation ignores them for most objects: an extended summary
(ES01), "See Also" and Examples on methods (SA01, EX01), and a period after a
return type's description (RT02).
"""

import inspect

import pytest

import skdeep

numpydoc_validate = pytest.importorskip("numpydoc.validate")

IGNORED = {"ES01", "SA01", "EX01", "RT02"}

ESTIMATORS = [
    name
    for name in skdeep.__all__
    if inspect.isclass(getattr(skdeep, name))
    and hasattr(getattr(skdeep, name), "get_params")
]


def _public_members(cls) -> list:
    """The public methods and properties ``cls`` defines or inherits from skdeep
    (scikit-learn's own mixins are validated by scikit-learn)."""
    names = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            module = member.fget.__module__
        elif inspect.isfunction(member):
            module = member.__module__
        else:
            continue
        if module.startswith("skdeep"):
            names.append(name)
    return names


def _targets() -> list:
    targets = []
    for name in ESTIMATORS:
        cls = getattr(skdeep, name)
        targets.append(f"skdeep.{name}")
        targets.extend(f"skdeep.{name}.{member}" for member in _public_members(cls))
    return targets


def test_every_estimator_is_validated():
    assert len(ESTIMATORS) == 11, ESTIMATORS


@pytest.mark.parametrize("target", _targets())
def test_numpydoc_validation(target):
    result = numpydoc_validate.validate(target)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, "\n".join([target, *errors])
