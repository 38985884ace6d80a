"""Export fitted skdeep estimators to ONNX, for inference without Python or Numba.

The graph recomputes the estimator's forward pass with standard ONNX operators
(``Gemm``, ``Conv``, ``MaxPool``, ``BatchNormalization`` with the running
statistics, ``GlobalAveragePool``/``GlobalMaxPool``, ``Add`` for shortcuts, the
activations, ``Softmax``, ``ArgMax``, ``Gather``), using the fitted ``coefs_``,
``intercepts_`` and batch-normalization parameters and statistics as
initializers; a CNN on 1-D signals (``input_shape=(C, L)``) is exported with 1-D
``Conv`` and ``MaxPool`` on ``(n, C, L)`` tensors:

===========================  =========================================================
estimator                    graph
===========================  =========================================================
MLPClassifier                ``X -> "label", "probabilities"``
CNNClassifier                ``X -> "label", "probabilities"`` (``X`` flattened C*H*W)
MLPRegressor, CNNRegressor   ``X -> "variable"`` of shape ``(n, n_outputs)``
the four autoencoders        ``X -> "codes"``: ``transform`` (the VAE's posterior mean)
PerceptronClassifier         ``X -> "label", "scores"`` (one ``Gemm``)
===========================  =========================================================

``X`` has shape ``(None, n_features)`` and the dtype of the fitted weights (float32
or float64). ``"label"`` holds the values of ``classes_`` (int64 for integer classes,
strings, floats or booleans otherwise), gathered from a constant tensor by the index
of the largest probability, so it equals ``predict``; for a multilabel classifier it
is the int64 indicator matrix ``probabilities > 0.5``. ``"probabilities"`` equals
``predict_proba`` (``[1 - p, p]`` for a binary problem).

The perceptron has no ``predict_proba``, so its graph outputs ``"scores"`` instead,
``decision_function`` as a 2-D array: ``(n, n_classes)``, or ``(n, 1)`` for a binary
problem (where ``decision_function`` returns 1-D). Its ``"label"`` is the class of
the largest score, or ``classes_[1]`` where the binary score is positive, as in
``predict``.

RNNClassifier and RNNRegressor export each recurrent layer as one ONNX ``LSTM``,
``GRU`` or ``RNN`` operator (:mod:`skdeep.integrations._onnx_recurrent`); their
``X`` is the 2-D input ``(n, n_timesteps * n_features)`` of the fitted number of
steps, flattened time-major, and sequences padded with NaN at the end are read up
to their last valid step (``sequence_lens``), as ``predict`` reads them.
onnxruntime (1.32) runs these operators in float32 only: fit on float32 data to
run the graph there.

onnx is imported only when :func:`to_onnx` runs (``pip install skdeep[onnx]``).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdeep.integrations._onnx_recurrent import recurrent_layer

#: Opset used when ``target_opset`` is None; every operator used exists unchanged
#: from opset 13 on.
DEFAULT_OPSET = 17
MIN_OPSET = 13


class _GraphBuilder:
    """Collect nodes and initializers under unique names."""

    def __init__(self, onnx_module, dtype):
        self.onnx = onnx_module
        self.dtype = dtype
        self.nodes = []
        self.initializers = []
        self._count = 0

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def constant(self, value, prefix: str, dtype=None) -> str:
        """Add ``value`` as an initializer; return its name."""
        from onnx import helper, numpy_helper

        name = self.name(prefix)
        array = np.asarray(value, dtype=dtype)
        if array.dtype.kind in "UO":
            tensor = helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                array.shape,
                [str(v).encode("utf-8") for v in array.ravel()],
            )
        else:
            tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.initializers.append(tensor)
        return name

    def node(self, op: str, inputs, output=None, **attributes) -> str:
        """Add one node; return the name of its (single) output."""
        from onnx import helper

        output = output or self.name(op.lower())
        self.nodes.append(
            helper.make_node(
                op, list(inputs), [output], name=self.name(f"{op}_node"), **attributes
            )
        )
        return output

    # --------------------------------------------------------------- layers
    def activation(self, x: str, activation: str) -> str:
        if activation == "identity":
            return x
        if activation in ("logistic", "sigmoid"):
            return self.node("Sigmoid", [x])
        if activation == "tanh":
            return self.node("Tanh", [x])
        if activation == "relu":
            return self.node("Relu", [x])
        if activation == "leaky_relu":
            if self.dtype == np.float32:
                return self.node("LeakyRelu", [x], alpha=0.01)
            # onnxruntime implements LeakyRelu for float32 only; max(x, 0.01 x) is
            # the same function.
            slope = self.constant(np.array(0.01, dtype=self.dtype), "leaky_slope")
            return self.node("Max", [x, self.node("Mul", [x, slope])])
        if activation == "softmax":
            return self.node("Softmax", [x], axis=1)
        if activation == "exp":
            return self.node("Exp", [x])
        raise ValueError(f"Cannot export the activation {activation!r} to ONNX.")

    def dense(self, x: str, coef, intercept, activation: str) -> str:
        """``activation(x @ coef + intercept)`` as one Gemm and the activation."""
        w = self.constant(np.asarray(coef, dtype=self.dtype), "coef")
        b = self.constant(np.asarray(intercept, dtype=self.dtype), "intercept")
        return self.activation(self.node("Gemm", [x, w, b]), activation)

    def dense_stack(self, x: str, coefs, intercepts, hidden, out) -> str:
        n = len(coefs)
        for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
            x = self.dense(x, coef, intercept, out if i == n - 1 else hidden)
        return x


def _check_opset(onnx_module, target_opset):
    latest = onnx_module.defs.onnx_opset_version()
    if target_opset is None:
        return min(DEFAULT_OPSET, latest)
    opset = int(target_opset)
    if not MIN_OPSET <= opset <= latest:
        raise ValueError(
            f"target_opset must be between {MIN_OPSET} and {latest} (the newest "
            f"opset of the installed onnx), got {target_opset!r}."
        )
    return opset


def _check_sample(X_sample, n_features: int, name: str):
    if X_sample is None:
        return
    if hasattr(X_sample, "toarray"):  # a sparse matrix: only its shape is read
        shape = X_sample.shape
    else:
        shape = np.shape(X_sample)
    if len(shape) < 2:
        raise ValueError(
            f"X_sample must be 2-D (n_samples, n_features), got shape {shape}."
        )
    width = int(np.prod(shape[1:]))
    if width != n_features:
        raise ValueError(
            f"X_sample has {width} features per row, but {name} was fitted on "
            f"{n_features}."
        )


def _class_labels(builder, classes, index: str) -> tuple[str, int]:
    """Gather ``classes_[index]``; return the output name and its ONNX type."""
    from onnx import TensorProto

    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind in "iu":
        table, elem = classes.astype(np.int64), TensorProto.INT64
    elif kind == "f":
        table, elem = classes.astype(np.float64), TensorProto.DOUBLE
    elif kind == "b":
        table, elem = classes.astype(bool), TensorProto.BOOL
    elif kind == "U" or (kind == "O" and all(isinstance(c, str) for c in classes)):
        table, elem = classes.astype(object), TensorProto.STRING
    else:
        raise TypeError(
            f"Cannot export classes_ of dtype {classes.dtype} to ONNX: only "
            "integer, float, boolean and string class labels are supported."
        )
    labels = builder.constant(table, "classes")
    return builder.node("Gather", [labels, index], output="label", axis=0), elem


def _classifier_outputs(builder, estimator, P: str):
    """``"label"`` and ``"probabilities"`` from the output activations ``P``."""
    from onnx import TensorProto, helper

    n_out = estimator.n_outputs_
    dtype_elem = helper.np_dtype_to_tensor_dtype(np.dtype(builder.dtype))
    binarizer = estimator._label_binarizer
    if binarizer.y_type_.startswith("multilabel"):
        half = builder.constant(np.array(0.5, dtype=builder.dtype), "threshold")
        builder.node("Identity", [P], output="probabilities")
        above = builder.node("Greater", [P, half])
        builder.node("Cast", [above], output="label", to=TensorProto.INT64)
        return [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None, n_out]),
            helper.make_tensor_value_info("probabilities", dtype_elem, [None, n_out]),
        ]
    n_classes = len(estimator.classes_)
    if n_out == 1:
        one = builder.constant(np.array(1.0, dtype=builder.dtype), "one")
        P = builder.node("Concat", [builder.node("Sub", [one, P]), P], axis=1)
    builder.node("Identity", [P], output="probabilities")
    index = builder.node("ArgMax", [P], axis=1, keepdims=0)
    _, label_elem = _class_labels(builder, estimator.classes_, index)
    return [
        helper.make_tensor_value_info("label", label_elem, [None]),
        helper.make_tensor_value_info("probabilities", dtype_elem, [None, n_classes]),
    ]


def _linear_classifier_outputs(builder, estimator):
    """``"scores"`` (``decision_function``, 2-D) and ``"label"`` (``predict``) of
    the perceptron: ``X @ coef_.T + intercept_``, then the sign or the argmax."""
    from onnx import TensorProto, helper

    coef = estimator.coef_
    coef = coef.toarray() if hasattr(coef, "toarray") else coef  # after sparsify()
    n_out = coef.shape[0]
    w = builder.constant(np.asarray(coef, dtype=builder.dtype), "coef")
    b = builder.constant(
        np.asarray(estimator.intercept_, dtype=builder.dtype), "intercept"
    )
    scores = builder.node("Gemm", ["X", w, b], output="scores", transB=1)
    if n_out == 1:
        zero = builder.constant(np.array(0.0, dtype=builder.dtype), "zero")
        positive = builder.node("Greater", [scores, zero])
        flat = builder.constant(np.array([-1], dtype=np.int64), "flat")
        index = builder.node(
            "Reshape", [builder.node("Cast", [positive], to=TensorProto.INT64), flat]
        )
    else:
        index = builder.node("ArgMax", [scores], axis=1, keepdims=0)
    _, label_elem = _class_labels(builder, estimator.classes_, index)
    dtype_elem = helper.np_dtype_to_tensor_dtype(np.dtype(builder.dtype))
    return [
        helper.make_tensor_value_info("label", label_elem, [None]),
        helper.make_tensor_value_info("scores", dtype_elem, [None, n_out]),
    ]


def _conv_pads(layer) -> list:
    """ONNX ``pads`` (begin, begin, end, end) of a convolution layer: 'same' puts
    the extra value at the end; 'valid' may leave ragged rows unread, which ONNX's
    floor division also drops."""
    spec = layer.spec
    _, h, w = layer.input_shape
    _, h_out, w_out = layer.output_shape
    before_after = []
    for size, k, out in ((h, spec.kernel_h, h_out), (w, spec.kernel_w, w_out)):
        before = (
            max((out - 1) * spec.stride + k - size, 0) // 2
            if spec.padding == "same" else 0
        )  # fmt: skip
        after = max(0, (out - 1) * spec.stride + k - size - before)
        assert (size + before + after - k) // spec.stride + 1 == out
        before_after.append((before, after))
    (top, bottom), (left, right) = before_after
    return [top, left, bottom, right]


def _is_signal_network(network) -> bool:
    """Whether every spatial layer of ``network`` runs along the width of
    one-row images (1-D signals, exported with 1-D operators)."""
    from skdeep.network import specs

    spatial = [layer for layer in network.layers
               if isinstance(layer.spec, specs.Conv2D | specs.MaxPool2D)]  # fmt: skip
    return (
        len(network.input_shape) == 3
        and network.input_shape[1] == 1
        and all(
            (layer.spec.kernel_h if isinstance(layer.spec, specs.Conv2D)
             else layer.spec.pool_h) == 1
            for layer in spatial
        )
    )  # fmt: skip


class _Tensors:
    """Where the graph holds a layer's output: its name and whether it is a
    channels-first tensor ``(n, C, L)`` / ``(n, C, H, W)`` or rows ``(n, m)``."""

    def __init__(self, builder, network, x: str):
        self.builder = builder
        self.signals = _is_signal_network(network)
        self.shape = tuple(network.input_shape)
        self.name = x
        self.spatial = False
        self.outputs = {}  # spec index (-1: the input) -> (name, spatial, shape)
        self.keep(-1)

    def keep(self, index) -> None:
        self.outputs[index] = (self.name, self.spatial, self.shape)

    def read(self, index) -> None:
        """Continue from spec ``index``'s output (a shortcut)."""
        self.name, self.spatial, self.shape = self.outputs[index]

    def as_spatial(self, shape) -> str:
        """The current tensor as channels-first images of ``shape`` (C, H, W)."""
        if not self.spatial:
            dims = (shape[0], shape[2]) if self.signals else shape
            target = np.array([-1, *dims], dtype=np.int64)
            self.name = self.builder.node(
                "Reshape", [self.name, self.builder.constant(target, "images")]
            )
            self.spatial = True
        return self.name

    def as_rows(self) -> str:
        if self.spatial:
            self.name = self.builder.node("Flatten", [self.name], axis=1)
            self.spatial = False
        return self.name

    def window(self, h, w) -> list:
        """A 2-D window or stride as the graph's spatial rank needs it."""
        return [w] if self.signals else [h, w]


