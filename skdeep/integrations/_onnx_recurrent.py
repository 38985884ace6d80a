"""ONNX export of the recurrent layers of RNNClassifier and RNNRegressor.

Each recurrent layer is one ONNX ``LSTM``, ``GRU`` or ``RNN`` operator (layout 0:
time-major ``(T, n, F)`` sequences; ``direction='bidirectional'`` for a
bidirectional layer) with the fitted weights reordered from PyTorch's gate order
to ONNX's: LSTM ``i|f|g|o`` to ``i|o|f|c``, GRU ``r|z|n`` to ``z|r|h`` with
``linear_before_reset=1`` (the reset gate applied to ``R_h h + Rb_h``, as in
PyTorch), the simple RNN's tanh as is. ``W`` is each direction's ``W_ih``, ``R``
its ``W_hh`` and ``B`` its ``b_ih`` then ``b_hh``.

The graph reads the same rows as ``predict``: ``X`` of shape ``(n, T*F)``,
flattened time-major, possibly padded with NaN at the end of shorter sequences.
It counts each row's valid steps (a step is padding when all its features are
NaN) into ``sequence_lens``, replaces the NaN by 0 and lets the operators read
each sequence up to its length, as skdeep's kernels do: a stacked layer reads
every step's states ``Y`` (zero past a sequence's end), the dense head the final
states ``Y_h`` (for the backward direction, its state after reading step 0).
"""

import numpy as np

#: PyTorch's gate blocks in ONNX's order, by cell.
ONNX_GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn": (0,)}

_OPERATORS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def onnx_gates(values, cell: str, units: int) -> np.ndarray:
    """``values`` (gate blocks of ``units`` rows, PyTorch's order) in ONNX's
    gate order."""
    return np.concatenate(
        [values[g * units : (g + 1) * units] for g in ONNX_GATE_ORDER[cell]], axis=0
    )


def _sequences(builder, x: str, steps: int, features: int, found: dict) -> str:
    """The rows ``x`` as time-major sequences ``(T, n, F)`` with NaN replaced by
    0; their lengths (int32, ``(n,)``) go into ``found['lengths']``."""
    from onnx import TensorProto

    dtype = builder.dtype
    shape = builder.constant(np.array([-1, steps, features], np.int64), "sequences")
    x3 = builder.node("Reshape", [x, shape])
    missing = builder.node("IsNaN", [x3])
    zero = builder.constant(np.array(0.0, dtype), "zero")
    clean = builder.node("Where", [missing, zero, x3])
    present = builder.node("Cast", [builder.node("Not", [missing])],
                           to=_elem(dtype))  # fmt: skip
    ones_f = builder.constant(np.ones((features, 1), dtype), "ones")
    count = builder.node("MatMul", [present, ones_f])  # (n, T, 1) valid features
    valid = builder.node("Cast", [builder.node("Greater", [count, zero])],
                         to=_elem(dtype))  # fmt: skip
    rows = builder.constant(np.array([-1, steps], np.int64), "steps")
    ones_t = builder.constant(np.ones((steps, 1), dtype), "ones")
    length = builder.node("MatMul", [builder.node("Reshape", [valid, rows]), ones_t])
    flat = builder.constant(np.array([-1], np.int64), "flat")
    found["lengths"] = builder.node(
        "Cast", [builder.node("Reshape", [length, flat])], to=TensorProto.INT32
    )
    return builder.node("Transpose", [clean], perm=[1, 0, 2])


def _elem(dtype):
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def recurrent_layer(builder, layer, coef, intercept, x: str, found: dict) -> str:
    """One recurrent layer on ``x``: the network's rows ``(n, T*F)`` for the
    first one (``found`` is then empty), else the time-major ``(T, n, D*H)``
    states of the layer below. Returns the time-major states of every step when
    the layer feeds another recurrent layer, else the rows ``(n, D*H)`` of its
    final states. ``found`` keeps the sequence lengths between layers."""
    from onnx import helper

    spec = layer.spec
    steps, features = layer.input_shape
    units, width, directions = spec.units, spec.gate_units, spec.directions
    if "lengths" not in found:
        x = _sequences(builder, x, steps, features, found)
    W, R, B = [], [], []
    for d in range(directions):
        W.append(onnx_gates(coef[d, :features].T, spec.cell, units))
        R.append(onnx_gates(coef[d, features:].T, spec.cell, units))
        bias = intercept[d * 2 * width : (d + 1) * 2 * width]
        B.append(
            np.concatenate(
                [
                    onnx_gates(bias[:width], spec.cell, units),
                    onnx_gates(bias[width:], spec.cell, units),
                ]
            )
        )
    inputs = [
        x,
        builder.constant(np.asarray(W, builder.dtype), "W"),
        builder.constant(np.asarray(R, builder.dtype), "R"),
        builder.constant(np.asarray(B, builder.dtype), "B"),
        found["lengths"],
    ]
    attributes = {
        "hidden_size": units,
        "direction": "bidirectional" if directions == 2 else "forward",
    }
    if spec.cell == "gru":
        attributes["linear_before_reset"] = 1
    every, last = builder.name("Y"), builder.name("Y_h")
    op = _OPERATORS[spec.cell]
    node = helper.make_node(
        op, inputs, [every, last], name=builder.name(f"{op}_node"), **attributes
    )
    builder.nodes.append(node)
    if spec.sequences:  # (T, D, n, H) -> (T, n, D*H)
        y = builder.node("Transpose", [every], perm=[0, 2, 1, 3])
        keep = builder.constant(np.array([0, 0, -1], np.int64), "sequences")
        return builder.node("Reshape", [y, keep])
    y = builder.node("Transpose", [last], perm=[1, 0, 2])  # (D, n, H) -> (n, D, H)
    return builder.node("Reshape", [y, builder.constant(np.array([0, -1], np.int64),
                                                        "rows")])  # fmt: skip
