"""Autoencoder gradients for one batch, composed from the engine's kernels.

An autoencoder is two networks, each its own layer table and parameter slice: the
encoder ``f`` maps a row to its code (or, for the variational variant, to the
posterior stats ``[mu | log-variance]``), the decoder ``g`` maps a code back to input
space. The adversarial variant adds a discriminator ``D`` from codes to a
probability. Gradients are chained with :func:`network.backpropagate`: the decoder's
input gradient, plus the gradient of the code term (sparsity or KL), becomes the
encoder's top gradient.

Every function returns the *raw* loss (summed over the batch rows) and writes the
raw gradient; the epoch drivers divide by the batch size (``finish_gradient``)::

    reconstruction  sum_i rec(x_i, g(z_i)) + beta sum_i KL_i
                    + n w sum_j KL(rho || rho_hat_j)
    discriminator   sum_i -log D(z_prior_i) - log(1 - D(f(x_i)))
    generator       sum_i -log D(f(x_i))                       (non-saturating)

``rec`` sums over the features: ``1/2 ||x - p||^2`` (squared error) or the binary
cross-entropy ``-sum_j x_j log p_j + (1 - x_j) log(1 - p_j)``.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.activations import activation_backward
from skdeep._kernels.codes import (
    BINARY_CROSSENTROPY,
    COL_ACTIVATION,
    COL_N_IN,
    LOGISTIC,
    SQUARED_ERROR,
)
from skdeep._kernels.latent import (
    gaussian_backward,
    gaussian_kl,
    kl_sparsity,
    kl_sparsity_backward,
    reparameterize,
)
from skdeep._kernels.losses import loss_sum, output_delta
from skdeep._kernels.network import backpropagate, forward, unit_view

# Variants of the reconstruction step.
PLAIN = 0  # denoising and adversarial: code = f(x)
SPARSE = 1  # sigmoid code with the KL sparsity penalty
VARIATIONAL = 2  # Gaussian posterior, reparameterized, KL to N(0, I)


@kernel
def reconstruction_sum(X, P, ones, loss_code):
    """``sum_i rec(X_i, P_i)``, each row's loss summed over its features (the
    engine's ``loss_sum`` with unit weights: ``1/2 ||x - p||^2`` or the BCE)."""
    return loss_sum(X, P, ones, loss_code)


@kernel
def reconstruction_delta(X, P, ones, loss_code, out_code, delta):
    """Write ``d rec / d(output pre-activation)``: ``P - X`` for the canonical
    pairs, times ``P (1 - P)`` for a sigmoid output under squared error."""
    output_delta(X, P, ones, delta)
    if loss_code == SQUARED_ERROR and out_code == LOGISTIC:
        activation_backward(P, delta, LOGISTIC)


@kernel
def reconstruction_gradient(
    x_in, x_clean, enc_params, enc_grad, dec_params, dec_grad, enc_table, dec_table,
    capacity, rates_enc, rates_dec, training, rng, variant, loss_code,
    sparsity_target, sparsity_weight, beta,
    eps, latent, d_latent, rho_hat, kl_rows, ones, enc_work, dec_work, aux, aux_int,
):  # fmt: skip
    """Raw reconstruction loss of the batch ``x_in`` against ``x_clean`` and its
    gradient with respect to the encoder and decoder parameters.

    ``enc_work`` and ``dec_work`` are ``(acts, deltas, masks, dropped)`` buffers of
    each network; ``eps`` (the variational noise, drawn by the caller), ``latent``
    and ``d_latent`` hold ``capacity * n_components`` values.
    """
    n = x_in.shape[0]
    c = dec_table[0, COL_N_IN]
    e_acts, e_deltas, e_masks, e_dropped = enc_work
    d_acts, d_deltas, d_masks, d_dropped = dec_work
    S = forward(x_in, enc_params, enc_table, capacity, e_acts, rates_enc, training,
                rng, e_masks, e_dropped, aux, aux_int)  # fmt: skip
    E = eps[: n * c].reshape((n, c))
    extra = 0.0
    if variant == VARIATIONAL:
        Z = latent[: n * c].reshape((n, c))
        reparameterize(S, E, Z)
        extra = beta * gaussian_kl(S, kl_rows[:n])
    else:
        Z = S
        if variant == SPARSE:
            extra = n * sparsity_weight * kl_sparsity(S, sparsity_target, rho_hat)
    last_dec = dec_table.shape[0] - 1
    P = forward(Z, dec_params, dec_table, capacity, d_acts, rates_dec, training, rng,
                d_masks, d_dropped, aux, aux_int)  # fmt: skip
    loss = reconstruction_sum(x_clean, P, ones[:n], loss_code)
    reconstruction_delta(
        x_clean,
        P,
        ones[:n],
        loss_code,
        dec_table[last_dec, COL_ACTIVATION],
        unit_view(d_deltas, dec_table, last_dec, n, capacity),
    )
    dZ = d_latent[: n * c].reshape((n, c))
    backpropagate(Z, dec_params, dec_grad, dec_table, capacity, d_acts, d_deltas,
                  rates_dec, d_masks, d_dropped, aux, aux_int, dZ, True)  # fmt: skip
    last_enc = enc_table.shape[0] - 1
    dS = unit_view(e_deltas, enc_table, last_enc, n, capacity)
    if variant == VARIATIONAL:
        gaussian_backward(S, E, dZ, beta, dS)
    else:
        dS[:, :] = dZ
        if variant == SPARSE:
            kl_sparsity_backward(rho_hat, sparsity_target, n * sparsity_weight, dS)
        activation_backward(S, dS, enc_table[last_enc, COL_ACTIVATION])
    backpropagate(x_in, enc_params, enc_grad, enc_table, capacity, e_acts, e_deltas,
                  rates_enc, e_masks, e_dropped, aux, aux_int, x_in, False)  # fmt: skip
    return loss + extra


