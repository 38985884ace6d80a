"""Kernels called by kernels are compiled once, as part of their callers.

Numba compiles every jitted function it meets to machine code of its own, with a
CPython wrapper and a C wrapper, then links a copy of its LLVM module into each
caller, which optimizes the linked whole again and emits machine code for all of
it. A kernel four calls below ``train_epoch`` is thus optimized and emitted five
times, and each time it comes with wrappers nobody calls: of a cold MLP first fit's
14.2 s, 43 % went into LLVM's module optimization and machine-code emission and 9 %
into wrappers (``benchmarks/RESULTS_compile.md``, ``profile_compile.py``).

Here a call from one kernel to another is typed and lowered against the callee's
*link-only* twin (:func:`link_only_twin`): a dispatcher of the same Python
function compiled without wrappers into a :class:`LinkOnlyLibrary`, whose LLVM
module only gets Numba's per-function clean-up and is never optimized as a module
nor emitted on its own. The kernel called from Python (the entry point:
``train_epoch``, ``forward_rows``) links its callees' modules as Numba always
does, and optimizes and emits the whole tree once. Arithmetic is unchanged (LLVM
neither reassociates nor contracts floating-point operations without fastmath,
whatever it inlines), and the entry point's machine code is what goes to the
disk cache, so callees are compiled again only when a new entry point needs them.

A twin's compiled functions have no machine code: calling one from Python is a
null-pointer call, so the twin stays private to the dispatcher that routes kernel
calls to it (its ``get_call_template`` and ``get_overload``). A kernel called
from Python compiles its own full version as before.

This relies on Numba internals (``JITCodeLibrary``, the target context's
``subtarget`` and ``_internal_codegen``, ``Dispatcher.get_overload``), so ``_jit``
uses it only with the Numba versions its cache was tested with.
"""

from numba import njit
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.untyped_passes import TranslateByteCode


class LinkOnlyLibrary(JITCodeLibrary):
    """An LLVM module that is only ever linked into other libraries: finalizing
    it neither optimizes the module as a whole nor emits machine code."""

    def _optimize_final_module(self):
        pass  # the entry point that links it optimizes the whole tree

    def _finalize_final_module(self):
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        self._finalized = True

    @property
    def codegen(self):
        return LinkOnlyCodegen(self._codegen)


class LinkOnlyCodegen:
    """Numba's codegen as a link-only compilation sees it: every library it
    creates (the function's, and those of its parallel loops and their wrappers)
    is a :class:`LinkOnlyLibrary`, and there is no machine code whose
    environment pointer could be set (the entry point's own is)."""

    def __init__(self, codegen):
        self._codegen = codegen

    def create_library(self, name, **kwargs):
        return LinkOnlyLibrary(self._codegen, name, **kwargs)

    def set_env(self, env_name, env):
        pass

    def __getattr__(self, name):
        return getattr(self._codegen, name)


@register_pass(mutates_CFG=False, analysis_only=False)
class _LinkOnlyTarget(FunctionPass):
    """Lower into :class:`LinkOnlyLibrary` objects: the target context of the
    rest of the pipeline creates its libraries through a
    :class:`LinkOnlyCodegen`."""

    _name = "skdeep_link_only_target"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        codegen = state.targetctx.codegen()
        if not isinstance(codegen, LinkOnlyCodegen):
            codegen = LinkOnlyCodegen(codegen)
        state.targetctx = state.targetctx.subtarget(_internal_codegen=codegen)
        return True


class LinkOnlyCompiler(CompilerBase):
    """Numba's nopython pipeline, lowering into a :class:`LinkOnlyLibrary`."""

    def define_pipelines(self):
        pipeline = DefaultPassBuilder.define_nopython_pipeline(self.state)
        # Right after the bytecode is translated: the IR is then still free of
        # the ``del`` statements that later passes add and forbid in between.
        pipeline.add_pass_after(_LinkOnlyTarget, TranslateByteCode)
        pipeline.finalize()
        return [pipeline]


def link_only_twin(func, options: dict):
    """A dispatcher of ``func`` compiled with ``options`` into link-only libraries
    and without wrappers; never to be called from Python."""
    return njit(
        pipeline_class=LinkOnlyCompiler,
        no_cpython_wrapper=True,
        no_cfunc_wrapper=True,
        **options,
    )(func)
