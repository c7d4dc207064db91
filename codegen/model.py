"""The spec model: kernels as validated data.

A spec file in ``kernels_spec/`` builds a list ``KERNELS`` from the constructors below.
Each constructor checks its fields at once and raises :class:`SpecError` naming the kernel
and the field; the loader adds the file name. Four kinds of kernel body exist, each with
one template per backend:

- :class:`IndexMap`: ``out[idx...] = expr`` over an index space, optionally summed over a
  reduction index (the visibilities, K). Loops in Numba; broadcasting over index arrays,
  with ``lax.scan`` over chunks of K, in JAX; the same, chunked in Python, in array-API.
- :class:`Contraction`: a reduction over K whose summand factors into an (i, k) part and a
  (j, k) part: per chunk of K, the factor tables are built (loops in Numba, broadcasting
  elsewhere) and multiplied, a matrix product instead of I x J x K summand evaluations.
- :class:`Scatter`: ``out[targets...] += expr`` over nested loops whose rows may end early
  with a -1 sentinel (``stops``). Loops in Numba (``prange`` over the outermost loop when
  it is provably race-free); ``.at[...].add`` in JAX; one-hot contractions in array-API.
- :class:`Composite`: a few lines of array code over a neutral namespace ``xp`` that call
  other kernels and linear algebra; ``xp`` is NumPy for Numba, ``jax.numpy`` for JAX and
  the inputs' namespace for array-API.

:class:`Alias` exports another name for a kernel.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from autojax._decl import Decl, check_decls, parse_decl

BACKENDS = ("numba", "jax", "xp")
#: functions and constants expressions may use, the same in every backend
FUNCTIONS = {"cos", "sin", "sqrt", "abs", "where", "log", "exp", "minimum", "maximum"}
FUNCTIONS |= {"real", "imag"}  # parts of a complex value (c16 arguments)
CONSTANTS = {"pi"}


class SpecError(ValueError):
    """A malformed spec; the message names the kernel and the field."""


def _fail(kernel: str, field_name: str, message: str):
    raise SpecError(f"kernel '{kernel}', field '{field_name}': {message}")


def _parse_expr(kernel: str, field_name: str, text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        _fail(kernel, field_name, "must be a non-empty expression string")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        _fail(kernel, field_name, f"{text!r} is not a Python expression ({exc.msg})")


def _names(node: ast.AST) -> set[str]:
    """Names an expression reads, function names excluded."""
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
    calls = {
        sub.func.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
    }
    return out - calls


def _calls(node: ast.AST) -> set[str]:
    return {
        sub.func.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
    }


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
            _fail(self.name, "doc", "a kernel needs a docstring")
        if not isinstance(self.args, dict) or not self.args:
            _fail(self.name, "args", "must be a non-empty dict of name -> declaration")
        self.decls: dict[str, Decl] = {}
        for arg, text in self.args.items():
            if not arg.isidentifier():
                _fail(self.name, "args", f"{arg!r} is not an identifier")
            _check_name(self.name, f"args.{arg}", arg)
            try:
                self.decls[arg] = parse_decl(text)
            except ValueError as exc:
                _fail(self.name, f"args.{arg}", str(exc))
        try:
            check_decls(self.decls)
        except ValueError as exc:
            arg = str(exc).split("'")[1] if "'" in str(exc) else ""
            _fail(self.name, f"args.{arg}" if arg else "args", str(exc))
        try:
            self.out_decl = parse_decl(self.returns)
        except ValueError as exc:
            _fail(self.name, "returns", str(exc))
        for backend, reason in self.skip.items():
            if backend not in BACKENDS:
                _fail(self.name, "skip", f"unknown backend {backend!r}; expected one of {BACKENDS}")
            if not reason:
                _fail(self.name, "skip", f"backend {backend!r} is skipped without a reason")
        self.family = self.family or self.name
        self._check_defaults()
        if self.result_check:
            from autojax import _linalg

            if not callable(getattr(_linalg, self.result_check, None)):
                _fail(self.name, "result_check", f"autojax._linalg has no {self.result_check!r}")
        for backend, text in self.bodies.items():
            if backend not in BACKENDS:
                _fail(
                    self.name, "bodies", f"unknown backend {backend!r}; expected one of {BACKENDS}"
                )
            try:
                tree = ast.parse(text)
            except SyntaxError as exc:
                _fail(self.name, f"bodies.{backend}", f"not valid Python ({exc.msg})")
            if not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
                _fail(self.name, f"bodies.{backend}", "must return the result")
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

    def _check_defaults(self):
        """``defaults``: trailing arguments -> Python literal source of their default value."""
        if not isinstance(self.defaults, dict):
            _fail(self.name, "defaults", "must be a dict of argument -> literal")
        names = list(self.args)
        for arg, text in self.defaults.items():
            if arg not in self.args:
                _fail(self.name, f"defaults.{arg}", "is not an argument")
            try:
                ast.literal_eval(text)
            except (ValueError, SyntaxError):
                _fail(self.name, f"defaults.{arg}", f"{text!r} is not a Python literal")
        if self.defaults:
            first = min(names.index(a) for a in self.defaults)
            if any(a not in self.defaults for a in names[first:]):
                _fail(
                    self.name,
                    "defaults",
                    "arguments with defaults must come last (after every argument without one)",
                )

    # ------------------------------------------------------------- helpers for templates
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
        """The template family used for ``backend``: a per-backend body is a composite."""
        return "composite" if backend in self.bodies else self.kind

    def body_for(self, backend: str) -> str:
        return self.bodies.get(backend, getattr(self, "body", "")).strip("\n")

    def size_lines(self, needed) -> list[str]:
        """``SYM = <where>`` lines for the size symbols ``needed``."""
        lines = []
        for sym in needed:
            source = self.sizes.get(sym)
            if source:
                lines.append(f"{sym} = {source}")
        return lines

    def known_names(self) -> set[str]:
        return set(self.args) | {s for s, src in self.sizes.items() if src}

    def params_doc(self) -> list[tuple[str, str]]:
        return [(a, d.describe()) for a, d in self.decls.items()]

    @property
    def returns_doc(self) -> str:
        return self.out_decl.describe()


#: names the templates use for their own locals and modules; specs may not reuse them
RESERVED = frozenset(
    {"out", "acc", "live", "block", "blocks", "term", "np", "nb", "jnp", "jax", "lax", "xp"}
    | {"partial", "chunk_size", "require_x64", "validated"}
)


def _check_name(kernel, field_name, name):
    """Argument, index and loop names must not shadow the templates' own locals."""
    if name.startswith("_") or name in RESERVED:
        _fail(
            kernel,
            field_name,
            f"name {name!r} is reserved for the generated code (names starting with '_' and "
            f"{', '.join(sorted(RESERVED))})",
        )


