"""The declaration grammar: argument declarations as data, and a declaration in words.

A declaration is a short string, the one the kernel specs in ``kernels_spec/`` use and the
input checks of every backend (:mod:`autojax._validate`) read:

=====================================  ====================================================
``"f8[K]"``                            float64 array of shape (K,); K is bound on first sight
``"f8[K,2]"``                          float64 array, second axis exactly 2
``"f8[N,W=2*N-1]"``                    axis size W bound here *and* tied to other sizes
``"c16[K]"``                           complex128 array (a real array is refused)
``"i8[M,B] in [-1,S)"``                int64 array whose values lie in [-1, S)
``"i8[M,2] in [0,Ry//2)x[0,Rx//2)"``   one half-open range per column (size expressions)
``"i8[S] in [0,P] counts neighbors"``  values in [0, P] (closed), and ``value[i]`` equals the
                                       number of entries of ``neighbors[i]`` before its
                                       first negative one (the -1 that ends the row)
``"f8[K] finite"``                     no NaN or inf
``"c16[K] finite !=0 re==im"``         also non-zero real and imaginary parts, and equal
                                       real and imaginary parts (to 1e-12 relative)
``"b1[N,N]"``                          bool array
``"int"`` / ``"float"``                Python/NumPy scalar
``"float finite >0"``                  positive finite scalar (flags as for arrays)
``"int -> S"``                         integer scalar that also binds the size symbol S
``"int2 >0"`` / ``"float2 finite"``    pair of scalars, e.g. a shape or pixel scales
``"str"``                              a string (a method name); passed through after a check
``"any"``                              passed through unchecked
=====================================  ====================================================

Flags are ``finite``, ``>0``, ``>=0``, ``!=0`` (for complex: both parts non-zero) and
``re==im`` (complex only). Size symbols are those of docs/contract.md (N, M, K, S, B, P, ...).
The same symbol in two declarations must name the same size, so ``uv_wavelengths:
f8[K,2]`` and ``noise_map_real: f8[K]`` catch a mismatched K with a message naming both
arguments. :func:`check_decls` checks a whole argument list (a ``counts`` target must be
a declared 2-d int array with the same rows; every symbol a bound or a tie reads must be
bound by some argument); the spec loader and :class:`Checker` both call it.

This module parses and describes declarations (:func:`parse_decl`, :class:`Decl`,
:meth:`Decl.describe`); it needs neither NumPy nor an array library, so the generator
(``codegen/``) imports it as it is. The checks themselves are in :mod:`autojax._validate`.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Decl", "parse_decl", "check_decls", "FLAGS", "FLAG_WORDS"]

_KIND_NAMES = {"f8": "float64", "i8": "int64", "c16": "complex128", "b1": "bool"}
_SCALARS = ("int", "float", "int2", "float2", "str", "any")
FLAGS = ("finite", ">0", ">=0", "!=0", "re==im")
#: which flags each dtype / scalar kind may carry
_FLAGS_FOR = {
    "f8": {"finite", ">0", ">=0", "!=0"},
    "c16": {"finite", "!=0", "re==im"},
    "float": {"finite", ">0", ">=0", "!=0"},
    "float2": {"finite", ">0", ">=0", "!=0"},
    "int": {">0", ">=0", "!=0"},
    "int2": {">0", ">=0", "!=0"},
}
_HEAD_RE = re.compile(r"^(?P<dtype>f8|i8|c16|b1)\[(?P<shape>[^\]]*)\](?P<rest>.*)$")
_BOUNDS_RE = re.compile(r"^in\s*\[\s*(?P<lo>-?\w+)\s*,\s*(?P<hi>-?\w+)\s*(?P<close>[\)\]])")
#: one range per column of the last axis: ``in [lo,hi)x[lo,hi)...``, items size expressions
_COLUMNS_RE = re.compile(r"^in\s*(?P<ranges>\[[^\]\)]*\)(?:\s*x\s*\[[^\]\)]*\))+)")
_RANGE_RE = re.compile(r"\[\s*(?P<lo>[^,]+?)\s*,\s*(?P<hi>[^\)]+?)\s*\)")
_COUNTS_RE = re.compile(r"^counts\s+(?P<target>[A-Za-z_]\w*)")
_SCALAR_RE = re.compile(
    r"^(?P<kind>int2|float2|int|float|str|any)(?:\s*->\s*(?P<bind>[A-Za-z_]\w*))?(?P<rest>.*)$"
)
_SYMBOL_RE = re.compile(r"^[A-Za-z_]\w*$")
_TIE_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.FloorDiv,
    ast.USub,
)


@dataclass(frozen=True)
class Decl:
    """One parsed argument declaration."""

    text: str
    dtype: str | None  # "f8", "i8", "c16", "b1" for arrays; None for scalars
    shape: tuple[str | int, ...] | None  # symbols or fixed sizes; None for scalars
    scalar: str | None = None  # "int", "float", "int2", "float2", "any"
    bind: str | None = None  # size symbol a scalar binds
    bounds: tuple[str | int, str | int] | None = None  # [lo, hi) (or [lo, hi]) for ints
    closed: bool = False  # the upper bound is included
    counts: str | None = None  # argument whose rows this array counts (up to the first -1)
    flags: tuple[str, ...] = ()  # value rules: finite, >0, >=0, !=0, re==im
    ties: tuple[tuple[str, str], ...] = ()  # (symbol, expression of other sizes)
    #: per column of the last axis, a half-open range [lo, hi) of size expressions
    columns: tuple[tuple[str | int, str | int], ...] | None = None

    @property
    def is_array(self) -> bool:
        return self.dtype is not None

    @property
    def has_rules(self) -> bool:
        """Whether values (not only shapes) are checked."""
        return bool(self.bounds or self.columns or self.counts or self.flags)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Size symbols this declaration mentions, in order."""
        out = []
        items = list(self.shape or ()) + list(self.bounds or ())
        items += [self.bind] if self.bind else []
        for _, expr in self.ties:
            items += sorted(_tie_names(expr))
        for item in (i for pair in self.columns or () for i in pair):
            items += sorted(_tie_names(item)) if isinstance(item, str) else []
        for item in items:
            if isinstance(item, str) and item not in out:
                out.append(item)
        return tuple(out)

    @functools.cached_property
    def tie_symbols(self) -> frozenset[str]:
        return frozenset(name for _, expr in self.ties for name in _tie_names(expr))

    def describe(self) -> str:
        """Human-readable form used in docstrings and error messages."""
        if self.is_array:
            ties = dict(self.ties)
            dims = ", ".join(f"{s} = {ties[s]}" if s in ties else str(s) for s in self.shape)
            text = f"{_KIND_NAMES[self.dtype]} array of shape ({dims}{',' if len(self.shape) == 1 else ''})"
            if self.bounds:
                text += (
                    f", values in [{self.bounds[0]}, {self.bounds[1]}{']' if self.closed else ')'}"
                )
            if self.columns:
                text += ", values in " + _columns_text(self.columns) + " (one range per column)"
            if self.counts:
                text += f", counting the entries of each row of {self.counts} before its first -1"
        else:
            text = {
                "int": "int",
                "float": "float",
                "int2": "pair of ints",
                "float2": "pair of floats",
                "str": "str",
                "any": "any value",
            }[self.scalar]
            if self.bind:
                text += f" (= {self.bind})"
        if self.flags:
            text += ", " + ", ".join(FLAG_WORDS[f] for f in self.flags)
        return text


