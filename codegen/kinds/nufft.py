"""The ``nufft`` kind: the real (or imaginary, or complex) part of a 2-D type-1 NUFFT.

``out[i0, i1] = part(sum_k weight(k) * exp(sign * 1j * (mode_0(i0) x_0(k) + mode_1(i1) x_1(k))))``

over the summed index ``k`` (the visibilities), where each output index ``i`` stands for
the integer Fourier mode ``mode_i(i) = i + offset_i`` (``offset_i`` a size expression) and
is paired with one point coordinate ``x_i(k)`` (radians, any real value). The compact
W-tilde is one: ``C[m, n] = Re sum_k w_k exp(i (m (-d v_k) + (n - (N-1)) (d u_k)))``.

The backends fold the points into [-pi, pi) (exact, since the modes are integers), ask
the library for the centred range of ``2 L + 1`` modes with ``L = max |mode|`` on each
axis, and slice out the modes the output needs (for ``m >= 0`` the upper half of the
axis; measured as fast as shifting the modes by a phase factor on the weights, and
without its extra rounding). Numba (plain Python, not compiled) and array-API on NumPy
call ducc0 or FINUFFT (``library``); JAX calls ducc0 (a host callback) or jax-finufft on
the CPU and nufftax elsewhere (chunked over k, so
memory stays flat in K); the tolerance ``eps`` is an argument (static under ``jax.jit``).

With ``targets`` the kernel is a 2-D *type-3* NUFFT instead, from non-uniform points to
non-uniform targets: one output index ``i`` and

``out[i] = part(sum_k weight(k) * exp(sign * 1j * (t_0(i) x_0(k) + t_1(i) x_1(k))))``

where ``points`` and ``targets`` map the same two axis labels to the coordinates of the
sources (expressions of k) and of the targets (expressions of i); no modes, no folding.
The noise-weighted dirty image is one (sources ``2 pi (u_k, v_k)``, targets ``(x_i, y_i)``).
FINUFFT and jax-finufft size their fine grid at run time; nufftax needs it static, so the
JAX kernel computes it from the extents of the points and targets before ``jax.jit`` (with
traced inputs, only jax-finufft on the CPU can run it; nufftax then raises a clear error).

Spec fields: ``index`` (output indices -> extents, two of them), ``reduce`` (``(k, K)``),
``weight`` (an expression of k), ``points`` (output index -> its coordinate, an expression
of k), ``modes`` (output index -> its mode: ``i``, ``i + e`` or ``i - e`` with ``e`` built
from sizes and int arguments only), ``part`` ("real", "imag" or "complex"), ``sign``
(+1 or -1), ``eps`` (the name of a ``float`` argument), ``lets`` (scalars computed first),
``library`` ("auto", "ducc0" or "finufft": which library runs it; see :data:`LIBRARIES`).

ducc0 (``ducc0.nufft.nu2u`` for type 1, ``ducc0.nufft.experimental.nu2nu`` for type 3) is
called with one (K, 2) coordinate array, a preallocated output and an explicit thread
count; it accepts ``eps`` down to 7.2e-15 (type 1) and 1.44e-14 (type 3) only, so
``auto`` falls back to FINUFFT below that and an explicit ``ducc0`` raises a ValueError
naming ``eps``. When the two points are scaled columns of one float (K, 2) array
(``s_a * A[k, j_a]``, as the compact form's and the dirty image's are), no coordinate array
is built: ducc0 reads ``A`` (or its column-swapped view) with the periodicity
``2 pi / |s_a|`` per axis (type 1; a negative scale reads that axis's modes reversed) or
with the scales moved onto the targets (type 3), after one pass for ``A``'s extremes; a
weight ``a + 1j * b`` whose ``b`` is ``a`` with ``real`` swapped for ``imag`` is one
elementwise pass over the interleaved floats; weights are written in cache-sized chunks.
On JAX, where ducc0 alone is the plan (``auto`` on a CPU, or ``library="ducc0"``), the
whole kernel is the NumPy code above (``<impl>_host``, the same template as the Numba and
array-API backends): called directly on concrete arrays, and through one
host callback under ``jax.jit`` (``jax.experimental.buffer_callback``, which reads the
arguments' own buffers, where JAX has it, else ``jax.pure_callback``; no derivative rule); with a GPU
present (``lax.platform_dependent``) the CPU branch calls ducc0 through a callback on
points built in JAX and other platforms keep nufftax.
Non-finite point coordinates never reach ducc0: a ValueError eagerly, and under
``jax.jit`` the result is NaN.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .. import expr as ex
from ..expr import called_names, read_names
from ..model import Kernel

PARTS = {"real": "real", "imag": "imag", "complex": None}
#: the ``library`` a kernel may name: "auto" (the fastest installed one that reaches
#: ``eps``: ducc0, else FINUFFT), "ducc0" or "finufft" (on JAX: jax-finufft on the CPU,
#: nufftax elsewhere)
LIBRARIES = ("auto", "ducc0", "finufft")
#: per-point cost of a nufftax chunk in elements (its spreading tables hold nspread**2 = up
#: to 256 values per point); the chunk is the chunk budget over this, 16,384 points by default
NUFFTAX_POINT_COST = 128


@dataclass
class Nufft(Kernel):
    """A 2-D type-1 NUFFT of ``weight(k)`` at ``points`` onto the integer ``modes`` of the output."""

    index: dict[str, str] = field(default_factory=dict)
    reduce: tuple[str, str] | None = None
    weight: str = "1.0"
    points: dict[str, str] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    part: str = "real"
    sign: int = 1
    eps: str = "eps"
    lets: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    library: str = "auto"

    kind = "nufft"

    def __post_init__(self):
        super().__post_init__()
        if self.targets:
            self._check_type3()
            return
        if not isinstance(self.index, dict) or len(self.index) != 2:
            self.fail("index", "needs exactly two output indices (a 2-D transform)")
        if not self.out_decl.is_array or len(self.out_decl.shape) != 2:
            self.fail("returns", "must be a 2-d array, one axis per index")
        known = self._check_common()
        k = self.reduce[0]
        # offsets of the modes may use what is a Python int under jax.jit: sizes, int args
        static = {s for s, src in self.sizes.items() if src} | {
            a for a, d in self.decls.items() if d.scalar == "int"
        }
        for idx, extent in self.index.items():
            self.check_name(f"index.{idx}", idx)
            self.check_extent(f"index.{idx}", extent, static)
        for fld, table in (("points", self.points), ("modes", self.modes)):
            if not isinstance(table, dict) or set(table) != set(self.index):
                self.fail(
                    fld,
                    f"must give one entry per output index {sorted(self.index)}, got "
                    f"{sorted(table) if isinstance(table, dict) else table!r}",
                )
        for idx, text in self.points.items():
            self.check_expr(f"points.{idx}", text, known | {k})
        self.offsets = {}
        for idx, text in self.modes.items():
            self.offsets[idx] = _mode_offset(self, f"modes.{idx}", text, idx, static)

    def _check_common(self):
        """Fields both variants share: part and returns, sign, eps, lets, reduce, weight.

        Returns the names an expression of the summand may read (arguments, sizes, lets).
        """
        if self.part not in PARTS:
            self.fail("part", f"{self.part!r} is not one of {sorted(PARTS)}")
        want = "c16" if self.part == "complex" else "f8"
        if self.out_decl.dtype != want:
            self.fail(
                "returns",
                f"part {self.part!r} returns {want}, not {self.out_decl.dtype}",
            )
        if self.library not in LIBRARIES:
            self.fail("library", f"{self.library!r} is not one of {list(LIBRARIES)}")
        if self.sign not in (1, -1):
            self.fail("sign", f"must be +1 or -1, not {self.sign!r}")
        decl = self.decls.get(self.eps)
        if decl is None or decl.scalar != "float":
            self.fail("eps", f"{self.eps!r} must name a 'float' argument (the tolerance)")
        known = self.check_lets(self.lets, self.known_names())
        if not (isinstance(self.reduce, tuple) and len(self.reduce) == 2):
            self.fail("reduce", "must be a (name, extent) pair")
        self.check_name("reduce", self.reduce[0])
        self.check_extent("reduce", self.reduce[1], known)
        self.check_expr("weight", self.weight, known | {self.reduce[0]})
        return known

    def _check_type3(self):
        """The type-3 variant: one output index, points (of k) and targets (of i) per axis."""
        if not isinstance(self.index, dict) or len(self.index) != 1:
            self.fail("index", "a type-3 NUFFT (with targets) has one output index")
        if not self.out_decl.is_array or len(self.out_decl.shape) != 1:
            self.fail("returns", "a type-3 NUFFT returns a 1-d array over its index")
        if self.modes:
            self.fail("modes", "a type-3 NUFFT has no modes (its targets are points)")
        known = self._check_common()
        (idx, extent), k = next(iter(self.index.items())), self.reduce[0]
        self.check_name(f"index.{idx}", idx)
        self.check_extent(f"index.{idx}", extent, known)
        for fld, table in (("points", self.points), ("targets", self.targets)):
            if not isinstance(table, dict) or len(table) != 2:
                self.fail(fld, "must give two coordinates (a 2-D transform), by axis label")
        if set(self.points) != set(self.targets):
            self.fail(
                "targets",
                f"must use the axis labels of 'points' {sorted(self.points)}, got "
                f"{sorted(self.targets)}",
            )
        for axis in self.points:
            self.check_expr(f"points.{axis}", self.points[axis], known | {k})
            self.check_expr(f"targets.{axis}", self.targets[axis], known | {idx})

    @property
    def type3(self) -> bool:
        return bool(self.targets)

    @property
    def index_names(self) -> list[str]:
        return list(self.index)


def _mode_offset(kernel: Kernel, field_name, text, idx, static) -> str:
    """The offset ``e`` of a mode ``idx``, ``idx + e`` or ``idx - e`` (source text, '0' if none)."""
    node = kernel.parse_expr(field_name, text)
    shape = f"must read '{idx}', '{idx} + e' or '{idx} - e'"
    if isinstance(node, ast.Name) and node.id == idx:
        return "0"
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))):
        kernel.fail(field_name, f"{text!r} {shape}")
    left, right = node.left, node.right
    if isinstance(left, ast.Name) and left.id == idx:
        rest = right
        sign = "" if isinstance(node.op, ast.Add) else "-"
    elif isinstance(right, ast.Name) and right.id == idx and isinstance(node.op, ast.Add):
        rest, sign = left, ""
    else:
        kernel.fail(field_name, f"{text!r} {shape}")
    unknown = read_names(rest) - static
    if unknown:
        kernel.fail(
            field_name,
            f"offset {ast.unparse(rest)!r} uses {sorted(unknown)}; only sizes and int "
            "arguments (Python ints under jax.jit) may shift a mode",
        )
    return f"{sign}({ast.unparse(rest)})"


def _only_subscripts(texts, name: str) -> bool:
    """Whether ``name`` appears in ``texts`` only as a whole index of a subscript (``a[k]``,
    ``a[k, 1]``), so that the NumPy templates may bind it to ``slice(None)`` (views of the
    arrays, no gather of K elements) instead of ``arange(K)``."""
    for text in texts:
        tree = ast.parse(text, mode="eval")
        allowed = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript):
                index = node.slice
                for part in index.elts if isinstance(index, ast.Tuple) else [index]:
                    if isinstance(part, ast.Name) and part.id == name:
                        allowed.add(id(part))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == name and id(node) not in allowed:
                return False
    return True


def _weight_parts(text: str, lowering: str) -> tuple[str, str] | None:
    """``(real, imag)`` lowered, when the weight reads ``a + 1j * b`` (or is real: ``(a,
    "0.0")`` when it holds no ``1j``), so that a NumPy template writes the two parts into
    one complex array instead of building complex temporaries; None otherwise."""
    node = ast.parse(text, mode="eval").body
    has_complex = any(
        isinstance(n, ast.Constant) and isinstance(n.value, complex) for n in ast.walk(node)
    )
    if not has_complex:
        return ex.lower(text, lowering), "0.0"
    parts = _real_plus_1j_imag(node)
    if parts is not None:
        real, imag = (ast.unparse(part) for part in parts)
        if "1j" not in real and "1j" not in imag:
            return ex.lower(real, lowering), ex.lower(imag, lowering)
    return None


def _real_plus_1j_imag(node):
    """``(a, b)`` of an expression node ``a + 1j * b``; None for any other shape."""
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and isinstance(node.right, ast.BinOp)
        and isinstance(node.right.op, ast.Mult)
        and isinstance(node.right.left, ast.Constant)
        and node.right.left.value == 1j
    ):
        return node.left, node.right.right
    return None


def _interleaved_weight(k: Nufft, lowering: str) -> dict | None:
    """When the weight reads ``a + 1j * b`` with ``b`` the text of ``a`` with ``real``
    swapped for ``imag``, ``a`` taking ``real`` of complex (K,) arrays at ``k`` only (and
    scalars): ``{"arrays": [...], "expr": a lowered over chunks "_iv_<array>[_j]" of
    their interleaved float views}``, so that the NumPy templates compute both parts in
    one elementwise pass over 2K floats; None otherwise."""
    kname, kext = k.reduce
    node = ast.parse(k.weight, mode="eval").body
    parts = _real_plus_1j_imag(node)
    if parts is None:
        return None
    real, imag = parts
    called = called_names(real)
    if "imag" in called or "real" not in called:
        return None
    swapped = ast.parse(ast.unparse(real), mode="eval").body
    for call in ast.walk(swapped):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            call.func.id = "imag" if call.func.id == "real" else call.func.id
    if ast.dump(swapped) != ast.dump(imag):
        return None
    arrays: list[str] = []

    class _Views(ast.NodeTransformer):
        def visit_Call(self, call):
            target = call.args[0] if len(call.args) == 1 else None
            if (
                isinstance(call.func, ast.Name)
                and call.func.id == "real"
                and isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and isinstance(target.slice, ast.Name)
                and target.slice.id == kname
            ):
                decl = k.decls.get(target.value.id)
                if (
                    decl is not None
                    and decl.dtype == "c16"
                    and [str(x) for x in decl.shape] == [kext]
                ):
                    arrays.append(target.value.id)
                    view = ast.Name(f"_iv_{target.value.id}", ast.Load())
                    return ast.Subscript(view, ast.Name("_j", ast.Load()), ast.Load())
            return self.generic_visit(call)

    viewed = _Views().visit(ast.parse(ast.unparse(real), mode="eval").body)
    if not arrays or kname in read_names(viewed) or "real" in called_names(viewed):
        return None
    return {"arrays": list(dict.fromkeys(arrays)), "expr": ex.lower(ast.unparse(viewed), lowering)}


def _scaled_column(node: ast.expr, kname: str):
    """``(array, column, scale)`` when ``node`` reads ``s * A[k, j]`` (``A[k, j] * s``,
    ``A[k, j] / s``, ``-A[k, j]``, ``A[k, j]``; ``s`` free of ``k``, ``j`` an int
    constant), ``scale`` the source text of ``s`` ("1.0" when none); None otherwise."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        index = node.slice
        if (
            isinstance(index, ast.Tuple)
            and len(index.elts) == 2
            and isinstance(index.elts[0], ast.Name)
            and index.elts[0].id == kname
            and isinstance(index.elts[1], ast.Constant)
            and type(index.elts[1].value) is int
        ):
            return node.value.id, index.elts[1].value, "1.0"
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _scaled_column(node.operand, kname)
        return inner and (inner[0], inner[1], _times("-1.0", inner[2]))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        free = lambda n: kname not in read_names(n)  # noqa: E731
        if isinstance(node.op, ast.Mult) and free(node.left):
            inner, scale = _scaled_column(node.right, kname), ast.unparse(node.left)
        elif free(node.right):
            inner, scale = _scaled_column(node.left, kname), ast.unparse(node.right)
            scale = f"1.0 / ({scale})" if isinstance(node.op, ast.Div) else scale
        else:
            return None
        return inner and (inner[0], inner[1], _times(scale, inner[2]))
    return None


