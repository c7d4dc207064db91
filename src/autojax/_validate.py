"""The input checks every backend runs before a kernel.

Each argument has a declaration (``"f8[K,2] finite"``, ``"i8[M,B] in [-1,S)"``, ...), the
same string its kernel spec uses; the grammar, :class:`Decl` and :func:`parse_decl` are in
:mod:`autojax._decl` (re-exported here). :func:`check_decls` checks a whole argument list;
the spec loader and :class:`Checker` both call it.

Checks raise :class:`TypeError` for the wrong kind of value (complex where real is
expected, real where complex is, float where an index is expected) and :class:`ValueError`
for wrong shapes, mismatched sizes, indices out of range and values the rules refuse,
always naming the kernel and the argument.

Arrays are converted to native byte order (a FITS ``>f8`` array is byte-swapped, once, on
every backend); the NumPy backends (Numba, ``original``) also make them C-contiguous with
the declared dtype.

Traced values (inside a user's ``jax.jit``, ``vmap`` or ``grad``) cannot be inspected: the
shape, dtype and tie checks still run (shapes are static), and the value rules are
evaluated on the traced values instead. :meth:`Checker.traced_valid` returns a traced
boolean (the JAX kernels multiply their floating results by ``where(valid, 1, nan)``) and
registers each rule with ``jax.experimental.checkify``, so that
``checkify.checkify(jax.jit(kernel))`` reports the same message as the eager check.
A kernel whose whole result is one host callback (the JAX backend's ducc0 NUFFT) runs the
value rules on the host instead, inside that callback (:class:`HostChecks`): the result is
the same NaN, without XLA's passes over the arrays beside the callback.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
from collections.abc import Callable, Mapping

import numpy as np

from ._decl import (  # noqa: F401  (the grammar, re-exported for callers of _validate)
    _KIND_NAMES,
    FLAG_WORDS,
    FLAGS,
    Decl,
    _columns_text,
    _size_value,
    _tie_code,
    _tie_names,
    check_decls,
    parse_decl,
)

__all__ = ["Decl", "parse_decl", "check_decls", "Checker", "validated", "check"]

_DTYPES = {
    "f8": np.dtype(np.float64),
    "i8": np.dtype(np.int64),
    "c16": np.dtype(np.complex128),
    "b1": np.dtype(np.bool_),
}
# dtype kinds each declared dtype accepts (and converts from); complex must be complex
_ACCEPTED_KINDS = {"f8": "fiu", "i8": "iu", "c16": "c", "b1": "b"}
#: relative tolerance of ``re==im``
RE_IM_RTOL = 1e-12

_PAIR_ITEM = {"int2": "int", "float2": "float"}


def _is_traced(x) -> bool:
    """True for JAX tracers (and JAX sparse arrays holding them): their values cannot be inspected."""
    name = type(x).__name__
    if name in _SPARSE_NAMES and _is_jax_sparse(x):
        name = type(x.data).__name__
    return "Tracer" in name


#: class names of the ``jax.experimental.sparse`` arrays
_SPARSE_NAMES = frozenset({"BCOO", "BCSR"})


def _is_jax_sparse(x) -> bool:
    """A ``jax.experimental.sparse`` array (BCOO, BCSR), accepted where the JAX backend
    declares a dense float array: its shape and dtype are checked as a dense array's."""
    kind = type(x)
    return kind.__name__ in _SPARSE_NAMES and kind.__module__.startswith("jax.experimental.sparse")


def _rule_values(value, rules):
    """The array the value rules read: a JAX sparse array's stored entries when only
    ``finite`` is asked (its implicit zeros are finite), else its dense form."""
    if not _is_jax_sparse(value):
        return value
    return value.data if all(rule == "finite" for rule, _, _ in rules) else value.todense()


# ------------------------------------------------------------------------------ value rules
#
# Each rule is written once over an array namespace ``xp`` (NumPy, jax.numpy, or any
# array-API namespace): ``_rule_ok`` gives a 0-d boolean, ``_rule_detail`` the values its
# message shows, and ``_RULE_MESSAGES`` the message. Eagerly, ``ok`` is read and, only
# when false, the details are computed and the message raised as a ValueError. Traced, both
# are computed on the tracers: ``ok`` poisons the result and goes to ``checkify`` together
# with the message (whose ``{fields}`` checkify fills in from the details).

