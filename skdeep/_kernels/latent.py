"""The latent-code terms of the autoencoders, each forward next to its backward.

Sparsity (sparse autoencoder; H (n, c) are sigmoid codes, rho the target)::

    rho_hat_j = 1/n sum_i H_ij
    f(H)      = sum_j KL(rho || rho_hat_j)
              = sum_j rho log(rho / rho_hat_j)
                      + (1 - rho) log((1 - rho) / (1 - rho_hat_j))
    df/dH_ij  = (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / n

Gaussian posterior (variational autoencoder; S (n, 2c) holds the mean in its first
c columns and the log-variance in the last c)::

    forward   Z_ij  = mu_ij + exp(lv_ij / 2) eps_ij             (reparameterization)
    KL_i            = -1/2 sum_j (1 + lv_ij - mu_ij^2 - exp(lv_ij))
    backward  dmu   = dZ + beta mu
              dlv   = dZ eps exp(lv / 2) / 2 + beta (exp(lv) - 1) / 2

for the loss ``L(Z) + beta sum_i KL_i`` with ``eps`` held fixed.
"""

import numpy as np

from skdeep._kernels._jit import kernel

#: Mean activations are clipped to [RHO_CLIP, 1 - RHO_CLIP] inside the logarithms.
RHO_CLIP = 1e-7


@kernel
def kl_sparsity(H, rho, rho_hat):
    """Write the mean code activations into ``rho_hat`` (c,) and return
    ``sum_j KL(rho || rho_hat_j)``."""
    n, c = H.shape
    for j in range(c):
        rho_hat[j] = 0.0
    for i in range(n):
        for j in range(c):
            rho_hat[j] += H[i, j]
    total = 0.0
    for j in range(c):
        r = min(max(rho_hat[j] / n, RHO_CLIP), 1.0 - RHO_CLIP)
        rho_hat[j] = r
        total += rho * np.log(rho / r) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - r))
    return total


@kernel
def kl_sparsity_backward(rho_hat, rho, scale, dH):
    """Add ``scale * d(sum_j KL(rho || rho_hat_j)) / dH`` to ``dH`` (n, c)."""
    n, c = dH.shape
    for j in range(c):
        r = rho_hat[j]
        g = scale * (-rho / r + (1.0 - rho) / (1.0 - r)) / n
        for i in range(n):
            dH[i, j] += g


@kernel
def reparameterize(S, eps, Z):
    """Write ``Z = mu + exp(lv / 2) * eps`` from the stats ``S = [mu | lv]``."""
    n, c = Z.shape
    for i in range(n):
        for j in range(c):
            Z[i, j] = S[i, j] + np.exp(0.5 * S[i, c + j]) * eps[i, j]


@kernel
def gaussian_kl(S, kl_rows):
    """Write ``KL(N(mu, exp(lv)) || N(0, I))`` per row into ``kl_rows`` (n,) and
    return their sum."""
    n = S.shape[0]
    c = S.shape[1] // 2
    total = 0.0
    for i in range(n):
        row = 0.0
        for j in range(c):
            mu = S[i, j]
            lv = S[i, c + j]
            row += 1.0 + lv - mu * mu - np.exp(lv)
        kl_rows[i] = -0.5 * row
        total += kl_rows[i]
    return total


@kernel
def gaussian_backward(S, eps, dZ, beta, dS):
    """Write ``dS``, the gradient of ``L(Z) + beta sum_i KL_i`` with respect to the
    stats ``S``, given ``dZ = dL/dZ`` and the ``eps`` used in :func:`reparameterize`."""
    n, c = dZ.shape
    for i in range(n):
        for j in range(c):
            mu = S[i, j]
            lv = S[i, c + j]
            sigma = np.exp(0.5 * lv)
            dS[i, j] = dZ[i, j] + beta * mu
            dS[i, c + j] = 0.5 * dZ[i, j] * eps[i, j] * sigma + 0.5 * beta * (
                sigma * sigma - 1.0
            )