def _times(left: str, right: str) -> str:
    """``left * right`` as source text, a factor "1.0" left out."""
    if right == "1.0":
        return left
    return right if left == "1.0" else f"({left}) * ({right})"


def _scaled_points(k: Nufft, lowering: str) -> dict | None:
    """When the two point coordinates are scaled columns of one float (K, 2) array ``A``
    (``x_a(k) = s_a * A[k, j_a]``, the ``j_a`` 0 and 1 in either order), what the ducc0
    template needs to hand ducc0 ``A`` itself (or its column-swapped view) instead of
    building a (K, 2) coordinate array: ``{"array": A, "swap": bool, "scales": [lowered
    s_0, lowered s_1]}``. A type 1 then gives ducc0 the periodicity ``2 pi / |s_a|`` per
    axis (reversing the modes of an axis whose scale is negative); a type 3 moves the
    scales onto the targets. None when the points have another form."""
    kname, kext = k.reduce
    found = [_scaled_column(k.parse_expr("points", text), kname) for text in k.points.values()]
    if any(f is None for f in found) or len({f[0] for f in found}) != 1:
        return None
    array = found[0][0]
    decl = k.decls.get(array)
    columns = [f[1] for f in found]
    if (
        decl is None
        or decl.dtype != "f8"
        or len(decl.shape or ()) != 2
        or str(decl.shape[0]) != kext
        or str(decl.shape[1]) != "2"
        or sorted(columns) != [0, 1]
    ):
        return None
    return {
        "array": array,
        "swap": columns == [1, 0],
        "scales": [ex.lower(f[2], lowering) for f in found],
    }


