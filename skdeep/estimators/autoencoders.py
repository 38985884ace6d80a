"""The four classic autoencoders as scikit-learn transformers.

Each fits an encoder ``f`` and a decoder ``g`` (mirrored hidden sizes) by
minimizing the reconstruction loss plus the variant's term; :meth:`transform`
returns the codes ``f(x)``, :meth:`inverse_transform` decodes them, and
:meth:`score_samples` is the per-sample negative loss (anomaly scores).
"""

import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp

from skdeep._kernels.autoencoder import SPARSE, VARIATIONAL
from skdeep._kernels.corruption import NOISE_CODES
from skdeep.estimators._autoencoder_base import BaseAutoencoder
from skdeep.estimators._autoencoder_docs import COMMON_ATTRIBUTES, COMMON_PARAMETERS
from skdeep.estimators._mlp_base import BaseMLP
from skdeep.training.autoencoder import adversarial_runner
from skdeep.utils._compat import Interval, StrOptions, _fit_context
from skdeep.utils.validation import check_layer_sizes


class _FitMethods:
    """``fit`` and ``partial_fit``, shared by every autoencoder."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted autoencoder.
        """
        return self._fit(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the autoencoder with one epoch over ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated autoencoder.
        """
        return self._fit(X, incremental=True)


class DenoisingAutoencoder(_FitMethods, BaseAutoencoder):
    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "noise": [StrOptions(set(NOISE_CODES))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components: int = 16,
        hidden_layer_sizes: tuple = (64,),
        *,
        noise: str = "gaussian",
        noise_level: float = 0.1,
        loss: str = "squared_error",
        activation: str = "relu",
        out_activation: str = "auto",
        dropout: float = 0.0,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            loss=loss,
            activation=activation,
            out_activation=out_activation,
            dropout=dropout,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )
        self.noise = noise
        self.noise_level = noise_level

    def _check_variant_params(self) -> None:
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level is a probability for noise={self.noise!r}; it must be "
                f"in [0, 1], got {self.noise_level}."
            )

    def _terms(self, X, loss_code, first_pass):
        terms = super()._terms(X, loss_code, first_pass)
        if sp.issparse(X):
            low = X.min(axis=0).toarray().ravel()
            high = X.max(axis=0).toarray().ravel()
        else:
            low, high = X.min(axis=0), X.max(axis=0)
        if not first_pass:
            low = np.minimum(low, self._col_min)
            high = np.maximum(high, self._col_max)
        self._col_min = np.asarray(low, dtype=np.float64)
        self._col_max = np.asarray(high, dtype=np.float64)
        terms.noise_code = NOISE_CODES[self.noise]
        terms.noise_level = float(self.noise_level)
        terms.col_min = self._col_min
        terms.col_max = self._col_max
        return terms


class SparseAutoencoder(_FitMethods, BaseAutoencoder):
    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
    }
    _code_activation = "logistic"
    _variant = SPARSE

    def __init__(
        self,
        n_components: int = 16,
        hidden_layer_sizes: tuple = (64,),
        *,
        sparsity_target: float = 0.05,
        sparsity_weight: float = 1.0,
        loss: str = "squared_error",
        activation: str = "relu",
        out_activation: str = "auto",
        dropout: float = 0.0,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            loss=loss,
            activation=activation,
            out_activation=out_activation,
            dropout=dropout,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight

    def _terms(self, X, loss_code, first_pass):
        terms = super()._terms(X, loss_code, first_pass)
        terms.sparsity_target = float(self.sparsity_target)
        terms.sparsity_weight = float(self.sparsity_weight)
        return terms


class VariationalAutoencoder(_FitMethods, BaseAutoencoder):
    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "loss": [StrOptions({"auto", "squared_error", "binary_crossentropy"})],
        "beta": [Interval(Real, 0, None, closed="left")],
    }
    _variant = VARIATIONAL

    def __init__(
        self,
        n_components: int = 16,
        hidden_layer_sizes: tuple = (64,),
        *,
        beta: float = 1.0,
        loss: str = "auto",
        activation: str = "relu",
        out_activation: str = "auto",
        dropout: float = 0.0,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            loss=loss,
            activation=activation,
            out_activation=out_activation,
            dropout=dropout,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )
        self.beta = beta

    def _stats_per_component(self) -> int:
        return 2

    def _resolve_loss(self, X) -> str:
        if self.loss != "auto":
            return self.loss
        low, high = self._data_range(X)
        return "binary_crossentropy" if low >= 0 and high <= 1 else "squared_error"

    def _terms(self, X, loss_code, first_pass):
        terms = super()._terms(X, loss_code, first_pass)
        terms.beta = float(self.beta)
        return terms

    def score_samples(self, X):
        """Per-sample evidence lower bound, computed without sampling.

        ``-(rec(x, g(mu(x))) + KL(q(z|x) || N(0, I)))``: the reconstruction loss
        (summed over features) of the posterior mean's decoding plus the exact KL
        term (with weight 1 whatever ``beta``). For squared error this is the
        Gaussian log-likelihood with unit variance up to a constant.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The bound per sample (higher is more likely).
        """
        return super().score_samples(X)

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Generate rows by decoding draws of the prior ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.

        random_state : int, RandomState instance or None, default=None
            Seeds the prior draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The generated rows.
        """
        return self._sample(n_samples, random_state)


class AdversarialAutoencoder(_FitMethods, BaseAutoencoder):
    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "discriminator_layer_sizes": BaseMLP._parameter_constraints[
            "hidden_layer_sizes"
        ],
        "prior": [StrOptions({"gaussian"})],
    }

    def __init__(
        self,
        n_components: int = 16,
        hidden_layer_sizes: tuple = (64,),
        *,
        discriminator_layer_sizes: tuple = (64,),
        prior: str = "gaussian",
        loss: str = "squared_error",
        activation: str = "relu",
        out_activation: str = "auto",
        dropout: float = 0.0,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            loss=loss,
            activation=activation,
            out_activation=out_activation,
            dropout=dropout,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            lr_decay=lr_decay,
            lr_step_size=lr_step_size,
        )
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.prior = prior

    def _discriminator_sizes(self) -> tuple[int, ...]:
        return check_layer_sizes(
            self.discriminator_layer_sizes, "discriminator_layer_sizes"
        )

    def _fitted_discriminator_sizes(self):
        return tuple(c.shape[1] for c in self.discriminator_coefs_[:-1])

    def _blocks(self) -> list:
        return [
            *super()._blocks(),
            (self.discriminator_coefs_, self.discriminator_intercepts_),
        ]

    def _optimizer_size(self, layout) -> tuple[int, int]:
        # [encoder | decoder | discriminator] plus the generator step's own
        # encoder moments; counters for the three steps.
        return layout.n_params + layout.encoder.n_params, 3

    def _runner(self, data, layout, terms, batch, rng, dtype):
        self._epoch_adversarial_curve = []
        return adversarial_runner(
            data, layout, terms, batch, float(self.alpha), rng, dtype,
            self._epoch_adversarial_curve,
        )  # fmt: skip

    def _publish_extra(self, layout, views) -> None:
        coefs, intercepts = views[2]
        self.discriminator_coefs_ = coefs
        self.discriminator_intercepts_ = intercepts
        new = [tuple(map(float, pair)) for pair in self._epoch_adversarial_curve]
        del self._epoch_adversarial_curve
        previous = getattr(self, "adversarial_loss_curve_", None)
        continued = previous is not None and self._history.n_iter < len(
            self._history.loss_curve
        )
        self.adversarial_loss_curve_ = (list(previous) if continued else []) + new

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Generate rows by decoding draws of the prior ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.

        random_state : int, RandomState instance or None, default=None
            Seeds the prior draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The generated rows.
        """
        return self._sample(n_samples, random_state)


DenoisingAutoencoder.__doc__ = f"""Denoising autoencoder, trained in Numba kernels.

