"""Generated bad input for every declared rule of every kernel, eagerly and under ``jax.jit``.

``test_bad_input.py`` has hand-written rows (one per class of bad input and argument);
here the bad values are derived from the declarations themselves (``__autojax_decls__``),
so a new kernel or a new rule is covered without a new row. For every public kernel of
every backend that the small dataset can call, and every declared argument:

- eagerly, a wrong dtype, a wrong number of axes, a wrong size where a size is shared or
  tied, and a value breaking each value rule (bounds, per-column ranges, counts, finite,
  >0, >=0, !=0, re==im; for scalars also the positive size of ``int -> S >0``) must raise
  a ``ValueError`` or ``TypeError`` naming the kernel and the argument;
- under ``jax.jit`` (JAX backend), each value rule must poison every floating result with
  NaN (never a finite value or -inf), or raise at trace time naming the argument (static
  scalars); a wrong number of axes or a wrong dtype must raise at trace time.

Hypothesis chooses where the bad entry goes and which bad value (derandomized, a few
examples each). The NUFFT crash class (the library seeing a NaN or inf coordinate) runs in
a subprocess, so that a crash fails a test instead of killing pytest.
"""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import BACKENDS, _dataset, _floats, _kwargs

from autojax import backends
from autojax._validate import _tie_code, parse_decl

