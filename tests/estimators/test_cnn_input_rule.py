"""The CNNs' input rule, for every layout of X (the class docstrings' "Input shape").

The image shape comes from ``input_shape`` when given, else from 3-D ``(n, H, W)``
or 4-D ``(n, C, H, W)`` X, else from 2-D X: one square channel when
``n_features`` is a perfect square of at least 4, otherwise a single-row image
``1 x n_features``. A kernel larger than its feature map with
``padding='valid'``, or a pooling window larger than its feature map, is a clear
``ValueError`` in every case but one: the single-row image inferred from 2-D X,
whose kernels and windows are clipped to fit (so that any number of features
works). Square 2-D X (8x8 digits as 64 columns) follows the same rule as the
same images given as 3-D X or with ``input_shape``: the issue this guards
against is that it used to clip silently.
"""

import warnings

import numpy as np
import pytest

from skdeep import CNNClassifier, CNNRegressor

N = 12
RNG = np.random.RandomState(0)
IMAGES = RNG.rand(N, 4, 4)  # 4x4 images
Y = np.arange(N) % 2


def _layouts():
    """``(name, X, extra parameters)`` of the same 4x4 images in every layout that
    follows the general rule."""
    return {
        "2d_square": (IMAGES.reshape(N, 16), {}),
        "3d": (IMAGES, {}),
        "4d": (IMAGES[:, None], {}),
        # input_shape=(4, 4) is not among them: two entries are (C, L), a
        # signal of 4 channels of length 4 (issue 13).
        "input_shape_chw": (IMAGES.reshape(N, 16), {"input_shape": (1, 4, 4)}),
    }


def _fit(cls, X, **params):
    est = cls(hidden_layer_sizes=(3,), filters=(2,), max_iter=2, random_state=0,
              **params)  # fmt: skip
    y = Y if cls is CNNClassifier else Y.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


TOO_LARGE = {
    "kernel_valid": (dict(kernel_size=5, padding="valid", pool_size=None),
                     r"Convolution block 0 does not fit"),
    "kernel_valid_second_block": (
        dict(filters=(2, 2), kernel_size=3, padding="valid", pool_size=None),
        r"Convolution block 1 does not fit",
    ),
    "pool": (dict(kernel_size=3, padding="same", pool_size=5),
             r"Pooling of block 0 does not fit"),
    "pool_after_valid_conv": (dict(kernel_size=3, padding="valid", pool_size=3),
                              r"Pooling of block 0 does not fit"),
}  # fmt: skip


@pytest.mark.parametrize("cls", [CNNClassifier, CNNRegressor])
@pytest.mark.parametrize("case", list(TOO_LARGE))
@pytest.mark.parametrize("layout", list(_layouts()))
def test_a_kernel_or_pool_that_does_not_fit_is_a_value_error(layout, case, cls):
    X, extra = _layouts()[layout]
    params, match = TOO_LARGE[case]
    params = {"filters": (2,), **params, **extra}
    with pytest.raises(ValueError, match=match):
        cls(hidden_layer_sizes=(3,), max_iter=2, **params).fit(X, Y)


@pytest.mark.parametrize("layout", list(_layouts()))
def test_every_layout_builds_the_same_network(layout):
    X, extra = _layouts()[layout]
    est = _fit(CNNClassifier, X, kernel_size=3, padding="valid", pool_size=None,
               **extra)  # fmt: skip
    reference = _fit(CNNClassifier, IMAGES.reshape(N, 16), kernel_size=3,
                     padding="valid", pool_size=None)  # fmt: skip
    assert est.input_shape_ == (1, 4, 4)
    assert [c.shape for c in est.coefs_] == [c.shape for c in reference.coefs_]
    assert est.filters_[0].shape == (2, 1, 3, 3)
    np.testing.assert_array_equal(est.predict_proba(X), reference.predict_proba(
        IMAGES.reshape(N, 16)))  # fmt: skip


@pytest.mark.parametrize("cls", [CNNClassifier, CNNRegressor])
@pytest.mark.parametrize("n_features", [5, 10, 15])
def test_single_row_images_from_2d_x_clip_kernels_and_pools(n_features, cls):
    X = RNG.rand(N, n_features)
    est = _fit(cls, X, kernel_size=20, padding="valid", pool_size=20)
    assert est.input_shape_ == (1, 1, n_features)
    # The kernel is clipped to the 1 x n_features row: 1 x min(20, n_features).
    assert est.filters_[0].shape == (2, 1, 1, n_features)
    # A 'valid' convolution of the whole row leaves one position, so the pool is
    # clipped to 1 (no pooling): the dense part reads 2 channels x 1 position.
    assert est.coefs_[1].shape[0] == 2
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize("n_features", [5, 10])
def test_single_row_clipping_is_only_for_inferred_shapes(n_features):
    """The same single-row images given as ``input_shape=(1, n)`` or as 3-D X
    ``(n, 1, W)`` follow the general rule: no clipping."""
    X = RNG.rand(N, n_features)
    params = dict(kernel_size=20, padding="valid", pool_size=None)
    with pytest.raises(ValueError, match=r"Convolution block 0 does not fit"):
        CNNClassifier(input_shape=(1, n_features), **params).fit(X, Y)
    with pytest.raises(ValueError, match=r"Convolution block 0 does not fit"):
        CNNClassifier(**params).fit(X.reshape(N, 1, n_features), Y)


def test_square_2d_x_with_a_fitting_kernel_is_not_clipped():
    """8x8 digits as 64 columns with kernel_size=3: 3x3 filters, not 1x3."""
    X = RNG.rand(N, 64)
    est = _fit(CNNClassifier, X, kernel_size=3, padding="same", pool_size=2)
    assert est.input_shape_ == (1, 8, 8)
    assert est.filters_[0].shape == (2, 1, 3, 3)


def test_same_padding_takes_a_kernel_larger_than_the_image():
    """``padding='same'`` keeps the feature map's size whatever the kernel (as
    PyTorch's ``padding='same'`` does), so only 'valid' kernels can be too large."""
    est = _fit(CNNClassifier, IMAGES, kernel_size=5, padding="same", pool_size=None)
    assert est.filters_[0].shape == (2, 1, 5, 5)
    assert est.coefs_[1].shape[0] == 2 * 4 * 4


def test_a_two_entry_input_shape_is_a_signal_not_an_image():
    """``input_shape=(4, 4)`` reads ``(C, L)``: 4 channels of length 4, the image
    ``(4, 1, 4)`` whose kernels run along its one row (issue 13), so it is not
    among the layouts of the 4x4 image above."""
    X = IMAGES.reshape(N, 16)
    est = _fit(CNNClassifier, X, input_shape=(4, 4), kernel_size=3,
               padding="valid", pool_size=None)  # fmt: skip
    assert est.input_shape_ == (4, 1, 4)
    assert est.coefs_[1].shape[0] == 2 * 1 * 2  # 2 filters x (4 - 3 + 1) positions
