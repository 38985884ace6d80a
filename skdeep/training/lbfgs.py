"""Full-batch training with scipy's L-BFGS-B, loss and gradient from the kernels."""

import numpy as np
import scipy.optimize

from skdeep._kernels import codes
from skdeep._kernels.training import full_loss_and_gradient
from skdeep.training.data import KernelInput
from skdeep.utils._compat import _check_optimize_result

#: Rows per chunk of the full-batch pass; bounds its memory for large inputs.
LBFGS_CHUNK = 8192


def run_lbfgs(
    data: KernelInput,
    Y: np.ndarray,
    sample_weight: np.ndarray,
    layout,
    params: np.ndarray,
    *,
    alpha: float,
    loss_code: int,
    max_iter: int,
    max_fun: int,
    tol: float,
    verbose: bool,
) -> tuple[int, float, list]:
    """Minimise the regularised loss of ``layout``'s network over ``params``
    (updated in place).

    Same options as scikit-learn (``maxiter=max_iter``, ``maxfun=max_fun``,
    ``gtol=tol``). Returns ``(n_iter, final_loss, loss_per_iteration)``.
    """
    table = layout.table()
    dtype = params.dtype
    n_rows = Y.shape[0]
    chunk = min(LBFGS_CHUNK, n_rows)
    n_features = int(table[0, codes.COL_N_IN])
    xbuf = np.empty(chunk * n_features, dtype=dtype)
    ybuf = np.empty(chunk * Y.shape[1], dtype=dtype)
    swbuf = np.empty(chunk, dtype=dtype)
    acts = np.empty(chunk * layout.total_units, dtype=dtype)
    aux = np.empty(chunk * layout.aux_units, dtype=dtype)
    aux_int = np.empty(chunk * layout.aux_units, dtype=np.int64)
    deltas = np.empty_like(acts)
    grad = np.empty_like(params)
    chunk_grad = np.empty_like(params)
    work = np.empty_like(params)

    def loss_and_grad(x):
        work[:] = x
        loss = full_loss_and_gradient(
            *data.arrays(), Y, sample_weight, chunk,
            work, grad, chunk_grad, table, alpha, loss_code,
            xbuf, ybuf, swbuf, acts, deltas, aux, aux_int,
        )  # fmt: skip
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
    return n_iter, float(result.fun), curve