SETTINGS = settings(
    derandomize=True,
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _all_kwargs(func):
    """The dataset's arguments for ``func`` with the defaults filled in (None if it lacks one)."""
    kwargs = _kwargs(func)
    if kwargs is None:
        return None
    for param in inspect.signature(func).parameters.values():
        if param.name not in kwargs and param.default is not inspect.Parameter.empty:
            kwargs[param.name] = param.default
    return kwargs


def _public(backend):
    """(name, function) of each public kernel of ``backend`` once (aliases skipped)."""
    module = backends.load(backend)
    seen, out = set(), []
    for name in module.__all__:
        func = getattr(module, name)
        if hasattr(func, "__autojax_decls__") and id(func) not in seen:
            seen.add(id(func))
            out.append((name, func))
    return out


def _value_rules(text: str) -> list[str]:
    decl = parse_decl(text)
    rules = list(decl.flags)
    rules += ["bounds"] if decl.bounds else []
    rules += ["columns"] if decl.columns else []
    rules += ["counts"] if decl.counts else []
    rules += ["size"] if decl.bind else []
    return rules


def _constrained_axes(decls: dict, arg: str) -> list[int]:
    """Axes of ``arg`` whose size another declaration (or a tie, or a fixed size) pins."""
    decl = parse_decl(decls[arg])
    others = set()
    for name, text in decls.items():
        d = parse_decl(text)
        others |= set(d.tie_symbols) | {s for s, _ in d.ties}
        if name != arg:
            others |= {s for s in d.shape or () if isinstance(s, str)}
            others |= {d.bind} if d.bind else set()
    out = []
    for axis, sym in enumerate(decl.shape):
        if isinstance(sym, int) or sym in others or list(decl.shape).count(sym) > 1:
            out.append(axis)
    return out


def _sizes(func, kwargs) -> dict:
    return {s: v[0] for s, v in func.__autojax_check__((), kwargs)[2].items()}


def _bound(item, sizes):
    return item if isinstance(item, int) else eval(_tie_code(item), {"__builtins__": {}}, sizes)  # noqa: S307


def _spoil_value(decl, rule, value, sizes, draw):
    """``value`` made to break ``rule`` of ``decl`` (Hypothesis ``draw`` picks where and how)."""
    if not decl.is_array:
        items = list(value) if decl.scalar in ("int2", "float2") else [value]
        at = draw(st.integers(0, len(items) - 1))
        bad = {
            "finite": [np.nan, np.inf, -np.inf],
            ">0": [0.0, -1.5] if "float" in decl.scalar else [0, -1],
            ">=0": [-1.5] if "float" in decl.scalar else [-1],
            "!=0": [0.0],
            "size": [0],
        }[rule]
        items[at] = draw(st.sampled_from(bad))
        return tuple(items) if decl.scalar in ("int2", "float2") else items[0]
    value = np.array(value, copy=True)
    flat = value.reshape(-1)
    at = draw(st.integers(0, flat.size - 1))
    if rule == "finite":
        flat[at] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    elif rule in (">0", ">=0"):
        flat[at] = draw(st.sampled_from([-1.0] + ([0.0] if rule == ">0" else [])))
    elif rule == "!=0" and value.dtype.kind == "c":  # a zero real part, imaginary part or both
        flat[at] = draw(st.sampled_from([0j, flat[at].real + 0j, 1j * flat[at].imag]))
    elif rule == "!=0":
        flat[at] = 0.0
    elif rule == "re==im":
        flat[at] = flat[at].real * (1 + 0.5j) + 0.5j
    elif rule == "bounds":
        lo, hi = (_bound(b, sizes) for b in decl.bounds)
        flat[at] = draw(st.sampled_from([lo - 1, hi + 1 if decl.closed else hi]))
    elif rule == "columns":
        column = at % value.shape[-1]
        lo, hi = (_bound(b, sizes) for b in decl.columns[column])
        flat[at] = draw(st.sampled_from([lo - 1, hi]))
    elif rule == "counts":
        row = at % value.shape[0]  # a count off by one, still inside [0, P]
        value[row] = value[row] - 1 if value[row] > 0 else value[row] + 1
    else:
        raise AssertionError(rule)
    return value


def _eager_cases():
    for backend in BACKENDS:
        for name, func in _public(backend):
            if _kwargs(func) is None:
                continue
            for arg, text in func.__autojax_decls__.items():
                decl = parse_decl(text)
                if decl.scalar in ("any", "str"):
                    continue
                kinds = ["dtype"] + (["ndim", "count"] if decl.is_array else [])
                for kind in kinds + _value_rules(text):
                    if kind == "count" and not _constrained_axes(func.__autojax_decls__, arg):
                        continue
                    yield pytest.param(
                        backend, name, arg, kind, id=f"{backend}-{name}-{arg}-{kind}"
                    )


def _wrong_type(decl, value):
    if not decl.is_array:
        return "1" if decl.scalar in ("int", "float") else ("1", "2")
    value = np.asarray(value)
    return {"f8": value + 0j, "c16": value.real, "i8": value + 0.5, "b1": value + 0.5}[decl.dtype]


@pytest.mark.parametrize(("backend", "kernel", "arg", "kind"), list(_eager_cases()))
def test_eager_bad_input_from_the_declarations(backend, kernel, arg, kind):
    func = getattr(backends.load(backend), kernel)
    good = _all_kwargs(func)
    decls = func.__autojax_decls__
    decl = parse_decl(decls[arg])
    sizes = _sizes(func, good)

    @SETTINGS
    @given(data=st.data())
    def check(data):
        kwargs = dict(good)
        if kind == "dtype":
            kwargs[arg] = _wrong_type(decl, good[arg])
        elif kind == "ndim":
            kwargs[arg] = np.asarray(good[arg])[None]
        elif kind == "count":
            axis = data.draw(st.sampled_from(_constrained_axes(decls, arg)))
            value = np.asarray(good[arg])
            grow = data.draw(st.booleans()) or value.shape[axis] == 0
            if grow:
                kwargs[arg] = np.concatenate([value, np.take(value, [0], axis=axis)], axis=axis)
            else:
                kwargs[arg] = np.delete(value, 0, axis=axis)
        else:
            kwargs[arg] = _spoil_value(decl, kind, good[arg], sizes, data.draw)
        with pytest.raises((ValueError, TypeError)) as info:
            func(**kwargs)
        message = str(info.value)
        assert kernel in message and f"'{arg}'" in message, message

    check()


# ------------------------------------------------------------------------ under jax.jit


def _jit_cases():
    if "jax" not in BACKENDS:
        return
    for name, func in _public("jax"):
        if _kwargs(func) is None:
            continue
        rules = [
            (arg, rule)
            for arg, text in func.__autojax_decls__.items()
            for rule in _value_rules(text)
        ]
        if rules and name != "mask_2d_circular_from":  # a bool result cannot hold NaN
            yield pytest.param(name, rules, id=name)


@functools.cache
def _jitted(kernel):
    """The JAX kernel and its jit, static: int, int2 and str arguments, and the NUFFT
    tolerance ``eps`` (a static argument of the NUFFT kernels)."""
    import jax

    import autojax.jax as aj

    func = getattr(aj, kernel)
    static = [
        a
        for a, t in func.__autojax_decls__.items()
        if parse_decl(t).scalar in ("int", "int2", "str") or a == "eps"
    ]
    return func, jax.jit(func, static_argnames=static)


def _jit_shape_cases():
    if "jax" not in BACKENDS:
        return
    for name, func in _public("jax"):
        if _kwargs(func) is not None:
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("kernel", list(_jit_shape_cases()))
def test_jit_wrong_shape_or_dtype_raises_at_trace_time(kernel):
    """Shapes and dtypes are static under jax.jit: every array argument with an extra axis
    or the wrong dtype is refused while tracing, naming the kernel and the argument."""
    func, jitted = _jitted(kernel)
    good = _all_kwargs(func)
    for arg, text in func.__autojax_decls__.items():
        decl = parse_decl(text)
        if not decl.is_array:
            continue
        for bad in (np.asarray(good[arg])[None], _wrong_type(decl, good[arg])):
            with pytest.raises((ValueError, TypeError)) as info:
                jitted(**dict(good, **{arg: bad}))
            message = str(info.value)
            assert kernel in message and f"'{arg}'" in message, message


@pytest.mark.parametrize(("kernel", "rules"), list(_jit_cases()))
def test_jit_bad_value_from_the_declarations_poisons(kernel, rules):
    func, jitted = _jitted(kernel)
    good = _all_kwargs(func)
    sizes = _sizes(func, good)

    @settings(SETTINGS, max_examples=2)
    @given(data=st.data())
    def check(data):
        for arg, rule in rules:
            kwargs = dict(good)
            kwargs[arg] = _spoil_value(
                parse_decl(func.__autojax_decls__[arg]), rule, good[arg], sizes, data.draw
            )
            try:
                out = jitted(**kwargs)
            except ValueError as exc:  # a static scalar: refused at trace time
                assert kernel in str(exc) and f"'{arg}'" in str(exc), str(exc)
                continue
            leaves = _floats(out)
            assert leaves, (arg, rule)
            for leaf in leaves:
                assert np.all(np.isnan(leaf)), (arg, rule, leaf)

    check()


# ------------------------------------------------------------------------ junk after -1


def _with_junk(rows, extra, s):
    """``rows`` with ``extra`` more columns; after each row's first -1, indices in [-1, S)."""
    out = np.concatenate([rows, -np.ones((rows.shape[0], extra), np.int64)], axis=1)
    first = np.argmax(np.concatenate([out, -np.ones((out.shape[0], 1), np.int64)], 1) < 0, 1)
    rng = np.random.default_rng(14)
    for i, f in enumerate(first):
        out[i, f + 1 :] = rng.integers(-1, s, size=out.shape[1] - f - 1)
    return out


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "original"])
def test_entries_after_a_rows_first_minus_one_are_ignored_by_the_evidence(backend):
    """Like the mapping rows, a neighbour row's entries after its -1 are ignored (the counts
    rule reads the entries before it); they used to be suspected of a NaN evidence."""
    import inspect

    d, _ = _dataset()
    func = backends.load(backend).log_likelihood_function_via_w_compact_from
    kwargs = {k: getattr(d, k) for k in inspect.signature(func).parameters if hasattr(d, k)}
    want = float(func(**kwargs))
    kwargs["neighbors"] = _with_junk(d.neighbors, 2, d.S)
    kwargs["pix_indexes_for_sub_slim_index"] = _with_junk(d.pix_indexes_for_sub_slim_index, 1, d.S)
    kwargs["pix_weights_for_sub_slim_index"] = np.concatenate(
        [d.pix_weights_for_sub_slim_index, np.full((d.M, 1), 0.25)], axis=1
    )
    assert np.isfinite(want)
    np.testing.assert_allclose(float(func(**kwargs)), want, rtol=1e-12)
    if backend == "jax":
        import jax

        jitted = jax.jit(func, static_argnames=["method"])
        np.testing.assert_allclose(float(jitted(**kwargs)), want, rtol=1e-12)


