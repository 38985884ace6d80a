"""How a kernel's calls from other kernels are typed and compiled.

**One variant per type, not per constant value.** When a jitted function calls
another with a constant (``gemm(False, True, ...)``, ``activation_backward(...,
LOGISTIC)``), Numba types the constant as a literal (``Literal[bool](False)``) and
compiles the callee once per distinct value: the same code several times over,
each costing compile time in every first run. No skdeep kernel specializes on
values unless it asks to (``jit(constant_args=True)``), so calls are typed by the
arguments' plain types (:func:`numba.core.types.unliteral`); the caller converts
its constants.

**Compiled by the kernel's link-only twin** (:mod:`skdeep._kernels._linking`),
when there is one: the call is typed against the twin's variants and lowered as a
call of the twin's function, whose module the caller links and compiles to
machine code with its own.
"""

from numba.core import types


def route_kernel_calls(dispatcher, callee, by_value_type: bool) -> None:
    """Make calls from other kernels to ``dispatcher`` compile and call
    ``callee``'s variants (``dispatcher`` itself or its link-only twin), typed by
    the arguments' plain types when ``by_value_type``."""
    resolve = type(callee).get_call_template

    def get_call_template(args, kws):
        if by_value_type:
            args = tuple(types.unliteral(a) for a in args)
            kws = {name: types.unliteral(a) for name, a in kws.items()}
        return resolve(callee, args, kws)

    dispatcher.get_call_template = get_call_template
    if callee is not dispatcher:
        # Lowering a call looks the implementation up by the overload of the
        # dispatcher the caller named.
        dispatcher.get_overload = callee.get_overload
