"""What the four autoencoders share: the reconstruction task and the mirrored
encoder-decoder architecture.

An autoencoder is one network whose targets are its inputs: an encoder (input to
code), the variant's code layers, and a decoder mirroring the encoder's hidden
sizes back to input space. The variants differ only in their layers (see
:mod:`skdeep.network.specs`): the denoising autoencoder starts with a
``Corruption`` layer, the sparse one follows its sigmoid code with a
``SparsityPenalty``, the variational one turns ``[mean | log-variance]`` into codes
with a ``GaussianLatent``; all train through the MLPs' loop and runner. The
adversarial one adds a discriminator network and its own runner.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import assert_all_finite, check_is_fitted

from skdeep._kernels import codes
from skdeep._kernels.rng import new_rng_state
from skdeep._kernels.sampling import fill_normal
from skdeep._kernels.structs import Objective
from skdeep.estimators._base import FitData
from skdeep.estimators._fitted import fitted_attribute, model_dtype
from skdeep.estimators._fitting import on_published_model
from skdeep.estimators._inference import plain_rows
from skdeep.network.inference import network_output, prediction_threads
from skdeep.network.inputs import kernel_rows
from skdeep.network.network import Network
from skdeep.network.specs import BatchNorm, Dense, Dropout
from skdeep.training.runner import NetworkRunner
from skdeep.utils._compat import Interval, StrOptions, _fit_context, validate_data
from skdeep.utils.threads import kernel_threads
from skdeep.utils.validation import check_layer_sizes

#: The constraints of every autoencoder's own parameters.
AUTOENCODER_CONSTRAINTS: dict = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": ["array-like"],
    "out_activation": [StrOptions({"auto", "identity", "sigmoid"})],
    "loss": [StrOptions({"squared_error", "binary_crossentropy"})],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
}


def _writeable(X):
    """``X``, copied if read-only (the kernels read X through read-only views in
    any case; sklearn's validation returns what it was given)."""
    data = X.data if sp.issparse(X) else X
    return X if data.flags.writeable else X.copy()


class AutoencoderTask(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """Reconstruction of the input through a code: ``transform`` encodes,
    ``inverse_transform`` decodes, ``score_samples`` is each sample's negative
    loss. Concrete autoencoders define ``_code_specs`` (and may define
    ``_input_specs`` and the state of those layers)."""

    def _reconstructs(self) -> bool:
        return True

    # -------------------------------------------------------- architecture
    def _input_specs(self) -> list:
        """Layers before the encoder (the denoising noise)."""
        return []

    def _code_specs(self, n_components: int) -> list:
        """The code layer and what follows it before the decoder."""
        return [Dense(n_components, "identity")]

    def _network_parts(self, n_features, out_activation) -> tuple:
        """``(network, n_encoder_specs)``: the whole network and the number of its
        specs that make the encoder (input to code statistics)."""
        hidden = check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        rate = float(self.dropout)
        c = int(self.n_components)
        specs = self._input_specs()
        for units in hidden:
            self._hidden_specs(specs, units, rate)
        code = self._code_specs(c)
        specs.append(code[0])
        n_encoder = len(specs)
        specs.extend(code[1:])
        for units in hidden[::-1]:
            self._hidden_specs(specs, units, rate)
        specs.append(Dense(n_features, out_activation))
        return Network((n_features,), tuple(specs)), n_encoder

    def _hidden_specs(self, specs, units, rate) -> None:
        """A hidden layer of the encoder or the decoder: dense (then batch
        normalization, which carries the activation) then dropout."""
        if self.batch_norm:
            specs.append(Dense(units, "identity"))
            specs.append(BatchNorm(self.activation, float(self.batch_norm_momentum)))
        else:
            specs.append(Dense(units, self.activation))
        if rate > 0:
            specs.append(Dropout(rate))

    def _build_network(self, data) -> Network:
        network, self._encoder_specs = self._network_parts(
            data.X.shape[1], data.out_activation
        )
        return network

    # ------------------------------------------------------------ fitting
    def _resolve_loss(self, X) -> str:
        return self.loss

    def _resolve_out_activation(self, loss: str) -> str:
        out = self.out_activation
        if out == "auto":
            return "logistic" if loss == "binary_crossentropy" else "identity"
        if out == "identity" and loss == "binary_crossentropy":
            raise ValueError(
                "loss='binary_crossentropy' needs out_activation='sigmoid' (or "
                "'auto'): the reconstruction must lie in (0, 1)."
            )
        return "logistic" if out == "sigmoid" else out

    @staticmethod
    def _data_range(X) -> tuple[float, float]:
        if sp.issparse(X):
            values = X.data
            low = min(values.min(), 0.0) if values.size else 0.0
            high = max(values.max(), 0.0) if values.size else 0.0
            return float(low), float(high)
        return float(X.min()), float(X.max())

    def _check_variant_params(self) -> None:
        """Raise ValueError for invalid combinations of the variant's parameters."""

    def _fit_data(self, X, y, sample_weight, incremental, first, classes):
        self._check_variant_params()
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=first,
        )
        if not first and X.dtype != model_dtype(self):
            X = X.astype(model_dtype(self))
            # float64 values beyond float32's range become inf when cast.
            assert_all_finite(X, input_name="X")
        loss = self._resolve_loss(X) if first else self.reconstruction_loss_
        out_activation = self._resolve_out_activation(loss)
        if not first and out_activation != self.out_activation_:
            raise ValueError(
                "out_activation changed since the model was fitted; fit it again "
                "without warm_start to change it."
            )
        if loss == "binary_crossentropy":
            low, high = self._data_range(X)
            if low < 0 or high > 1:
                raise ValueError(
                    "loss='binary_crossentropy' needs data in [0, 1]; got values in "
                    f"[{low:g}, {high:g}]. Scale the data (e.g. MinMaxScaler) or use "
                    "loss='squared_error'."
                )
        self.reconstruction_loss_ = loss
        return FitData(
            X=_writeable(X),
            input_shape=(X.shape[1],),
            Y=None,
            sample_weight=None,
            user_sample_weight=None,
            out_activation=out_activation,
            loss=codes.RECONSTRUCTION_LOSS_CODES[loss],
        )

    def _validation_score(self, outputs, losses, rows, data) -> float:
        return float(-np.mean(losses))

    def _runner(self, network, rows, objective, capacity, rng_state):
        # The codes must be usable too, not only the reconstructions.
        encoder = slice(0, network.rows_before(self._encoder_specs))
        return NetworkRunner(network, rows, objective, capacity, rng_state,
                             checked_rows=(encoder,))  # fmt: skip

    def _publish_architecture(self, network, params, runner) -> None:
        self.n_encoder_layers_ = sum(
            layer.has_weights for layer in network.layers[: self._encoder_specs]
        )
        self._n_features_out = int(self.n_components)

    # ----------------------------------------------------------- inference
    def _parts(self):
        """``(network, params, state, whole, encoder, decoder)`` of the fitted
        model, checked against each other: the network and the runs of its table
        rows that predict with the whole, the encoder and the decoder. The input
        noise is the identity at prediction, so the prediction runs start after
        it."""
        network, params, state = self._fitted_model()
        first, encoder_rows, decoder_start = self._halves(network)
        return (network, params, state, slice(first, None),
                slice(first, encoder_rows), slice(decoder_start, None))  # fmt: skip

    def _halves(self, network) -> tuple:
        """``(first, encoder_rows, decoder_start)``: the first table row that
        predicts (after the input noise), the end of the encoder's rows and the
        first row of the decoder (after the code layers)."""
        n_specs = self._encoder_specs
        kinds = network.table[:, codes.COL_KIND]
        first = int(kinds[0] == codes.CORRUPTION)
        encoder_rows = network.rows_before(n_specs)
        decoder_start = encoder_rows
        while decoder_start < len(kinds) and kinds[decoder_start] in (
            codes.SPARSITY,
            codes.GAUSSIAN,
        ):
            decoder_start += 1  # the code layers belong to neither half
        return first, encoder_rows, decoder_start

    def _check_fitted_attributes(self, network) -> None:
        """The encoder's end (``_encoder_specs``) and the code width
        (``_n_features_out``) fit the network, a mirror of weighted layers around
        its code; ``reconstruction_loss_`` is a known loss."""
        super()._check_fitted_attributes(network)
        n_specs = fitted_attribute(self, "_encoder_specs")
        n_codes = fitted_attribute(self, "_n_features_out")
        fits = isinstance(n_specs, Integral) and 0 < n_specs < len(network.specs)
        if fits:
            weighted = [layer.n_weights > 0 for layer in network.layers]
            _, encoder_rows, decoder_start = self._halves(network)
            fits = (
                weighted[n_specs - 1]  # the encoder ends with its code layer
                and sum(weighted[:n_specs]) == sum(weighted[n_specs:])
                and encoder_rows > 0
                and decoder_start < len(network.rows)
                and isinstance(n_codes, Integral)
                and network.table[decoder_start, codes.COL_N_IN] == n_codes
            )
        if not fits:
            raise ValueError(
                f"The fitted encoder (_encoder_specs={n_specs!r}, "
                f"_n_features_out={n_codes!r}) does not match the fitted network; "
                "fit the model again."
            )
        loss = fitted_attribute(self, "reconstruction_loss_")
        if loss not in codes.RECONSTRUCTION_LOSS_CODES:
            raise ValueError(
                f"reconstruction_loss_ is {loss!r}, not one of "
                f"{sorted(codes.RECONSTRUCTION_LOSS_CODES)}; fit the model again."
            )

    def _validated(self, X, network, dtype):
        rows = plain_rows(self, X)  # the common case needs no validation
        if rows is not None:
            return self._check_inference_input(rows, network, dtype)
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        return self._check_inference_input(_writeable(X), network, dtype)

    @on_published_model
    def transform(self, X):
        """Encode ``X`` into its codes.

        The codes are the encoder's outputs (for the variational autoencoder, the
        posterior mean), without noise or sampling.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the dtype of the fitted weights.
        """
        network, params, state, _, encoder, _ = self._parts()
        X = self._validated(X, network, params.dtype)
        threads = prediction_threads(network, X.shape[0], encoder)
        with kernel_threads(max_threads=threads):
            stats, _ = network_output(network, params, state, kernel_rows(X),
                                      layers=encoder)  # fmt: skip
        return np.ascontiguousarray(stats[:, : self._n_features_out])

    @on_published_model
    def inverse_transform(self, X):
        """Decode codes back to input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstructions.
        """
        network, params, state, _, _, decoder = self._parts()
        Z = check_array(X, dtype=(np.float64, np.float32))
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects "
                f"{self._n_features_out} (n_components)."
            )
        Z = np.ascontiguousarray(Z, dtype=params.dtype)
        assert_all_finite(Z, input_name="X")
        threads = prediction_threads(network, Z.shape[0], decoder)
        with kernel_threads(max_threads=threads):
            out, _ = network_output(network, params, state, kernel_rows(Z),
                                    layers=decoder)  # fmt: skip
        return out

    @on_published_model
    def score_samples(self, X):
        """Per-sample negative reconstruction loss (higher is better).

        ``-rec(x, g(f(x)))`` with the loss summed over the features: ``1/2 ||x -
        x_hat||^2`` or the binary cross-entropy. No noise or sampling is involved,
        so the result is deterministic.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The score of each sample.
        """
        network, params, state, whole, _, _ = self._parts()
        X = self._validated(X, network, params.dtype)
        objective = Objective(
            int(codes.RECONSTRUCTION_LOSS_CODES[self.reconstruction_loss_]), 0.0, True
        )
        threads = prediction_threads(network, X.shape[0], whole)
        with kernel_threads(max_threads=threads):
            _, losses = network_output(network, params, state, kernel_rows(X),
                                       layers=whole, objective=objective,
                                       outputs=False)  # fmt: skip
        return (-losses).astype(params.dtype)

    @on_published_model
    def score(self, X, y=None) -> float:
        """Mean of :meth:`score_samples` over ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean score.
        """
        return float(np.mean(self.score_samples(X)))

    @on_published_model
    def _sample(self, n_samples, random_state):
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(
            n_samples, Integral | np.integer
        ):
            raise ValueError(
                f"n_samples must be a positive integer, got {n_samples!r}."
            )
        if n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
        params = self._parts()[1]  # checks the fitted model first
        rng = new_rng_state(check_random_state(random_state))
        Z = np.empty(int(n_samples) * self._n_features_out, dtype=params.dtype)
        fill_normal(rng, Z, Z.shape[0])
        return self.inverse_transform(Z.reshape(int(n_samples), -1))

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
        return self._fit(X)

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
