"""Autoencoder epoch runners for :func:`~skdeep.training.stochastic.run_stochastic`.

Each runner allocates the work buffers once per fit (sized for the largest batch)
and returns ``run_epoch(order, params, hyper, optimizer)``, one compiled call per
epoch; the loop, schedules, stopping rules and history are the MLP's.
"""

from dataclasses import dataclass

import numpy as np

from skdeep._kernels import codes
from skdeep._kernels.autoencoder_epochs import adversarial_epoch, autoencoder_epoch
from skdeep.network.autoencoder import AutoencoderLayout
from skdeep.training.data import KernelInput


@dataclass
class AutoencoderTerms:
    """The variant-specific settings of an autoencoder fit (kernel codes)."""

    variant: int
    loss_code: int
    noise_code: int
    noise_level: float
    col_min: np.ndarray
    col_max: np.ndarray
    sparsity_target: float
    sparsity_weight: float
    beta: float
    dropout: float


def _work(layout, batch: int, dtype, dropout: bool) -> tuple:
    """``(acts, deltas, masks, dropped)`` buffers of one dense network."""
    acts = np.empty(batch * layout.total_units, dtype=dtype)
    deltas = np.empty_like(acts)
    masks = np.empty_like(acts) if dropout else acts[:0]
    dropped = np.empty_like(acts) if dropout else acts[:0]
    return acts, deltas, masks, dropped


def _rates(layout, dropout: float) -> np.ndarray:
    """Dropout rate per layer: ``dropout`` on hidden layers, none at the top."""
    rates = np.zeros(layout.n_layers, dtype=np.float64)
    rates[:-1] = dropout
    return rates


def autoencoder_runner(data: KernelInput, layout: AutoencoderLayout,
                       terms: AutoencoderTerms, batch: int, alpha: float,
                       rng: np.ndarray, dtype):  # fmt: skip
    """Epoch runner of the denoising, sparse and variational autoencoders."""
    enc, dec = layout.encoder, layout.decoder
    enc_table, dec_table = enc.table(), dec.table()
    n_enc = enc.n_params
    c, d = layout.n_components, layout.n_features
    uses_dropout = terms.dropout > 0
    rates_enc, rates_dec = _rates(enc, terms.dropout), _rates(dec, terms.dropout)
    enc_work = _work(enc, batch, dtype, uses_dropout)
    dec_work = _work(dec, batch, dtype, uses_dropout)
    xbuf = np.empty(batch * d, dtype=dtype)
    noisy = terms.noise_code != -1
    xnoisy = np.empty(batch * d if noisy else 0, dtype=dtype)
    eps = np.zeros(batch * c, dtype=dtype)
    latent = np.empty(batch * c, dtype=dtype)
    d_latent = np.empty(batch * c, dtype=dtype)
    rho_hat = np.empty(c, dtype=dtype)
    kl_rows = np.empty(batch, dtype=dtype)
    ones = np.ones(batch, dtype=dtype)
    aux = np.empty(0, dtype=dtype)
    aux_int = np.empty(0, dtype=np.int64)
    grad = np.empty(layout.n_params, dtype=dtype)
    col_min = terms.col_min.astype(dtype)
    col_max = terms.col_max.astype(dtype)

    def run_epoch(order, params, hyper, optimizer):
        return autoencoder_epoch(
            *data.arrays(), order, batch,
            params, grad, n_enc, enc_table, dec_table, rates_enc, rates_dec, alpha,
            terms.variant, terms.loss_code, terms.noise_code, terms.noise_level,
            col_min, col_max, terms.sparsity_target, terms.sparsity_weight,
            terms.beta, codes.SOLVER_CODES[optimizer.solver], hyper,
            optimizer.step, optimizer.state1, optimizer.state2, rng,
            xbuf, xnoisy, eps, latent, d_latent, rho_hat, kl_rows, ones,
            enc_work, dec_work, aux, aux_int,
        )  # fmt: skip

    return run_epoch


def adversarial_runner(data: KernelInput, layout: AutoencoderLayout,
                       terms: AutoencoderTerms, batch: int, alpha: float,
                       rng: np.ndarray, dtype, adversarial_curve: list):  # fmt: skip
    """Epoch runner of the adversarial autoencoder; appends the epoch's mean
    ``(discriminator_loss, generator_loss)`` to ``adversarial_curve``."""
    enc, dec, critic = layout.encoder, layout.decoder, layout.critic
    tables = enc.table(), dec.table(), critic.table()
    n_enc, n_dec = enc.n_params, dec.n_params
    c, d = layout.n_components, layout.n_features
    uses_dropout = terms.dropout > 0
    rates_enc, rates_dec = _rates(enc, terms.dropout), _rates(dec, terms.dropout)
    disc_rates = np.zeros(critic.n_layers, dtype=np.float64)
    enc_work = _work(enc, batch, dtype, uses_dropout)
    dec_work = _work(dec, batch, dtype, uses_dropout)
    disc_work = _work(critic, batch, dtype, False)
    xbuf = np.empty(batch * d, dtype=dtype)
    prior = np.empty(batch * c, dtype=dtype)
    latent = np.empty(batch * c, dtype=dtype)
    d_latent = np.empty(batch * c, dtype=dtype)
    rho_hat = np.empty(c, dtype=dtype)
    kl_rows = np.empty(batch, dtype=dtype)
    ones = np.ones(batch, dtype=dtype)
    zeros = np.zeros(batch, dtype=dtype)
    aux = np.empty(0, dtype=dtype)
    aux_int = np.empty(0, dtype=np.int64)
    grad = np.empty(layout.n_params, dtype=dtype)
    grad_tmp = np.empty(critic.n_params, dtype=dtype)
    totals = np.zeros(2, dtype=np.float64)

    def run_epoch(order, params, hyper, optimizer):
        totals[:] = 0.0
        result = adversarial_epoch(
            *data.arrays(), order, batch,
            params, grad, grad_tmp, n_enc, n_dec, *tables,
            rates_enc, rates_dec, disc_rates, alpha, terms.loss_code,
            codes.SOLVER_CODES[optimizer.solver], hyper, optimizer.step,
            optimizer.state1, optimizer.state2, rng,
            xbuf, prior, latent, d_latent, rho_hat, kl_rows, ones, zeros,
            enc_work, dec_work, disc_work, aux, aux_int, totals,
        )  # fmt: skip
        if result[2]:
            n = max(order.shape[0], 1)
            adversarial_curve.append((totals[0] / n, totals[1] / n))
        return result

    return run_epoch
