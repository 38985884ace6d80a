"""Learning-rate schedules, evaluated between epochs.

``e`` counts completed epochs (across ``warm_start`` fits and ``partial_fit`` calls),
``t`` counts training samples seen, ``gamma_0`` is ``learning_rate_init``:

===========  ==================================================================
schedule     learning rate for the next epoch
===========  ==================================================================
constant     gamma_0
invscaling   gamma_0 / (t + 1) ** power_t          (scikit-learn's formula)
adaptive     divided by 5 each time the stopping criterion fires; training stops
             once it would fire with the rate at or below 1e-6 (scikit-learn)
exponential  gamma_0 * lr_decay ** e
step         gamma_0 * lr_decay ** floor(e / lr_step_size)
===========  ==================================================================

Unlike scikit-learn, which applies schedules to ``solver='sgd'`` only, skdeep applies
them to every stochastic solver; for Adam the scheduled rate replaces
``learning_rate_init`` in Adam's bias-corrected step.
"""

from dataclasses import asdict, dataclass

#: The adaptive schedule stops training once the rate would drop from at or below this.
ADAPTIVE_MIN_LR = 1e-6


@dataclass
class LearningRateSchedule:
    """The current learning rate and how it evolves."""

    kind: str
    initial: float
    power_t: float = 0.5
    decay: float = 0.95
    step_size: int = 10
    current: float = None

    def __post_init__(self):
        if self.current is None:
            self.current = float(self.initial)

    def epoch_ends(self, epochs_done: int, samples_seen: int) -> None:
        """Set the rate for the next epoch."""
        if self.kind == "invscaling":
            self.current = float(self.initial) / (samples_seen + 1) ** self.power_t
        elif self.kind == "exponential":
            self.current = float(self.initial) * self.decay**epochs_done
        elif self.kind == "step":
            self.current = float(self.initial) * self.decay ** (
                epochs_done // self.step_size
            )

    def on_plateau(self) -> bool:
        """React to the no-improvement criterion firing; return True to stop."""
        if self.kind != "adaptive" or self.current <= ADAPTIVE_MIN_LR:
            return True
        self.current /= 5.0
        return False

    def same_settings(self, other: "LearningRateSchedule") -> bool:
        """Whether ``other`` is this schedule, whatever the rate reached."""
        return {**asdict(self), "current": None} == {**asdict(other), "current": None}

    def to_data(self) -> dict:
        """The schedule as plain data."""
        return asdict(self)
