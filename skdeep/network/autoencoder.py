"""An autoencoder as data: the encoder, decoder and optional discriminator layouts
and their slices of one flat parameter vector.

The parameter vector is ``[encoder | decoder | discriminator]``, each block laid out
by its own :class:`~skdeep.network.layout.DenseLayout` (weights first, then biases).
The decoder mirrors the encoder's hidden sizes.
"""

from dataclasses import dataclass

import numpy as np

from skdeep.network.layout import DenseLayout


@dataclass(frozen=True)
class AutoencoderLayout:
    """Shapes of an autoencoder's networks.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden : tuple of int
        Encoder hidden sizes; the decoder uses them reversed.
    n_components : int
        Code size.
    activation : str
        Hidden activation of every network.
    code_activation : str
        Activation of the encoder's last layer.
    out_activation : str
        Activation of the decoder's last layer.
    stats_per_component : int
        Encoder outputs per code unit: 1, or 2 for a Gaussian posterior (mean and
        log-variance).
    discriminator : tuple of int or None
        Hidden sizes of the discriminator, or None for no discriminator.
    """

    n_features: int
    hidden: tuple
    n_components: int
    activation: str
    code_activation: str
    out_activation: str
    stats_per_component: int = 1
    discriminator: tuple | None = None

    @property
    def encoder(self) -> DenseLayout:
        """Input -> code (or code statistics)."""
        units = (
            self.n_features,
            *self.hidden,
            self.stats_per_component * self.n_components,
        )
        return DenseLayout(units, self.activation, self.code_activation)

    @property
    def decoder(self) -> DenseLayout:
        """Code -> input space."""
        units = (self.n_components, *self.hidden[::-1], self.n_features)
        return DenseLayout(units, self.activation, self.out_activation)

    @property
    def critic(self) -> DenseLayout | None:
        """Code -> probability that the code was drawn from the prior."""
        if self.discriminator is None:
            return None
        units = (self.n_components, *self.discriminator, 1)
        return DenseLayout(units, self.activation, "logistic")

    def blocks(self) -> list:
        """The layouts whose parameters make up the flat vector, in order."""
        blocks = [self.encoder, self.decoder]
        if self.discriminator is not None:
            blocks.append(self.critic)
        return blocks

    @property
    def sizes(self) -> list:
        """Number of parameters of each block."""
        return [block.n_params for block in self.blocks()]

    @property
    def n_params(self) -> int:
        """Total number of parameters."""
        return sum(self.sizes)

    def split(self, params: np.ndarray) -> list:
        """Views of ``params``, one per block."""
        out, start = [], 0
        for size in self.sizes:
            out.append(params[start : start + size])
            start += size
        return out

    def init(self, random_state: np.random.RandomState, dtype) -> np.ndarray:
        """scikit-learn's Glorot-uniform initialization of every block, in order."""
        return np.concatenate(
            [block.glorot_init(random_state, dtype) for block in self.blocks()]
        )

    def views(self, params: np.ndarray) -> list:
        """``[(coefs, intercepts)]`` per block, views into ``params``."""
        return [
            block.views(part) for block, part in zip(self.blocks(), self.split(params))
        ]

    def pack(self, per_block: list, dtype) -> np.ndarray:
        """A new flat vector from ``[(coefs, intercepts)]`` per block."""
        return np.concatenate(
            [
                block.pack(coefs, intercepts, dtype)
                for block, (coefs, intercepts) in zip(self.blocks(), per_block)
            ]
        )
