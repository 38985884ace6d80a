"""The grouped arguments of the kernels: named tuples of arrays and numbers.

Kernels take a handful of these instead of dozens of positional arrays. Numba types
a named tuple by its fields, so every field must always be given with the same type
(a C-contiguous 1-D array of the stated dtype, or a number): the Python side builds
them in :mod:`skdeep.network` and :mod:`skdeep.training`, in one place each.

Buffers are 1-D. A layer's values for a batch of ``n`` samples form a row-major
``(n, m)`` block inside a buffer allocated once for ``capacity`` samples; kernels
index it as ``block[i * m + j]``.
"""

from typing import NamedTuple

import numpy as np

#: ``Rows.lengths`` of data without sequence lengths (read-only, like every
#: array of a ``Rows``).
NO_LENGTHS = np.empty(0, dtype=np.int64)
NO_LENGTHS.flags.writeable = False


class NetworkArrays(NamedTuple):
    """A network as the kernels read it.

    Attributes
    ----------
    table : ndarray of shape (n_rows, N_TABLE_COLUMNS), int64, read-only
        One row per layer, columns ``codes.COL_*``.
    values : ndarray of shape (n_rows, N_TABLE_VALUES), float64, read-only
        The layers' real-valued settings, columns ``codes.VAL_*``.
    params : ndarray, float32 or float64
        The trained parameters, every layer's weights first, then every layer's
        biases (scikit-learn's ``_pack`` order).
    state : ndarray, same dtype as ``params``
        Fitted values that are not trained by the gradient (the column ranges of
        a denoising autoencoder's noise); may be empty.
    """

    table: np.ndarray
    values: np.ndarray
    params: np.ndarray
    state: np.ndarray


class Rows(NamedTuple):
    """The samples a kernel reads, by row index (all arrays read-only).

    Attributes
    ----------
    X : ndarray of shape (n_samples * n_features,)
        Dense input, row-major; empty when the input is sparse.
    data, indices, indptr : ndarray
        Sparse input as CSR arrays (``indptr`` has ``n_samples + 1`` entries);
        all empty when the input is dense.
    Y : ndarray of shape (n_samples * n_outputs,)
        Targets, row-major; empty when there are none (prediction, or an
        autoencoder, whose targets are its inputs).
    sample_weight : ndarray of shape (n_samples,)
        Empty for unit weights.
    lengths : ndarray of shape (n_samples,), int64
        Number of valid time steps of each sequence (recurrent networks read
        ``min(length, T)`` steps of a sample); empty when every step is valid.
    """

    X: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray
    lengths: np.ndarray = NO_LENGTHS


class Work(NamedTuple):
    """Buffers for batches of up to ``capacity`` samples, allocated once per fit
    (or per prediction) and overwritten by every batch.

    Attributes
    ----------
    x, y, sample_weight : ndarray
        The gathered batch: ``capacity * n_features``, ``capacity * n_outputs``
        and ``capacity`` values.
    acts, deltas : ndarray
        Every row's output block and its gradient (``capacity`` times the sum of
        the rows' ``n_out``).
    floats : ndarray
        Per-sample slots of the rows that keep values between their forward and
        backward pass (dropout masks, reparameterization noise).
    ints : ndarray, int32
        Per-sample integer slots (the arg-max of max-pooling).
    stats : ndarray
        Per-batch statistics of the rows that keep some (the mean code
        activations of a sparsity penalty).
    grad_part : ndarray
        A second parameter-gradient buffer for gradients summed over several
        backward passes (chunked full-batch gradients, the discriminator's two
        passes); may be empty.
    lengths : ndarray, int64
        The gathered batch's sequence lengths (``capacity`` values,
        ``codes.ALL_STEPS`` for a sample read whole) for networks with recurrent
        rows; empty for the others.
    """

    x: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    acts: np.ndarray
    deltas: np.ndarray
    floats: np.ndarray
    ints: np.ndarray
    stats: np.ndarray
    grad_part: np.ndarray
    lengths: np.ndarray = np.empty(0, dtype=np.int64)