def _check_lets(kernel, lets, known) -> set[str]:
    """Validate ``lets`` (each may use the ones before it); return ``known`` plus their names."""
    for name, text in lets.items():
        _check_name(kernel, f"lets.{name}", name)
        node = _parse_expr(kernel, f"lets.{name}", text)
        unknown = _names(node) - known - CONSTANTS
        if unknown:
            _fail(kernel, f"lets.{name}", f"uses unknown names {sorted(unknown)}")
        known = known | {name}
    return known


def _check_expr(kernel, field_name, text, allowed) -> None:
    """An expression may use only ``allowed`` names and constants, and call only FUNCTIONS."""
    if not isinstance(text, str):
        _fail(kernel, field_name, "must be an expression string")
    node = _parse_expr(kernel, field_name, text)
    unknown = _names(node) - allowed - CONSTANTS
    if unknown:
        _fail(
            kernel,
            field_name,
            f"uses unknown names {sorted(unknown)} (not arguments, sizes, lets or its indices)",
        )
    bad = _calls(node) - FUNCTIONS
    if bad:
        _fail(kernel, field_name, f"calls {sorted(bad)}; allowed: {sorted(FUNCTIONS)}")


def _check_extent(kernel, field_name, text, known):
    node = _parse_expr(kernel, field_name, str(text))
    unknown = _names(node) - known
    if unknown:
        _fail(kernel, field_name, f"extent {text!r} uses unknown names {sorted(unknown)}")
    return str(text)


