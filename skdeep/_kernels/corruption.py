"""Input corruption of the denoising autoencoder (Vincent et al. 2008).

Each training epoch draws fresh noise from the kernel RNG state; the corrupted rows
feed the encoder while the loss compares the reconstruction with the clean rows.
Corruption only changes the input, so it has no backward.

===========  =================================================================
noise        corrupted value of x_ij (level = sigma or nu)
===========  =================================================================
gaussian     x_ij + sigma * e,  e ~ N(0, 1)
masking      0 with probability nu, else x_ij
salt_pepper  with probability nu: min_j or max_j (1/2 each), else x_ij
===========  =================================================================

``min_j`` and ``max_j`` are the column's minimum and maximum over the training data.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.sampling import fill_normal, step_uniform

# Noise codes (the estimators map 'gaussian', 'masking', 'salt_pepper' to these).
NOISE_NONE = -1
NOISE_GAUSSIAN = 0
NOISE_MASKING = 1
NOISE_SALT_PEPPER = 2

NOISE_CODES = {
    "gaussian": NOISE_GAUSSIAN,
    "masking": NOISE_MASKING,
    "salt_pepper": NOISE_SALT_PEPPER,
}


@kernel
def corrupt(X, code, level, col_min, col_max, rng, out):
    """Write the corruption of ``X`` (n, d) by noise ``code`` into ``out``.

    ``level`` is sigma (gaussian) or the corruption probability nu; ``col_min`` and
    ``col_max`` (d,) are only read by salt-and-pepper noise. ``out`` must not
    overlap ``X``.
    """
    n, d = X.shape
    if code == NOISE_GAUSSIAN:
        fill_normal(rng, out)
        for i in range(n):
            for j in range(d):
                out[i, j] = X[i, j] + level * out[i, j]
        return
    s = rng[0]
    if code == NOISE_MASKING:
        for i in range(n):
            for j in range(d):
                s, u = step_uniform(s)
                out[i, j] = 0.0 if u < level else X[i, j]
    elif code == NOISE_SALT_PEPPER:
        half = 0.5 * level  # u < level / 2: the minimum; level / 2 <= u < level: max
        for i in range(n):
            for j in range(d):
                s, u = step_uniform(s)
                if u < half:
                    out[i, j] = col_min[j]
                elif u < level:
                    out[i, j] = col_max[j]
                else:
                    out[i, j] = X[i, j]
    else:
        for i in range(n):
            for j in range(d):
                out[i, j] = X[i, j]
    rng[0] = s
