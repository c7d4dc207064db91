"""The spec model's base: :class:`Kernel`, the fields and checks every kernel shares.

A spec file in ``kernels_spec/`` builds a list ``KERNELS`` from the kinds of
:mod:`codegen.kinds` (one module per kind: its spec class, its checks and its view per
backend). Each constructor checks its fields at once and raises :class:`SpecError` naming
the kernel and the field; the loader adds the file name.

:class:`Kernel` gives every kind the same helpers (the public API the kinds use):
``fail``, ``parse_expr``, ``check_name``, ``check_lets``, ``check_expr``,
``check_extent`` and ``size_lines_for``, and default *hooks* a kind overrides where it
differs: ``resolve`` (run once every spec is loaded), ``methods_for`` and
``method_target`` (what ``method=`` chooses among), ``base_view`` (the template fields
every kind shares). The declaration grammar is :mod:`autojax._decl`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from autojax._decl import Decl, check_decls, parse_decl

from .expr import called_names, names, read_names

BACKENDS = ("numba", "jax", "xp")
#: functions and constants expressions may use, the same in every backend
FUNCTIONS = {"cos", "sin", "sqrt", "abs", "where", "log", "exp", "minimum", "maximum"}
FUNCTIONS |= {"real", "imag"}  # parts of a complex value (c16 arguments)
CONSTANTS = {"pi"}
#: names the templates use for their own locals and modules; specs may not reuse them
RESERVED = frozenset(
    {"out", "acc", "live", "block", "blocks", "term", "np", "nb", "jnp", "jax", "lax", "xp"}
    | {"partial", "chunk_size", "require_x64", "validated"}
)


class SpecError(ValueError):
    """A malformed spec; the message names the kernel and the field."""


def impl_name(kernel: str) -> str:
    """The private name of a kernel's implementation in the generated modules."""
    return f"_{kernel.lstrip('_')}_impl"


