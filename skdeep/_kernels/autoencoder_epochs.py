"""Autoencoder epochs and deterministic scoring, each one compiled call.

:func:`autoencoder_epoch` trains the denoising, sparse and variational variants: per
batch it gathers the rows, corrupts them (denoising), draws the reparameterization
noise (variational), computes the reconstruction gradient, adds the L2 term and
applies one update to the encoder and decoder parameters together.

:func:`adversarial_epoch` alternates three steps per batch (Makhzani et al. 2015):
reconstruction (encoder + decoder), discriminator (codes against prior draws) and
generator (encoder, fooling the discriminator). Each step has its own optimizer
state: ``state1``/``state2`` hold ``[encoder | decoder | discriminator | encoder]``
slices, the last for the generator step (``state2`` is empty unless the solver is
Adam, and its slices then stay empty), and ``step`` three update counters.

The per-batch objective and the epoch total follow the MLP's convention: the batch
loss is ``raw / n + alpha ||W||^2 / (2 n)`` and the epoch returns the sum over
batches of ``batch_loss * n``.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.autoencoder import (
    PLAIN,
    VARIATIONAL,
    discriminator_gradient,
    generator_gradient,
    reconstruction_gradient,
    reconstruction_sum,
)
from skdeep._kernels.batches import gather_rows
from skdeep._kernels.codes import COL_N_IN
from skdeep._kernels.corruption import NOISE_NONE, corrupt
from skdeep._kernels.latent import gaussian_kl
from skdeep._kernels.network import (
    all_finite,
    finish_gradient,
    forward,
    squared_weight_norm,
)
from skdeep._kernels.optimizers import apply_update
from skdeep._kernels.sampling import fill_normal


@kernel
def autoencoder_epoch(
    X, data, indices, indptr, is_sparse, order, batch_size,
    params, grad, n_enc, enc_table, dec_table, rates_enc, rates_dec, alpha,
    variant, loss_code, noise_code, noise_level, col_min, col_max,
    sparsity_target, sparsity_weight, beta,
    solver, hyper, step, state1, state2, rng,
    xbuf, xnoisy, eps, latent, d_latent, rho_hat, kl_rows, ones,
    enc_work, dec_work, aux, aux_int,
):  # fmt: skip
    """Run one epoch of the denoising / sparse / variational autoencoder over the
    rows ``order``; ``params`` is ``[encoder | decoder]``.

    Returns ``(loss_total, n_done, finite)`` like ``training.train_epoch``.
    """
    n_total = order.shape[0]
    d = enc_table[0, COL_N_IN]
    c = dec_table[0, COL_N_IN]
    enc_params = params[:n_enc]
    dec_params = params[n_enc:]
    enc_grad = grad[:n_enc]
    dec_grad = grad[n_enc:]
    total = 0.0
    for start in range(0, n_total, batch_size):
        stop = min(start + batch_size, n_total)
        n = stop - start
        xb = xbuf[: n * d].reshape((n, d))
        gather_rows(X, data, indices, indptr, is_sparse, order[start:stop], xb)
        x_in = xb
        if noise_code != NOISE_NONE:
            x_in = xnoisy[: n * d].reshape((n, d))
            corrupt(xb, noise_code, noise_level, col_min, col_max, rng, x_in)
        if variant == VARIATIONAL:
            fill_normal(rng, eps[: n * c].reshape((n, c)))
        raw = reconstruction_gradient(
            x_in, xb, enc_params, enc_grad, dec_params, dec_grad, enc_table,
            dec_table, batch_size, rates_enc, rates_dec, True, rng, variant,
            loss_code, sparsity_target, sparsity_weight, beta,
            eps, latent, d_latent, rho_hat, kl_rows, ones, enc_work, dec_work,
            aux, aux_int,
        )  # fmt: skip
        norm = squared_weight_norm(enc_params, enc_table)
        norm += squared_weight_norm(dec_params, dec_table)
        batch_loss = raw / n + 0.5 * alpha * norm / n
        if not np.isfinite(batch_loss):
            return total, start, False
        finish_gradient(enc_grad, enc_params, enc_table, alpha, n)
        finish_gradient(dec_grad, dec_params, dec_table, alpha, n)
        apply_update(params, grad, state1, state2, step, solver, hyper)
        total += batch_loss * n
    return total, n_total, all_finite(params)


@kernel
def adversarial_epoch(
    X, data, indices, indptr, is_sparse, order, batch_size,
    params, grad, grad_tmp, n_enc, n_dec, enc_table, dec_table, disc_table,
    rates_enc, rates_dec, disc_rates, alpha, loss_code,
    solver, hyper, step, state1, state2, rng,
    xbuf, prior, latent, d_latent, rho_hat, kl_rows, ones, zeros,
    enc_work, dec_work, disc_work, aux, aux_int, adversarial_totals,
):  # fmt: skip
    """Run one epoch of the adversarial autoencoder; ``params`` is
    ``[encoder | decoder | discriminator]``.

    Returns ``(loss_total, n_done, finite)`` for the reconstruction objective and
    adds the epoch's discriminator and generator totals (sums of mean batch losses
    times batch sizes) to ``adversarial_totals[0]`` and ``[1]``.
    """
    n_total = order.shape[0]
    d = enc_table[0, COL_N_IN]
    c = dec_table[0, COL_N_IN]
    n_ae = n_enc + n_dec
    n_all = params.shape[0]
    enc_params = params[:n_enc]
    dec_params = params[n_enc:n_ae]
    disc_params = params[n_ae:]
    enc_grad = grad[:n_enc]
    dec_grad = grad[n_enc:n_ae]
    disc_grad = grad[n_ae:]
    total = 0.0
    for start in range(0, n_total, batch_size):
        stop = min(start + batch_size, n_total)
        n = stop - start
        xb = xbuf[: n * d].reshape((n, d))
        gather_rows(X, data, indices, indptr, is_sparse, order[start:stop], xb)
        # 1. Reconstruction step on the encoder and decoder.
        raw = reconstruction_gradient(
            xb, xb, enc_params, enc_grad, dec_params, dec_grad, enc_table,
            dec_table, batch_size, rates_enc, rates_dec, True, rng, PLAIN,
            loss_code, 0.0, 0.0, 0.0,
            prior, latent, d_latent, rho_hat, kl_rows, ones, enc_work, dec_work,
            aux, aux_int,
        )  # fmt: skip
        norm = squared_weight_norm(enc_params, enc_table)
        norm += squared_weight_norm(dec_params, dec_table)
        batch_loss = raw / n + 0.5 * alpha * norm / n
        if not np.isfinite(batch_loss):
            return total, start, False
        finish_gradient(enc_grad, enc_params, enc_table, alpha, n)
        finish_gradient(dec_grad, dec_params, dec_table, alpha, n)
        apply_update(params[:n_ae], grad[:n_ae], state1[:n_ae],
                     state2[:n_ae], step[0:1], solver,
                     hyper)  # fmt: skip
        total += batch_loss * n
        # 2. Discriminator step: prior draws are real, codes are fake.
        e_acts, _, e_masks, e_dropped = enc_work
        codes = forward(xb, enc_params, enc_table, batch_size, e_acts, rates_enc,
                        True, rng, e_masks, e_dropped, aux, aux_int)  # fmt: skip
        z_prior = prior[: n * c].reshape((n, c))
        fill_normal(rng, z_prior)
        raw = discriminator_gradient(
            z_prior, codes, disc_params, disc_grad, grad_tmp, disc_table,
            batch_size, disc_rates, rng, ones, zeros, disc_work, aux, aux_int,
        )  # fmt: skip
        norm = squared_weight_norm(disc_params, disc_table)
        adversarial_totals[0] += raw + 0.5 * alpha * norm
        finish_gradient(disc_grad, disc_params, disc_table, alpha, n)
        apply_update(disc_params, disc_grad, state1[n_ae:n_all],
                     state2[n_ae:n_all], step[1:2], solver,
                     hyper)  # fmt: skip
        # 3. Generator step: the encoder learns to make codes D takes for prior.
        raw = generator_gradient(
            xb, enc_params, enc_grad, enc_table, disc_params, grad_tmp, disc_table,
            batch_size, rates_enc, disc_rates, True, rng, ones, d_latent, enc_work,
            disc_work, aux, aux_int,
        )  # fmt: skip
        adversarial_totals[1] += raw
        finish_gradient(enc_grad, enc_params, enc_table, 0.0, n)
        apply_update(enc_params, enc_grad, state1[n_all:],
                     state2[n_all:], step[2:3], solver,
                     hyper)  # fmt: skip
    return total, n_total, all_finite(params)


@kernel
def score_rows(X, data, indices, indptr, is_sparse, rows, enc_params, dec_params,
               enc_table, dec_table, variant, loss_code, enc_units, dec_units, chunk,
               out):  # fmt: skip
    """Write each row's negative loss into ``out``, without noise or sampling.

    ``-rec(x, g(f(x)))`` for the plain and sparse variants; the evidence lower bound
    ``-(rec(x, g(mu)) + KL(q(z|x) || N(0, I)))`` at the posterior mean for the
    variational one. Rows are processed ``chunk`` at a time with local buffers.
    """
    n_total = out.shape[0]
    d = enc_table[0, COL_N_IN]
    c = dec_table[0, COL_N_IN]
    capacity = max(1, min(chunk, n_total))
    dtype = enc_params.dtype
    xbuf = np.empty(capacity * d, dtype=dtype)
    e_acts = np.empty(capacity * enc_units, dtype=dtype)
    d_acts = np.empty(capacity * dec_units, dtype=dtype)
    latent = np.empty(capacity * c, dtype=dtype)
    kl_rows = np.zeros(capacity, dtype=dtype)
    ones = np.ones(1, dtype=dtype)
    aux = np.empty(0, dtype=dtype)
    aux_int = np.empty(0, dtype=np.int64)
    enc_rates = np.zeros(enc_table.shape[0], dtype=np.float64)
    dec_rates = np.zeros(dec_table.shape[0], dtype=np.float64)
    no_rng = np.zeros(1, dtype=np.uint64)
    for start in range(0, n_total, capacity):
        stop = min(start + capacity, n_total)
        n = stop - start
        xb = xbuf[: n * d].reshape((n, d))
        gather_rows(X, data, indices, indptr, is_sparse, rows[start:stop], xb)
        S = forward(xb, enc_params, enc_table, capacity, e_acts, enc_rates, False,
                    no_rng, e_acts, e_acts, aux, aux_int)  # fmt: skip
        if variant == VARIATIONAL:
            Z = latent[: n * c].reshape((n, c))
            for i in range(n):
                for j in range(c):
                    Z[i, j] = S[i, j]
            gaussian_kl(S, kl_rows[:n])
        else:
            Z = S
        P = forward(Z, dec_params, dec_table, capacity, d_acts, dec_rates, False,
                    no_rng, d_acts, d_acts, aux, aux_int)  # fmt: skip
        for i in range(n):
            rec = reconstruction_sum(xb[i : i + 1], P[i : i + 1], ones, loss_code)
            out[start + i] = -(rec + kl_rows[i])
