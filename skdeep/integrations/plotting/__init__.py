"""scikit-learn-style Display objects for skdeep estimators.

Each display holds the data it draws, is built with ``from_estimator`` and drawn
with ``plot(ax=None, ...)``, which returns the display with the matplotlib
artists set as attributes ending in ``_``. matplotlib is imported only when a
display is plotted (``pip install skdeep[plot]``).
"""

from skdeep.integrations.plotting.filters import FilterDisplay
from skdeep.integrations.plotting.images import ReconstructionDisplay, SampleDisplay
from skdeep.integrations.plotting.loss_curve import LossCurveDisplay

__all__ = [
    "FilterDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "SampleDisplay",
]