def _batch_norm(builder, tensors, layer, params, state, spec) -> str:
    """Inference-mode batch normalization (ONNX ``BatchNormalization`` with the
    running statistics), then the activation."""
    from skdeep._kernels import codes

    c = layer.n_biases // 2
    b, s = layer.bias_offset, layer.state_offset
    x = tensors.as_spatial(layer.input_shape) if len(layer.input_shape) == 3 else (
        tensors.as_rows()
    )  # fmt: skip
    names = [
        builder.constant(np.asarray(values, builder.dtype), prefix)
        for values, prefix in (
            (params[b : b + c], "bn_scale"),
            (params[b + c : b + 2 * c], "bn_shift"),
            (state[s : s + c], "bn_mean"),
            (state[s + c : s + 2 * c], "bn_var"),
        )
    ]
    y = builder.node("BatchNormalization", [x, *names], epsilon=codes.BN_EPSILON)
    return builder.activation(y, spec.activation)


def _layers(builder, network, params, n_specs, x: str, state=None) -> str:
    """The prediction-mode forward pass of the first ``n_specs`` layers of
    ``network`` on the rows ``x``, one exporter per layer kind; return the output.

    Convolutions, pooling and batch normalization run on channels-first tensors
    (``(n, C, L)`` with 1-D operators for 1-D signals, ``(n, C, H, W)``
    otherwise); shortcuts and residual additions read the kept output of an
    earlier layer."""
    from skdeep.network import specs

    state = np.zeros(network.n_state) if state is None else state
    coefs, intercepts = network.views(params)
    tensors = _Tensors(builder, network, x)
    used = 0
    found = {}  # the recurrent layers' sequence lengths
    for index, layer in enumerate(network.layers[:n_specs]):
        spec = layer.spec
        if isinstance(spec, specs.Dense):
            tensors.name = builder.dense(tensors.as_rows(), coefs[used],
                                         intercepts[used], spec.activation)  # fmt: skip
            used += 1
        elif isinstance(spec, specs.Conv2D):
            x = tensors.as_spatial(layer.input_shape)
            kernel = np.asarray(coefs[used], builder.dtype)
            top, left, bottom, right = _conv_pads(layer)
            if tensors.signals:
                kernel, pads = kernel[:, :, 0, :], [left, right]
            else:
                pads = [top, left, bottom, right]
            weight = builder.constant(kernel, "kernel")
            bias = builder.constant(np.asarray(intercepts[used], builder.dtype), "bias")
            x = builder.node(
                "Conv",
                [x, weight, bias],
                kernel_shape=tensors.window(spec.kernel_h, spec.kernel_w),
                strides=tensors.window(spec.stride, spec.stride),
                pads=pads,
            )
            tensors.name = builder.activation(x, spec.activation)
            used += 1
        elif isinstance(spec, specs.MaxPool2D):
            tensors.name = builder.node(
                "MaxPool",
                [tensors.as_spatial(layer.input_shape)],
                kernel_shape=tensors.window(spec.pool_h, spec.pool_w),
                strides=tensors.window(spec.pool_h, spec.pool_w),
                ceil_mode=0,
            )
        elif isinstance(spec, specs.BatchNorm):
            tensors.name = _batch_norm(builder, tensors, layer, params, state, spec)
        elif isinstance(spec, specs.GlobalPool):
            op = "GlobalMaxPool" if spec.mode == "max" else "GlobalAveragePool"
            x = builder.node(op, [tensors.as_spatial(layer.input_shape)])
            tensors.name, tensors.spatial = builder.node("Flatten", [x], axis=1), False
        elif isinstance(spec, specs.Shortcut):
            tensors.read(spec.source)
        elif isinstance(spec, specs.ResidualAdd):
            current = tensors.name, tensors.spatial, tensors.shape
            tensors.read(spec.source)  # in the form of the current tensor
            if current[1]:
                other = tensors.as_spatial(layer.input_shape)
            else:
                other = tensors.as_rows()
            tensors.name, tensors.spatial, tensors.shape = current
            x = builder.node("Add", [tensors.name, other])
            tensors.name = builder.activation(x, spec.activation)
        elif isinstance(spec, specs.Recurrent):
            tensors.name = recurrent_layer(builder, layer, coefs[used],
                                           intercepts[used], tensors.name,
                                           found)  # fmt: skip
            used += 1
        elif isinstance(spec, specs.Flatten):
            tensors.as_rows()
        elif not isinstance(
            spec, specs.Dropout | specs.Corruption | specs.SparsityPenalty
        ):  # the identity at prediction
            raise TypeError(f"Cannot export a {type(spec).__name__} layer to ONNX.")
        tensors.shape = layer.output_shape
        tensors.keep(index)
    return tensors.as_rows()


