"""The ``dispatch`` kind: one public name computing a result by one of several methods.

``Dispatch(name, doc, args, returns, methods={"two_pass": kernel, ...}, auto=...)`` gives a
seed-named function a ``method`` keyword (``"auto"`` by default): every backend gets the
methods whose kernels it has, checks the arguments once, and calls the chosen method's
implementation. ``auto`` is an expression (or one per backend) of the size symbols and
the run-time flags of :data:`FLAGS` (``gpu``: the computation runs on a GPU;
``have_nufft``: the optional NUFFT libraries are installed) whose value is a method name:
the rule derived from the measured crossovers. Each method kernel's arguments must be arguments of
the dispatcher (it passes them by name), so method-specific options such as ``eps`` are
arguments of the dispatcher with defaults.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..expr import read_names
from ..model import BACKENDS, Kernel, SpecError, impl_name

#: run-time flags an ``auto`` rule may read besides the size symbols: name -> the line
#: computing it, per backend (``{first_array}``: the dispatcher's first array argument)
FLAGS = {
    "gpu": {
        "numba": "gpu = False",
        "jax": "gpu = _runtime.jax_on_gpu()",
        "xp": "gpu = _runtime.xp_on_gpu({first_array})",
    },
    "have_nufft": {
        "numba": 'have_nufft = _runtime.have_nufft("numba")',
        "jax": 'have_nufft = _runtime.have_nufft("jax")',
        "xp": 'have_nufft = _runtime.have_nufft("xp", {first_array})',
    },
}


@dataclass
class Dispatch(Kernel):
    """A public kernel choosing among ``methods`` (method name -> kernel name) at call time."""

    methods: dict[str, str] = field(default_factory=dict)
    auto: str | dict[str, str] = ""

    kind = "dispatch"

    def __post_init__(self):
        super().__post_init__()
        if self.decls.get("method") is None or self.decls["method"].scalar != "str":
            self.fail("args", "a dispatcher needs a 'method': 'str' argument")
        if self.defaults.get("method") != "'auto'":
            self.fail("defaults", "'method' must default to 'auto'")
        if not isinstance(self.methods, dict) or not self.methods:
            self.fail("methods", "must map method names to kernel names")
        for method, target in self.methods.items():
            if method == "auto" or not method.isidentifier():
                self.fail(f"methods.{method}", "must be an identifier other than 'auto'")
            if not isinstance(target, str) or not target.isidentifier():
                self.fail(f"methods.{method}", f"{target!r} is not a kernel name")
        rules = self.auto if isinstance(self.auto, dict) else dict.fromkeys(BACKENDS, self.auto)
        allowed = {s for s, src in self.sizes.items() if src} | set(FLAGS)
        self.rules = {}
        for backend, text in rules.items():
            if backend not in BACKENDS:
                self.fail("auto", f"unknown backend {backend!r}")
            node = self.parse_expr(f"auto.{backend}", text)
            unknown = read_names(node) - allowed
            if unknown:
                self.fail(
                    f"auto.{backend}",
                    f"uses unknown names {sorted(unknown)} (size symbols and {', '.join(FLAGS)} only)",
                )
            strings = {
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            if not strings or strings - set(self.methods):
                self.fail(
                    f"auto.{backend}",
                    f"must evaluate to one of the methods {sorted(self.methods)}",
                )
            self.rules[backend] = text
        self.calls = list(dict.fromkeys([*self.calls, *self.methods.values()]))

    def resolve(self, everything: dict) -> None:
        """Check the method kernels exist and take only the dispatcher's arguments."""
        available = {}
        for method, target in self.methods.items():
            kernel = everything.get(target)
            if kernel is None or not isinstance(kernel, Kernel):
                raise SpecError(
                    f"kernel '{self.name}', field 'methods.{method}': no kernel '{target}'"
                )
            extra = set(kernel.args) - set(self.args)
            if extra:
                raise SpecError(
                    f"kernel '{self.name}', field 'methods.{method}': '{target}' takes "
                    f"{sorted(extra)}, which the dispatcher does not"
                )
            for backend in kernel.backends():
                available.setdefault(backend, []).append(method)
        self.available = available
        for backend in BACKENDS:
            if backend not in available:
                self.skip.setdefault(backend, "no method of this result exists for this backend")
            elif backend not in self.rules:
                raise SpecError(f"kernel '{self.name}', field 'auto': no rule for {backend}")
        self.method_kernels = {m: everything[t] for m, t in self.methods.items()}
        super().resolve(everything)

    def methods_for(self, backend: str) -> list[str]:
        """The methods whose kernels ``backend`` has (all of them once resolved)."""
        return list(getattr(self, "available", {}).get(backend, []))

    def method_target(self, kernels: dict) -> Dispatch:
        return self


def view(k: Dispatch, backend: str) -> dict:
    rule = k.rules[backend]
    used = read_names(ast.parse(rule, mode="eval"))
    first_array = k.array_args[0] if k.array_args else "None"
    return {
        "methods": [
            (m, impl_name(k.methods[m]), list(k.method_kernels[m].args))
            for m in k.methods_for(backend)
        ],
        "method_names": k.methods_for(backend),
        "rule": rule,
        "rule_sizes": k.size_lines_for(rule),
        "flag_lines": [
            FLAGS[flag][backend].format(first_array=first_array) for flag in FLAGS if flag in used
        ],
    }
