"""The code layers of the autoencoders, each forward next to its backward.

Sparsity penalty (a ``SPARSITY`` row after the sigmoid code layer of a sparse
autoencoder; H (n, c) are the codes, rho the target, w the weight)::

    forward   output = H;  rho_hat_j = 1/n sum_i H_ij
              penalty = n w sum_j KL(rho || rho_hat_j)
                      = n w sum_j rho log(rho / rho_hat_j)
                                  + (1 - rho) log((1 - rho) / (1 - rho_hat_j))
    backward  dH_ij = dOut_ij + w (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j))

Gaussian posterior (a ``GAUSSIAN`` row after the encoder of a variational
autoencoder; S (n, 2c) holds the means in its first c columns and the
log-variances in the last c; beta is the KL weight)::

    forward   training:   Z_ij = mu_ij + exp(lv_ij / 2) eps_ij,  eps ~ N(0, 1)
              prediction: Z_ij = mu_ij
              KL_i = -1/2 sum_j (1 + lv_ij - mu_ij^2 - exp(lv_ij))
              penalty = beta sum_i KL_i
    backward  dmu = dZ + beta mu
              dlv = dZ eps exp(lv / 2) / 2 + beta (exp(lv) - 1) / 2

for the loss ``L(Z) + penalty`` with ``eps`` held fixed (the reparameterization
trick). The row keeps ``eps`` and ``KL_i`` per sample for its backward pass and for
scoring.
"""

import numpy as np

from skdeep._kernels._jit import kernel
from skdeep._kernels.sampling import fill_normal

#: Mean activations are clipped to [RHO_CLIP, 1 - RHO_CLIP] inside the logarithms.
RHO_CLIP = 1e-7


@kernel
def sparsity_forward(H, n, c, rho, weight, rho_hat, out):
    """Copy the codes ``H`` (n, c) to ``out``, write their clipped batch means
    into ``rho_hat`` (c,) and return the penalty ``n w sum_j KL(rho || rho_hat_j)``."""
    for i in range(n * c):
        out[i] = H[i]
    for j in range(c):
        rho_hat[j] = 0.0
    for i in range(n):
        for j in range(c):
            rho_hat[j] += H[i * c + j]
    total = 0.0
    for j in range(c):
        r = min(max(rho_hat[j] / n, RHO_CLIP), 1.0 - RHO_CLIP)
        rho_hat[j] = r
        total += rho * np.log(rho / r) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - r))
    return n * weight * total


@kernel
def sparsity_backward(delta, n, c, rho, weight, rho_hat, d_input):
    """Write ``d_input = delta + w d(sum_j KL(rho || rho_hat_j)) / dH * n``."""
    for j in range(c):
        r = rho_hat[j]
        g = weight * (-rho / r + (1.0 - rho) / (1.0 - r))
        for i in range(n):
            d_input[i * c + j] = delta[i * c + j] + g


@kernel
def gaussian_forward(S, n, c, beta, training, rng, eps, kl_rows, Z):
    """Write the codes ``Z`` (n, c) from the statistics ``S = [mu | lv]`` (n, 2c)
    and each sample's KL divergence into ``kl_rows`` (n,); return
    ``beta * sum_i KL_i``. In training ``eps`` (n * c) receives fresh normal draws
    and ``Z = mu + exp(lv / 2) eps``; otherwise ``Z = mu``."""
    if training:
        fill_normal(rng, eps, n * c)
    total = 0.0
    for i in range(n):
        row = 0.0
        for j in range(c):
            mu = S[i * 2 * c + j]
            lv = S[i * 2 * c + c + j]
            if training:
                Z[i * c + j] = mu + np.exp(0.5 * lv) * eps[i * c + j]
            else:
                Z[i * c + j] = mu
            row += 1.0 + lv - mu * mu - np.exp(lv)
        kl_rows[i] = -0.5 * row
        total += kl_rows[i]
    return beta * total


@kernel
def gaussian_backward(S, dZ, n, c, beta, eps, dS):
    """Write ``dS`` (n, 2c), the gradient of ``L(Z) + beta sum_i KL_i`` with
    respect to the statistics, given ``dZ = dL/dZ`` and the ``eps`` of the
    forward pass."""
    for i in range(n):
        for j in range(c):
            mu = S[i * 2 * c + j]
            lv = S[i * 2 * c + c + j]
            sigma = np.exp(0.5 * lv)
            g = dZ[i * c + j]
            dS[i * 2 * c + j] = g + beta * mu
            dS[i * 2 * c + c + j] = 0.5 * g * eps[i * c + j] * sigma + 0.5 * beta * (
                sigma * sigma - 1.0
            )
