"""FilterDisplay: first-layer weights of a CNN, MLP or autoencoder as images."""

from typing import Literal

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from skdeep.integrations.plotting._common import (
    ImageGridDisplay,
    check_matplotlib,
    grid_of,
    resolve_image_shape,
)


def first_layer_images(
    estimator,
    *,
    image_shape: tuple[int, int] | None = None,
    channel: int | Literal["mean"] = "mean",
) -> np.ndarray:
    """The first-layer weights of ``estimator`` as a stack of 2-D images.

    * CNNs (``filters_``): ``filters_[0]`` of shape (C_out, C_in, kh, kw) gives
      one (kh, kw) image per output filter, of input channel ``channel`` or the
      mean over the input channels (``channel='mean'``).
    * Networks with ``coefs_`` (MLPs, autoencoders): ``coefs_[0]`` of shape
      (n_features, n_units) gives one image per first-layer unit, its incoming
      weights reshaped to ``image_shape``.
    * Linear models with ``coef_`` (PerceptronClassifier): one image per row.

    Returns
    -------
    images : ndarray of shape (n_images, h, w)
    """
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if hasattr(type(estimator), "filters_"):
        filters = np.asarray(estimator.filters_[0])
        if channel == "mean":
            return filters.mean(axis=1)
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise ValueError(f"channel must be an int or 'mean', got {channel!r}.")
        if not -filters.shape[1] <= channel < filters.shape[1]:
            raise ValueError(
                f"channel={channel} is out of range for {filters.shape[1]} input "
                "channels."
            )
        return filters[:, channel]
    if getattr(estimator, "coefs_", None) is not None:
        weights = np.asarray(estimator.coefs_[0]).T
    elif getattr(estimator, "coef_", None) is not None:
        coef = estimator.coef_
        weights = coef.toarray() if sp.issparse(coef) else np.asarray(coef)
    else:
        raise ValueError(
            f"{name} has neither filters_, coefs_ nor coef_: FilterDisplay needs "
            "a CNN, an MLP, an autoencoder or a linear model."
        )
    shape = resolve_image_shape(
        weights.shape[1], image_shape, what=f"first-layer weights of {name}"
    )
    return weights.reshape(len(weights), *shape)


class FilterDisplay(ImageGridDisplay):
    """First-layer weights as a grid of images, one per filter or unit.

    For a CNN each image is one first-layer filter ``filters_[0][o]``, of one
    input channel or (default) averaged over the input channels. For an MLP or
    an autoencoder each image is the incoming weights ``coefs_[0][:, j]`` of
    first-layer unit ``j`` reshaped to ``image_shape`` (inferred when the number
    of features is a square). Weights are drawn with a diverging colour map
    centred on zero and one colour scale shared by all images.

    Parameters
    ----------
    filters : ndarray of shape (n_filters, h, w)
        The images to draw.

    name : str, default=None
        Name of the estimator, used as the figure title.

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage, shape (n_rows, n_cols)
        One image per filter (None in the blank cells of the last row).

    axes_ : ndarray of matplotlib Axes, shape (n_rows, n_cols)
        The grid of axes.

    bounding_ax_ : matplotlib Axes or None
        The Axes split into the grid when ``plot`` received a single Axes.

    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    LossCurveDisplay : The training history.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep import CNNClassifier
    >>> from skdeep.integrations.plotting import FilterDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier(filters=(8,), hidden_layer_sizes=(), max_iter=3,
    ...                     random_state=0).fit(X[:100] / 16, y[:100])
    >>> disp = FilterDisplay.from_estimator(clf)  # doctest: +SKIP
    >>> disp.images_.shape  # doctest: +SKIP
    (3, 3)
    """

    def __init__(self, *, filters: np.ndarray, name: str | None = None) -> None:
        self.filters = filters
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        n_cols: int | None = None,
        cmap: str = "RdBu_r",
        name: str | None = None,
        imshow_kwargs: dict | None = None,
    ) -> "FilterDisplay":
        """Plot the filters as a grid of images.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            None creates a new figure; one Axes is split into the grid; an
            array of ``n_rows * n_cols`` Axes is used as the grid.

        n_cols : int, default=None
            Images per row; defaults to ``ceil(sqrt(n_filters))``.

        cmap : str or matplotlib Colormap, default='RdBu_r'
            Colour map, with the scale symmetric about zero.

        name : str, default=None
            Figure title; defaults to the ``name`` given at construction.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to every ``imshow`` call.

        Returns
        -------
        display : FilterDisplay
            The display, with the artists set.
        """
        filters = np.asarray(self.filters, dtype=float)
        if filters.ndim != 3 or len(filters) == 0:
            raise ValueError(
                "filters must be a non-empty array of shape (n_filters, h, w), "
                f"got shape {filters.shape}."
            )
        vmax = float(np.abs(filters).max()) or 1.0
        kwargs = {"cmap": cmap, "vmin": -vmax, "vmax": vmax, **(imshow_kwargs or {})}
        self._draw_grid(ax, grid_of(filters, n_cols), name, **kwargs)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        image_shape: tuple[int, int] | None = None,
        channel: int | Literal["mean"] = "mean",
        max_filters: int | None = None,
        ax=None,
        n_cols: int | None = None,
        cmap: str = "RdBu_r",
        name: str | None = None,
        imshow_kwargs: dict | None = None,
    ) -> "FilterDisplay":
        """Plot the first-layer weights of a fitted estimator.

        Parameters
        ----------
        estimator : fitted CNN, MLP, autoencoder or linear model
            Read from ``filters_[0]`` (CNNs), ``coefs_[0]`` (MLPs and
            autoencoders) or ``coef_`` (PerceptronClassifier).

        image_shape : tuple of (h, w), default=None
            Shape of one image for networks on flat features; inferred when the
            number of features is a square. Ignored for CNNs.

        channel : int or 'mean', default='mean'
            For CNNs, the input channel to show, or 'mean' to average the
            filters over their input channels.

        max_filters : int, default=None
            Show only the first ``max_filters`` filters.

        ax, n_cols, cmap, name, imshow_kwargs
            As in :meth:`plot`; ``name`` defaults to the estimator's class name.

        Returns
        -------
        display : FilterDisplay
            The plotted display.

        Raises
        ------
        ValueError
            When the weights cannot be shown as images: no ``image_shape`` and
            a number of features that is not a square, an ``image_shape`` that
            does not hold that many values, or an estimator without weights.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        filters = first_layer_images(
            estimator, image_shape=image_shape, channel=channel
        )
        if max_filters is not None:
            filters = filters[: int(max_filters)]
        display = cls(
            filters=filters, name=type(estimator).__name__ if name is None else name
        )
        return display.plot(
            ax=ax, n_cols=n_cols, cmap=cmap, imshow_kwargs=imshow_kwargs
        )