_RULE_MESSAGES = {
    "bounds": "holds {bad}, outside the valid range {range}",
    "columns": "holds {bad} in column {column}, outside its valid range (of {range})",
    "counts": (
        "says {got} at row {row}, but row {row} of '{target}' has {want} entries before its "
        "first -1 (they must agree)"
    ),
    "finite": "holds {bad} at flat index {index}; it must be finite (no NaN or inf)",
    ">0": "holds {bad} at flat index {index}; it must be positive",
    ">=0": "holds {bad} at flat index {index}; it must be non-negative",
    "!=0": "holds {bad} at flat index {index}; it must be non-zero (it divides)",
    "!=0c": (
        "holds {bad} at flat index {index}; its real and imaginary parts must both be "
        "non-zero (they divide)"
    ),
    "re==im": (
        "holds {bad} at flat index {index}, whose real and imaginary parts differ; this "
        "kernel uses W-tilde or a lattice form (compact, preload, conv, fft), which hold only "
        "for noise with equal real and imaginary parts"
    ),
}


def _first(xp, bad):
    """Flat index of the first true entry of a 1-d boolean array."""
    return xp.argmax(xp.astype(bad, xp.int8))


def _counts_of(xp, rows, width):
    """Entries of each row before its first negative one (``width`` when there is none)."""
    neg = rows < 0
    first = neg.argmax(axis=1) if xp is np else xp.argmax(xp.astype(neg, xp.int8), axis=1)
    # argmax is 0 both for a row that starts with -1 and for a row without one
    return xp.where((first == 0) & ~neg[:, 0], width, first)


def _bad_mask(xp, rule, flat):
    """Elementwise: where ``flat`` breaks a flag rule (or None when the rule is not elementwise)."""
    if rule == "finite":
        return ~xp.isfinite(flat)
    if rule == ">0":
        return ~(flat > 0)
    if rule == ">=0":
        return ~(flat >= 0)
    if rule in ("!=0", "!=0c"):
        if rule == "!=0c":
            return (xp.real(flat) == 0) | (xp.imag(flat) == 0)
        return flat == 0
    if rule == "re==im":
        re, im = xp.real(flat), xp.imag(flat)
        return ~(xp.abs(re - im) <= RE_IM_RTOL * xp.abs(re))
    raise AssertionError(rule)


def _columns_bad(xp, value, extra):
    """Flat: where a value lies outside its column's range (``extra``: lows, highs)."""
    lo, hi = (xp.asarray(e, dtype=value.dtype) for e in extra)
    return xp.reshape((value < lo) | (value >= hi), (-1,))


def _rule_ok(xp, rule, value, extra):
    if rule == "bounds":
        lo, hi = extra
        return (xp.min(value) >= lo) & (xp.max(value) < hi)
    if rule == "columns":
        return ~xp.any(_columns_bad(xp, value, extra))
    if rule == "counts":
        target, width = extra
        return xp.all(value == _counts_of(xp, target, width))
    flat = xp.reshape(value, (-1,))
    if rule == "finite":
        return xp.all(xp.isfinite(flat))
    return ~xp.any(_bad_mask(xp, rule, flat))


def _numpy_ok(rule, value, extra) -> bool:
    """``_rule_ok`` for NumPy arrays in as few NumPy calls as possible (the eager fast path)."""
    if rule == "bounds":
        return bool(value.min() >= extra[0]) and bool(value.max() < extra[1])
    if rule == "finite":  # a sum is finite iff every entry is (unless it overflows)
        return bool(np.isfinite(np.add.reduce(value, axis=None))) or bool(np.isfinite(value).all())
    if rule == ">0":
        return bool(value.min() > 0)
    if rule == ">=0":
        return bool(value.min() >= 0)
    if rule == "!=0":  # np.all: half the time of count_nonzero on floats
        return bool(np.all(value))
    if rule == "!=0c":  # both parts: one pass over the interleaved floats when contiguous
        if value.dtype == np.complex128 and value.flags.c_contiguous:
            return bool(np.all(value.view(np.float64)))
        return bool(np.all(value.real)) and bool(np.all(value.imag))
    if rule == "re==im" and bool((value.real == value.imag).all()):
        return True
    if rule == "counts":
        target, width = extra
        return bool((value == _counts_of(np, target, width)).all())
    return bool(_rule_ok(np, rule, value, extra))