Trains an encoder and a decoder to reconstruct each row from a corrupted copy of
it (Vincent et al. 2008); the loss compares the reconstruction with the clean row.
The corruption is drawn afresh every epoch from ``random_state``; ``transform``
encodes without noise. The code layer is linear.

Parameters
----------
{COMMON_PARAMETERS}
noise : {{'gaussian', 'masking', 'salt_pepper'}}, default='gaussian'
    Corruption: ``x + noise_level * N(0, 1)``; each value zeroed with
    probability ``noise_level``; or each value set, with probability
    ``noise_level``, to its column's minimum or maximum (half each) over the
    training data.

noise_level : float, default=0.1
    Standard deviation (gaussian) or corruption probability (in [0, 1]).

Attributes
----------
{COMMON_ATTRIBUTES}
See Also
--------
SparseAutoencoder, VariationalAutoencoder, AdversarialAutoencoder
sklearn.decomposition.PCA : The linear counterpart.

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from skdeep.estimators.autoencoders import DenoisingAutoencoder
>>> X = load_digits().data / 16
>>> dae = DenoisingAutoencoder(n_components=8, max_iter=20, random_state=0)
>>> dae.fit_transform(X).shape
(1797, 8)
>>> dae.inverse_transform(dae.transform(X[:2])).shape
(2, 64)
"""

SparseAutoencoder.__doc__ = f"""Sparse autoencoder, trained in Numba kernels.

Minimizes the reconstruction loss plus
``sparsity_weight * sum_j KL(sparsity_target || rho_hat_j)``, where ``rho_hat_j``
is the mean activation of code unit ``j`` over the mini-batch. The code layer uses
a sigmoid, so codes lie in (0, 1) whatever the hidden activation.

Parameters
----------
{COMMON_PARAMETERS}
sparsity_target : float, default=0.05
    Target mean activation ``rho`` of each code unit, in (0, 1).

