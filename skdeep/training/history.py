"""What training records epoch by epoch, published under scikit-learn's names."""

from dataclasses import dataclass, field

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

    def copy(self) -> "TrainingHistory":
        """A copy whose lists can be appended to without touching this one."""
        return TrainingHistory(
            loss_curve=list(self.loss_curve),
            validation_scores=None
            if self.validation_scores is None
            else list(self.validation_scores),
            validation_loss_curve=None
            if self.validation_loss_curve is None
            else list(self.validation_loss_curve),
            best_loss=self.best_loss,
            best_validation_score=self.best_validation_score,
            no_improvement_count=self.no_improvement_count,
            n_iter=self.n_iter,
            t=self.t,
            loss=self.loss,
        )
