"""DenoisingAutoencoder, SparseAutoencoder, VariationalAutoencoder and
AdversarialAutoencoder: scikit-learn compatibility, quality on digits, input
validation and reproducibility."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError

import skdeep
import skdeep.estimators._base as base_module
from skdeep.estimators.autoencoders import (
    AdversarialAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

ALL = [
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    AdversarialAutoencoder,
]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: A trained autoencoder's reconstruction error on held-out digits may be at most
#: this multiple of PCA's with the same number of components (measured: about 1.05
#: for the denoising autoencoder with 16 components after 100 epochs, about 1.0
#: for the variational and adversarial ones with 2 components).
PCA_FACTOR = 1.5


def err(X, R):
    """Mean over rows of 1/2 ||x - r||^2 (the autoencoders' squared loss)."""
    return 0.5 * np.mean(np.sum((X - R) ** 2, axis=1))


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    skdeep.precompile([cls.__name__ for cls in ALL])


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def _fit(cls, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(random_state=0, **params).fit(X)


@pytest.fixture(scope="module")
def fitted(digits):
    """One trained model per variant on the digits training rows (1-2 s each)."""
    X_train = digits[0]
    sigmoid = {"out_activation": "sigmoid"}
    return {
        DenoisingAutoencoder: _fit(
            DenoisingAutoencoder, X_train, noise_level=0.2, max_iter=100, **sigmoid
        ),
        # Sparse codes are usually overcomplete: 64 units, 5% active on average.
        SparseAutoencoder: _fit(
            SparseAutoencoder, X_train, n_components=64, max_iter=150, **sigmoid
        ),
        VariationalAutoencoder: _fit(
            VariationalAutoencoder, X_train, n_components=2, max_iter=60
        ),
        AdversarialAutoencoder: _fit(
            AdversarialAutoencoder, X_train, n_components=2, max_iter=100, **sigmoid
        ),
    }


# ------------------------------------------------------------ quality on digits
#: Reconstruction error on held-out digits as a fraction of predicting the column
#: mean (measured: 0.17 denoising with 16 components, 0.47 sparse with 64 units at
#: 5% activity, 0.74 / 0.67 variational / adversarial with 2 components).
MEAN_RATIO = {
    DenoisingAutoencoder: 0.3,
    SparseAutoencoder: 0.6,
    VariationalAutoencoder: 0.85,
    AdversarialAutoencoder: 0.85,
}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_reconstruction_beats_the_mean_and_is_within_a_factor_of_pca(
    cls, fitted, digits
):
    X_train, X_test = digits[:2]
    model = fitted[cls]
    ae_err = err(X_test, model.inverse_transform(model.transform(X_test)))
    baseline = err(X_test, np.broadcast_to(X_train.mean(axis=0), X_test.shape))
    assert ae_err < MEAN_RATIO[cls] * baseline
    pca = PCA(n_components=min(model.n_components, 64)).fit(X_train)
    pca_err = err(X_test, pca.inverse_transform(pca.transform(X_test)))
    if cls is not SparseAutoencoder:  # 64 PCA components reconstruct exactly
        assert ae_err < PCA_FACTOR * pca_err


@pytest.mark.parametrize("noise, level", [("gaussian", 0.2), ("masking", 0.2)])
def test_denoising_reconstruction_is_closer_to_clean_than_noisy_input(
    noise, level, fitted, digits
):
    X_train, X_test = digits[:2]
    if noise == "gaussian":
        model = fitted[DenoisingAutoencoder]
    else:
        model = _fit(DenoisingAutoencoder, X_train, noise=noise, noise_level=level,
                     out_activation="sigmoid", max_iter=60)  # fmt: skip
    rs = np.random.RandomState(1)
    if noise == "gaussian":
        noisy = X_test + level * rs.normal(size=X_test.shape)
    else:
        noisy = X_test * (rs.uniform(size=X_test.shape) >= level)
    denoised = model.inverse_transform(model.transform(noisy))
    assert err(X_test, denoised) < 0.7 * err(X_test, noisy)


def test_sparse_mean_activation_near_target(fitted, digits):
    model = fitted[SparseAutoencoder]
    codes = model.transform(digits[0])
    assert np.all((codes > 0) & (codes < 1))
    assert abs(codes.mean() - model.sparsity_target) < 0.02
    # Every unit, not only the average, is pushed towards the target.
    assert np.all(np.abs(codes.mean(axis=0) - model.sparsity_target) < 0.05)


def test_sparsity_weight_zero_gives_dense_codes(digits):
    model = _fit(SparseAutoencoder, digits[0], sparsity_weight=0.0, max_iter=30)
    assert model.transform(digits[0]).mean() > 0.15


@pytest.mark.parametrize(
    "cls", [VariationalAutoencoder, AdversarialAutoencoder], ids=lambda c: c.__name__
)
def test_generative_codes_follow_the_prior_and_samples_are_in_range(
    cls, fitted, digits
):
    model = fitted[cls]
    Z = model.transform(digits[0])
    assert np.all(np.abs(Z.mean(axis=0)) < 0.25)
    assert np.all((Z.std(axis=0) > 0.6) & (Z.std(axis=0) < 1.4))
    S = model.sample(200, random_state=0)
    assert S.shape == (200, 64)
    assert np.all(np.isfinite(S)) and S.min() >= 0 and S.max() <= 1
    np.testing.assert_array_equal(S, model.sample(200, random_state=0))
    assert not np.array_equal(S, model.sample(200, random_state=1))


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_score_samples_ranks_digits_above_noise(cls, fitted, digits):
    X_test = digits[1]
    model = fitted[cls]
    noise = np.random.RandomState(0).uniform(size=X_test.shape)
    scores = np.concatenate([model.score_samples(X_test), model.score_samples(noise)])
    labels = np.r_[np.ones(len(X_test)), np.zeros(len(noise))]
    assert roc_auc_score(labels, scores) > 0.99
    assert model.score(X_test) == pytest.approx(model.score_samples(X_test).mean())


def test_vae_score_samples_is_the_elbo_at_the_mean(fitted, digits):
    model = fitted[VariationalAutoencoder]
    X = digits[1][:20]
    assert model.reconstruction_loss_ == "binary_crossentropy"
    # Recompute the bound from the public weights, in numpy.
    k = model.n_encoder_layers_
    H = X
    for i, (W, b) in enumerate(zip(model.coefs_[:k], model.intercepts_[:k])):
        H = H @ W + b
        if i < k - 1:
            H = np.maximum(H, 0)
    mu, lv = H[:, :2], H[:, 2:]
    np.testing.assert_allclose(model.transform(X), mu, rtol=1e-10)
    P = mu
    for i, (W, b) in enumerate(zip(model.coefs_[k:], model.intercepts_[k:])):
        P = P @ W + b
        P = np.maximum(P, 0) if i < len(model.coefs_) - k - 1 else 1 / (1 + np.exp(-P))
    eps = np.finfo(np.float64).eps
    P = np.clip(P, eps, 1 - eps)
    rec = -np.sum(X * np.log(P) + (1 - X) * np.log(1 - P), axis=1)
    kl = -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)
    np.testing.assert_allclose(model.score_samples(X), -(rec + kl), rtol=1e-10)


def test_vae_auto_loss_follows_the_data_range():
    rs = np.random.RandomState(0)
    X = rs.normal(size=(30, 4))
    model = _fit(VariationalAutoencoder, X, n_components=2, max_iter=3)
    assert model.reconstruction_loss_ == "squared_error"
    assert model.out_activation_ == "identity"


def test_pipeline_with_logistic_regression_reaches_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    pipe = make_pipeline(
        MinMaxScaler(),
        DenoisingAutoencoder(n_components=32, max_iter=60, random_state=0),
        LogisticRegression(max_iter=1000),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.9


def test_grid_search_over_n_components_and_noise_level(digits):
    X_train, _, y_train, _ = digits
    pipe = make_pipeline(
        DenoisingAutoencoder(max_iter=5, random_state=0),
        LogisticRegression(max_iter=200),
    )
    grid = GridSearchCV(
        pipe,
        {
            "denoisingautoencoder__n_components": [4, 8],
            "denoisingautoencoder__noise_level": [0.1, 0.3],
        },
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train[:400], y_train[:400])
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["denoisingautoencoder__n_components"] in (4, 8)
    # Autoencoders also search on their own score (mean score_samples).
    alone = GridSearchCV(
        DenoisingAutoencoder(max_iter=30, random_state=0),
        {"n_components": [2, 8]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        alone.fit(X_train[:300])
    assert alone.best_params_ == {"n_components": 8}


# ------------------------------------------------------------ API and attributes
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_fitted_attributes_and_layout(cls, fitted, digits):
    model = fitted[cls]
    c = model.n_components
    k = model.n_encoder_layers_
    assert k == len(model.hidden_layer_sizes) + 1
    stats = 2 if cls is VariationalAutoencoder else 1
    assert [W.shape for W in model.coefs_] == [(64, 64), (64, stats * c), (c, 64),
                                               (64, 64)]  # fmt: skip
    assert [b.shape for b in model.intercepts_] == [(64,), (stats * c,), (64,), (64,)]
    assert model.n_features_in_ == 64
    assert model.n_iter_ == len(model.loss_curve_) >= 1
    assert model.validation_scores_ is None
    names = model.get_feature_names_out()
    assert list(names) == [f"{cls.__name__.lower()}{i}" for i in range(c)]
    if cls is AdversarialAutoencoder:
        assert [W.shape for W in model.discriminator_coefs_] == [(c, 64), (64, 1)]
        assert len(model.adversarial_loss_curve_) == model.n_iter_


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(digits[0][:50], columns=[f"px{i}" for i in range(64)])
    model = DenoisingAutoencoder(n_components=3, max_iter=2, random_state=0)
    model.set_output(transform="pandas")
    out = model.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"denoisingautoencoder{i}" for i in range(3)]
    assert list(model.feature_names_in_) == list(X.columns)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_float32_is_preserved_and_sparse_matches_dense(cls, digits):
    X = digits[0][:120]
    X32 = X.astype(np.float32)
    model = _fit(cls, X32, n_components=3, hidden_layer_sizes=(16,), max_iter=3)
    assert model.coefs_[0].dtype == np.float32
    assert model.transform(X32).dtype == np.float32
    assert model.score_samples(X32).dtype == np.float32
    assert model.inverse_transform(model.transform(X32)).dtype == np.float32
    dense = _fit(cls, X, n_components=3, hidden_layer_sizes=(16,), max_iter=3)
    sparse = _fit(cls, sp.csr_matrix(X), n_components=3, hidden_layer_sizes=(16,),
                  max_iter=3)  # fmt: skip
    for a, b in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        dense.transform(X), sparse.transform(sp.csr_matrix(X))
    )
    np.testing.assert_array_equal(
        dense.score_samples(X), sparse.score_samples(sp.csc_matrix(X))
    )


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_same_seed_bit_identical_and_pickle_round_trip(cls, digits):
    X = digits[0][:150]
    params = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=4, dropout=0.1)
    a = _fit(cls, X, **params)
    b = _fit(cls, X, **params)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    other = clone(a).set_params(random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other.fit(X)
    assert not np.array_equal(other.coefs_[0], a.coefs_[0])
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.transform(X), a.transform(X))
    np.testing.assert_array_equal(restored.score_samples(X), a.score_samples(X))


def test_noise_is_fresh_each_epoch_and_changes_the_fit(digits):
    X = digits[0][:100]
    params = dict(n_components=3, hidden_layer_sizes=(8,), max_iter=3, shuffle=False)
    clean = _fit(DenoisingAutoencoder, X, noise_level=0.0, **params)
    noisy = _fit(DenoisingAutoencoder, X, noise_level=0.3, **params)
    assert not np.array_equal(clean.coefs_[0], noisy.coefs_[0])
    # Two partial_fit calls continue the random stream rather than replaying it.
    model = DenoisingAutoencoder(noise_level=0.3, random_state=0, **params)
    model.partial_fit(X)
    state = model._rng_state.copy()
    model.partial_fit(X)
    assert not np.array_equal(state, model._rng_state)


# ------------------------------------------------------- partial_fit, warm start
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_partial_fit_and_warm_start(cls, digits):
    X = digits[0][:200]
    model = cls(n_components=3, hidden_layer_sizes=(16,), random_state=0)
    losses = []
    for _ in range(5):
        model.partial_fit(X)
        assert model.n_iter_ == 1
        losses.append(model.loss_)
    assert len(model.loss_curve_) == 5 and losses[-1] < losses[0]
    warm = _fit(cls, X, n_components=3, hidden_layer_sizes=(16,), max_iter=2,
                warm_start=True)  # fmt: skip
    first = warm.coefs_[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X)
    assert len(warm.loss_curve_) == 4
    assert not np.array_equal(first, warm.coefs_[0])


def test_early_stopping_records_validation_scores(digits):
    model = _fit(DenoisingAutoencoder, digits[0], n_components=4, max_iter=30,
                 early_stopping=True, n_iter_no_change=3)  # fmt: skip
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    with pytest.raises(ValueError, match="early_stopping"):
        model.partial_fit(digits[0])


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_bad_input_is_refused(cls, digits):
    X = digits[0][:50].copy()
    model = _fit(cls, X, n_components=2, hidden_layer_sizes=(8,), max_iter=2)
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 4] = bad
        with pytest.raises(ValueError, match=r"NaN|infinity"):
            clone(model).fit(X_bad)
        with pytest.raises(ValueError, match=r"NaN|infinity"):
            model.transform(X_bad)
    with pytest.raises(ValueError, match="2D array"):
        clone(model).fit(X[0])
    with pytest.raises(ValueError, match="features"):
        model.transform(X[:, :10])
    with pytest.raises(ValueError, match="features"):
        model.score_samples(X[:, :10])
    with pytest.raises(ValueError, match="n_components"):
        model.inverse_transform(np.zeros((3, 5)))


