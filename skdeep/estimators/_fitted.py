"""Checks that a fitted model's attributes agree with its network before any kernel
reads them.

A fitted estimator's attributes are plain data that users can edit, replace or
delete (a notebook that "fixes" a weight matrix, a model assembled by hand, a bad
unpickle). The kernels trust the layer table: a buffer sized from one attribute
and indexed through another would read or write past its end, which is the
interpreter's memory, not only a wrong number. So every method that reaches a
kernel first checks, and raises a ``ValueError`` naming the attribute:

* the network (``_network``) can be rebuilt, and ``n_features_in_`` and the
  architecture's own attributes (a CNN's ``input_shape_``) agree with it;
* the parameter vector ``_params`` has the network's length and a float dtype,
  ``_state`` has the network's state length and the same dtype;
* ``coefs_`` and ``intercepts_`` (and an adversarial autoencoder's
  ``discriminator_coefs_`` and ``discriminator_intercepts_``) are lists of numpy
  arrays, one per layer, of the layer's shape and the model's dtype, in any
  memory layout (they are copied into a fresh parameter vector when they are not
  the views the fit published);
* the task's attributes (a classifier's ``classes_``) agree with the network's
  outputs.
"""

import numpy as np

#: The dtypes a model is trained in.
MODEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def fitted_attribute(estimator, name: str):
    """``estimator.<name>``; a ValueError naming it when it was deleted."""
    try:
        return getattr(estimator, name)
    except AttributeError:
        raise ValueError(
            f"The fitted attribute {name} is missing; fit the model again."
        ) from None


def fitted_network(estimator, name: str = "_network"):
    """The :class:`~skdeep.network.network.Network` of the plain data in
    ``estimator.<name>``; a ValueError naming it when it cannot be rebuilt."""
    from skdeep.estimators._base import network_from_data

    data = fitted_attribute(estimator, name)
    try:
        return network_from_data(data)
    except Exception as exc:  # unhashable, malformed or inconsistent data
        raise ValueError(
            f"The fitted network ({name}) cannot be rebuilt ({exc}); fit the model "
            "again."
        ) from None


def check_params(estimator, size: int) -> np.ndarray:
    """The fitted parameter vector ``_params``, checked to be a float32 or float64
    array of ``size`` values."""
    params = fitted_attribute(estimator, "_params")
    if (
        not isinstance(params, np.ndarray)
        or params.dtype not in MODEL_DTYPES
        or params.shape != (size,)
    ):
        raise ValueError(
            f"The fitted parameters (_params) do not match the fitted network: it "
            f"needs a float32 or float64 array of shape ({size},), got "
            f"{_describe(params)}; fit the model again."
        )
    return params


def check_state(estimator, network, dtype) -> np.ndarray:
    """The fitted state vector ``_state``, checked to have the network's state
    length and the parameters' ``dtype``."""
    state = fitted_attribute(estimator, "_state")
    if (
        not isinstance(state, np.ndarray)
        or state.dtype != dtype
        or state.shape != (network.n_state,)
    ):
        raise ValueError(
            f"The fitted state (_state) does not match the fitted network: it needs "
            f"an array of shape ({network.n_state},) and the parameters' dtype "
            f"{np.dtype(dtype)}, got {_describe(state)}; fit the model again."
        )
    return state


def check_parameter_arrays(estimator, names, dtype) -> None:
    """Each of the attributes ``names`` (e.g. ``("coefs_", "intercepts_")``) is a
    list or tuple of numpy arrays of ``dtype`` (their number and shapes are
    checked where they are packed, :meth:`Network.pack`)."""
    dtype = np.dtype(dtype)
    for name in names:
        arrays = fitted_attribute(estimator, name)
        if not isinstance(arrays, list | tuple):
            raise ValueError(
                f"{name} must be a list of numpy arrays, one per layer, got "
                f"{_describe(arrays)}."
            )
        for i, array in enumerate(arrays):
            if not isinstance(array, np.ndarray) or array.dtype != dtype:
                raise ValueError(
                    f"{name}[{i}] must be a numpy array of the fitted parameters' "
                    f"dtype {dtype} (_params, the dtype the model was trained in), "
                    f"got {_describe(array)}. Assign arrays of that dtype (e.g. "
                    f"values.astype(np.{dtype})), or fit the model again to change "
                    "its dtype."
                )