class Objective(NamedTuple):
    """What a batch is scored against.

    Attributes
    ----------
    loss : int
        ``codes.SQUARED_ERROR``, ``CATEGORICAL_CROSSENTROPY``,
        ``BINARY_CROSSENTROPY`` or ``POISSON``.
    alpha : float
        L2 penalty on the weights (not the biases).
    reconstruct : bool
        True when the targets are the (clean) inputs themselves, as for an
        autoencoder; ``Rows.Y`` is then not read.
    clip_norm : float
        When positive, each mini-batch's gradient (L2 term included) is scaled
        down to at most this Euclidean norm before the update (as PyTorch's
        ``clip_grad_norm_``); 0 for no clipping. Full-batch passes ignore it.
    """

    loss: int
    alpha: float
    reconstruct: bool
    clip_norm: float = 0.0


class Solver(NamedTuple):
    """An update rule and its state.

    Attributes
    ----------
    code : int
        ``codes.SGD``, ``ADAM``, ``ADAGRAD`` or ``RMSPROP``.
    hyper : ndarray of shape (N_HYPER,), float64
        Learning rate and the rule's constants, indexed by ``codes.HYPER_*``.
    step : ndarray of shape (1,), int64
        Updates applied so far (Adam's ``t``).
    state1, state2 : ndarray
        Per-parameter state shaped like the parameters (velocity, moments,
        accumulated squares); ``state2`` is empty unless the rule is Adam.
    """

    code: int
    hyper: np.ndarray
    step: np.ndarray
    state1: np.ndarray
    state2: np.ndarray


class Adversary(NamedTuple):
    """The discriminator of an adversarial autoencoder and what its epoch needs.

    Attributes
    ----------
    critic : NetworkArrays
        The discriminator network (codes to the probability of a prior draw).
    work : Work
        The discriminator's batch buffers (``grad_part`` holds a second gradient).
    n_encoder_rows : int
        The autoencoder's table rows that make its encoder.
    totals : ndarray of shape (2,), float64
        The epoch's discriminator and generator totals, added to.
    """

    critic: NetworkArrays
    work: Work
    n_encoder_rows: int
    totals: np.ndarray


class SpatialScratch(NamedTuple):
    """Scratch of the convolution rows (see :mod:`skdeep._kernels.spatial`).

    Attributes
    ----------
    cols : ndarray of shape (slots * max_cols,)
        im2col matrices, one slot per thread.
    parts : ndarray
        Per-sample weight and bias gradients of the backward pass; empty for
        inference.
    kept : ndarray
        The im2col matrices a training batch's forward pass keeps for its
        backward pass (:func:`skdeep._kernels.spatial.kept_values`); empty for
        inference.
    """

    cols: np.ndarray
    parts: np.ndarray
    kept: np.ndarray


class RecurrentScratch(NamedTuple):
    """Scratch of the recurrent rows (see :mod:`skdeep._kernels.recurrent`).

    Attributes
    ----------
    weights : ndarray
        Each direction's recurrent weights in PyTorch's ``(gates * H, H)``
        layout, copied from the parameters for the backward pass (room for the
        largest row of the network).
    biases : ndarray
        Each direction's summed biases ``b_ih + b_hh`` (``gates * H`` values).
    parts : ndarray
        One weight-gradient block per (direction, chunk) task of a batch cut in
        chunks; empty when no row is (or for prediction).
    scalars : ndarray of shape (4,)
        ``(1, 0, 1, 1)``: the ``(alpha, beta)`` pairs of the matrix products that
        overwrite and that accumulate, so that step loops allocate nothing.
    """

    weights: np.ndarray
    biases: np.ndarray
    parts: np.ndarray
    scalars: np.ndarray


class Norm(NamedTuple):
    """The ``norm`` family argument: what a training-mode forward pass does with
    the running statistics of the batch-normalization rows (see
    :mod:`skdeep._kernels.norm`).

    Attributes
    ----------
    running : int
        ``codes.RUNNING_KEEP`` (leave them), ``RUNNING_AVERAGE`` (move them
        towards the batch's by the row's momentum) or ``RUNNING_SET`` (replace
        them by the batch's). Prediction-mode passes never change them.
    """

    running: int
