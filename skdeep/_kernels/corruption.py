"""Input corruption of the denoising autoencoder (Vincent et al. 2008).

A ``CORRUPTION`` row draws fresh noise for every training batch from the kernel
random state; its output feeds the encoder while the loss compares the
reconstruction with the clean input. At prediction it is the identity. The noise
only changes the input, so nothing flows back through it.

===========  =================================================================
noise        corrupted value of x_ij (level = sigma or nu)
===========  =================================================================
gaussian     x_ij + sigma * e,  e ~ N(0, 1)
masking      0 with probability nu, else x_ij
salt_pepper  with probability nu: min_j or max_j (1/2 each), else x_ij
===========  =================================================================

``min_j`` and ``max_j`` are the column's minimum and maximum over the training data,
kept as the row's fitted state.
"""

from skdeep._kernels._jit import kernel
from skdeep._kernels.codes import NOISE_GAUSSIAN, NOISE_MASKING, NOISE_SALT_PEPPER
from skdeep._kernels.sampling import fill_normal, step_uniform


@kernel
def corrupt(X, n, d, code, level, col_min, col_max, rng, out):
    """Write the corruption of the ``(n, d)`` block ``X`` by noise ``code`` into
    ``out`` (which must not overlap ``X``).

    ``level`` is sigma (gaussian) or the corruption probability nu; ``col_min``
    and ``col_max`` (d,) are only read by salt-and-pepper noise.
    """
    size = n * d
    if code == NOISE_GAUSSIAN:
        fill_normal(rng, out, size)
        for i in range(size):
            out[i] = X[i] + level * out[i]
        return
    s = rng[0]
    if code == NOISE_MASKING:
        for i in range(size):
            s, u = step_uniform(s)
            out[i] = 0.0 if u < level else X[i]
    elif code == NOISE_SALT_PEPPER:
        half = 0.5 * level  # u < level / 2: the minimum; level / 2 <= u < level: max
        for i in range(n):
            for j in range(d):
                s, u = step_uniform(s)
                if u < half:
                    out[i * d + j] = col_min[j]
                elif u < level:
                    out[i * d + j] = col_max[j]
                else:
                    out[i * d + j] = X[i * d + j]
    rng[0] = s