sparsity_weight : float, default=1.0
    Weight of the KL sparsity penalty.

Attributes
----------
{COMMON_ATTRIBUTES}
See Also
--------
DenoisingAutoencoder, VariationalAutoencoder, AdversarialAutoencoder

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from skdeep.estimators.autoencoders import SparseAutoencoder
>>> X = load_digits().data / 16
>>> sae = SparseAutoencoder(n_components=32, max_iter=20, random_state=0).fit(X)
>>> codes = sae.transform(X)
>>> bool(codes.min() > 0 and codes.max() < 1)
True
"""

VariationalAutoencoder.__doc__ = f"""Variational autoencoder, trained in Numba kernels.

The encoder outputs the mean and log-variance of a Gaussian posterior
``q(z|x)``; training samples ``z = mu + sigma * eps`` (reparameterization, noise
from ``random_state``) and minimizes the negative per-sample ELBO
``rec(x, g(z)) + beta * KL(q(z|x) || N(0, I))``, with the reconstruction term
summed over the features, so ``beta`` has its usual meaning (Higgins et al.
2017). ``transform`` returns the posterior mean and ``score_samples`` the ELBO at
the posterior mean, both deterministic; ``sample`` decodes prior draws.

Defaults that work out of the box: ``loss='auto'`` picks the binary
cross-entropy with a sigmoid output (Bernoulli likelihood) when the training data
lies in [0, 1] -- e.g. after ``MinMaxScaler`` -- and the squared error with an
identity output (unit-variance Gaussian likelihood) otherwise.

Parameters
----------
{
    COMMON_PARAMETERS.replace(
        "loss : {'squared_error', 'binary_crossentropy'}, default='squared_error'",
        "loss : {'auto', 'squared_error', 'binary_crossentropy'}, default='auto'",
    )
}
beta : float, default=1.0
    Weight of the KL term (beta-VAE); 1 is the standard ELBO.

Attributes
----------
{COMMON_ATTRIBUTES}
The encoder's last layer has ``2 * n_components`` outputs: the posterior means,
then the log-variances.

See Also
--------
DenoisingAutoencoder, SparseAutoencoder, AdversarialAutoencoder

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from skdeep.estimators.autoencoders import VariationalAutoencoder
>>> X = load_digits().data / 16
>>> vae = VariationalAutoencoder(n_components=4, max_iter=20, random_state=0).fit(X)
>>> vae.reconstruction_loss_
'binary_crossentropy'
>>> vae.transform(X[:3]).shape
(3, 4)
>>> vae.sample(5, random_state=0).shape
(5, 64)
"""

AdversarialAutoencoder.__doc__ = f"""Adversarial autoencoder, trained in Numba kernels.

An autoencoder whose codes are pushed towards a prior by a discriminator
(Makhzani et al. 2015). Each mini-batch runs three steps, each with its own
optimizer state: reconstruction (encoder and decoder), discriminator (trained to
tell prior draws from codes, ``-log D(z_prior) - log(1 - D(f(x)))``) and
generator (encoder, ``-log D(f(x))``). The code layer is linear; ``sample``
decodes prior draws.

Parameters
----------
{COMMON_PARAMETERS}
discriminator_layer_sizes : array-like of int, default=(64,)
    Hidden sizes of the discriminator (activation ``activation``, logistic
    output).

prior : {{'gaussian'}}, default='gaussian'
    The prior of the codes, ``N(0, I)``.

Attributes
----------
{COMMON_ATTRIBUTES}
discriminator_coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
    Weight matrices of the discriminator.

discriminator_intercepts_ : list of ndarray of shape (n_fan_out,)
    Bias vectors of the discriminator.

adversarial_loss_curve_ : list of tuple of float
    Per epoch, the mean discriminator loss (L2 term included) and the mean
    generator loss.

See Also
--------
DenoisingAutoencoder, SparseAutoencoder, VariationalAutoencoder

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from skdeep.estimators.autoencoders import AdversarialAutoencoder
>>> X = load_digits().data / 16
>>> aae = AdversarialAutoencoder(n_components=2, max_iter=10, random_state=0)
>>> aae.fit_transform(X).shape
(1797, 2)
>>> aae.sample(3, random_state=0).shape
(3, 64)
"""


def precompile() -> None:
    """Compile (or load from the disk cache) the autoencoder kernels for float32
    and float64 by fitting each variant once on a tiny array."""
    rng = np.random.RandomState(0)
    for dtype in (np.float64, np.float32):
        X = rng.uniform(size=(6, 3)).astype(dtype)
        for cls in (
            DenoisingAutoencoder,
            SparseAutoencoder,
            VariationalAutoencoder,
            AdversarialAutoencoder,
        ):
            est = cls(
                n_components=2, hidden_layer_sizes=(3,), max_iter=1, random_state=0
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X)
            est.inverse_transform(est.transform(X))
            est.score_samples(X)
