"""Full-batch training with scipy's L-BFGS-B, loss and gradient from the kernels.

Any epoch runner (:mod:`skdeep.training.runner`) with a full-batch objective can be
trained this way: MLPs, CNNs and the denoising, sparse and variational
autoencoders. L-BFGS needs a deterministic objective, so the random stream of the
autoencoders' noise (the corruption, the reparameterization samples) is reset to
the same state before every evaluation: the noise is drawn once per fit and held
fixed while the line searches run.

Batch normalization is full-batch here: the whole training set is one batch (the
estimator runs it as one chunk, not in chunks of :data:`LBFGS_CHUNK`), every
evaluation normalizes with its statistics and leaves the running statistics
alone, and at the solution the running statistics are set to the training set's
mean and unbiased variance (momentum does not apply).
"""

import numpy as np
import scipy.optimize

from skdeep.utils._compat import _check_optimize_result

#: Samples per chunk of the full-batch pass; bounds its memory for large inputs.
LBFGS_CHUNK = 8192


def run_lbfgs(runner, params, state, train_rows, *, max_iter, max_fun, tol,
              verbose) -> tuple[int, float, list]:  # fmt: skip
    """Minimise the runner's objective over ``params`` (updated in place).

    Same options as scikit-learn (``maxiter=max_iter``, ``maxfun=max_fun``,
    ``gtol=tol``). Returns ``(n_iter, final_loss, loss_per_iteration)``.

    Raises
    ------
    ValueError
        When the solution's weights or outputs on the training data are not usable
        (non-finite, or too large: see
        :func:`~skdeep.training.runner.outputs_limit`).
    """
    grad = np.empty_like(params)
    work = np.empty_like(params)
    rng_start = runner.rng_state.copy()

    def loss_and_grad(x):
        work[:] = x
        runner.rng_state[:] = rng_start
        loss = runner.loss_and_gradient(train_rows, work, state, grad)
        return loss, grad.astype(np.float64)

    curve = []
    result = scipy.optimize.minimize(
        loss_and_grad,
        params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=lambda intermediate_result: curve.append(
            float(intermediate_result.fun)
        ),
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    if verbose:
        print(f"L-BFGS-B: {result.nit} iterations, loss = {result.fun:.8f}")
    n_iter = _check_optimize_result("lbfgs", result, max_iter)
    params[:] = result.x
    if "norm" in runner.network.families:
        runner.rng_state[:] = rng_start  # the noise of every evaluation
        runner.full_batch_statistics(train_rows, params, state)
    if not (np.isfinite(params).all() and runner.outputs_usable(train_rows, params,
                                                                 state)):  # fmt: skip
        raise ValueError(
            "Solver produced non-finite parameter weights or outputs. The input "
            "data may contain large values and need to be preprocessed."
        )
    return n_iter, float(result.fun), curve
