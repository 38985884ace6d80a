"""The state of a stochastic solver, kept as plain arrays so estimators pickle."""

from dataclasses import dataclass, field

import numpy as np

from skdeep._kernels import codes
from skdeep.training.schedules import LearningRateSchedule


@dataclass
class OptimizerState:
    """Everything a solver carries from one update to the next.

    Attributes
    ----------
    solver : str
        'sgd', 'adam', 'adagrad' or 'rmsprop'.
    state1, state2 : ndarray
        Per-parameter state shaped like the flat parameter vector: velocity (sgd),
        first and second moments (adam), accumulated squares (adagrad, rmsprop).
    step : ndarray of shape (1,), int64
        Number of updates applied so far (Adam's ``t``).
    epochs : int
        Number of completed epochs, for the exponential and step schedules.
    schedule : LearningRateSchedule
        The learning rate and its schedule.
    """

    solver: str
    state1: np.ndarray
    state2: np.ndarray
    schedule: LearningRateSchedule
    step: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    epochs: int = 0

    @classmethod
    def create(cls, solver, n_params, dtype, schedule):
        """Fresh state for ``n_params`` parameters."""
        state2_size = n_params if solver == "adam" else 0
        return cls(
            solver=solver,
            state1=np.zeros(n_params, dtype=dtype),
            state2=np.zeros(state2_size, dtype=dtype),
            schedule=schedule,
        )

    def copy(self) -> "OptimizerState":
        """A deep copy, so a failed fit cannot alter the estimator's state."""
        return OptimizerState(
            solver=self.solver,
            state1=self.state1.copy(),
            state2=self.state2.copy(),
            schedule=LearningRateSchedule(**vars(self.schedule)),
            step=self.step.copy(),
            epochs=self.epochs,
        )

    def hyper(self, momentum, nesterov, beta_1, beta_2, epsilon) -> np.ndarray:
        """The float64 hyper-parameter vector the update kernel reads."""
        hyper = np.zeros(codes.N_HYPER, dtype=np.float64)
        hyper[codes.HYPER_LR] = self.schedule.current
        hyper[codes.HYPER_MOMENTUM] = momentum
        hyper[codes.HYPER_BETA_1] = beta_1
        hyper[codes.HYPER_BETA_2] = beta_2
        hyper[codes.HYPER_EPSILON] = epsilon
        hyper[codes.HYPER_NESTEROV] = float(nesterov)
        return hyper