@dataclass
class IndexMap(Kernel):
    """``out[index...] = expr``, or ``sum over reduce`` of it.

    ``index``: ordered output indices -> extents (size symbols, scalar arguments or small
    expressions of them). ``reduce``: ``(name, extent)`` of a summed index, or None.
    ``lets``: scalar values computed once before the loops. ``symmetric``: the first two
    output indices may be swapped (loops compute one triangle and mirror it).
    """

    index: dict[str, str] = field(default_factory=dict)
    expr: str = ""
    reduce: tuple[str, str] | None = None
    lets: dict[str, str] = field(default_factory=dict)
    symmetric: bool = False

    kind = "index_map"

    def __post_init__(self):
        super().__post_init__()
        if not self.index:
            _fail(self.name, "index", "needs at least one output index")
        if not self.out_decl.is_array or len(self.out_decl.shape) != len(self.index):
            _fail(
                self.name, "returns", f"must be an array with {len(self.index)} axes, one per index"
            )
        known = self.known_names()
        known = _check_lets(self.name, self.lets, known)
        for idx, extent in self.index.items():
            _check_name(self.name, f"index.{idx}", idx)
            _check_extent(self.name, f"index.{idx}", extent, known)
        indices = set(self.index)
        if self.reduce is not None:
            if not (isinstance(self.reduce, tuple) and len(self.reduce) == 2):
                _fail(self.name, "reduce", "must be a (name, extent) pair")
            _check_name(self.name, "reduce", self.reduce[0])
            _check_extent(self.name, "reduce", self.reduce[1], known)
            indices.add(self.reduce[0])
        _check_expr(self.name, "expr", self.expr, known | indices)
        if self.symmetric and (len(self.index) < 2 or len(set(list(self.index.values())[:2])) != 1):
            _fail(self.name, "symmetric", "needs two leading output indices of the same extent")
        self.out_dtype = self.out_decl.dtype

    @property
    def index_names(self) -> list[str]:
        return list(self.index)

    @property
    def extents(self) -> list[str]:
        return list(self.index.values())


