"""The four classic autoencoders as scikit-learn transformers.

Each fits an encoder ``f`` and a decoder ``g`` (mirrored hidden sizes) by
minimizing the reconstruction loss plus the variant's term; :meth:`transform`
returns the codes ``f(x)``, :meth:`inverse_transform` decodes them, and
:meth:`score_samples` is the per-sample negative loss (anomaly scores). Each is one
network of :mod:`skdeep.network.specs` trained by the engine's one loop; the
variants differ in their layers only.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from skdeep.estimators._autoencoder import AUTOENCODER_CONSTRAINTS, AutoencoderTask
from skdeep.estimators._base import STOCHASTIC_SOLVERS, BaseNetwork
from skdeep.estimators._fitted import (
    are_views,
    check_parameter_arrays,
    fitted_network,
    restored_views,
)
from skdeep.estimators._fitting import on_published_model
from skdeep.network.network import Network
from skdeep.network.specs import (
    Corruption,
    Dense,
    GaussianLatent,
    SparsityPenalty,
)
from skdeep.training.runner import AdversarialRunner
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils.validation import check_layer_sizes

_CONSTRAINTS = {**BaseNetwork._parameter_constraints, **AUTOENCODER_CONSTRAINTS}


class DenoisingAutoencoder(AutoencoderTask, BaseNetwork):
    """Denoising autoencoder, trained in Numba kernels.

    Trains an encoder and a decoder to reconstruct each row from a corrupted copy of
    it (Vincent et al. 2008); the loss compares the reconstruction with the clean row.
    The corruption is drawn afresh every epoch from ``random_state``; ``transform``
    encodes without noise. The code layer is linear.

    Parameters
    ----------
    n_components : int, default=16
        Size of the code (the output width of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(64,)
        Hidden sizes of the encoder, input side first; the decoder mirrors them.
        An empty tuple gives a single-layer encoder and decoder.

    noise : {'gaussian', 'masking', 'salt_pepper'}, default='gaussian'
        Corruption: ``x + noise_level * N(0, 1)``; each value zeroed with
        probability ``noise_level``; or each value set, with probability
        ``noise_level``, to its column's minimum or maximum (half each) over the
        training data.

    noise_level : float, default=0.1
        Standard deviation (gaussian) or corruption probability (in [0, 1]).

    loss : {'squared_error', 'binary_crossentropy'}, default='squared_error'
        Reconstruction loss per sample, summed over the features:
        ``1/2 ||x - x_hat||^2``, or the binary cross-entropy for data in [0, 1]
        (data outside [0, 1] is an error).

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers.

    out_activation : {'auto', 'identity', 'sigmoid'}, default='auto'
        Activation of the reconstruction: 'auto' is 'sigmoid' for
        ``loss='binary_crossentropy'`` and 'identity' for squared error. A sigmoid
        output with squared error is allowed (the output gradient includes the
        sigmoid's derivative); an identity output with cross-entropy is an error.

    dropout : float, default=0.0
        Inverted-dropout rate of the hidden layers of the encoder and decoder during
        training (never on the code or at transform time).

    batch_norm : bool, default=False
        Follow each hidden layer of the encoder and of the decoder (not the code
        or the output) by batch normalization, before its activation: training
        normalizes with the mini-batch's statistics, ``transform`` and the other
        methods with running estimates. As in :class:`~skdeep.MLPRegressor`
        (full-batch statistics with 'lbfgs'; a batch of one sample is an error or
        left out).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer (as in :class:`~skdeep.MLPRegressor`); 'lbfgs'
        trains full-batch, with any noise (corruption, the variational
        samples) drawn once per fit.

    alpha : float, default=0.0001
        L2 penalty on the weights, divided by the batch size as in the MLPs.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule (as in the MLPs).

    learning_rate_init : float, default=0.001
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the rows each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split, the shuffles and the
        kernel random stream (dropout masks, corruption noise, sampling). The same
        seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion on the loss (or on the validation score).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Continue from the previous weights and optimizer state on the next fit.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the mean
        :meth:`score_samples` on them stops improving, and restore the best weights.

    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices: the first ``n_encoder_layers_`` belong to the encoder
        (input to code), the rest to the decoder (code to input space).

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors, in the same order as ``coefs_``.

    n_encoder_layers_ : int
        Number of weight layers of the encoder (``len(hidden_layer_sizes) + 1``).

    reconstruction_loss_ : str
        The reconstruction loss used: 'squared_error' or 'binary_crossentropy'.

    out_activation_ : str
        Activation of the decoder's output ('identity' or 'logistic').

    loss_ : float
        Training objective of the last epoch (mean over rows, L2 term included).

    loss_curve_ : list of float
        Training objective per epoch.

    best_loss_ : float or None
        Lowest training objective reached; None with early stopping.

    validation_scores_ : list of float or None
        Mean :meth:`score_samples` of the validation rows per epoch with early
        stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    n_iter_ : int
        Number of epochs run by the last call.

    t_ : int
        Number of training rows seen by the solver.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

    See Also
    --------
    SparseAutoencoder : Codes with a penalty on the mean activation of each unit.
    VariationalAutoencoder : Codes as a Gaussian posterior, and a generative model.
    AdversarialAutoencoder : Codes matched to a prior by a discriminator.
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

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "noise": [StrOptions({"gaussian", "masking", "salt_pepper"})],
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
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
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
        max_fun: int = 15000,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.noise = noise
        self.noise_level = noise_level
        self.loss = loss
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    def _check_variant_params(self) -> None:
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level is a probability for noise={self.noise!r}; it must be "
                f"in [0, 1], got {self.noise_level}."
            )

    def _input_specs(self) -> list:
        return [Corruption(self.noise, float(self.noise_level))]

    @staticmethod
    def _column_ranges(X) -> tuple:
        if sp.issparse(X):
            return X.min(axis=0).toarray().ravel(), X.max(axis=0).toarray().ravel()
        return X.min(axis=0), X.max(axis=0)

    def _initial_state(self, network, data, dtype) -> np.ndarray:
        state = super()._initial_state(network, data, dtype)
        low, high = self._column_ranges(data.X)
        d = data.X.shape[1]
        ranges = network.state_of(state, 0)
        ranges[:d], ranges[d:] = low, high
        return state

    def _noise_ranges(self) -> tuple:
        """``(column minima, column maxima)`` of the data the noise was fitted
        on (what salt-and-pepper noise writes)."""
        network, _, state = self._fitted_model()
        ranges = network.state_of(state, 0)
        d = network.n_inputs
        return ranges[:d], ranges[d:]

    def _updated_state(self, network, data, dtype) -> np.ndarray:
        # The noise's column ranges cover every sample seen so far.
        state = super()._updated_state(network, data, dtype)
        low, high = self._column_ranges(data.X)
        d = data.X.shape[1]
        ranges = network.state_of(state, 0)
        ranges[:d] = np.minimum(ranges[:d], low)
        ranges[d:] = np.maximum(ranges[d:], high)
        return state


class SparseAutoencoder(AutoencoderTask, BaseNetwork):
    """Sparse autoencoder, trained in Numba kernels.

    Minimizes the reconstruction loss plus
    ``sparsity_weight * sum_j KL(sparsity_target || rho_hat_j)``, where ``rho_hat_j``
    is the mean activation of code unit ``j`` over the mini-batch. The code layer uses
    a sigmoid, so codes lie in (0, 1) whatever the hidden activation.

    Parameters
    ----------
    n_components : int, default=16
        Size of the code (the output width of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(64,)
        Hidden sizes of the encoder, input side first; the decoder mirrors them.
        An empty tuple gives a single-layer encoder and decoder.

    sparsity_target : float, default=0.05
        Target mean activation ``rho`` of each code unit, in (0, 1).

    sparsity_weight : float, default=1.0
        Weight of the KL sparsity penalty.

    loss : {'squared_error', 'binary_crossentropy'}, default='squared_error'
        Reconstruction loss per sample, summed over the features:
        ``1/2 ||x - x_hat||^2``, or the binary cross-entropy for data in [0, 1]
        (data outside [0, 1] is an error).

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers.

    out_activation : {'auto', 'identity', 'sigmoid'}, default='auto'
        Activation of the reconstruction: 'auto' is 'sigmoid' for
        ``loss='binary_crossentropy'`` and 'identity' for squared error. A sigmoid
        output with squared error is allowed (the output gradient includes the
        sigmoid's derivative); an identity output with cross-entropy is an error.

    dropout : float, default=0.0
        Inverted-dropout rate of the hidden layers of the encoder and decoder during
        training (never on the code or at transform time).

    batch_norm : bool, default=False
        Follow each hidden layer of the encoder and of the decoder (not the code
        or the output) by batch normalization, before its activation: training
        normalizes with the mini-batch's statistics, ``transform`` and the other
        methods with running estimates. As in :class:`~skdeep.MLPRegressor`
        (full-batch statistics with 'lbfgs'; a batch of one sample is an error or
        left out).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer (as in :class:`~skdeep.MLPRegressor`); 'lbfgs'
        trains full-batch, with any noise (corruption, the variational
        samples) drawn once per fit.

    alpha : float, default=0.0001
        L2 penalty on the weights, divided by the batch size as in the MLPs.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule (as in the MLPs).

    learning_rate_init : float, default=0.001
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the rows each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split, the shuffles and the
        kernel random stream (dropout masks, corruption noise, sampling). The same
        seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion on the loss (or on the validation score).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Continue from the previous weights and optimizer state on the next fit.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the mean
        :meth:`score_samples` on them stops improving, and restore the best weights.

    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices: the first ``n_encoder_layers_`` belong to the encoder
        (input to code), the rest to the decoder (code to input space).

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors, in the same order as ``coefs_``.

    n_encoder_layers_ : int
        Number of weight layers of the encoder (``len(hidden_layer_sizes) + 1``).

    reconstruction_loss_ : str
        The reconstruction loss used: 'squared_error' or 'binary_crossentropy'.

    out_activation_ : str
        Activation of the decoder's output ('identity' or 'logistic').

    loss_ : float
        Training objective of the last epoch (mean over rows, L2 term included).

    loss_curve_ : list of float
        Training objective per epoch.

    best_loss_ : float or None
        Lowest training objective reached; None with early stopping.

    validation_scores_ : list of float or None
        Mean :meth:`score_samples` of the validation rows per epoch with early
        stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    n_iter_ : int
        Number of epochs run by the last call.

    t_ : int
        Number of training rows seen by the solver.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

    See Also
    --------
    DenoisingAutoencoder : Learns codes that undo corrupted inputs.
    VariationalAutoencoder : Codes as a Gaussian posterior, and a generative model.
    AdversarialAutoencoder : Codes matched to a prior by a discriminator.

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

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
    }

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
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
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
        max_fun: int = 15000,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.loss = loss
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    def _code_specs(self, n_components) -> list:
        return [
            Dense(n_components, "logistic"),
            SparsityPenalty(float(self.sparsity_target), float(self.sparsity_weight)),
        ]


class VariationalAutoencoder(AutoencoderTask, BaseNetwork):
    """Variational autoencoder, trained in Numba kernels.

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
    n_components : int, default=16
        Size of the code (the output width of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(64,)
        Hidden sizes of the encoder, input side first; the decoder mirrors them.
        An empty tuple gives a single-layer encoder and decoder.

    beta : float, default=1.0
        Weight of the KL term (beta-VAE); 1 is the standard ELBO.

    loss : {'auto', 'squared_error', 'binary_crossentropy'}, default='auto'
        Reconstruction loss per sample, summed over the features:
        ``1/2 ||x - x_hat||^2``, or the binary cross-entropy for data in [0, 1]
        (data outside [0, 1] is an error).

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers.

    out_activation : {'auto', 'identity', 'sigmoid'}, default='auto'
        Activation of the reconstruction: 'auto' is 'sigmoid' for
        ``loss='binary_crossentropy'`` and 'identity' for squared error. A sigmoid
        output with squared error is allowed (the output gradient includes the
        sigmoid's derivative); an identity output with cross-entropy is an error.

    dropout : float, default=0.0
        Inverted-dropout rate of the hidden layers of the encoder and decoder during
        training (never on the code or at transform time).

    batch_norm : bool, default=False
        Follow each hidden layer of the encoder and of the decoder (not the code
        or the output) by batch normalization, before its activation: training
        normalizes with the mini-batch's statistics, ``transform`` and the other
        methods with running estimates. As in :class:`~skdeep.MLPRegressor`
        (full-batch statistics with 'lbfgs'; a batch of one sample is an error or
        left out).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer (as in :class:`~skdeep.MLPRegressor`); 'lbfgs'
        trains full-batch, with any noise (corruption, the variational
        samples) drawn once per fit.

    alpha : float, default=0.0001
        L2 penalty on the weights, divided by the batch size as in the MLPs.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule (as in the MLPs).

    learning_rate_init : float, default=0.001
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the rows each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split, the shuffles and the
        kernel random stream (dropout masks, corruption noise, sampling). The same
        seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion on the loss (or on the validation score).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Continue from the previous weights and optimizer state on the next fit.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the mean
        :meth:`score_samples` on them stops improving, and restore the best weights.

    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices: the first ``n_encoder_layers_`` belong to the encoder
        (input to code), the rest to the decoder (code to input space).

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors, in the same order as ``coefs_``.

    n_encoder_layers_ : int
        Number of weight layers of the encoder (``len(hidden_layer_sizes) + 1``).

    reconstruction_loss_ : str
        The reconstruction loss used: 'squared_error' or 'binary_crossentropy'.

    out_activation_ : str
        Activation of the decoder's output ('identity' or 'logistic').

    loss_ : float
        Training objective of the last epoch (mean over rows, L2 term included).

    loss_curve_ : list of float
        Training objective per epoch.

    best_loss_ : float or None
        Lowest training objective reached; None with early stopping.

    validation_scores_ : list of float or None
        Mean :meth:`score_samples` of the validation rows per epoch with early
        stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    n_iter_ : int
        Number of epochs run by the last call.

    t_ : int
        Number of training rows seen by the solver.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

    The encoder's last layer has ``2 * n_components`` outputs: the posterior means,
    then the log-variances.

    See Also
    --------
    DenoisingAutoencoder : Learns codes that undo corrupted inputs.
    SparseAutoencoder : Codes with a penalty on the mean activation of each unit.
    AdversarialAutoencoder : Codes matched to a prior by a discriminator.

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

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "loss": [StrOptions({"auto", "squared_error", "binary_crossentropy"})],
        "beta": [Interval(Real, 0, None, closed="left")],
    }

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
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
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
        max_fun: int = 15000,
        lr_decay: float = 0.95,
        lr_step_size: int = 10,
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.beta = beta
        self.loss = loss
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    def _code_specs(self, n_components) -> list:
        return [Dense(2 * n_components, "identity"), GaussianLatent(float(self.beta))]

    def _resolve_loss(self, X) -> str:
        if self.loss != "auto":
            return self.loss
        low, high = self._data_range(X)
        return "binary_crossentropy" if low >= 0 and high <= 1 else "squared_error"

    @on_published_model
    def score_samples(self, X):
        """Per-sample evidence lower bound, computed without sampling.

        ``-(rec(x, g(mu)) + KL(q(z|x) || N(0, I)))``: the reconstruction loss
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


class AdversarialAutoencoder(AutoencoderTask, BaseNetwork):
    """Adversarial autoencoder, trained in Numba kernels.

    An autoencoder whose codes are pushed towards a prior by a discriminator
    (Makhzani et al. 2015). Each mini-batch runs three steps, each with its own
    optimizer state: reconstruction (encoder and decoder), discriminator (trained to
    tell prior draws from codes, ``-log D(z_prior) - log(1 - D(f(x)))``) and
    generator (encoder, ``-log D(f(x))``). The code layer is linear; ``sample``
    decodes prior draws.

    Parameters
    ----------
    n_components : int, default=16
        Size of the code (the output width of :meth:`transform`).

    hidden_layer_sizes : array-like of int, default=(64,)
        Hidden sizes of the encoder, input side first; the decoder mirrors them.
        An empty tuple gives a single-layer encoder and decoder.

    discriminator_layer_sizes : array-like of int, default=(64,)
        Hidden sizes of the discriminator (activation ``activation``, logistic
        output).

    prior : {'gaussian'}, default='gaussian'
        The prior of the codes, ``N(0, I)``.

    loss : {'squared_error', 'binary_crossentropy'}, default='squared_error'
        Reconstruction loss per sample, summed over the features:
        ``1/2 ||x - x_hat||^2``, or the binary cross-entropy for data in [0, 1]
        (data outside [0, 1] is an error).

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers.

    out_activation : {'auto', 'identity', 'sigmoid'}, default='auto'
        Activation of the reconstruction: 'auto' is 'sigmoid' for
        ``loss='binary_crossentropy'`` and 'identity' for squared error. A sigmoid
        output with squared error is allowed (the output gradient includes the
        sigmoid's derivative); an identity output with cross-entropy is an error.

    dropout : float, default=0.0
        Inverted-dropout rate of the hidden layers of the encoder and decoder during
        training (never on the code or at transform time).

    batch_norm : bool, default=False
        Follow each hidden layer of the encoder and of the decoder (not the code
        or the output) by batch normalization, before its activation: training
        normalizes with the mini-batch's statistics, ``transform`` and the other
        methods with running estimates. As in :class:`~skdeep.MLPRegressor`
        (full-batch statistics with 'lbfgs'; a batch of one sample is an error or
        left out).

    batch_norm_momentum : float, default=0.1
        Momentum ``m`` of batch normalization's running estimates, PyTorch's
        convention: after every training batch ``running = (1 - m) running + m
        batch``, the running variance taking the batch's unbiased variance. They
        start at mean 0 and variance 1 and continue across ``warm_start`` and
        ``partial_fit``. In (0, 1].

    solver : {'sgd', 'adam', 'adagrad', 'rmsprop'}, default='adam'
        The weight optimizer (as in :class:`~skdeep.MLPRegressor`).

    alpha : float, default=0.0001
        L2 penalty on the weights, divided by the batch size as in the MLPs.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step'}, \
default='constant'
        Learning-rate schedule (as in the MLPs).

    learning_rate_init : float, default=0.001
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the rows each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split, the shuffles and the
        kernel random stream (dropout masks, corruption noise, sampling). The same
        seed and data give bit-identical weights.

    tol : float, default=1e-4
        Tolerance of the stopping criterion on the loss (or on the validation score).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Continue from the previous weights and optimizer state on the next fit.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the mean
        :meth:`score_samples` on them stops improving, and restore the best weights.

    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay (also rmsprop's decay).

    epsilon : float, default=1e-8
        Numerical-stability constant of adam, adagrad and rmsprop.

    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.

    lr_decay : float, default=0.95
        Decay factor of the 'exponential' and 'step' schedules.

    lr_step_size : int, default=10
        Epochs between decays of the 'step' schedule.

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices: the first ``n_encoder_layers_`` belong to the encoder
        (input to code), the rest to the decoder (code to input space).

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors, in the same order as ``coefs_``.

    n_encoder_layers_ : int
        Number of weight layers of the encoder (``len(hidden_layer_sizes) + 1``).

    reconstruction_loss_ : str
        The reconstruction loss used: 'squared_error' or 'binary_crossentropy'.

    out_activation_ : str
        Activation of the decoder's output ('identity' or 'logistic').

    loss_ : float
        Training objective of the last epoch (mean over rows, L2 term included).

    loss_curve_ : list of float
        Training objective per epoch.

    best_loss_ : float or None
        Lowest training objective reached; None with early stopping.

    validation_scores_ : list of float or None
        Mean :meth:`score_samples` of the validation rows per epoch with early
        stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    n_iter_ : int
        Number of epochs run by the last call.

    t_ : int
        Number of training rows seen by the solver.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    batch_norm_layers_ : list of dict
        Per batch-normalization layer, input side first: its ``'scale'`` (gamma)
        and ``'shift'`` (beta) parameters and its ``'running_mean'`` and
        ``'running_var'`` estimates, one value per unit or channel (views into the
        fitted parameters and state). Empty without ``batch_norm``.

    discriminator_coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices of the discriminator.

    discriminator_intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors of the discriminator.

    adversarial_loss_curve_ : list of tuple of float
        Per epoch, the mean discriminator loss (L2 term included) and the mean
        generator loss.

    See Also
    --------
    DenoisingAutoencoder : Learns codes that undo corrupted inputs.
    SparseAutoencoder : Codes with a penalty on the mean activation of each unit.
    VariationalAutoencoder : Codes as a Gaussian posterior, and a generative model.

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

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "solver": [StrOptions(set(STOCHASTIC_SOLVERS))],
        "discriminator_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
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
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
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
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.prior = prior
        self.loss = loss
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.lr_decay = lr_decay
        self.lr_step_size = lr_step_size

    def _critic(self) -> Network:
        """The discriminator: codes to the probability of a prior draw."""
        sizes = check_layer_sizes(
            self.discriminator_layer_sizes, "discriminator_layer_sizes"
        )
        c = int(self.n_components)
        specs = [Dense(units, self.activation) for units in sizes]
        return Network((c,), (*specs, Dense(1, "logistic")))

    def _fitted_critic(self) -> Network:
        return fitted_network(self, "_critic_network")

    def _draws_random(self, network) -> bool:
        return True  # the prior draws

    def _build_network(self, data) -> Network:
        self._critic_network = self._critic().to_data()
        return super()._build_network(data)

    def _parameter_size(self, network) -> int:
        return network.n_params + self._fitted_critic().n_params

    def _optimizer_layout(self, network) -> tuple[int, int]:
        # [autoencoder | discriminator | autoencoder (the generator step)], one
        # counter per step.
        return self._parameter_size(network) + network.n_params, 3

    def _packed_params(self, network, dtype=None) -> np.ndarray:
        """The parameter vector ``[autoencoder | discriminator]`` that the fitted
        attributes describe, the discriminator's (``discriminator_coefs_``,
        ``discriminator_intercepts_``) checked and packed like ``coefs_``."""
        packed = super()._packed_params(network, dtype)
        names = ("discriminator_coefs_", "discriminator_intercepts_")
        check_parameter_arrays(self, names, self._params.dtype)
        critic, n_net = self._fitted_critic(), network.n_params
        coefs, intercepts = self.discriminator_coefs_, self.discriminator_intercepts_
        if not are_views(coefs, intercepts, critic, self._params[n_net:]):
            if packed is self._params:
                packed = packed.copy()
            packed[n_net:] = critic.pack(coefs, intercepts, packed.dtype, names)
        return packed

    def _init_parameters(self, network, random_state, dtype):
        factor = 2.0 if self.activation in ("logistic", "sigmoid") else 6.0
        return np.concatenate([
            network.init(random_state, dtype, factor),
            self._fitted_critic().init(random_state, dtype, factor),
        ])  # fmt: skip

    def _runner(self, network, rows, objective, capacity, rng_state):
        self._epoch_adversarial_curve = []
        n_encoder_rows = network.rows_before(self._encoder_specs)
        return AdversarialRunner(
            network, self._fitted_critic(), n_encoder_rows, rows, objective,
            capacity, rng_state, self._epoch_adversarial_curve,
            checked_rows=(slice(0, n_encoder_rows),),
        )  # fmt: skip

    def _publish_architecture(self, network, params, runner) -> None:
        super()._publish_architecture(network, params, runner)
        critic = self._fitted_critic()
        self.discriminator_coefs_, self.discriminator_intercepts_ = critic.views(
            params[network.n_params :]
        )
        new = list(runner.adversarial_curve[: self.n_iter_])
        previous = getattr(self, "adversarial_loss_curve_", None)
        continued = previous is not None and self.n_iter_ < len(self.loss_curve_)
        self.adversarial_loss_curve_ = (list(previous) if continued else []) + new

    def _restore_views(self, network, params) -> None:
        super()._restore_views(network, params)
        views = restored_views(
            getattr(self, "discriminator_coefs_", None),
            getattr(self, "discriminator_intercepts_", None),
            self._fitted_critic().views(params[network.n_params :]),
        )
        if views is not None:
            self.discriminator_coefs_, self.discriminator_intercepts_ = views

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