def _rule_detail(xp, rule, value, extra) -> dict:
    if rule == "bounds":
        lo, hi = extra
        vmin, vmax = xp.min(value), xp.max(value)
        return {"bad": xp.where(vmin < lo, vmin, vmax)}
    if rule == "counts":
        target, width = extra
        want = _counts_of(xp, target, width)
        row = _first(xp, value != want)
        return {"row": row, "got": value[row], "want": want[row]}
    if rule == "columns":
        index = _first(xp, _columns_bad(xp, value, extra))
        return {"bad": xp.reshape(value, (-1,))[index], "column": index % len(extra[0])}
    flat = xp.reshape(value, (-1,))
    index = _first(xp, _bad_mask(xp, rule, flat))
    return {"index": index, "bad": flat[index]}


def _namespace(value):
    """NumPy for NumPy arrays and JAX arrays on the CPU (read without a copy), else the
    value's own namespace (jax.numpy for tracers and accelerator arrays)."""
    if isinstance(value, np.ndarray):
        return np, value
    module = type(value).__module__
    if module.startswith("jax"):
        if not _is_traced(value) and all(d.platform == "cpu" for d in value.devices()):
            return np, np.asarray(value)
        import jax.numpy as jnp

        return jnp, value
    if hasattr(value, "__array_namespace__"):
        return value.__array_namespace__(), value
    return np, np.asarray(value)


def _py(value):
    """A 0-d array (any namespace) as a Python number."""
    if hasattr(value, "item"):
        return value.item()
    kind = _kind_of(value.dtype)
    return {"b": bool, "i": int, "u": int, "c": complex}.get(kind, float)(value)


def _kind_of(dtype) -> str:
    try:
        return np.dtype(dtype).kind
    except TypeError:  # array libraries whose dtypes NumPy does not know
        return _foreign_kind(dtype)