@dataclass
class Contraction(Kernel):
    """``out[i, j] = sum over k of weight[k] * sum_t left_t[i, k] * right_t[j, k]``.

    A reduction whose summand factors into a part that depends on (i, k) and a part that
    depends on (j, k), as ``cos(a - b) = cos a cos b + sin a sin b`` makes of a phase
    difference: the backends build the factor tables for a chunk of k and multiply them
    (a matrix product per chunk), so the summand is evaluated (I + J) K times instead of
    I J K times and the products run in BLAS.

    ``index``: the two output indices -> extents. ``reduce``: ``(name, extent)``. ``terms``:
    ``(left, right)`` expression pairs; left may use the first index and k, right the second
    index and k. ``weight``: an expression of k (default 1). ``lets``: scalars computed first.

    ``symmetric``: right is left with the indices swapped (both indices have the same extent
    and the terms give ``right`` as None); one table is built and the result is mirrored so
    it is exactly symmetric.

    With a single output index the right factors depend on k alone and each chunk adds a
    matrix-vector product: ``out[i] = sum_k weight[k] * sum_t left_t[i, k] * right_t[k]``.
    """

    index: dict[str, str] = field(default_factory=dict)
    reduce: tuple[str, str] | None = None
    terms: list[tuple[str, str | None]] = field(default_factory=list)
    weight: str = "1.0"
    lets: dict[str, str] = field(default_factory=dict)
    symmetric: bool = False

    kind = "contraction"

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.index, dict) or len(self.index) not in (1, 2):
            _fail(self.name, "index", "needs one output index (i) or two (i, j)")
        if not self.out_decl.is_array or len(self.out_decl.shape) != len(self.index):
            _fail(self.name, "returns", f"must be a {len(self.index)}-d array, one axis per index")
        known = self.known_names()
        known = _check_lets(self.name, self.lets, known)
        (i, ei), (j, ej) = [*self.index.items(), (None, None)][:2]
        if self.vector and self.symmetric:
            _fail(self.name, "symmetric", "needs two output indices")
        for idx, extent in self.index.items():
            _check_name(self.name, f"index.{idx}", idx)
            _check_extent(self.name, f"index.{idx}", extent, known)
        if not (isinstance(self.reduce, tuple) and len(self.reduce) == 2):
            _fail(self.name, "reduce", "must be a (name, extent) pair")
        k = self.reduce[0]
        _check_name(self.name, "reduce", k)
        _check_extent(self.name, "reduce", self.reduce[1], known)
        if self.symmetric and ei != ej:
            _fail(self.name, "symmetric", "needs both indices to have the same extent")
        _check_expr(self.name, "weight", self.weight, known | {k})
        if not self.terms:
            _fail(self.name, "terms", "needs at least one (left, right) pair")
        for n, term in enumerate(self.terms):
            if not (isinstance(term, tuple) and len(term) == 2):
                _fail(self.name, f"terms[{n}]", "must be a (left, right) pair")
            left, right = term
            _check_expr(self.name, f"terms[{n}].left", left, known | {i, k})
            if self.symmetric:
                if right is not None:
                    _fail(self.name, f"terms[{n}].right", "must be None when symmetric")
            else:
                _check_expr(
                    self.name, f"terms[{n}].right", right, known | {k} | ({j} if j else set())
                )

    @property
    def vector(self) -> bool:
        """One output index: each chunk adds a matrix-vector product."""
        return len(self.index) == 1

    def right_terms(self) -> list[str]:
        """Right factors; for a symmetric contraction, the left ones with i renamed j."""
        if not self.symmetric:
            return [r for _, r in self.terms]
        (i, _), (j, _) = self.index.items()

        class Swap(ast.NodeTransformer):
            def visit_Name(self, node):
                return ast.Name(j, ast.Load()) if node.id == i else node

        return [ast.unparse(Swap().visit(ast.parse(left, mode="eval"))) for left, _ in self.terms]