def _network_outputs(builder, estimator):
    """The forward pass of an MLP, CNN or autoencoder (its ``transform``) on
    ``"X"``; return the graph's outputs."""
    from onnx import helper
    from sklearn.base import is_classifier

    elem = helper.np_dtype_to_tensor_dtype(np.dtype(builder.dtype))
    network, params, state = estimator._fitted_model()
    if hasattr(estimator, "transform"):  # an autoencoder: its codes
        codes = _layers(builder, network, params, estimator._encoder_specs, "X",
                        state)  # fmt: skip
        m = estimator._n_features_out
        # The variational encoder's output holds means, then log-variances: keep
        # the means, which is what transform returns.
        limits = [builder.constant(np.array(v, dtype=np.int64), "slice")
                  for v in ([0], [m], [1])]  # fmt: skip
        builder.node("Slice", [codes, *limits], output="codes")
        return [helper.make_tensor_value_info("codes", elem, [None, m])]
    P = _layers(builder, network, params, len(network.specs), "X", state)
    if is_classifier(estimator):
        return _classifier_outputs(builder, estimator, P)
    builder.node("Identity", [P], output="variable")
    return [
        helper.make_tensor_value_info("variable", elem, [None, estimator.n_outputs_])
    ]


def to_onnx(estimator, X_sample, *, target_opset=None):
    """Convert a fitted skdeep estimator into an ONNX model.

    Parameters
    ----------
    estimator : fitted estimator
        An :class:`~skdeep.MLPClassifier`, :class:`~skdeep.MLPRegressor`,
        :class:`~skdeep.CNNClassifier`, :class:`~skdeep.CNNRegressor`,
        :class:`~skdeep.PerceptronClassifier` or one of the four autoencoders
        (exported as their ``transform``).
    X_sample : array-like of shape (n_samples, n_features) or None
        A few rows of input, used to check the number of features (images may be
        passed as ``(n, H, W)`` or ``(n, C, H, W)``; the graph still takes them
        flattened, channels-first). None skips the check.
    target_opset : int, default=None
        ONNX opset of the default domain, at least 13; None uses 17 (or the newest
        opset of the installed onnx, if older).

    Returns
    -------
    model : onnx.ModelProto
        A checked model with input ``"X"`` of shape ``(None, n_features)`` in the
        dtype of the fitted weights, and outputs ``"label"`` and
        ``"probabilities"`` (network classifiers), ``"label"`` and ``"scores"``
        (the perceptron, which has no probabilities), ``"variable"`` (regressors,
        always 2-D) or ``"codes"`` (autoencoders).

    Raises
    ------
    TypeError
        If the estimator is not a skdeep estimator listed above (for example
        scikit-learn's own :class:`~sklearn.linear_model.Perceptron`), or its
        classes are not integers, floats, booleans or strings.
    ValueError
        If the estimator is not fitted, ``X_sample`` has the wrong number of
        features, or ``target_opset`` is out of range.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import MLPClassifier
    >>> from skdeep.integrations.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((8,), random_state=0).fit(X, y)  # doctest: +SKIP
    >>> model = to_onnx(clf, X[:5])  # doctest: +SKIP
    >>> [o.name for o in model.graph.output]  # doctest: +SKIP
    ['label', 'probabilities']

    The perceptron exports its labels and ``decision_function``:

    >>> from skdeep import PerceptronClassifier
    >>> perceptron = PerceptronClassifier(random_state=0).fit(X, y)  # doctest: +SKIP
    >>> [o.name for o in to_onnx(perceptron, X[:5]).graph.output]  # doctest: +SKIP
    ['label', 'scores']
    """
    from skdeep.estimators._base import BaseNetwork
    from skdeep.estimators.perceptron import PerceptronClassifier

    name = type(estimator).__name__
    if not isinstance(estimator, BaseNetwork | PerceptronClassifier):
        raise TypeError(
            f"Cannot export {name} to ONNX: to_onnx supports MLPClassifier, "
            "MLPRegressor, CNNClassifier, CNNRegressor, PerceptronClassifier and "
            "the autoencoders (DenoisingAutoencoder, SparseAutoencoder, "
            "VariationalAutoencoder, AdversarialAutoencoder)."
        )
    check_is_fitted(
        estimator,
        msg=(
            f"This {name} instance is not fitted yet; fit it before exporting it "
            "to ONNX with to_onnx."
        ),
    )
    import onnx
    from onnx import helper

    opset = _check_opset(onnx, target_opset)
    n_features = int(estimator.n_features_in_)
    _check_sample(X_sample, n_features, name)
    perceptron = isinstance(estimator, PerceptronClassifier)
    weights = estimator.coef_ if perceptron else estimator.coefs_[0]
    dtype = np.dtype(weights.dtype).type
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"Cannot export {name} with weights of dtype {dtype}.")
    builder = _GraphBuilder(onnx, dtype)
    if perceptron:
        outputs = _linear_classifier_outputs(builder, estimator)
    else:
        outputs = _network_outputs(builder, estimator)

    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph(
        builder.nodes,
        f"skdeep_{name}",
        [helper.make_tensor_value_info("X", elem, [None, n_features])],
        outputs,
        initializer=builder.initializers,
    )
    from skdeep import __version__

    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="skdeep",
        producer_version=__version__,
    )
    # The oldest IR version that can hold this opset, so older runtimes load it.
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    onnx.checker.check_model(model)
    return model