def _type3_view(k: Nufft, backend: str) -> dict:
    ((idx, extent),) = k.index.items()
    kname, kext = k.reduce
    texts = [extent, kext, k.weight, *k.points.values(), *k.targets.values(), *k.lets.values()]
    lowering = "xp" if backend in ("numba", "xp") else "jax"
    return {
        "type3": True,
        "sizes": k.size_lines_for(*texts),
        "lets": [f"{n} = {ex.lower(t, lowering)}" for n, t in k.lets.items()],
        "k_": (kname, kext),
        "i_": (idx, extent),
        "weight": ex.lower(k.weight, lowering),
        # per axis: (source coordinate of k, target coordinate of i)
        "pairs": [
            (ex.lower(k.points[a], lowering), ex.lower(k.targets[a], lowering)) for a in k.points
        ],
        "part": PARTS[k.part],
        "isign": k.sign,
        "eps": k.eps,
        "jax_static": list(dict.fromkeys([*k.static_args, k.eps])),
        "point_cost": NUFFTAX_POINT_COST,
        "stem": k.spec_file.removesuffix(".py"),
        "out_dtype": "complex128" if k.part == "complex" else "float64",
        "library": k.library,
        "forward": k.sign < 0,
        "k_slice": _only_subscripts([k.weight, *k.points.values()], kname),
        "weight_parts": _weight_parts(k.weight, lowering),
        "scaled": _scaled_points(k, lowering),
        "interleaved": _interleaved_weight(k, lowering),
    }


