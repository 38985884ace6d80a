"""LossCurveDisplay, FilterDisplay, ReconstructionDisplay and SampleDisplay: the
drawn content (lines, labels, images) of each, rendered with the Agg backend."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skdeep.estimators.autoencoders import (  # noqa: E402
    AdversarialAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from skdeep.estimators.cnn import CNNClassifier  # noqa: E402
from skdeep.estimators.mlp import MLPClassifier, MLPRegressor  # noqa: E402
from skdeep.integrations.plotting import (  # noqa: E402
    FilterDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SampleDisplay,
)
from skdeep.integrations.plotting.images import corrupt_like  # noqa: E402


def _fit(estimator, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        return estimator.fit(*args)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:120] / 16.0, y[:120]


@pytest.fixture(scope="module")
def mlp(digits):
    return _fit(
        MLPClassifier(hidden_layer_sizes=(5,), max_iter=6, random_state=0), *digits
    )


@pytest.fixture(scope="module")
def mlp_early_stopping(digits):
    return _fit(
        MLPClassifier(
            hidden_layer_sizes=(5,),
            max_iter=8,
            early_stopping=True,
            n_iter_no_change=20,
            random_state=0,
        ),
        *digits,
    )


@pytest.fixture(scope="module")
def cnn(digits):
    return _fit(
        CNNClassifier(filters=(5,), hidden_layer_sizes=(), max_iter=2, random_state=0),
        *digits,
    )


@pytest.fixture(scope="module")
def dae(digits):
    return _fit(
        DenoisingAutoencoder(
            hidden_layer_sizes=(16,),
            n_components=4,
            noise="masking",
            noise_level=0.3,
            max_iter=3,
            random_state=0,
        ),
        digits[0],
    )


def _save(display, tmp_path, name="display.png"):
    path = tmp_path / name
    display.figure_.savefig(path)
    assert path.stat().st_size > 0
    return path


def _n_images(axes):
    return sum(len(ax.images) for ax in np.ravel(axes))


# ------------------------------------------------------------- LossCurveDisplay
def test_loss_curve_training_only(mlp, tmp_path):
    display = LossCurveDisplay.from_estimator(mlp)
    _save(display, tmp_path)
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert len(display.figure_.axes) == 1
    assert len(ax.lines) == 1
    np.testing.assert_allclose(display.line_.get_ydata(), mlp.loss_curve_)
    np.testing.assert_array_equal(
        display.line_.get_xdata(), np.arange(1, len(mlp.loss_curve_) + 1)
    )
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
    assert ax.get_title() == "MLPClassifier"
    assert display.validation_loss_line_ is None
    assert display.validation_score_line_ is None and display.score_ax_ is None
    assert [t.get_text() for t in display.legend_.get_texts()] == ["training loss"]


def test_loss_curve_with_validation(mlp_early_stopping, tmp_path):
    est = mlp_early_stopping
    display = LossCurveDisplay.from_estimator(est, name="run 1", log_loss_axis=True)
    _save(display, tmp_path)
    ax, score_ax = display.ax_, display.score_ax_
    assert len(display.figure_.axes) == 2 and score_ax in display.figure_.axes
    assert len(ax.lines) == 2 and len(score_ax.lines) == 1
    np.testing.assert_allclose(display.line_.get_ydata(), est.loss_curve_)
    np.testing.assert_allclose(
        display.validation_loss_line_.get_ydata(), est.validation_loss_curve_
    )
    np.testing.assert_allclose(
        display.validation_score_line_.get_ydata(), est.validation_scores_
    )
    assert score_ax.get_ylabel() == "validation score"
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "run 1"
    assert [t.get_text() for t in display.legend_.get_texts()] == [
        "training loss",
        "validation loss",
        "validation score",
    ]


def test_loss_curve_of_autoencoder_and_given_axes(dae, tmp_path):
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(dae, ax=ax)
    _save(display, tmp_path)
    assert display.ax_ is ax and display.figure_ is fig
    np.testing.assert_allclose(display.line_.get_ydata(), dae.loss_curve_)
    assert display.validation_loss_line_ is None  # autoencoders do not record it


def test_loss_curve_from_data_returns_self():
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.1, 0.5])
    assert display.plot(line_kwargs={"linewidth": 3}) is display
    assert display.line_.get_linewidth() == 3
    assert list(display.validation_score_line_.get_xdata()) == [1, 2]


def test_loss_curve_errors():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPRegressor())
    from sklearn.linear_model import LinearRegression

    fitted = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="has no loss_curve_"):
        LossCurveDisplay.from_estimator(fitted)


# ---------------------------------------------------------------- FilterDisplay
def test_filters_of_cnn(cnn, tmp_path):
    display = FilterDisplay.from_estimator(cnn)
    _save(display, tmp_path)
    assert display.axes_.shape == (2, 3)  # ceil(sqrt(5)) columns, one blank cell
    assert _n_images(display.axes_) == 5
    assert display.images_[1, 2] is None and not display.axes_[1, 2].axison
    filters = cnn.filters_[0]  # (5, 1, 3, 3)
    for k in range(5):
        np.testing.assert_allclose(
            display.images_.flat[k].get_array(), filters[k].mean(axis=0)
        )
    vmin, vmax = display.images_[0, 0].get_clim()
    assert vmin == -vmax == -np.abs(filters).max()
    assert display.figure_._suptitle.get_text() == "CNNClassifier"


def test_filters_of_cnn_pick_a_channel():
    rng = np.random.RandomState(0)
    images = rng.rand(30, 2, 6, 6)
    cnn = _fit(
        CNNClassifier(filters=(3,), hidden_layer_sizes=(), max_iter=1, random_state=0),
        images,
        np.arange(30) % 2,
    )
    filters = cnn.filters_[0]  # (3, 2, 3, 3)
    mean = FilterDisplay.from_estimator(cnn, n_cols=3)
    second = FilterDisplay.from_estimator(cnn, channel=1, n_cols=3)
    assert mean.axes_.shape == second.axes_.shape == (1, 3)
    for k in range(3):
        np.testing.assert_allclose(
            mean.images_[0, k].get_array(), filters[k].mean(axis=0)
        )
        np.testing.assert_allclose(second.images_[0, k].get_array(), filters[k, 1])
    with pytest.raises(ValueError, match="out of range"):
        FilterDisplay.from_estimator(cnn, channel=2)
    with pytest.raises(ValueError, match="channel must be"):
        FilterDisplay.from_estimator(cnn, channel="first")


def test_filters_of_mlp_square_features(mlp, tmp_path):
    display = FilterDisplay.from_estimator(mlp, max_filters=4, n_cols=2)
    _save(display, tmp_path)
    assert display.axes_.shape == (2, 2)
    assert _n_images(display.axes_) == 4
    for k in range(4):
        np.testing.assert_allclose(
            display.images_.flat[k].get_array(), mlp.coefs_[0][:, k].reshape(8, 8)
        )


def test_filters_of_mlp_need_an_image_shape():
    X, y = make_classification(n_samples=40, n_features=10, random_state=0)
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0), X, y)
    with pytest.raises(ValueError, match="not a square; pass image_shape"):
        FilterDisplay.from_estimator(mlp)
    with pytest.raises(ValueError, match="holds 9 values"):
        FilterDisplay.from_estimator(mlp, image_shape=(3, 3))
    display = FilterDisplay.from_estimator(mlp, image_shape=(2, 5))
    assert _n_images(display.axes_) == 3
    assert display.images_.flat[0].get_array().shape == (2, 5)


def test_filters_split_a_single_axes(dae, tmp_path):
    fig, ax = plt.subplots()
    display = FilterDisplay.from_estimator(dae, ax=ax)  # 16 first-layer units
    _save(display, tmp_path)
    assert display.bounding_ax_ is ax and not ax.axison
    assert display.axes_.shape == (4, 4)
    assert len(fig.axes) == 17
    with pytest.raises(ValueError, match="ax holds 2 Axes"):
        FilterDisplay.from_estimator(dae, ax=plt.subplots(1, 2)[1])


# --------------------------------------------------------- ReconstructionDisplay
def test_reconstruction_of_denoising_autoencoder(dae, digits, tmp_path):
    X = digits[0]
    display = ReconstructionDisplay.from_estimator(dae, X, n_images=5, random_state=0)
    _save(display, tmp_path)
    assert display.axes_.shape == (3, 5)
    assert _n_images(display.axes_) == 15
    assert display.row_labels_ == ["original", "noisy", "reconstruction"]
    assert [display.axes_[i, 0].get_ylabel() for i in range(3)] == [
        "original",
        "noisy",
        "reconstruction",
    ]
    assert display.figure_._suptitle.get_text() == "DenoisingAutoencoder"
    noisy = corrupt_like(dae, X[:5], random_state=0)
    np.testing.assert_array_equal(noisy, corrupt_like(dae, X[:5], random_state=0))
    masked = noisy != X[:5]
    assert masked.any() and np.all(noisy[masked] == 0)  # masking noise
    reconstructions = dae.inverse_transform(dae.transform(noisy))
    for j in range(5):
        np.testing.assert_allclose(
            display.images_[0, j].get_array(), X[j].reshape(8, 8)
        )
        np.testing.assert_allclose(
            display.images_[1, j].get_array(), noisy[j].reshape(8, 8)
        )
        np.testing.assert_allclose(
            display.images_[2, j].get_array(), reconstructions[j].reshape(8, 8)
        )
    from_originals = ReconstructionDisplay.from_estimator(
        dae, X, n_images=2, reconstruct="original", random_state=0
    )
    np.testing.assert_allclose(
        from_originals.reconstructions, dae.inverse_transform(dae.transform(X[:2]))
    )


def test_reconstruction_of_sparse_autoencoder(digits, tmp_path):
    X = digits[0]
    sae = _fit(
        SparseAutoencoder(
            hidden_layer_sizes=(8,), n_components=4, max_iter=2, random_state=0
        ),
        X,
    )
    display = ReconstructionDisplay.from_estimator(sae, X, n_images=3)
    _save(display, tmp_path)
    assert display.axes_.shape == (2, 3)
    assert display.row_labels_ == ["original", "reconstruction"]
    np.testing.assert_allclose(
        display.reconstructions, sae.inverse_transform(sae.transform(X[:3]))
    )


def test_reconstruction_errors(dae, digits):
    X = digits[0]
    with pytest.raises(ValueError, match="not a square"):
        ReconstructionDisplay.from_estimator(dae, X[:, :60])
    with pytest.raises(ValueError, match="holds 60 values"):
        ReconstructionDisplay.from_estimator(dae, X, image_shape=(6, 10))
    with pytest.raises(ValueError, match="reconstruct must be"):
        ReconstructionDisplay.from_estimator(dae, X, reconstruct="clean")
    with pytest.raises(ValueError, match="n_images must be"):
        ReconstructionDisplay.from_estimator(dae, X, n_images=0)
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(DenoisingAutoencoder(), X)


# ----------------------------------------------------------------- SampleDisplay
@pytest.mark.parametrize("Estimator", [VariationalAutoencoder, AdversarialAutoencoder])
def test_samples(Estimator, digits, tmp_path):
    model = _fit(
        Estimator(hidden_layer_sizes=(8,), n_components=2, max_iter=2, random_state=0),
        digits[0],
    )
    display = SampleDisplay.from_estimator(model, n_samples=6, random_state=0)
    _save(display, tmp_path)
    assert display.axes_.shape == (2, 3)
    assert _n_images(display.axes_) == 6
    assert display.figure_._suptitle.get_text() == Estimator.__name__
    expected = model.sample(6, random_state=0)
    for k in range(6):
        np.testing.assert_allclose(
            display.images_.flat[k].get_array(), expected[k].reshape(8, 8)
        )


def test_samples_errors(dae):
    with pytest.raises(ValueError, match="has no sample method"):
        SampleDisplay.from_estimator(dae)
    display = SampleDisplay(samples=np.zeros((4, 10)))
    with pytest.raises(ValueError, match="not a square"):
        display.plot()
    shaped = SampleDisplay(samples=np.zeros((4, 10)), image_shape=(5, 2)).plot()
    assert _n_images(shaped.axes_) == 4


# ------------------------------------------------------------ optional import
def test_missing_matplotlib_is_a_clear_import_error(mlp, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"LossCurveDisplay\.from_estimator requires"):
        LossCurveDisplay.from_estimator(mlp)
    with pytest.raises(ImportError, match=r"SampleDisplay\.plot requires matplotlib"):
        SampleDisplay(samples=np.zeros((1, 4))).plot()


def test_importing_the_displays_does_not_import_matplotlib():
    code = (
        "import sys, skdeep.integrations.plotting; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "False"