@pytest.mark.parametrize(
    "cls, params",
    [
        (DenoisingAutoencoder, {"n_components": 0}),
        (DenoisingAutoencoder, {"noise": "pink"}),
        (DenoisingAutoencoder, {"noise_level": -0.1}),
        (DenoisingAutoencoder, {"loss": "hinge"}),
        # L-BFGS trains the other three; the adversarial game has no one objective.
        (AdversarialAutoencoder, {"solver": "lbfgs"}),
        (DenoisingAutoencoder, {"dropout": 1.0}),
        (SparseAutoencoder, {"sparsity_target": 1.0}),
        (SparseAutoencoder, {"sparsity_weight": -1}),
        (VariationalAutoencoder, {"beta": -1}),
        (AdversarialAutoencoder, {"prior": "uniform"}),
        (AdversarialAutoencoder, {"out_activation": "tanh"}),
    ],
)
def test_invalid_hyperparameters_raise_before_any_kernel(cls, params, monkeypatch):
    def kernel_ran(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(base_module, "run_stochastic", kernel_ran)
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(InvalidParameterError):
        cls(**params).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"noise": "masking", "noise_level": 1.5}, "noise_level"),
        ({"loss": "binary_crossentropy", "out_activation": "identity"}, "sigmoid"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
    ],
)
def test_invalid_combinations_raise_before_any_kernel(params, match, monkeypatch):
    monkeypatch.setattr(base_module, "run_stochastic", None)
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match=match):
        DenoisingAutoencoder(**params).fit(X)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_binary_crossentropy_needs_data_in_unit_interval(cls):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    X[2, 1] = 1.5
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        cls(loss="binary_crossentropy").fit(X)
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        cls(loss="binary_crossentropy").fit(sp.csr_matrix(-X))


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_failed_fit_keeps_the_previous_model(cls, digits):
    X = digits[0][:60]
    model = _fit(cls, X, n_components=2, hidden_layer_sizes=(8,), max_iter=2)
    before = {k: v for k, v in vars(model).items()}
    codes = model.transform(X)
    X_bad = X.copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        model.fit(X_bad)
    with pytest.raises(ValueError):
        model.partial_fit(X[:, :5])
    model.set_params(loss="binary_crossentropy")
    with pytest.raises(ValueError):
        model.fit(X * 3)
    assert vars(model).keys() == before.keys()
    np.testing.assert_array_equal(model.transform(X), codes)


def test_sample_validates_n_samples(fitted):
    model = fitted[VariationalAutoencoder]
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(2.5)