@dataclass
class Kernel:
    """Fields every kernel has.

    ``args`` maps argument names (in order) to declarations (see ``autojax._decl``);
    ``returns`` declares the result; ``family`` and ``method`` group kernels computing the
    same quantity in different ways (reports and benchmarks use them); ``skip`` maps a
    backend to the reason it does not get this kernel. ``result_check`` names a function
    of ``autojax._linalg`` that the public function passes its result through, as
    ``check(kernel, result, *arguments)``: where a jitted body cannot raise (JAX), it turns
    a failure the body marked (NaN) into an exception when the values are concrete.
    """

    name: str
    doc: str
    args: dict[str, str]
    returns: str
    family: str = ""
    method: str = "direct"
    skip: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    result_check: str = ""
    spec_file: str = ""

    kind = "kernel"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise SpecError(f"kernel name {self.name!r} is not an identifier")
        if not isinstance(self.doc, str) or not self.doc.strip():
            self.fail("doc", "a kernel needs a docstring")
        if not isinstance(self.args, dict) or not self.args:
            self.fail("args", "must be a non-empty dict of name -> declaration")
        self.decls: dict[str, Decl] = {}
        for arg, text in self.args.items():
            if not arg.isidentifier():
                self.fail("args", f"{arg!r} is not an identifier")
            self.check_name(f"args.{arg}", arg)
            try:
                self.decls[arg] = parse_decl(text)
            except ValueError as exc:
                self.fail(f"args.{arg}", str(exc))
        try:
            check_decls(self.decls)
        except ValueError as exc:
            arg = str(exc).split("'")[1] if "'" in str(exc) else ""
            self.fail(f"args.{arg}" if arg else "args", str(exc))
        try:
            self.out_decl = parse_decl(self.returns)
        except ValueError as exc:
            self.fail("returns", str(exc))
        for backend, reason in self.skip.items():
            if backend not in BACKENDS:
                self.fail("skip", f"unknown backend {backend!r}; expected one of {BACKENDS}")
            if not reason:
                self.fail("skip", f"backend {backend!r} is skipped without a reason")
        self.family = self.family or self.name
        self._check_defaults()
        if self.result_check:
            from autojax import _linalg

            if not callable(getattr(_linalg, self.result_check, None)):
                self.fail("result_check", f"autojax._linalg has no {self.result_check!r}")
        for backend, text in self.bodies.items():
            if backend not in BACKENDS:
                self.fail("bodies", f"unknown backend {backend!r}; expected one of {BACKENDS}")
            try:
                tree = ast.parse(text)
            except SyntaxError as exc:
                self.fail(f"bodies.{backend}", f"not valid Python ({exc.msg})")
            if not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
                self.fail(f"bodies.{backend}", "must return the result")
        # size symbols: where each can be read from at run time
        self.sizes: dict[str, str] = {}
        for arg, decl in self.decls.items():
            if decl.bind and decl.bind not in self.sizes:
                self.sizes[decl.bind] = arg
            for axis, item in enumerate(decl.shape or ()):
                if isinstance(item, str) and item not in self.sizes:
                    self.sizes[item] = f"{arg}.shape[{axis}]"
        for sym in self.out_decl.symbols:
            if sym not in self.sizes:
                self.sizes.setdefault(sym, "")  # must be given by the body (checked by kinds)
        self.method_source = None  # the kernel method= reaches (set by resolve)

    def _check_defaults(self):
        """``defaults``: trailing arguments -> Python literal source of their default value."""
        if not isinstance(self.defaults, dict):
            self.fail("defaults", "must be a dict of argument -> literal")
        names = list(self.args)
        for arg, text in self.defaults.items():
            if arg not in self.args:
                self.fail(f"defaults.{arg}", "is not an argument")
            try:
                ast.literal_eval(text)
            except (ValueError, SyntaxError):
                self.fail(f"defaults.{arg}", f"{text!r} is not a Python literal")
        if self.defaults:
            first = min(names.index(a) for a in self.defaults)
            if any(a not in self.defaults for a in names[first:]):
                self.fail(
                    "defaults",
                    "arguments with defaults must come last (after every argument without one)",
                )

    # ------------------------------------------------------------------ checks (for kinds)
    def fail(self, field_name: str, message: str):
        """Raise :class:`SpecError` naming this kernel and ``field_name``."""
        raise SpecError(f"kernel '{self.name}', field '{field_name}': {message}")

    def parse_expr(self, field_name: str, text: str) -> ast.expr:
        """The expression ``text`` of ``field_name`` as an AST (a clear error if it is none)."""
        if not isinstance(text, str) or not text.strip():
            self.fail(field_name, "must be a non-empty expression string")
        try:
            return ast.parse(text.strip(), mode="eval").body
        except SyntaxError as exc:
            self.fail(field_name, f"{text!r} is not a Python expression ({exc.msg})")

    def check_name(self, field_name: str, name: str) -> None:
        """Argument, index and loop names must not shadow the templates' own locals."""
        if name.startswith("_") or name in RESERVED:
            self.fail(
                field_name,
                f"name {name!r} is reserved for the generated code (names starting with '_' "
                f"and {', '.join(sorted(RESERVED))})",
            )

    def check_lets(self, lets: dict[str, str], known: set[str]) -> set[str]:
        """Validate ``lets`` (each may use the ones before it); return ``known`` plus their names."""
        for name, text in lets.items():
            self.check_name(f"lets.{name}", name)
            node = self.parse_expr(f"lets.{name}", text)
            unknown = read_names(node) - known - CONSTANTS
            if unknown:
                self.fail(f"lets.{name}", f"uses unknown names {sorted(unknown)}")
            known = known | {name}
        return known

    def check_expr(self, field_name: str, text: str, allowed: set[str]) -> None:
        """An expression may use only ``allowed`` names and constants, and call only FUNCTIONS."""
        if not isinstance(text, str):
            self.fail(field_name, "must be an expression string")
        node = self.parse_expr(field_name, text)
        unknown = read_names(node) - allowed - CONSTANTS
        if unknown:
            self.fail(
                field_name,
                f"uses unknown names {sorted(unknown)} (not arguments, sizes, lets or its indices)",
            )
        bad = called_names(node) - FUNCTIONS
        if bad:
            self.fail(field_name, f"calls {sorted(bad)}; allowed: {sorted(FUNCTIONS)}")

    def check_extent(self, field_name: str, text, known: set[str]) -> str:
        """An extent (a size expression) may use only ``known`` names; returns its text."""
        node = self.parse_expr(field_name, str(text))
        unknown = read_names(node) - known
        if unknown:
            self.fail(field_name, f"extent {text!r} uses unknown names {sorted(unknown)}")
        return str(text)

    def known_names(self) -> set[str]:
        """Names an expression may read before lets and indices: arguments and known sizes."""
        return set(self.args) | {s for s, src in self.sizes.items() if src}

    # ------------------------------------------------------------------ hooks (kinds override)
    def resolve(self, kernels: dict) -> None:
        """Called once every spec is loaded, with every kernel and alias by name.

        Checks that the kernels ``calls`` names exist; a kind that refers to other kernels
        (a dispatcher's methods) checks them too and then calls this.
        """
        for call in self.calls:
            if call not in kernels:
                self.fail("calls", f"no kernel '{call}'")
        self.method_source = self.method_target(kernels)

    def methods_for(self, backend: str) -> list[str] | None:
        """The methods this kernel itself chooses among in ``backend``; None: it does not."""
        return None

    def method_target(self, kernels: dict):
        """The kernel whose methods this kernel's ``method=`` chooses among, or None.

        A kernel with a ``method`` argument passes it on to a kernel it calls; the first
        call (at any depth) that reaches a dispatcher decides. A dispatcher is its own.
        """
        if "method" not in self.args:
            return None
        for call in self.calls:
            found = kernels[call].method_target(kernels)
            if found is not None:
                return found
        return None

    def capability(self) -> dict:
        """What ``generated/capabilities.py`` records of this kernel (besides its spec file)."""
        return {
            "family": self.family,
            "method": self.method,
            "alias_of": None,
            "args": list(self.args),
            "skip": dict(self.skip),
            "methods": {b: found for b in BACKENDS if (found := self.methods_for(b)) is not None},
        }

    def base_view(self, backend: str) -> dict:
        """The template fields every kind shares (a kind's view adds its own).

        ``method_choices``: what ``method=`` chooses among in ``backend`` (see
        ``method_target``), or None; the package ``__init__`` lists it.
        """
        doc = self.doc.strip().splitlines()
        signature = ", ".join(self.args)
        return {
            "k": self,
            "name": self.name,
            "impl": impl_name(self.name),
            # the arguments the public function passes to the implementation
            "impl_args": signature,
            "kind": self.kind_for(backend),
            "signature": signature,
            "def_signature": self.def_signature,
            "decls": ", ".join(f'{a}="{t}"' for a, t in self.args.items()),
            "static": self.static_args,
            "array_args": self.array_args,
            "summary": doc[0],
            "doc_rest": [line.rstrip() for line in doc[1:]],
            "params": [(a, d.describe()) for a, d in self.decls.items()],
            "returns_doc": self.out_decl.describe(),
            "method": self.method,
            "family": self.family,
            "result_check": self.result_check,
            "method_choices": (
                None if self.method_source is None else self.method_source.methods_for(backend)
            ),
        }

    # ------------------------------------------------------------------ helpers for views
    @property
    def arg_names(self) -> list[str]:
        return list(self.args)

    @property
    def def_signature(self) -> str:
        """Parameters for a ``def`` line: the arguments, trailing ones with their defaults."""
        return ", ".join(f"{a}={self.defaults[a]}" if a in self.defaults else a for a in self.args)

    @property
    def static_args(self) -> list[str]:
        """Arguments JAX must treat as static: ints that fix shapes, int pairs, method names."""
        return [a for a, d in self.decls.items() if d.scalar in ("int", "int2", "str")]

    @property
    def array_args(self) -> list[str]:
        return [a for a, d in self.decls.items() if d.is_array]

    def backends(self) -> list[str]:
        return [b for b in BACKENDS if b not in self.skip]

    def kind_for(self, backend: str) -> str:
        """The view and templates used for ``backend``: a per-backend body is a composite."""
        return "composite" if backend in self.bodies else self.kind

    def body_for(self, backend: str) -> str:
        """The array code of a per-backend body (a composite's own body where it has one)."""
        return self.bodies[backend].strip("\n")

    def size_lines_for(self, *texts: str) -> list[str]:
        """``SYM = <where>`` for each size symbol the texts (expressions, statements) mention.

        In declaration order; symbols only the body can compute (no source) are left out.
        """
        used = set().union(*(names(str(t)) for t in texts))
        return [f"{s} = {src}" for s, src in self.sizes.items() if src and s in used]