@kernel
def discriminator_gradient(
    z_prior, z_code, disc_params, disc_grad, grad_tmp, disc_table, capacity,
    disc_rates, rng, ones, zeros, disc_work, aux, aux_int,
):  # fmt: skip
    """Raw discriminator loss ``sum_i -log D(z_prior_i) - log(1 - D(z_code_i))`` and
    its gradient with respect to the discriminator's parameters (``grad_tmp`` is
    scratch shaped like ``disc_grad``).

    ``D`` has a logistic output, so each half is the binary cross-entropy against
    target 1 (prior) or 0 (codes), whose output gradient is ``D - target``.
    """
    n = z_prior.shape[0]
    acts, deltas, masks, dropped = disc_work
    last = disc_table.shape[0] - 1
    top = unit_view(deltas, disc_table, last, n, capacity)
    real = ones[:n].reshape((n, 1))
    fake = zeros[:n].reshape((n, 1))
    P = forward(z_prior, disc_params, disc_table, capacity, acts, disc_rates, False,
                rng, masks, dropped, aux, aux_int)  # fmt: skip
    loss = loss_sum(real, P, ones[:n], BINARY_CROSSENTROPY)
    output_delta(real, P, ones[:n], top)
    backpropagate(z_prior, disc_params, disc_grad, disc_table, capacity, acts, deltas,
                  disc_rates, masks, dropped, aux, aux_int, z_prior, False)  # fmt: skip
    P = forward(z_code, disc_params, disc_table, capacity, acts, disc_rates, False,
                rng, masks, dropped, aux, aux_int)  # fmt: skip
    loss += loss_sum(fake, P, ones[:n], BINARY_CROSSENTROPY)
    output_delta(fake, P, ones[:n], top)
    backpropagate(z_code, disc_params, grad_tmp, disc_table, capacity, acts, deltas,
                  disc_rates, masks, dropped, aux, aux_int, z_code, False)  # fmt: skip
    for i in range(disc_grad.shape[0]):
        disc_grad[i] += grad_tmp[i]
    return loss


@kernel
def generator_gradient(
    x, enc_params, enc_grad, enc_table, disc_params, grad_tmp, disc_table, capacity,
    rates_enc, disc_rates, training, rng, ones, d_latent, enc_work, disc_work,
    aux, aux_int,
):  # fmt: skip
    """Raw generator loss ``sum_i -log D(f(x_i))`` and its gradient with respect to
    the encoder's parameters (the discriminator's gradient goes to the scratch
    ``grad_tmp`` and is discarded)."""
    n = x.shape[0]
    c = disc_table[0, COL_N_IN]
    e_acts, e_deltas, e_masks, e_dropped = enc_work
    acts, deltas, masks, dropped = disc_work
    S = forward(x, enc_params, enc_table, capacity, e_acts, rates_enc, training, rng,
                e_masks, e_dropped, aux, aux_int)  # fmt: skip
    P = forward(S, disc_params, disc_table, capacity, acts, disc_rates, False, rng,
                masks, dropped, aux, aux_int)  # fmt: skip
    real = ones[:n].reshape((n, 1))
    loss = loss_sum(real, P, ones[:n], BINARY_CROSSENTROPY)
    last = disc_table.shape[0] - 1
    output_delta(real, P, ones[:n], unit_view(deltas, disc_table, last, n, capacity))
    dZ = d_latent[: n * c].reshape((n, c))
    backpropagate(S, disc_params, grad_tmp, disc_table, capacity, acts, deltas,
                  disc_rates, masks, dropped, aux, aux_int, dZ, True)  # fmt: skip
    last_enc = enc_table.shape[0] - 1
    dS = unit_view(e_deltas, enc_table, last_enc, n, capacity)
    dS[:, :] = dZ
    activation_backward(S, dS, enc_table[last_enc, COL_ACTIVATION])
    backpropagate(x, enc_params, enc_grad, enc_table, capacity, e_acts, e_deltas,
                  rates_enc, e_masks, e_dropped, aux, aux_int, x, False)  # fmt: skip
    return loss
