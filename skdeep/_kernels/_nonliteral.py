"""Kernels calling kernels with constants compile one variant per type, not per value.

When a jitted function calls another with a constant (``gemm(False, True, ...)``,
``activation_backward(..., LOGISTIC)``), Numba types the constant as a literal
(``Literal[bool](False)``) and compiles the callee once per distinct value: the
same code several times over, each costing compile time in every first run. No
skdeep kernel specializes on values, so every dispatcher of skdeep types the
arguments of its calls from other kernels by their plain type
(:func:`numba.core.types.unliteral`); the caller converts its constants.
"""

from numba.core import types


def type_calls_by_value_type(dispatcher) -> None:
    """Make ``dispatcher`` compile calls from other kernels for the arguments'
    non-literal types."""
    resolve = type(dispatcher).get_call_template

    def get_call_template(args, kws):
        return resolve(
            dispatcher,
            tuple(types.unliteral(a) for a in args),
            {name: types.unliteral(a) for name, a in kws.items()},
        )

    dispatcher.get_call_template = get_call_template
