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


class KernelCacheWarning(UserWarning):
    """skdeep's cache of compiled kernels could not be used as it is.

    An entry that failed to load (truncated, corrupted, unreadable) was discarded
    and its kernel compiled again, or no cache directory was writable and kernels
    are compiled in every process. The message names the cache directory; see
    ``skdeep._kernels`` for where the cache lives.
    """