# ------------------------------------------------------------------------ BCOO


def test_bcoo_mapping_matrix_gives_the_dense_curvature():
    """The seed's composition: ``mapping_matrix_from_BCOO`` then ``curvature_matrix_via_w_tilde_from``."""
    pytest.importorskip("jax")
    import jax
    from jax.experimental import sparse

    import autojax.jax as aj

    d, _ = _dataset()
    rows = (d.pix_indexes_for_sub_slim_index, d.pix_weights_for_sub_slim_index, d.S)
    bcoo = aj.mapping_matrix_from_BCOO(*rows)
    w_tilde = aj.w_tilde_via_compact_from(d.w_compact, d.native_index_for_slim_index)
    want = np.asarray(aj.curvature_matrix_via_w_tilde_from(w_tilde, aj.mapping_matrix_from(*rows)))
    for f in (aj.curvature_matrix_via_w_tilde_from, jax.jit(aj.curvature_matrix_via_w_tilde_from)):
        got = np.asarray(f(w_tilde, bcoo))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())
    bad = sparse.BCOO((bcoo.data.at[1].set(np.nan), bcoo.indices), shape=bcoo.shape)
    with pytest.raises(
        ValueError, match="curvature_matrix_via_w_tilde_from.*'mapping_matrix'.*finite"
    ):
        aj.curvature_matrix_via_w_tilde_from(w_tilde, bad)
    assert np.all(np.isnan(jax.jit(aj.curvature_matrix_via_w_tilde_from)(w_tilde, bad)))
    if "numba" in BACKENDS:
        with pytest.raises(TypeError, match="'mapping_matrix'.*BCOO.*only the JAX backend"):
            backends.load("numba").curvature_matrix_via_w_tilde_from(np.asarray(w_tilde), bcoo)


