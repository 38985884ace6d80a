"""LossCurveDisplay: the training history of any skdeep estimator."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdeep.integrations.plotting._common import check_matplotlib


class LossCurveDisplay:
    """Training loss per epoch, with validation loss and score when recorded.

    The training loss and the validation loss share the left y-axis ('loss');
    the validation score is drawn on a twin right y-axis ('validation score').
    It is recommended to build the display with :meth:`from_estimator`; the
    constructor only stores the data, :meth:`plot` draws it.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch (per iteration for the 'lbfgs' solver).

    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss per epoch, or None when not recorded.

    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score per epoch, or None when not recorded.

    name : str, default=None
        Name of the estimator, used as the title.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.

    validation_loss_line_ : matplotlib Line2D or None
        The validation loss, if any.

    validation_score_line_ : matplotlib Line2D or None
        The validation score, if any.

    score_ax_ : matplotlib Axes or None
        The twin axes of the validation score, if any.

    legend_ : matplotlib Legend
        One legend for every line, on ``ax_``.

    ax_ : matplotlib Axes
        Axes with the losses.

    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    FilterDisplay : The learned first-layer weights as images.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skdeep import MLPClassifier
    >>> from skdeep.integrations.plotting import LossCurveDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30,
    ...                     early_stopping=True, random_state=0).fit(X, y)
    >>> disp = LossCurveDisplay.from_estimator(clf)  # doctest: +SKIP
    >>> disp.ax_.get_ylabel()  # doctest: +SKIP
    'loss'
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        name: str | None = None,
    ) -> None:
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        name: str | None = None,
        log_loss_axis: bool = False,
        line_kwargs: dict | None = None,
    ) -> "LossCurveDisplay":
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        name : str, default=None
            Title; defaults to the ``name`` given at construction.

        log_loss_axis : bool, default=False
            Whether the loss axis uses a log scale.

        line_kwargs : dict, default=None
            Keyword arguments passed to every ``ax.plot`` call (after the
            display's own label and colour, so they override them).

        Returns
        -------
        display : LossCurveDisplay
            The display, with the artists set.
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        name = self.name if name is None else name
        line_kwargs = {} if line_kwargs is None else dict(line_kwargs)

        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        (self.line_,) = ax.plot(
            epochs, loss, **{"label": "training loss", "color": "C0", **line_kwargs}
        )
        self.validation_loss_line_ = None
        if self.validation_loss_curve is not None:
            val_loss = np.asarray(self.validation_loss_curve, dtype=float)
            (self.validation_loss_line_,) = ax.plot(
                np.arange(1, len(val_loss) + 1),
                val_loss,
                **{"label": "validation loss", "color": "C1", **line_kwargs},
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if log_loss_axis:
            ax.set_yscale("log")

        self.score_ax_ = self.validation_score_line_ = None
        handles = [self.line_]
        if self.validation_loss_line_ is not None:
            handles.append(self.validation_loss_line_)
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            self.score_ax_ = ax.twinx()
            (self.validation_score_line_,) = self.score_ax_.plot(
                np.arange(1, len(scores) + 1),
                scores,
                **{
                    "label": "validation score",
                    "color": "C2",
                    "linestyle": "--",
                    **line_kwargs,
                },
            )
            self.score_ax_.set_ylabel("validation score")
            handles.append(self.validation_score_line_)
        self.legend_ = ax.legend(handles=handles, loc="best")
        if name is not None:
            ax.set_title(name)

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name: str | None = None,
        log_loss_axis: bool = False,
        line_kwargs: dict | None = None,
    ) -> "LossCurveDisplay":
        """Plot the training history of a fitted skdeep estimator.

        Reads ``loss_curve_`` and, when present and not None,
        ``validation_loss_curve_`` and ``validation_scores_`` (recorded with
        ``early_stopping=True``).

        Parameters
        ----------
        estimator : fitted estimator with a ``loss_curve_`` attribute
            An MLP, CNN or autoencoder of skdeep (or any estimator with the
            same history attributes, such as scikit-learn's MLPs).

        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure and axes.

        name : str, default=None
            Title; defaults to the estimator's class name.

        log_loss_axis : bool, default=False
            Whether the loss axis uses a log scale.

        line_kwargs : dict, default=None
            Keyword arguments passed to every ``ax.plot`` call.

        Returns
        -------
        display : LossCurveDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_; LossCurveDisplay "
                "needs an estimator that records its training loss per epoch."
            )
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax, log_loss_axis=log_loss_axis, line_kwargs=line_kwargs)
