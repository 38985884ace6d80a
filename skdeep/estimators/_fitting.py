"""Fits that change an estimator in one step, one at a time.

A fit works on a shallow copy of the estimator and publishes the result by
replacing the estimator's attribute dictionary as a whole (one assignment), so
another thread predicting meanwhile sees either the old model or the new one,
whole, and iterating over the attributes (``check_is_fitted``) never sees them
change size. A failed fit publishes nothing. Fitting one estimator object from two
threads at once is refused with a ``RuntimeError``; the record of which estimators
are fitting lives here, not on the estimators, so nothing of it is pickled or
copied.

Inference methods read several attributes (the network, the parameters, the
classes); :func:`on_published_model` runs them on a :func:`snapshot` of the
attribute dictionary taken in one step when they are called, so a model published
by another thread between two of those reads is never mixed with the one before
it.
"""

import copy
import functools
import threading
import weakref
from contextlib import contextmanager

#: Attributes scikit-learn's callback machinery sets on the estimator during a fit
#: (``_init_callback_context``) and removes after it.
CALLBACK_KEYS = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")

_fitting = weakref.WeakSet()
_fitting_lock = threading.Lock()


@contextmanager
def fitting(estimator):
    """Mark ``estimator`` as fitting for the duration of the block; yield a shallow
    copy to fit, whose attributes :func:`publish` makes the estimator's.

    Raises
    ------
    RuntimeError
        If ``estimator`` is already being fitted (by another thread, or by a
        callback of its own fit).
    """
    with _fitting_lock:
        if estimator in _fitting:
            raise RuntimeError(
                f"This {type(estimator).__name__} is already being fitted; fit one "
                "estimator object from one thread at a time (use clone() to fit "
                "copies in parallel)."
            )
        _fitting.add(estimator)
    try:
        yield copy.copy(estimator)
    finally:
        with _fitting_lock:
            _fitting.discard(estimator)


def publish(estimator, fitted) -> None:
    """Make ``fitted``'s attributes ``estimator``'s, in one assignment, keeping the
    callback bookkeeping of the fit in progress on ``estimator``."""
    in_flight = {k: v for k, v in vars(estimator).items() if k in CALLBACK_KEYS}
    state = {k: v for k, v in vars(fitted).items() if k not in CALLBACK_KEYS}
    estimator.__dict__ = {**state, **in_flight}


def snapshot(estimator):
    """A shallow copy of ``estimator`` holding its attributes as they are now.

    The attribute dictionary is copied in one step (a C-level copy during which
    no other thread runs), and :func:`publish` replaces it as a whole, so the copy
    holds one published model, whole.
    """
    model = object.__new__(type(estimator))
    model.__dict__ = estimator.__dict__.copy()
    return model


def on_published_model(method):
    """Decorate an inference method to run on the :func:`snapshot` of its
    estimator taken when it is called (see the module docstring)."""

    @functools.wraps(method)
    def on_snapshot(self, *args, **kwargs):
        return method(snapshot(self), *args, **kwargs)

    return on_snapshot
