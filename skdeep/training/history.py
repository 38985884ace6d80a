"""What training records epoch by epoch, published under scikit-learn's names."""

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class TrainingHistory:
    """Per-epoch records and the stopping counters.

    Kept apart from the estimator during a fit and published only when the fit
    succeeds, so a failed fit leaves the previous model untouched.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    validation_loss_curve: list | None = None
    best_loss: float | None = np.inf
    best_validation_score: float | None = None
    no_improvement_count: int = 0
    n_iter: int = 0
    t: int = 0
    loss: float | None = None

    @classmethod
    def fresh(cls, early_stopping: bool) -> "TrainingHistory":
        """The state before the first epoch (scikit-learn's ``_initialize``)."""
        if early_stopping:
            return cls(
                validation_scores=[],
                validation_loss_curve=[],
                best_loss=None,
                best_validation_score=-np.inf,
            )
        return cls()

    def to_data(self) -> dict:
        """The history as plain data (lists copied)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "TrainingHistory":
        """The history :meth:`to_data` described (lists copied)."""
        return cls(**{
            key: list(value) if isinstance(value, list) else value
            for key, value in data.items()
        })  # fmt: skip