# ------------------------------------------------------------------------ NUFFT crashes

#: run in a fresh interpreter: a NUFFT library seeing a NaN or inf coordinate used to kill
#: the process (SIGSEGV, SIGABRT); each case prints its outcome, so a crash names its case
NUFFT_SCRIPT = """
import sys
import warnings
import numpy as np
warnings.simplefilter("ignore", RuntimeWarning)  # the overflow cases overflow
sys.path.insert(0, {tests!r})
from conftest import get_dataset
from autojax import backends
d = get_dataset("S<<M")
names = sys.argv[1:]

def spoil(a, index, value):
    a = np.array(a, copy=True)
    a.flat[index] = value
    return a

def cases():
    big = d.uv_wavelengths * 1e10  # finite, but a type-3 fine grid of ~1e23 points
    for bad in (np.nan, np.inf, -np.inf):
        uv = spoil(d.uv_wavelengths, 3, bad)
        grid = spoil(d.grid_radians_slim, 1, bad)
        yield "compact uv", "w_compact_curvature_interferometer_from", (d.N, d.noise_map_real, uv, d.pixel_scale)
        yield "compact pixel_scale", "w_compact_curvature_interferometer_from", (d.N, d.noise_map_real, d.uv_wavelengths, bad)
        yield "dirty uv", "dirty_image_from", (d.data, d.noise_map, uv, d.grid_radians_slim)
        yield "dirty grid", "dirty_image_from", (d.data, d.noise_map, d.uv_wavelengths, grid)
    yield "dirty huge extents", "dirty_image_from", (d.data, d.noise_map, big, d.grid_radians_slim)
    # finite inputs whose points overflow to inf
    huge = d.uv_wavelengths * 1e300
    yield "compact overflow", "w_compact_curvature_interferometer_from", (d.N, d.noise_map_real, huge, 1e10)
    edge = d.uv_wavelengths / np.abs(d.uv_wavelengths).max() * 1e308  # 2 pi u overflows
    yield "dirty overflow", "dirty_image_from", (d.data, d.noise_map, edge, d.grid_radians_slim)

for backend in names:
    module = backends.load(backend)
    runs = [("eager", lambda f: f)]
    if backend == "jax":
        import jax
        static = lambda f: [a for a in ("grid_size", "method", "eps") if a in f.__autojax_decls__]
        runs.append(("jit", lambda f: jax.jit(f, static_argnames=static(f))))
    for mode, wrap in runs:
        for label, kernel, args in cases():
            print("CASE", backend, mode, label, flush=True)
            try:
                out = np.asarray(wrap(getattr(module, kernel))(*args, method="nufft"))
            except ValueError as exc:
                assert kernel in str(exc) or "nufft" in str(exc), str(exc)
                print("RAISED", exc, flush=True)
                continue
            assert mode == "jit", "eagerly, bad input must raise"
            assert np.all(np.isnan(out)), out
            print("POISONED", flush=True)
print("DONE", flush=True)
"""


