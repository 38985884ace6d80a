"""Version stamp of pickled estimators, as scikit-learn stamps its own."""

import warnings

from skdeep._version import __version__
from skdeep.exceptions import InconsistentVersionWarning


class VersionedStateMixin:
    """Store skdeep's version in the pickled state and warn when a model saved by
    another version is loaded (its kernels and attributes may differ)."""

    def __getstate__(self):
        state = super().__getstate__()
        return {**state, "_skdeep_version": __version__}

    def __setstate__(self, state):
        saved = state.pop("_skdeep_version", "unknown")
        if saved != __version__:
            warnings.warn(
                f"Trying to unpickle {type(self).__name__} from skdeep version "
                f"{saved} when using version {__version__}. This might lead to "
                "breaking code or invalid results; refit the model with this version "
                "or use the version it was saved with.",
                InconsistentVersionWarning,
                stacklevel=2,
            )
        super().__setstate__(state)