def view(k: Nufft, backend: str) -> dict:
    out = _type3_view(k, backend) if k.type3 else _type1_view(k, backend)
    if backend == "jax":
        out["dynamic_args"] = [a for a in k.args if a not in out["jax_static"]]
        # the ducc0 route runs the NumPy code of the other backends on the host
        host = k.library in ("auto", "ducc0")
        out["host_ducc0"] = {**k.base_view("xp"), **view(k, "xp")} if host else None
    return out


def _type1_view(k: Nufft, backend: str) -> dict:
    (i0, e0), (i1, e1) = k.index.items()
    kname, kext = k.reduce
    texts = [e0, e1, kext, k.weight, *k.points.values(), *k.offsets.values(), *k.lets.values()]
    # the numba backend's NUFFT is plain NumPy code, spelled like array-API code over xp = np
    lowering = "xp" if backend in ("numba", "xp") else "jax"
    return {
        "sizes": k.size_lines_for(*texts),
        "lets": [f"{n} = {ex.lower(t, lowering)}" for n, t in k.lets.items()],
        "k_": (kname, kext),
        "weight": ex.lower(k.weight, lowering),
        # per output axis: (index, extent, point expression, mode offset)
        "axes": [
            (i, e, ex.lower(k.points[i], lowering), k.offsets[i]) for i, e in ((i0, e0), (i1, e1))
        ],
        "part": PARTS[k.part],
        "isign": k.sign,
        "eps": k.eps,
        "jax_static": list(dict.fromkeys([*k.static_args, k.eps])),
        "point_cost": NUFFTAX_POINT_COST,
        "stem": k.spec_file.removesuffix(".py"),
        "out_dtype": "complex128" if k.part == "complex" else "float64",
        "type3": False,
        "library": k.library,
        "forward": k.sign < 0,
        "k_slice": _only_subscripts([k.weight, *k.points.values()], kname),
        "weight_parts": _weight_parts(k.weight, lowering),
        "scaled": _scaled_points(k, lowering),
        "interleaved": _interleaved_weight(k, lowering),
    }