@pytest.mark.parametrize("jax_nufft", ["auto", "nufftax"])
def test_nufft_never_sees_a_non_finite_coordinate(jax_nufft):
    """``auto``: FINUFFT (Numba, array API) and jax-finufft (JAX on the CPU); ``nufftax``:
    the JAX backend's GPU library, forced on the CPU (AUTOJAX_JAX_NUFFT)."""
    pytest.importorskip("finufft" if jax_nufft == "auto" else "nufftax")
    names = [b for b in ("numba", "xp", "jax") if b in BACKENDS]
    if jax_nufft == "nufftax":
        names = [b for b in names if b == "jax"]
    if not names:
        pytest.skip("no backend with a NUFFT imports here")
    tests = str(Path(__file__).parent)
    script = textwrap.dedent(NUFFT_SCRIPT).format(tests=tests)
    env = dict(os.environ, AUTOJAX_DATA_SIZE=os.environ.get("AUTOJAX_DATA_SIZE", "128"))
    env["AUTOJAX_JAX_NUFFT"] = jax_nufft
    run = subprocess.run(
        [sys.executable, "-c", script, *names],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    lines = run.stdout.splitlines()
    last = next((line for line in reversed(lines) if line.startswith("CASE")), None)
    assert run.returncode == 0, f"died ({run.returncode}) in {last}:\n{run.stderr[-3000:]}"
    assert lines[-1] == "DONE"
    # every eager case raised; every jit case raised or was poisoned
    assert sum(line.startswith(("RAISED", "POISONED")) for line in lines) == sum(
        line.startswith("CASE") for line in lines
    )


# ------------------------------------------------------------------------ preload box


@pytest.mark.parametrize("backend", BACKENDS)
def test_preload_of_half_the_size_or_an_index_outside_its_box_is_refused(backend):
    """Both used to give a wrong, finite W-tilde (the offsets wrapped modulo the preload)."""
    d, _ = _dataset()
    func = backends.load(backend).w_tilde_via_preload_from
    preload, native = d.w_tilde_preload, d.native_index_for_slim_index
    assert np.all(np.isfinite(np.asarray(func(preload, native))))
    ry, rx = preload.shape
    half = preload[: ry // 2, : rx // 2]
    match = r"w_tilde_via_preload_from: argument 'native_index_for_slim_index' holds"
    with pytest.raises(ValueError, match=match):
        func(half, native)
    outside = native.copy()
    outside[0, 1] = rx // 2
    with pytest.raises(ValueError, match=match + r" \d+ in column 1"):
        func(preload, outside)
