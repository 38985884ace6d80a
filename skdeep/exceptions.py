"""Warnings skdeep emits besides scikit-learn's own."""


class TrainingDivergedWarning(UserWarning):
    """Training stopped because the loss or the weights became non-finite.

    The estimator keeps the weights of the last epoch that ended with finite values
    (or the best ones, with early stopping), so its predictions stay finite.
    """


class TrainingInterruptedWarning(UserWarning):
    """Training was interrupted (Ctrl-C); the model keeps its last complete epoch."""


class InconsistentVersionWarning(UserWarning):
    """A pickled skdeep estimator was saved by a different skdeep version."""