@dataclass
class Scatter(Kernel):
    """``out[targets] += expr`` over nested ``loops`` (outermost first).

    ``out_shape``: extents of the result (zeros to start with). ``stops``: loop index ->
    condition; the loop over that index ends at the first entry where it is false (the -1
    sentinel of KERNELS.md). ``updates``: statements ``out[t0, t1] += expr`` (or ``-=``).
    """

    loops: dict[str, str] = field(default_factory=dict)
    out_shape: tuple[str, ...] = ()
    stops: dict[str, str] = field(default_factory=dict)
    updates: list[str] = field(default_factory=list)

    kind = "scatter"

    def __post_init__(self):
        super().__post_init__()
        known = self.known_names()
        if not self.loops:
            _fail(self.name, "loops", "needs at least one loop")
        for idx, extent in self.loops.items():
            _check_name(self.name, f"loops.{idx}", idx)
            _check_extent(self.name, f"loops.{idx}", extent, known)
        if not self.out_decl.is_array or len(self.out_shape) != len(self.out_decl.shape):
            _fail(self.name, "out_shape", "must give one extent per axis of 'returns'")
        for i, extent in enumerate(self.out_shape):
            _check_extent(self.name, f"out_shape[{i}]", extent, known)
        loops = set(self.loops)
        for idx, cond in self.stops.items():
            if idx not in loops:
                _fail(self.name, f"stops.{idx}", "is not a loop index")
            node = _parse_expr(self.name, f"stops.{idx}", cond)
            if _names(node) - known - loops:
                _fail(
                    self.name,
                    f"stops.{idx}",
                    f"uses unknown names {sorted(_names(node) - known - loops)}",
                )
        if not self.updates:
            _fail(self.name, "updates", "needs at least one 'out[...] += expr' statement")
        self.parsed_updates = []
        for n, text in enumerate(self.updates):
            try:
                stmt = ast.parse(text.strip()).body
            except SyntaxError as exc:
                _fail(self.name, f"updates[{n}]", f"{text!r} is not a statement ({exc.msg})")
            if (
                len(stmt) != 1
                or not isinstance(stmt[0], ast.AugAssign)
                or not isinstance(stmt[0].op, (ast.Add, ast.Sub))
                or not isinstance(stmt[0].target, ast.Subscript)
                or not isinstance(stmt[0].target.value, ast.Name)
                or stmt[0].target.value.id != "out"
            ):
                _fail(
                    self.name,
                    f"updates[{n}]",
                    f"{text!r} must read 'out[...] += expr' or 'out[...] -= expr'",
                )
            target = stmt[0].target.slice
            targets = list(target.elts) if isinstance(target, ast.Tuple) else [target]
            if len(targets) != len(self.out_shape):
                _fail(
                    self.name,
                    f"updates[{n}]",
                    f"indexes out with {len(targets)} subscripts, out has {len(self.out_shape)} axes",
                )
            for t in targets:
                if _names(t) - known - loops:
                    _fail(
                        self.name,
                        f"updates[{n}]",
                        f"subscript {ast.unparse(t)!r} uses unknown names",
                    )
            value = stmt[0].value
            if _names(value) - known - loops - CONSTANTS:
                _fail(
                    self.name,
                    f"updates[{n}]",
                    f"value uses unknown names {sorted(_names(value) - known - loops - CONSTANTS)}",
                )
            if _calls(value) - FUNCTIONS:
                _fail(self.name, f"updates[{n}]", f"calls {sorted(_calls(value) - FUNCTIONS)}")
            sign = "+" if isinstance(stmt[0].op, ast.Add) else "-"
            self.parsed_updates.append((targets, sign, value))
        if "xp" not in self.skip and "xp" not in self.bodies:
            _fail(
                self.name,
                "bodies",
                "the array API has no accumulating scatter-add: give an 'xp' body "
                "(e.g. a one-hot contraction) or skip xp with a reason",
            )

    @property
    def loop_names(self) -> list[str]:
        return list(self.loops)

    def race_free_outer(self) -> bool:
        """True when every update writes ``out[..., outer, ...]`` with the outermost loop index bare.

        Then two iterations of the outer loop never write the same element, so the loop can
        run in parallel without atomics.
        """
        outer = self.loop_names[0]
        for targets, _, _ in self.parsed_updates:
            if not any(isinstance(t, ast.Name) and t.id == outer for t in targets):
                return False
        return True


@dataclass
class Composite(Kernel):
    """A short body of array code over ``xp`` that may call other kernels.

    ``body``: Python statements ending in ``return``; names are arguments, ``xp`` and kernel
    names from ``calls``. ``bodies``: per-backend replacements for backends whose library
    offers something the others lack (JAX's sparse BCOO); prefer one ``body``.
    """

    body: str = ""

    kind = "composite"

    def __post_init__(self):
        super().__post_init__()
        if not self.body and any(b not in self.bodies for b in self.backends()):
            _fail(self.name, "body", "needs a body (or one per backend in 'bodies')")
        if self.body:
            try:
                tree = ast.parse(self.body)
            except SyntaxError as exc:
                _fail(self.name, "body", f"not valid Python ({exc.msg})")
            if not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
                _fail(self.name, "body", "must end in a return statement")


@dataclass
class Alias:
    """Another public name for ``target`` (same arguments, same result)."""

    name: str
    target: str
    doc: str = ""
    spec_file: str = ""

    kind = "alias"

    def __post_init__(self):
        if not self.name.isidentifier() or not self.target.isidentifier():
            raise SpecError(f"alias {self.name!r} -> {self.target!r}: both must be identifiers")
