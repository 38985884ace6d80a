"""Forward epochs to scikit-learn's callback API (``sklearn.callback``, 1.9+).

The estimator's fit is one task; each epoch is a sub-task whose end hands the
callbacks a copy of the model as it stands after that epoch (built only when a
callback asks for it), and whose return value can stop training.
"""

from collections.abc import Callable


class EpochCallbacks:
    """One ``on_fit_task_begin``/``on_fit_task_end`` pair per epoch.

    Parameters
    ----------
    context : sklearn.callback.CallbackContext
        The fit task's context.
    estimator : estimator instance
        The estimator being fitted.
    X, y, metadata
        What the callbacks receive with each hook (training data and metadata).
    fitted_attributes : callable
        ``fitted_attributes(params)`` returns the attributes that make a copy of the
        estimator predict with the weights ``params``.
    """

    def __init__(self, context, estimator, X, y, metadata, fitted_attributes):
        self._context = context
        self._estimator = estimator
        self._X = X
        self._y = y
        self._metadata = metadata
        self._fitted_attributes: Callable = fitted_attributes
        self._epoch = None

    def begin(self) -> None:
        """Open the next epoch's sub-task."""
        self._epoch = self._context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            estimator=self._estimator, X=self._X, y=self._y, metadata=self._metadata
        )

    def end(self, params) -> bool:
        """Close the epoch with the model at ``params``; True asks to stop."""
        epoch, self._epoch = self._epoch, None
        snapshot = params.copy()
        return epoch.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes=lambda: self._fitted_attributes(snapshot),
        )

    def abandon(self) -> None:
        """Close an epoch that did not complete (divergence, Ctrl-C) as empty."""
        if self._epoch is not None:
            epoch, self._epoch = self._epoch, None
            epoch.call_on_fit_task_end(estimator=self._estimator)


def start_fit_task(estimator, X, y, metadata, max_epochs, fitted_attributes):
    """Open ``estimator``'s fit task; return it and its :class:`EpochCallbacks`.

    Both are None when the installed scikit-learn has no callback API; the
    :class:`EpochCallbacks` is None also when the estimator has no callback (then
    nothing would read the epochs' snapshots, which cost a copy of the model per
    epoch). The caller ends the fit task once the fitted attributes are known.
    """
    if not hasattr(estimator, "_init_callback_context"):
        return None, None
    fit_task = estimator._init_callback_context(max_subtasks=max_epochs)
    fit_task.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    # set_callbacks (also of callbacks propagated by a meta-estimator) stores them
    # here; the callback context reads them from there too.
    if not getattr(estimator, "_skl_callbacks", None):
        return fit_task, None
    epochs = EpochCallbacks(fit_task, estimator, X, y, metadata, fitted_attributes)
    return fit_task, epochs
