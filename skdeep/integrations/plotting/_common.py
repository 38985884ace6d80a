"""Helpers shared by the displays: the matplotlib check, image shapes, grids."""

import math

import numpy as np


def check_matplotlib(caller: str) -> None:
    """Raise an ImportError naming ``caller`` when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install matplotlib` or `pip install skdeep[plot]`."
        ) from exc


def resolve_image_shape(
    n_features: int, image_shape: tuple[int, int] | None, what: str = "rows"
) -> tuple[int, int]:
    """The ``(h, w)`` to reshape vectors of ``n_features`` values into.

    ``image_shape`` must hold exactly ``n_features`` values when given; otherwise
    ``n_features`` must be a perfect square.
    """
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(
                "image_shape must be a pair (h, w) of positive ints, got "
                f"{image_shape}."
            )
        if shape[0] * shape[1] != n_features:
            raise ValueError(
                f"image_shape={shape} holds {shape[0] * shape[1]} values but the "
                f"{what} have {n_features}."
            )
        return shape
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(
            f"The {what} have {n_features} values, which is not a square; pass "
            "image_shape=(h, w) to show them as images."
        )
    return side, side


def image_grid(ax, n_rows: int, n_cols: int, caller: str):
    """Axes for an ``n_rows`` x ``n_cols`` grid of images.

    Parameters
    ----------
    ax : None, matplotlib Axes or array-like of Axes
        None: a new figure. One Axes: it is hidden and its area split into the
        grid (it becomes ``bounding_ax``). An array of Axes: used as the grid,
        it must hold ``n_rows * n_cols`` of them.

    Returns
    -------
    figure, axes (ndarray of shape (n_rows, n_cols)), bounding_ax (Axes or None)
    """
    check_matplotlib(caller)
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.gridspec import GridSpecFromSubplotSpec

    if ax is None:
        fig, axes = plt.subplots(
            n_rows,
            n_cols,
            squeeze=False,
            layout="constrained",
            figsize=(max(1.2 * n_cols, 3.0), max(1.2 * n_rows, 2.0)),
        )
        return fig, axes, None
    if isinstance(ax, Axes):
        fig = ax.figure
        ax.set_axis_off()
        spec = GridSpecFromSubplotSpec(
            n_rows, n_cols, subplot_spec=ax.get_subplotspec()
        )
        axes = np.empty((n_rows, n_cols), dtype=object)
        for i in range(n_rows):
            for j in range(n_cols):
                axes[i, j] = fig.add_subplot(spec[i, j])
        return fig, axes, ax
    axes = np.asarray(ax, dtype=object)
    if axes.size != n_rows * n_cols:
        raise ValueError(
            f"ax holds {axes.size} Axes but the display needs "
            f"{n_rows} x {n_cols} = {n_rows * n_cols}."
        )
    axes = axes.reshape(n_rows, n_cols)
    return axes[0, 0].figure, axes, None


def draw_images(axes, images, **imshow_kwargs):
    """Draw ``images[i, j]`` on ``axes[i, j]`` without ticks; blank axes are
    turned off. Returns the AxesImage objects (None where blank) in an array
    shaped like ``axes``."""
    artists = np.empty(axes.shape, dtype=object)
    for index, image in np.ndenumerate(images):
        axis = axes[index]
        if image is None:
            axis.set_axis_off()
            continue
        artists[index] = axis.imshow(image, **imshow_kwargs)
        axis.set_xticks([])
        axis.set_yticks([])
    return artists


def grid_of(images: np.ndarray, n_cols: int | None) -> np.ndarray:
    """Arrange a stack of images (n, h, w) row by row in an object array of
    shape (n_rows, n_cols), padding with None."""
    n = len(images)
    n_cols = math.ceil(math.sqrt(n)) if n_cols is None else int(n_cols)
    if n_cols < 1:
        raise ValueError(f"n_cols must be a positive int, got {n_cols}.")
    n_cols = min(n_cols, n)
    n_rows = math.ceil(n / n_cols)
    grid = np.empty((n_rows, n_cols), dtype=object)
    for k in range(n):
        grid[divmod(k, n_cols)] = images[k]
    return grid


class ImageGridDisplay:
    """What the image displays share: drawing a grid of images and keeping the
    artists (``images_``, ``axes_``, ``bounding_ax_``, ``figure_``)."""

    def _draw_grid(self, ax, grid: np.ndarray, name: str | None, **imshow_kwargs):
        """Draw ``grid`` (see :func:`grid_of`) on ``ax`` (see :func:`image_grid`)
        with the title ``name``, or the one given at construction; returns the
        grid of Axes."""
        fig, axes, bounding_ax = image_grid(
            ax, *grid.shape, caller=f"{type(self).__name__}.plot"
        )
        self.images_ = draw_images(axes, grid, **imshow_kwargs)
        name = self.name if name is None else name
        if name is not None:
            fig.suptitle(name)
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = fig
        return axes