def are_views(coefs, intercepts, network, params) -> bool:
    """Whether ``coefs`` and ``intercepts`` are exactly the views
    ``network.views(params)`` would make (same number, shapes, strides and
    memory), without making them: one memory address read per array, against the
    network's layout (this runs before every prediction)."""
    layout = _view_layout(network)
    if len(coefs) != layout[0] or len(coefs) + len(intercepts) != len(layout[1]):
        return False
    owner = params if params.base is None else params.base
    start = params.__array_interface__["data"][0]
    for array, (offset, shape, strides) in zip((*coefs, *intercepts), layout[1]):
        if not (
            isinstance(array, np.ndarray)
            and array.base is owner
            and array.dtype == params.dtype
            and array.shape == shape
            and array.strides == tuple(s * params.itemsize for s in strides)
            and array.__array_interface__["data"][0] == start + offset * params.itemsize
        ):
            return False
    return True


#: ``(network, layout)`` by ``id(network)``: the views' layout of the networks seen
#: lately (the networks are kept alive, so an id is never reused meanwhile).
_LAYOUTS: dict = {}


def _view_layout(network) -> tuple:
    """``(number of coefs, ((offset, shape, strides in items), ...))`` of the
    views ``network.views`` makes, coefs then intercepts, offsets from the start
    of the network's parameters."""
    cached = _LAYOUTS.get(id(network))
    if cached is not None and cached[0] is network:
        return cached[1]
    probe = np.empty(network.n_params, dtype=np.int8)
    coefs, intercepts = network.views(probe)
    base = probe.__array_interface__["data"][0]
    layout = (
        len(coefs),
        tuple(
            (a.__array_interface__["data"][0] - base, a.shape, a.strides)
            for a in (*coefs, *intercepts)
        ),
    )
    if len(_LAYOUTS) >= 256:
        _LAYOUTS.clear()
    _LAYOUTS[id(network)] = (network, layout)
    return layout


def check_n_features(estimator, network) -> None:
    """``n_features_in_`` is the number of values the network reads per sample."""
    n_features = fitted_attribute(estimator, "n_features_in_")
    if n_features != network.n_inputs:
        raise ValueError(
            f"n_features_in_ is {n_features!r}, but the fitted network reads "
            f"{network.n_inputs} features per sample; fit the model again."
        )


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def model_dtype(estimator) -> np.dtype:
    """The dtype the fitted model was trained in (its ``_params``'), for casting
    the data of a continued fit."""
    params = fitted_attribute(estimator, "_params")
    if not isinstance(params, np.ndarray) or params.dtype not in MODEL_DTYPES:
        raise ValueError(
            "The fitted parameters (_params) must be a float32 or float64 array, got "
            f"{_describe(params)}; fit the model again."
        )
    return params.dtype


def check_rng_state(estimator) -> np.ndarray:
    """A copy of the kernels' random stream ``_rng_state`` that a continued fit
    goes on from: one uint64 value."""
    state = fitted_attribute(estimator, "_rng_state")
    if not (
        isinstance(state, np.ndarray)
        and state.shape == (1,)
        and state.dtype == np.uint64
    ):
        raise ValueError(
            "The fitted random stream (_rng_state) must be a uint64 array of shape "
            f"(1,), got {_describe(state)}; fit the model again."
        )
    return state.copy()


def restored_views(coefs, intercepts, expected):
    """``expected`` (views of the fitted parameters) when the unpickled ``coefs``
    and ``intercepts`` hold exactly their values, else None: weights that were
    replaced before pickling stay as they are (inference checks and packs them)
    rather than being silently reset to the parameters' values."""
    if not isinstance(coefs, list | tuple) or not isinstance(intercepts, list | tuple):
        return None
    given = (*coefs, *intercepts)
    wanted = (*expected[0], *expected[1])
    same = (
        len(coefs) == len(expected[0])
        and len(given) == len(wanted)
        and all(
            isinstance(a, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b)
            for a, b in zip(given, wanted)
        )
    )
    return expected if same else None