FLAG_WORDS = {
    "finite": "finite",
    ">0": "positive",
    ">=0": "non-negative",
    "!=0": "non-zero",
    "re==im": "real part equal to imaginary part",
}


def _columns_text(columns) -> str:
    return " x ".join(f"[{lo}, {hi})" for lo, hi in columns)


def _size_expr(text: str, token: str) -> str | int:
    """A bound of a column range: an integer, or a size expression (symbols, + - * //)."""
    token = token.strip()
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    try:
        _tie_code(token)
    except (SyntaxError, ValueError):
        raise ValueError(
            f"declaration {text!r}: bad bound {token!r} (sizes, integers, + - * // only)"
        ) from None
    return token


def _size_value(item: str | int, env: Mapping[str, int]) -> int:
    """The value of a size expression (checked AST) given the sizes ``env``."""
    if isinstance(item, int):
        return item
    return eval(_tie_code(item), {"__builtins__": {}}, dict(env))  # noqa: S307 (checked AST)


def _size_item(token: str) -> str | int:
    token = token.strip()
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if not _SYMBOL_RE.match(token):
        raise ValueError(f"bad size {token!r}")
    return token


@functools.cache
def _tie_code(expr: str):
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _TIE_NODES) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, int)
        ):
            raise ValueError(
                f"size expression {expr!r} may use only size symbols, integers, + - * //"
            )
    return compile(tree, "<tie>", "eval")


@functools.cache
def _tie_names(expr: str) -> frozenset[str]:
    return frozenset(
        n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)
    )


def _parse_flags(text: str, rest: str, allowed: set[str]) -> tuple[str, ...]:
    flags = []
    for token in rest.split():
        if token not in FLAGS:
            raise ValueError(
                f"declaration {text!r}: {token!r} is not understood; flags are {', '.join(FLAGS)}"
            )
        if token not in allowed:
            raise ValueError(f"declaration {text!r}: flag {token!r} does not apply here")
        if token in flags:
            raise ValueError(f"declaration {text!r}: flag {token!r} given twice")
        flags.append(token)
    return tuple(flags)