class Checker:
    """Checks (and converts) the arguments of one kernel.

    ``convert`` chooses what happens to array arguments:

    - ``"numpy"``: converted to C-contiguous, native-byte-order NumPy arrays of the
      declared dtype (Numba and ``original``).
    - ``"keep"``: left in their namespace (array-API backend); NumPy arrays in a foreign
      byte order are byte-swapped, and lists become arrays of the namespace of the other
      array arguments.
    - ``"jax"``: as ``"keep"`` (JAX backend); lists become NumPy arrays.

    Every mode checks shapes, dtypes, ties and (when the values are concrete) the value
    rules. With a traced argument the value rules are left to :meth:`traced_valid`.
    """

    def __init__(self, kernel: str, decls: Mapping[str, str], convert: str = "numpy"):
        if convert not in ("numpy", "keep", "jax"):
            raise ValueError(f"convert must be 'numpy', 'keep' or 'jax', not {convert!r}")
        self.kernel = kernel
        self.decls = {name: parse_decl(text) for name, text in decls.items()}
        try:
            check_decls(self.decls)
        except ValueError as exc:
            raise ValueError(f"{kernel}: {exc}") from None
        self.convert = convert
        items = list(self.decls.items())
        self._scalars = [(n, d) for n, d in items if not d.is_array and d.scalar != "any"]
        self._arrays = [(n, d) for n, d in items if d.is_array]
        self._tied = [(n, d) for n, d in self._arrays if d.ties]
        self._ruled = [(n, d) for n, d in self._arrays if d.has_rules]
        self._flag_rules = {
            n: [("!=0c" if f == "!=0" and d.dtype == "c16" else f, None, {}) for f in d.flags]
            for n, d in self._ruled
        }

    def _fail(self, exc, name, message):
        raise exc(f"{self.kernel}: argument '{name}' {message}")

    # ---------------------------------------------------------------------- scalars
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
            base = parse_decl(_PAIR_ITEM[decl.scalar])
            items = tuple(self._check_scalar(name, base, item, sizes) for item in items)
            if decl.flags:  # concrete values always (a traced one is skipped: traced_valid)
                for item in items:
                    self._scalar_rules(name, decl, item)
            return items
        kind = type(value)
        if kind is float and decl.scalar == "float" or kind is int and decl.scalar == "int":
            pass  # the common case, already what the kernel wants
        elif _is_traced(value):
            return value
        elif isinstance(value, (bool, np.bool_)):
            self._fail(TypeError, name, f"must be a {decl.describe()}, got a bool")
        elif decl.scalar == "int":
            if isinstance(value, (int, np.integer)) or (
                getattr(value, "ndim", None) == 0 and _kind_of(value.dtype) in "iu"
            ):
                value = int(value)
            else:
                self._fail(TypeError, name, f"must be an int, got {type(value).__name__}")
        elif isinstance(value, (int, float, np.integer, np.floating)) or (
            getattr(value, "ndim", None) == 0 and _kind_of(value.dtype) in "fiu"
        ):
            value = float(value)
        else:
            self._fail(TypeError, name, f"must be a real number, got {type(value).__name__}")
        if decl.bind:
            if value < 0:
                self._fail(ValueError, name, f"must be non-negative, got {value}")
            self._bind(decl.bind, value, name, sizes)
        if decl.flags:  # concrete values always, also beside traced arrays (at trace time)
            self._scalar_rules(name, decl, value)
        return value

    def _scalar_rules(self, name, decl, value):
        if _is_traced(value):
            return
        for flag in decl.flags:
            ok = {
                "finite": math.isfinite,
                ">0": lambda v: v > 0,
                ">=0": lambda v: v >= 0,
                "!=0": lambda v: v != 0,
            }[flag](value)
            if not ok:
                self._fail(ValueError, name, f"is {value!r}; it must be {FLAG_WORDS[flag]}")

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

    # ---------------------------------------------------------------------- arrays
    def _check_array(self, name, decl, value, sizes):
        if _is_jax_sparse(value) and self.convert != "jax":
            self._fail(
                TypeError,
                name,
                f"must be a {decl.describe()}, got a JAX sparse {type(value).__name__}, which "
                "only the JAX backend takes (call .todense() for this one)",
            )
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            if isinstance(value, (list, tuple)):
                value = np.asarray(value)
            else:
                self._fail(
                    TypeError, name, f"must be a {decl.describe()}, got {type(value).__name__}"
                )
        kind = _kind_of(value.dtype)
        if kind not in _ACCEPTED_KINDS[decl.dtype]:
            hint = (
                " (a real array for a complex argument: pass x + 0j only if the imaginary "
                "part really is zero)"
                if decl.dtype == "c16" and kind in "fiu"
                else ""
            )
            self._fail(
                TypeError, name, f"must be a {decl.describe()}, got dtype {value.dtype}{hint}"
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
        elif isinstance(value, np.ndarray) and not value.dtype.isnative:
            value = value.astype(value.dtype.newbyteorder("="))
        return value

    def _check_ties(self, name, decl, sizes):
        env = {s: v[0] for s, v in sizes.items()}
        for sym, expr in decl.ties:
            if sym not in env or not decl.tie_symbols <= env.keys():
                continue
            want = eval(_tie_code(expr), {"__builtins__": {}}, env)  # noqa: S307 (checked AST)
            if env[sym] != want:
                given = ", ".join(
                    f"{s} = {env[s]} from '{sizes[s][1]}'" for s in sorted(decl.tie_symbols)
                )
                self._fail(
                    ValueError,
                    name,
                    f"must be a {decl.describe()}: {sym} = {env[sym]}, but {expr} = {want} ({given})",
                )

    def _rules(self, name, decl, value, sizes, values):
        """``(rule, extra, message words)`` of the value rules of one array, sizes resolved."""
        out = []
        if decl.bounds:
            lo, hi = (b if isinstance(b, int) else sizes.get(b, (None,))[0] for b in decl.bounds)
            if lo is not None and hi is not None:
                rng = f"[{lo}, {hi}{']' if decl.closed else ')'}"
                out.append(("bounds", (lo, hi + 1 if decl.closed else hi), {"range": rng}))
        if decl.columns:
            env = {s: v[0] for s, v in sizes.items()}
            items = [b for pair in decl.columns for b in pair]
            if all(isinstance(b, int) or _tie_names(b) <= env.keys() for b in items):
                lo, hi = ([_size_value(b, env) for b in c] for c in zip(*decl.columns))
                out.append(("columns", (lo, hi), {"range": _columns_text(zip(lo, hi))}))
        if decl.counts and values.get(decl.counts) is not None:
            target = values[decl.counts]
            out.append(("counts", (target, target.shape[1]), {"target": decl.counts}))
        out.extend(self._flag_rules[name])
        return out

    def _eager_rules(self, name, decl, value, sizes, values):
        if 0 in value.shape:
            return
        rules = self._rules(name, decl, value, sizes, values)
        value = _rule_values(value, rules)
        xp, host = _namespace(value)
        for rule, extra, words in rules:
            if rule == "counts":
                txp, target = _namespace(extra[0])
                if txp is not xp:  # mixed namespaces: compare on the host
                    xp, host, target = np, np.asarray(host), np.asarray(target)
                extra = (target, extra[1])
            ok = _numpy_ok(rule, host, extra) if xp is np else bool(_rule_ok(xp, rule, host, extra))
            if not ok:
                detail = {k: _py(v) for k, v in _rule_detail(xp, rule, host, extra).items()}
                self._fail(ValueError, name, _RULE_MESSAGES[rule].format(**detail, **words))

    def _flagged_scalars(self, arguments: dict):
        """``(name, decl, item)`` for each value of a scalar argument with value flags (both
        numbers of a pair), where the call gave one."""
        for name, decl in self._scalars:
            value = arguments.get(name)
            if not decl.flags or value is None:
                continue
            for item in value if decl.scalar in ("int2", "float2") else (value,):
                yield name, decl, item

    def host_rules(self, arguments: dict, sizes: dict) -> None:
        """The value rules of a traced call, run on its values on the host (NumPy arrays and
        numbers in ``arguments``, ``sizes`` as the trace bound them): a ValueError as the
        eager check's for the first that fails."""
        for name, decl, item in self._flagged_scalars(arguments):
            self._scalar_rules(name, decl, np.asarray(item).item())
        for name, decl in self._ruled:
            if arguments.get(name) is not None:
                self._eager_rules(name, decl, np.asarray(arguments[name]), sizes, arguments)

    # ---------------------------------------------------------------------- entry points
    def check(self, arguments: dict, traced: bool | None = None) -> tuple[dict, bool, dict]:
        """Check a name -> value mapping: ``(arguments converted as configured, traced, sizes)``.

        Scalars first (they may bind sizes), then arrays (shapes bind and must agree), then
        the ties between sizes, then the value rules (which may refer to any size and to
        other arguments), eagerly unless some argument is traced.
        """
        if traced is None:
            traced = any(
                _is_traced(v) or (type(v) is tuple and any(_is_traced(i) for i in v))
                for v in arguments.values()
            )
        sizes: dict[str, tuple[int, str]] = {}
        out = dict(arguments)
        for name, decl in self._scalars:
            if name in out:
                out[name] = self._check_scalar(name, decl, out[name], sizes)
        lists = []
        for name, decl in self._arrays:
            if name in out:
                if self.convert == "keep" and isinstance(out[name], (list, tuple)):
                    lists.append(name)
                out[name] = self._check_array(name, decl, out[name], sizes)
        if lists:
            self._lists_to_namespace(out, lists)
        for name, decl in self._tied:
            self._check_ties(name, decl, sizes)
        if not traced:
            for name, decl in self._ruled:
                if name in out:
                    self._eager_rules(name, decl, out[name], sizes, out)
        return out, traced, sizes

    def __call__(self, arguments: dict) -> dict:
        """Check a name -> value mapping; return it with arrays converted as configured."""
        return self.check(arguments)[0]

    def _lists_to_namespace(self, out, lists):
        """Lists given beside arrays of another namespace become arrays of that namespace."""
        for name, _decl in self._arrays:
            value = out.get(name)
            if name in lists or value is None or isinstance(value, np.ndarray):
                continue
            if _is_traced(value) or not hasattr(value, "__array_namespace__"):
                continue
            xp = value.__array_namespace__()
            for other in lists:
                dtype = getattr(xp, _KIND_NAMES[self.decls[other].dtype])
                out[other] = xp.asarray(out[other].tolist(), dtype=dtype)
            return

    def traced_valid(self, arguments: dict, sizes: dict):
        """A traced boolean: every value rule holds (registered with checkify, too).

        ``arguments`` are the checked arguments of a call with a traced argument. Each rule
        is evaluated by jax.numpy on the (traced) values and passed to
        ``checkify.debug_check`` with its message, a no-op unless the call runs under
        ``jax.experimental.checkify``.
        """
        import jax.numpy as jnp
        from jax.experimental import checkify

        valid = jnp.asarray(True)
        for name, decl, item in self._flagged_scalars(arguments):
            for flag in decl.flags:
                v = jnp.asarray(item)
                ok = ~_bad_mask(jnp, flag, v)
                message = (
                    f"{self.kernel}: argument '{name}' is {{bad}}; it must be {FLAG_WORDS[flag]}"
                )
                checkify.debug_check(ok, message, bad=v)
                valid = valid & ok
        for name, decl in self._ruled:
            value = arguments.get(name)
            if value is None or 0 in value.shape:
                continue
            rules = self._rules(name, decl, value, sizes, arguments)
            value = jnp.asarray(_rule_values(value, rules))
            for rule, extra, words in rules:
                if rule == "counts":
                    extra = (jnp.asarray(extra[0]), extra[1])
                ok = _rule_ok(jnp, rule, value, extra)
                detail = _rule_detail(jnp, rule, value, extra)
                template = _RULE_MESSAGES[rule]
                for key, word in words.items():
                    template = template.replace("{" + key + "}", word)
                message = f"{self.kernel}: argument '{name}' {template}"
                checkify.debug_check(ok, message, **detail)
                valid = valid & ok
        return valid


def poison(out, valid):
    """Floating leaves of ``out`` times ``where(valid, 1, nan)``: NaN values (and NaN
    gradients) when a rule fails; integer and boolean leaves are returned unchanged."""
    import jax
    import jax.numpy as jnp

    factor = jnp.where(valid, 1.0, jnp.nan)

    def leaf(x):
        if hasattr(x, "dtype") or isinstance(x, float):
            x = jnp.asarray(x)
            if jnp.issubdtype(x.dtype, jnp.inexact):
                return x * factor.astype(x.dtype)
        return x

    return jax.tree_util.tree_map(leaf, out)


#: per thread: the traced validated calls now running, innermost last (:class:`HostChecks`)
_PENDING = threading.local()


class HostChecks:
    """The value rules of one traced validated call, for a host callback to take over.

    While a validated kernel runs on traced arguments its entry is the innermost pending
    one; :func:`claim_host_checks` hands it to the first host callback traced inside, which
    adds the traced values as operands and runs :meth:`Checker.host_rules` on the host before
    the kernel's own code (a failed rule: the callback's all-NaN result). When that
    callback's output is the kernel's result (:attr:`result`), the wrapper returns it as it
    is; otherwise it poisons the result as usual (the rules then run twice, both agree).
    """

    def __init__(self, checker: Checker, arguments: dict, sizes: dict):
        self.checker = checker
        self.arguments = arguments
        self.sizes = dict(sizes)
        self.claimed = False
        self.result = None  # the claiming callback's output

    def operands(self) -> list:
        """``(name, index, traced value)`` of every traced value a rule reads (``index``: the
        entry of a pair, else None)."""
        out = []
        names = [n for n, d in self.checker._scalars if d.flags]
        names += [n for n, _ in self.checker._ruled]
        names += [d.counts for _, d in self.checker._ruled if d.counts]
        for name in dict.fromkeys(names):
            value = self.arguments.get(name)
            if type(value) is tuple:
                out += [(name, i, item) for i, item in enumerate(value) if _is_traced(item)]
            elif value is not None and _is_traced(value):
                out.append((name, None, value))
        return out

    def run(self, operands: list, values: list) -> None:
        """The rules on the host: ``values`` are the host values of :meth:`operands`."""
        arguments = dict(self.arguments)
        for (name, index, _), value in zip(operands, values):
            if index is None:
                arguments[name] = value
            else:
                items = list(arguments[name])
                items[index] = value
                arguments[name] = tuple(items)
        self.checker.host_rules(arguments, self.sizes)


def claim_host_checks() -> HostChecks | None:
    """The innermost traced validated call's rules, if no host callback has taken them yet
    (the caller must then run them, see :class:`HostChecks`), else None."""
    stack = getattr(_PENDING, "stack", None)
    if not stack or stack[-1].claimed:
        return None
    stack[-1].claimed = True
    return stack[-1]


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
    ``__wrapped__`` for callers that have already validated their inputs (see
    :func:`check`). When an argument is a JAX tracer, the value rules are evaluated on the
    traced values and the result is poisoned (:func:`poison`) where one fails.
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

        def bind(args, kwargs):
            if len(args) > len(names):
                raise TypeError(
                    f"{func.__name__}() takes {len(names)} arguments but {len(args)} were given"
                )
            if not kwargs and len(args) == len(names):  # the usual, positional call
                return dict(zip(names, args))
            bound = dict(defaults)
            bound.update(zip(names, args))
            for key, value in kwargs.items():
                if key not in sig.parameters:
                    raise TypeError(f"{func.__name__}() got an unexpected argument '{key}'")
                bound[key] = value
            missing = [n for n in names if n not in bound]
            if missing:
                raise TypeError(f"{func.__name__}() missing arguments: {', '.join(missing)}")
            return bound

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            checked, traced, sizes = checker.check(bind(args, kwargs))
            if not traced:
                return func(*(checked[n] for n in names))
            # the rules as traced values (and checkify's messages); unused, XLA drops them
            valid = checker.traced_valid(checked, sizes)
            pending = HostChecks(checker, checked, sizes)
            stack = _PENDING.__dict__.setdefault("stack", [])
            stack.append(pending)
            try:
                out = func(*(checked[n] for n in names))
            finally:
                stack.pop()
            if pending.result is not None and out is pending.result:
                return out  # one host callback that ran the rules itself: NaN when one fails
            return poison(out, valid)

        wrapper.__autojax_decls__ = dict(decls)
        wrapper.__autojax_check__ = lambda args, kwargs: checker.check(
            bind(args, kwargs), traced=False
        )
        return wrapper

    return decorate


def check(kernel: Callable, *args, **kwargs) -> None:
    """Run every check of ``kernel`` on concrete arguments, eagerly; raise or return None.

    The pattern for a sampler: check the fixed inputs once, outside the loop, then call the
    kernel (or ``kernel.__wrapped__``, which skips the checks) inside ``jax.jit``::

        autojax.jax.check(kernel, *args)
        step = jax.jit(lambda coefficient: kernel(*args[:-1], coefficient))
    """
    run = getattr(kernel, "__autojax_check__", None)
    if run is None:
        raise TypeError(f"{getattr(kernel, '__name__', kernel)!r} is not an autojax kernel")
    for value in (*args, *kwargs.values()):
        if _is_traced(value):
            raise TypeError(
                f"{kernel.__name__}: check() needs concrete values; call it outside jax.jit "
                "(inside, the kernel itself poisons its result and reports to checkify)"
            )
    run(args, kwargs)
