"""The state of a stochastic solver, kept as plain data so estimators pickle."""

from dataclasses import dataclass, field

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.structs import Solver
from skdeep.training.schedules import LearningRateSchedule


@dataclass
class OptimizerState:
    """Everything a solver carries from one update to the next.

    Attributes
    ----------
    solver : str
        'sgd', 'adam', 'adagrad' or 'rmsprop'.
    state1, state2 : ndarray
        Per-parameter state shaped like the parameters it updates: velocity (sgd),
        first and second moments (adam), accumulated squares (adagrad, rmsprop);
        ``state2`` is empty unless the solver is Adam.
    schedule : LearningRateSchedule
        The learning rate and its schedule.
    step : ndarray of int64
        Updates applied so far (Adam's ``t``), one counter per update step of a
        batch (one, or three for the adversarial autoencoder).
    epochs : int
        Completed epochs, for the exponential and step schedules.
    """

    solver: str
    state1: np.ndarray
    state2: np.ndarray
    schedule: LearningRateSchedule
    step: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    epochs: int = 0

    @classmethod
    def create(cls, solver, size, dtype, schedule, n_steps=1) -> "OptimizerState":
        """Fresh state for ``size`` values updated by ``n_steps`` counted steps."""
        return cls(
            solver=solver,
            state1=np.zeros(size, dtype=dtype),
            state2=np.zeros(size if solver == "adam" else 0, dtype=dtype),
            schedule=schedule,
            step=np.zeros(n_steps, dtype=np.int64),
        )

    def copy(self) -> "OptimizerState":
        """A deep copy, so a failed fit cannot alter the estimator's state."""
        return OptimizerState.from_data(self.to_data())

    def kernel_solver(self, momentum, nesterov, beta_1, beta_2, epsilon) -> Solver:
        """The :class:`~skdeep._kernels.structs.Solver` the update kernel reads,
        with the current learning rate."""
        hyper = np.zeros(codes.N_HYPER, dtype=np.float64)
        hyper[codes.HYPER_LR] = self.schedule.current
        hyper[codes.HYPER_MOMENTUM] = momentum
        hyper[codes.HYPER_BETA_1] = beta_1
        hyper[codes.HYPER_BETA_2] = beta_2
        hyper[codes.HYPER_EPSILON] = epsilon
        hyper[codes.HYPER_NESTEROV] = float(nesterov)
        return Solver(
            codes.SOLVER_CODES[self.solver], hyper, self.step, self.state1, self.state2
        )

    def restore(self, other: "OptimizerState") -> None:
        """Set this state, in place, to ``other``'s."""
        self.state1[:] = other.state1
        self.state2[:] = other.state2
        self.step[:] = other.step
        self.epochs = other.epochs
        self.schedule = LearningRateSchedule(**other.schedule.to_data())

    def to_data(self) -> dict:
        """The state as plain data: arrays (copied), numbers, strings, a dict."""
        return {
            "solver": self.solver,
            "state1": self.state1.copy(),
            "state2": self.state2.copy(),
            "step": self.step.copy(),
            "epochs": int(self.epochs),
            "schedule": self.schedule.to_data(),
        }

    @classmethod
    def from_data(cls, data: dict) -> "OptimizerState":
        """The state :meth:`to_data` described (arrays copied)."""
        return cls(
            solver=data["solver"],
            state1=np.array(data["state1"]),
            state2=np.array(data["state2"]),
            schedule=LearningRateSchedule(**data["schedule"]),
            step=np.array(data["step"], dtype=np.int64),
            epochs=int(data["epochs"]),
        )
