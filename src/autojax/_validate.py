"""Argument declarations and the input checks every backend runs before a kernel.

A declaration is a short string, the same one the kernel specs in ``kernels_spec/`` use:

=============================  ===========================================================
``"f8[K]"``                    float64 array of shape (K,); K is bound on first sight
``"f8[K,2]"``                  float64 array, second axis exactly 2
``"c16[K]"``                   complex128 array
``"i8[M,B] in [-1,S)"``        int64 array whose values lie in [-1, S)
``"b1[N,N]"``                  bool array
``"int"`` / ``"float"``        Python/NumPy scalar
``"int -> S"``                 integer scalar that also binds the size symbol S
``"int2"`` / ``"float2"``      pair of scalars, e.g. a shape or pixel scales
``"str"``                      a string (a method name); passed through after a type check
``"any"``                      passed through unchecked
=============================  ===========================================================

Size symbols are the ones of KERNELS.md (N, M, K, S, B, P, ...). The same symbol in two
declarations must name the same size, so ``uv_wavelengths: f8[K,2]`` and
``noise_map_real: f8[K]`` catch a mismatched K with a message naming both arguments.

Checks raise :class:`TypeError` for the wrong kind of value (complex where real is
expected, float where an index is expected) and :class:`ValueError` for wrong shapes,
mismatched sizes and indices out of range, always naming the kernel and the argument.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Decl", "parse_decl", "Checker", "validated"]

_DTYPES = {
    "f8": np.dtype(np.float64),
    "i8": np.dtype(np.int64),
    "c16": np.dtype(np.complex128),
    "b1": np.dtype(np.bool_),
}
_KIND_NAMES = {"f8": "float64", "i8": "int64", "c16": "complex128", "b1": "bool"}
# dtype kinds each declared dtype accepts (and converts from)
_ACCEPTED_KINDS = {"f8": "fiu", "i8": "iu", "c16": "fiuc", "b1": "b"}
_SCALARS = ("int", "float", "int2", "float2", "str", "any")

_ARRAY_RE = re.compile(
    r"^(?P<dtype>f8|i8|c16|b1)\[(?P<shape>[^\]]*)\]"
    r"(?:\s+in\s+\[(?P<lo>-?\w+)\s*,\s*(?P<hi>-?\w+)\))?$"
)
_SCALAR_RE = re.compile(
    r"^(?P<kind>int|float|int2|float2|str|any)(?:\s*->\s*(?P<bind>[A-Za-z_]\w*))?$"
)
_SYMBOL_RE = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Decl:
    """One parsed argument declaration."""

    text: str
    dtype: str | None  # "f8", "i8", "c16", "b1" for arrays; None for scalars
    shape: tuple[str | int, ...] | None  # symbols or fixed sizes; None for scalars
    scalar: str | None = None  # "int", "float", "int2", "float2", "any"
    bind: str | None = None  # size symbol a scalar binds
    bounds: tuple[str | int, str | int] | None = None  # [lo, hi) for index arrays

    @property
    def is_array(self) -> bool:
        return self.dtype is not None

    @property
    def symbols(self) -> tuple[str, ...]:
        """Size symbols this declaration mentions, in order."""
        out = []
        for item in (self.shape or ()) + (self.bounds or ()) + ((self.bind,) if self.bind else ()):
            if isinstance(item, str) and item not in out:
                out.append(item)
        return tuple(out)

    def describe(self) -> str:
        """Human-readable form used in docstrings and error messages."""
        if self.is_array:
            dims = ", ".join(str(s) for s in self.shape)
            text = f"{_KIND_NAMES[self.dtype]} array of shape ({dims}{',' if len(self.shape) == 1 else ''})"
            if self.bounds:
                text += f", values in [{self.bounds[0]}, {self.bounds[1]})"
            return text
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
        return text


def _size_item(token: str) -> str | int:
    token = token.strip()
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if not _SYMBOL_RE.match(token):
        raise ValueError(f"bad size {token!r}")
    return token


@functools.cache
def parse_decl(text: str) -> Decl:
    """Parse a declaration string; raise ValueError with the offending text."""
    text = text.strip()
    m = _ARRAY_RE.match(text)
    if m:
        shape_text = m.group("shape").strip()
        if not shape_text:
            raise ValueError(f"declaration {text!r}: an array needs at least one axis")
        shape = tuple(_size_item(t) for t in shape_text.split(","))
        bounds = None
        if m.group("lo") is not None:
            if m.group("dtype") != "i8":
                raise ValueError(f"declaration {text!r}: only i8 arrays take value bounds")
            bounds = (_size_item(m.group("lo")), _size_item(m.group("hi")))
        return Decl(text, m.group("dtype"), shape, bounds=bounds)
    m = _SCALAR_RE.match(text)
    if m:
        if m.group("bind") and m.group("kind") != "int":
            raise ValueError(f"declaration {text!r}: only an int can bind a size")
        return Decl(text, None, None, scalar=m.group("kind"), bind=m.group("bind"))
    raise ValueError(
        f"declaration {text!r} is not understood; expected e.g. 'f8[K,2]', "
        "'i8[M,B] in [-1,S)', 'int -> S', 'float2'"
    )


_PAIR_ITEM = {"int2": parse_decl("int"), "float2": parse_decl("float")}


def _is_traced(x) -> bool:
    """True for JAX tracers: their values cannot be inspected."""
    return "Tracer" in type(x).__name__


class Checker:
    """Checks (and for NumPy backends, converts) the arguments of one kernel.

    ``convert`` chooses what happens to array arguments:

    - ``"numpy"``: converted to C-contiguous NumPy arrays of the declared dtype (Numba and
      ``original``); index bounds are checked, since a compiled loop would otherwise read
      out of bounds.
    - ``"keep"``: left as they are (JAX and array-API backends); shape and dtype kind are
      checked, and bounds too when the values are concrete.
    """

    def __init__(self, kernel: str, decls: Mapping[str, str], convert: str = "numpy"):
        if convert not in ("numpy", "keep"):
            raise ValueError(f"convert must be 'numpy' or 'keep', not {convert!r}")
        self.kernel = kernel
        self.decls = {name: parse_decl(text) for name, text in decls.items()}
        self.convert = convert
        items = list(self.decls.items())
        self._scalars = [(n, d) for n, d in items if not d.is_array and d.scalar != "any"]
        self._arrays = [(n, d) for n, d in items if d.is_array]
        self._bounded = [(n, d) for n, d in self._arrays if d.bounds]

    def _fail(self, exc, name, message):
        raise exc(f"{self.kernel}: argument '{name}' {message}")

    def _check_scalar(self, name, decl, value, sizes):
        if decl.scalar == "any":
            return value
        if decl.scalar == "str":
            if not isinstance(value, str):
                self._fail(TypeError, name, f"must be a str, got {type(value).__name__}")
            return value
        if decl.scalar in ("int2", "float2"):
            try:
                items = tuple(value)
            except TypeError:
                self._fail(
                    TypeError, name, f"must be a {decl.describe()}, got {type(value).__name__}"
                )
            if len(items) != 2:
                self._fail(ValueError, name, f"must have 2 entries, got {len(items)}")
            base = _PAIR_ITEM[decl.scalar]
            return (
                self._check_scalar(name, base, items[0], sizes),
                self._check_scalar(name, base, items[1], sizes),
            )
        kind = type(value)
        if (
            kind is float
            and decl.scalar == "float"
            or kind is int
            and decl.scalar == "int"
            and not decl.bind
        ):
            return value  # the common case, already what the kernel wants
        if _is_traced(value):
            return value
        if isinstance(value, (bool, np.bool_)):
            self._fail(TypeError, name, f"must be a {decl.describe()}, got a bool")
        if decl.scalar == "int":
            if isinstance(value, (int, np.integer)) or (
                getattr(value, "ndim", None) == 0 and np.dtype(value.dtype).kind in "iu"
            ):
                value = int(value)
            else:
                self._fail(TypeError, name, f"must be an int, got {type(value).__name__}")
            if decl.bind:
                if value < 0:
                    self._fail(ValueError, name, f"must be non-negative, got {value}")
                self._bind(decl.bind, value, name, sizes)
            return value
        # float
        if isinstance(value, (int, float, np.integer, np.floating)) or (
            getattr(value, "ndim", None) == 0 and np.dtype(value.dtype).kind in "fiu"
        ):
            return float(value)
        self._fail(TypeError, name, f"must be a real number, got {type(value).__name__}")

    def _bind(self, symbol, size, name, sizes):
        seen = sizes.get(symbol)
        if seen is None:
            sizes[symbol] = (size, name)
        elif seen[0] != size:
            self._fail(
                ValueError,
                name,
                f"implies {symbol} = {size}, but '{seen[1]}' gave {symbol} = {seen[0]}",
            )

    def _check_array(self, name, decl, value, sizes):
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            if isinstance(value, (list, tuple)):
                value = np.asarray(value)
            else:
                self._fail(
                    TypeError, name, f"must be a {decl.describe()}, got {type(value).__name__}"
                )
        try:
            kind = np.dtype(value.dtype).kind
        except TypeError:  # array libraries whose dtypes NumPy does not know
            kind = _foreign_kind(value.dtype)
        if kind not in _ACCEPTED_KINDS[decl.dtype]:
            self._fail(
                TypeError,
                name,
                f"must be a {decl.describe()}, got dtype {value.dtype}",
            )
        shape = tuple(value.shape)
        if len(shape) != len(decl.shape):
            self._fail(
                ValueError,
                name,
                f"must be a {decl.describe()}, got {len(shape)}-d shape {shape}",
            )
        for axis, (want, got) in enumerate(zip(decl.shape, shape)):
            if isinstance(want, int):
                if got != want:
                    self._fail(
                        ValueError,
                        name,
                        f"must be a {decl.describe()}: axis {axis} has size {got}, expected {want}",
                    )
            else:
                self._bind(want, got, name, sizes)
        if self.convert == "numpy":
            value = np.ascontiguousarray(value, dtype=_DTYPES[decl.dtype])
        return value

    def _check_bounds(self, name, decl, value, sizes):
        if value.size == 0 or _is_traced(value):
            return
        lo, hi = (b if isinstance(b, int) else sizes.get(b, (None,))[0] for b in decl.bounds)
        if lo is None or hi is None:
            return
        try:
            vmin, vmax = _min_max(value)
        except Exception:  # values not concrete (abstract tracing)
            return
        if vmin < lo or vmax >= hi:
            bad = vmin if vmin < lo else vmax
            self._fail(
                ValueError,
                name,
                f"holds {bad}, outside the valid range [{lo}, {hi}) ({decl.describe()})",
            )

    def __call__(self, arguments: dict) -> dict:
        """Check a name -> value mapping; return it with arrays converted as configured.

        Scalars first (they may bind sizes), then arrays (shapes bind and must agree), then
        the value bounds of index arrays (which may refer to any size).
        """
        sizes: dict[str, tuple[int, str]] = {}
        out = dict(arguments)
        for name, decl in self._scalars:
            if name in out:
                out[name] = self._check_scalar(name, decl, out[name], sizes)
        for name, decl in self._arrays:
            if name in out:
                out[name] = self._check_array(name, decl, out[name], sizes)
        for name, decl in self._bounded:
            if name in out:
                self._check_bounds(name, decl, out[name], sizes)
        return out


def _min_max(value) -> tuple[int, int]:
    """Smallest and largest entry of an integer array, with as little dispatch as possible.

    NumPy arrays, and JAX arrays that live on the CPU (read without a copy), are reduced
    by NumPy; other JAX arrays by one jitted call and one transfer; anything else through
    its array namespace.
    """
    if not isinstance(value, np.ndarray) and type(value).__module__.startswith("jax"):
        if all(d.platform == "cpu" for d in value.devices()):
            value = np.asarray(value)
        else:
            lo, hi = _jax_min_max()(value).tolist()
            return int(lo), int(hi)
    if isinstance(value, np.ndarray):
        return int(value.min()), int(value.max())
    xp = value.__array_namespace__()
    return int(xp.min(value)), int(xp.max(value))


@functools.cache
def _jax_min_max():
    import jax
    import jax.numpy as jnp

    return jax.jit(lambda v: jnp.stack([jnp.min(v), jnp.max(v)]))


def _foreign_kind(dtype) -> str:
    text = str(dtype)
    for prefix, kind in (
        ("bool", "b"),
        ("complex", "c"),
        ("float", "f"),
        ("uint", "u"),
        ("int", "i"),
    ):
        if prefix in text:
            return kind
    return "O"


def validated(convert: str = "numpy", **decls: str) -> Callable:
    """Decorator: check a kernel's arguments against declarations before calling it.

    Arguments without a declaration pass through unchanged. The wrapped function keeps
    its name, signature and docstring; the unchecked function stays reachable as
    ``__wrapped__`` for callers that have already validated their inputs.
    """

    def decorate(func):
        sig = inspect.signature(func)
        unknown = set(decls) - set(sig.parameters)
        if unknown:
            raise ValueError(
                f"{func.__name__}: declarations for unknown arguments {sorted(unknown)}"
            )
        checker = Checker(func.__name__, decls, convert)
        names = list(sig.parameters)
        defaults = {
            k: p.default
            for k, p in sig.parameters.items()
            if p.default is not inspect.Parameter.empty
        }

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if len(args) > len(names):
                raise TypeError(
                    f"{func.__name__}() takes {len(names)} arguments but {len(args)} were given"
                )
            if not kwargs and len(args) == len(names):  # the usual, positional call
                checked = checker(dict(zip(names, args)))
                return func(*(checked[n] for n in names))
            bound = dict(defaults)
            bound.update(zip(names, args))
            for key, value in kwargs.items():
                if key not in sig.parameters:
                    raise TypeError(f"{func.__name__}() got an unexpected argument '{key}'")
                bound[key] = value
            missing = [n for n in names if n not in bound]
            if missing:
                raise TypeError(f"{func.__name__}() missing arguments: {', '.join(missing)}")
            checked = checker(bound)
            return func(*(checked[n] for n in names))

        wrapper.__autojax_decls__ = dict(decls)
        return wrapper

    return decorate