@functools.cache
def parse_decl(text: str) -> Decl:
    """Parse a declaration string; raise ValueError with the offending text."""
    text = text.strip()
    m = _HEAD_RE.match(text)
    if m:
        dtype = m.group("dtype")
        shape_text = m.group("shape").strip()
        if not shape_text:
            raise ValueError(f"declaration {text!r}: an array needs at least one axis")
        shape, ties = [], []
        for token in shape_text.split(","):
            if "=" in token:
                sym, expr = (t.strip() for t in token.split("=", 1))
                if not _SYMBOL_RE.match(sym):
                    raise ValueError(f"declaration {text!r}: bad size {sym!r}")
                try:
                    _tie_code(expr)
                except SyntaxError:
                    raise ValueError(
                        f"declaration {text!r}: bad size expression {expr!r}"
                    ) from None
                except ValueError as exc:
                    raise ValueError(f"declaration {text!r}: {exc}") from None
                if sym in _tie_names(expr):
                    raise ValueError(f"declaration {text!r}: {sym} is defined by itself")
                ties.append((sym, expr))
                shape.append(sym)
            else:
                try:
                    shape.append(_size_item(token))
                except ValueError as exc:
                    raise ValueError(f"declaration {text!r}: {exc}") from None
        rest = m.group("rest").strip()
        bounds, closed, counts, columns = None, False, None, None
        cols = _COLUMNS_RE.match(rest)
        if cols:
            ranges = _RANGE_RE.findall(cols.group("ranges"))
            if dtype != "i8" or not isinstance(shape[-1], int) or shape[-1] != len(ranges):
                raise ValueError(
                    f"declaration {text!r}: one range per column needs an i8 array whose last "
                    f"axis is the number of ranges ({len(ranges)})"
                )
            columns = tuple((_size_expr(text, lo), _size_expr(text, hi)) for lo, hi in ranges)
            rest = rest[cols.end() :].strip()
        b = None if cols else _BOUNDS_RE.match(rest)
        if b:
            if dtype != "i8":
                raise ValueError(f"declaration {text!r}: only i8 arrays take value bounds")
            try:
                bounds = (_size_item(b.group("lo")), _size_item(b.group("hi")))
            except ValueError as exc:
                raise ValueError(f"declaration {text!r}: {exc}") from None
            closed = b.group("close") == "]"
            rest = rest[b.end() :].strip()
        c = _COUNTS_RE.match(rest)
        if c:
            if dtype != "i8" or len(shape) != 1:
                raise ValueError(f"declaration {text!r}: only a 1-d i8 array can count rows")
            counts = c.group("target")
            rest = rest[c.end() :].strip()
        flags = _parse_flags(text, rest, _FLAGS_FOR.get(dtype, set()))
        return Decl(
            text,
            dtype,
            tuple(shape),
            bounds=bounds,
            closed=closed,
            counts=counts,
            flags=flags,
            ties=tuple(ties),
            columns=columns,
        )
    m = _SCALAR_RE.match(text)
    if m and (not m.group("rest") or m.group("rest")[0].isspace()):
        kind = m.group("kind")
        if m.group("bind") and kind != "int":
            raise ValueError(f"declaration {text!r}: only an int can bind a size")
        flags = _parse_flags(text, m.group("rest"), _FLAGS_FOR.get(kind, set()))
        return Decl(text, None, None, scalar=kind, bind=m.group("bind"), flags=flags)
    raise ValueError(
        f"declaration {text!r} is not understood; expected e.g. 'f8[K,2]', "
        "'i8[M,B] in [-1,S)', 'f8[K] finite !=0', 'int -> S', 'float2'"
    )


def check_decls(decls: Mapping[str, Decl]) -> None:
    """Check a kernel's declarations against each other; raise ValueError naming one argument.

    A ``counts`` target must be a declared 2-d int array with the counting array's rows;
    every symbol a bound or a tie uses must be bound by some argument's shape or ``-> S``.
    """
    bound = set()
    for decl in decls.values():
        bound |= {s for s in decl.shape or () if isinstance(s, str)}
        if decl.bind:
            bound.add(decl.bind)
    for name, decl in decls.items():
        used = {b for b in decl.bounds or () if isinstance(b, str)} | decl.tie_symbols
        for item in (i for pair in decl.columns or () for i in pair):
            used |= _tie_names(item) if isinstance(item, str) else set()
        unknown = sorted(used - bound)
        if unknown:
            raise ValueError(
                f"argument '{name}': {decl.text!r} uses size {', '.join(unknown)}, which no "
                "argument's shape or '-> S' binds"
            )
        if decl.counts:
            target = decls.get(decl.counts)
            if target is None or target.dtype != "i8" or len(target.shape) != 2:
                raise ValueError(
                    f"argument '{name}': {decl.text!r} counts the rows of '{decl.counts}', "
                    "which must be a declared 2-d i8 argument"
                )
            if target.shape[0] != decl.shape[0]:
                raise ValueError(
                    f"argument '{name}': {decl.text!r} has {decl.shape[0]} rows but "
                    f"'{decl.counts}' has {target.shape[0]}"
                )
