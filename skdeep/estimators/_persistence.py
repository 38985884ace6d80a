"""Version stamp of pickled estimators, as scikit-learn stamps its own.

A pickled estimator records skdeep's version. Loading a model saved by another
version of the same minor release warns (``InconsistentVersionWarning``); a model
saved by another minor release before 1.0 (0.1.x into 0.2.x) is refused with a
``ValueError`` naming both versions, as its fitted state has another layout and no
migration is provided before 1.0.

Models of 0.1.x held instances of internal classes, some in modules that no longer
exist (``skdeep.network.conv_layout``). So that loading one reaches the clear error
instead of a ``ModuleNotFoundError``, those names resolve to a placeholder that
only swallows its state (:data:`LEGACY_MODULES`).
"""

import sys
import types
import warnings

from skdeep._version import __version__
from skdeep.exceptions import InconsistentVersionWarning


class _LegacyObject:
    """Stands in for an internal object of a 0.1.x pickle; holds nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


#: Modules of skdeep 0.1.x whose classes appear in its pickles and are gone.
LEGACY_MODULES = {"skdeep.network.conv_layout": ("ConvLayout", "ConvBlock")}

for _name, _classes in LEGACY_MODULES.items():
    if _name not in sys.modules:
        _module = types.ModuleType(_name, "Placeholders for loading 0.1.x pickles.")
        for _cls in _classes:
            setattr(_module, _cls, _LegacyObject)
        sys.modules[_name] = _module


def _release(version: str) -> tuple:
    """``(major, minor)`` of a version string, or None if it is not one."""
    try:
        return tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return None


class VersionedStateMixin:
    """Store skdeep's version in the pickled state; on loading, refuse a model of
    another pre-1.0 minor release and warn about any other version."""

    def __getstate__(self):
        state = super().__getstate__()
        if "_inference_check" in state:
            # A cache of checks, not part of the model: saved as None (so that
            # skops sees no internal type) and made anew on loading.
            state = {**state, "_inference_check": None}
        return {**state, "_skdeep_version": __version__}

    def __setstate__(self, state):
        if "_inference_check" in state and state["_inference_check"] is None:
            from skdeep.estimators._inference import InferenceCheck

            state = {**state, "_inference_check": InferenceCheck()}
        saved = state.pop("_skdeep_version", "unknown")
        name = type(self).__name__
        if saved != __version__:
            release = _release(saved)
            if (
                release is not None
                and release < (1, 0)
                and release != _release(__version__)
            ):
                raise ValueError(
                    f"This {name} was pickled by skdeep {saved}; skdeep "
                    f"{__version__} cannot load it: the fitted state of a model "
                    "changed between these releases and no migration is provided "
                    "before 1.0. Refit the model with this version, or load it "
                    f"with skdeep {saved}."
                )
            warnings.warn(
                f"Trying to unpickle {name} from skdeep version {saved} when using "
                f"version {__version__}. This might lead to breaking code or "
                "invalid results; refit the model with this version or use the "
                "version it was saved with.",
                InconsistentVersionWarning,
                stacklevel=2,
            )
        super().__setstate__(state)
