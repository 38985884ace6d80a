"""Invalid hyperparameters are refused by ``fit`` before any kernel runs, and the
estimator is left exactly as it was.

Table-driven over every estimator of ``_estimators.SPECS`` and every parameter of
its ``get_params()``: ``INVALID`` holds, per parameter name, values that must be
refused. Most are refused by scikit-learn's parameter validation
(``_parameter_constraints``), with its ``InvalidParameterError`` and message
(``The 'alpha' parameter of MLPClassifier must be ...``). The others are
refused by ``fit``'s own checks with a ValueError that names the parameter:
entries of a tuple (layer sizes, per-block CNN settings, per-layer dropout), and
settings that depend on other parameters or on the data (a kernel larger than the
image, an ``input_shape`` that does not match X).

Each case starts from a fitted estimator, sets the bad value and calls ``fit``
with every compiled kernel patched to raise, so an error raised late, inside
training, fails the test. ``test_every_parameter_has_a_case`` fails when a
parameter has no case, so a new parameter needs one.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import pytest
from _checks import KernelCalled, assert_identical, fitted, forbid_kernels, known_bug
from _estimators import SPECS
from sklearn.utils._param_validation import InvalidParameterError

pytestmark = pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")

MLPS = ("MLPClassifier", "MLPRegressor")
CNNS = ("CNNClassifier", "CNNRegressor")
RNNS = ("RNNClassifier", "RNNRegressor")
AUTOENCODERS = (
    "DenoisingAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "AdversarialAutoencoder",
)
NETWORKS = MLPS + CNNS + RNNS + AUTOENCODERS


@dataclass(frozen=True)
class Bad:
    """An invalid ``value`` of a parameter, named ``label`` in the test id.

    ``context`` holds other parameters the case needs; ``by_fit`` marks values
    that pass the parameter constraints and are refused by ``fit`` itself;
    ``only`` restricts the case to these estimators (default: all that have the
    parameter).
    """

    value: object
    label: str
    context: dict = field(default_factory=dict)
    by_fit: bool = False
    only: tuple = ()


def by_fit(value, label, only=(), **context):
    return Bad(value, label, context, by_fit=True, only=only)


WRONG_TYPE = Bad("yes", "str")  # for booleans, integers and floats alike
NOT_A_BOOL = Bad(1, "int")  # scikit-learn's "boolean" takes bools only
IMAGE_4X4 = {"input_shape": (4, 4)}

INVALID = {
    "activation": [Bad("unknown", "unknown"), Bad(1, "int")],
    "alpha": [Bad(-1.0, "negative"), Bad(np.nan, "nan"), WRONG_TYPE],
    "average": [Bad(-1, "negative"), Bad(0, "zero"), Bad(1.5, "float")],
    "batch_size": [Bad(0, "zero"), Bad(1.5, "float"), Bad("big", "unknown")],
    "beta": [Bad(-1.0, "negative"), WRONG_TYPE],
    "beta_1": [Bad(1.0, "one"), Bad(-0.1, "negative")],
    "beta_2": [Bad(1.0, "one"), Bad(-0.1, "negative")],
    "bidirectional": [WRONG_TYPE, NOT_A_BOOL],
    "cell": [Bad("lstm2", "unknown"), Bad(1, "int"), Bad(None, "none")],
    "batch_norm": [WRONG_TYPE, NOT_A_BOOL],
    "batch_norm_momentum": [
        Bad(0.0, "zero"),
        Bad(1.5, "above_one"),
        Bad(np.nan, "nan"),
        WRONG_TYPE,
    ],
    "class_weight": [
        Bad("unknown", "unknown"),
        Bad(1, "int"),
        by_fit({7: 2.0}, "label_not_in_y"),
        by_fit({0: -1.0, 1: 1.0, 2: 1.0}, "negative"),
    ],
    "clip_norm": [
        Bad(0.0, "zero"),
        Bad(-1.0, "negative"),
        Bad(np.nan, "nan"),
        WRONG_TYPE,
    ],
    "discriminator_layer_sizes": [
        Bad(0, "zero"),
        Bad("a", "str"),
        by_fit((0,), "zero_layer"),
        by_fit((-1,), "negative_layer"),
        by_fit((1.5,), "float_layer"),
        by_fit(("a",), "str_layer"),
    ],
    "dropout": [
        Bad(1.0, "one"),
        Bad(-0.1, "negative"),
        Bad(np.nan, "nan"),
        WRONG_TYPE,
        by_fit([0.1, 0.1], "rate_per_missing_layer", only=MLPS + RNNS),
        by_fit([1.0], "one_in_list", only=MLPS + RNNS),
        by_fit([0.1, "a"], "str_in_list", only=MLPS + RNNS),
        by_fit([0.1], "with_lbfgs", only=RNNS, solver="lbfgs"),
        Bad([0.1], "list", only=CNNS + AUTOENCODERS),
    ],
    "early_stopping": [WRONG_TYPE, NOT_A_BOOL],
    "epsilon": [Bad(0.0, "zero"), Bad(-1.0, "negative")],
    "eta0": [Bad(0.0, "zero"), Bad(-1.0, "negative"), WRONG_TYPE],
    "filters": [
        Bad(0, "zero"),
        Bad("a", "str"),
        by_fit((), "empty"),
        by_fit((0,), "zero_filters"),
        by_fit((2.5,), "float_filters"),
        by_fit(("a",), "str_filters"),
    ],
    "fit_intercept": [WRONG_TYPE, NOT_A_BOOL],
    "global_pool": [Bad("mean", "unknown"), Bad(1, "int")],
    "hidden_layer_sizes": [
        Bad(0, "zero"),
        Bad("a", "str"),
        by_fit((0,), "zero_layer"),
        by_fit((-1,), "negative_layer"),
        by_fit((1.5,), "float_layer"),
        by_fit(("a",), "str_layer"),
    ],
    "input_shape": [
        Bad("4x4", "str"),
        Bad(16, "int"),
        by_fit((0, 4), "zero_side"),
        by_fit((2.0, 8), "float_side"),
        by_fit((1, 1, 4, 4), "4d"),
        by_fit((5, 5), "other_size_than_X"),
    ],
    "kernel_size": [
        Bad(0, "zero"),
        Bad(2.5, "float"),
        Bad("a", "str"),
        by_fit((0,), "zero_in_tuple"),
        by_fit((2.5,), "float_in_tuple"),
        by_fit((3, 3), "one_per_missing_block"),
        by_fit(5, "larger_than_image", padding="valid", residual=False, **IMAGE_4X4),
    ],
    "l1_ratio": [Bad(1.5, "above_one"), Bad(-0.1, "negative")],
    "learning_rate": [Bad("unknown", "unknown"), Bad(0.1, "float")],
    "learning_rate_init": [Bad(0.0, "zero"), Bad(-1.0, "negative"), Bad(np.inf, "inf")],
    "loss": [
        Bad("unknown", "unknown"),
        Bad(None, "none"),
        Bad("poisson", "poisson", only=AUTOENCODERS),
    ],
    "lr_decay": [Bad(0.0, "zero"), Bad(1.5, "above_one")],
    "lr_step_size": [Bad(0, "zero"), Bad(1.5, "float")],
    "max_fun": [Bad(0, "zero"), Bad(1.5, "float")],
    "max_iter": [
        Bad(0, "zero"),
        Bad(-1, "negative"),
        Bad(1.5, "float"),
        Bad("10", "str"),
    ],
    "momentum": [Bad(1.5, "above_one"), Bad(-0.1, "negative")],
    "n_components": [Bad(0, "zero"), Bad(-1, "negative"), Bad(1.5, "float")],
    "n_iter_no_change": [Bad(0, "zero"), Bad(1.5, "float")],
    "n_jobs": [Bad(1.5, "float"), Bad("all", "str"), by_fit(0, "zero")],
    "nesterovs_momentum": [WRONG_TYPE, NOT_A_BOOL],
    "noise": [Bad("unknown", "unknown"), Bad(0.1, "float")],
    "noise_level": [
        Bad(-0.1, "negative"),
        by_fit(1.5, "probability_above_one", noise="salt_pepper"),
    ],
    "out_activation": [
        Bad("unknown", "unknown"),
        by_fit("identity", "unbounded_with_bce", loss="binary_crossentropy"),
    ],
    "padding": [Bad("full", "unknown"), Bad(1, "int")],
    "penalty": [Bad("l3", "unknown"), Bad(1, "int")],
    "pool_size": [
        Bad(0, "zero"),
        Bad("a", "str"),
        by_fit((0,), "zero_in_tuple"),
        by_fit((2.5,), "float_in_tuple"),
        by_fit((2, 2), "one_per_missing_block"),
        by_fit(5, "larger_than_feature_map", **IMAGE_4X4),
    ],
    "power_t": [Bad(-1.0, "negative"), WRONG_TYPE],
    "prior": [Bad("uniform", "unknown")],
    "residual": [
        WRONG_TYPE,
        NOT_A_BOOL,
        by_fit(True, "blocks_not_a_multiple", residual_block_size=5),
        by_fit(True, "valid_padding", residual_block_size=1, padding="valid"),
    ],
    "residual_block_size": [
        Bad(0, "zero"),
        Bad(1.5, "float"),
        WRONG_TYPE,
        by_fit(5, "not_dividing_the_blocks", residual=True),
    ],
    "random_state": [Bad(-1, "negative"), Bad("seed", "str"), Bad(1.5, "float")],
    "recurrent_units": [
        Bad(0, "zero"),
        Bad("a", "str"),
        Bad(None, "none"),
        by_fit((), "empty"),
        by_fit((0,), "zero_layer"),
        by_fit((4, -1), "negative_layer"),
        by_fit((1.5,), "float_layer"),
        by_fit(("a",), "str_layer"),
    ],
    "shuffle": [WRONG_TYPE, NOT_A_BOOL],
    "solver": [
        Bad("unknown", "unknown"),
        # L-BFGS trains every network but the adversarial autoencoder.
        Bad("lbfgs", "lbfgs", only=("AdversarialAutoencoder",)),
    ],
    "sparsity_target": [Bad(0.0, "zero"), Bad(1.0, "one")],
    "sparsity_weight": [Bad(-1.0, "negative"), WRONG_TYPE],
    "strides": [
        Bad(0, "zero"),
        Bad("a", "str"),
        by_fit((0,), "zero_in_tuple"),
        by_fit((1.5,), "float_in_tuple"),
        by_fit((1, 1), "one_per_missing_block"),
    ],
    "tol": [Bad(-1.0, "negative"), WRONG_TYPE],
    "validation_fraction": [
        Bad(1.0, "one"),
        Bad(-0.1, "negative"),
        by_fit(0.0, "zero_with_early_stopping", only=NETWORKS, early_stopping=True),
        Bad(0.0, "zero", only=("PerceptronClassifier",)),
    ],
    "verbose": [Bad(-1, "negative"), WRONG_TYPE],
    "warm_start": [WRONG_TYPE, NOT_A_BOOL],
    "weight_init": [Bad("he", "unknown"), Bad(None, "none"), Bad(1, "int")],
}


#: Cases that fail today because of a bug in skdeep, with the bug.
KNOWN_BUGS: dict = {}


def _applies(case, spec):
    return not case.only or spec.name in case.only or spec.cls in case.only


def _cases():
    for spec in SPECS:
        for name in spec.build().get_params():
            for case in INVALID.get(name, []):
                if not _applies(case, spec):
                    continue
                bug = KNOWN_BUGS.get((spec.name, name, case.label))
                yield pytest.param(
                    spec,
                    name,
                    case,
                    id=f"{spec}-{name}={case.label}",
                    marks=known_bug(bug),
                )


@pytest.mark.parametrize(("spec", "name", "case"), list(_cases()))
def test_invalid_hyperparameter(spec, name, case, monkeypatch):
    est = fitted(spec).set_params(**case.context, **{name: case.value})
    state = copy.deepcopy(vars(est))
    X, y = spec.data()
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    if case.by_fit:
        assert name in str(info.value)
    else:
        assert isinstance(info.value, InvalidParameterError)
        assert str(info.value).startswith(
            f"The '{name}' parameter of {spec.cls} must be"
        )
    assert_identical(vars(est), state)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_every_parameter_has_a_case(spec):
    without = [
        name
        for name in spec.build().get_params()
        if not any(_applies(case, spec) for case in INVALID.get(name, []))
    ]
    assert not without, f"add invalid values of {without} to INVALID"


def test_the_table_has_no_stale_entries():
    params = {name for spec in SPECS for name in spec.build().get_params()}
    assert set(INVALID) <= params
    names = {spec.name for spec in SPECS}
    for cases in INVALID.values():
        for case in cases:
            assert set(case.only) <= names
            assert set(case.context) <= params


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_forbidden_kernels_stop_a_valid_fit(spec, monkeypatch):
    """The guard of the cases above: with the kernels forbidden, a valid fit of
    every estimator is stopped."""
    est = spec.build()
    X, y = spec.data()
    forbid_kernels(monkeypatch)
    with pytest.raises(KernelCalled):
        est.fit(X, y)
