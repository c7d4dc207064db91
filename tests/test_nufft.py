"""``method="nufft"`` of the compact W-tilde: every backend against the exact float64 sum.

The compact form ``C[m, n] = sum_k w_k cos(d (n-(N-1)) u_k - d m v_k)`` is the real part of
a type-1 NUFFT. These tests check each backend's NUFFT (ducc0 and FINUFFT in Numba and
array-API on NumPy; ducc0, jax-finufft and nufftax in JAX) on small and awkward sizes, the tolerance contract
of docs/contract.md (1e-9 relative on entries above 1e-6 of the peak at the default ``eps``),
``jax.jit``, the message when the optional libraries are missing, the dispatcher's
``method`` keyword, and the ``nufft`` spec kind itself (a toy spec, malformed specs).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import textwrap

import numpy as np
import pytest

import autojax.numba as nb
import autojax.xp as ax
from autojax import _runtime
from autojax import reference as ref
from autojax.util.testing import assert_close

needs_finufft = pytest.mark.skipif(
    importlib.util.find_spec("finufft") is None, reason="FINUFFT (the 'nufft' extra) is missing"
)
EXACT = "w_compact_curvature_interferometer_exact_from"
NUFFT = "w_compact_curvature_interferometer_nufft_from"
SEED = "w_compact_curvature_interferometer_from"
EXTRA = "pip install 'autojax[nufft]'"
PIXEL_SCALE = 0.05
#: the two libraries of the JAX backend (AUTOJAX_JAX_NUFFT): on a CPU "auto" is jax-finufft
JAX_LIBRARIES = ["jax_finufft", "nufftax"]


def _data(n_vis: int, uv_max: float = 1e6, seed: int = 0):
    rng = np.random.default_rng(seed)
    uv = rng.uniform(-uv_max, uv_max, (n_vis, 2))
    noise = rng.uniform(0.5, 2.0, n_vis)
    return noise, uv


@pytest.fixture(scope="module")
def jax_backend():
    pytest.importorskip("jax")
    import autojax.jax as aj

    return aj


@pytest.fixture(params=JAX_LIBRARIES)
def jax_library(request, monkeypatch, jax_backend):
    """Force the JAX NUFFT onto one library (read at trace time, so retrace)."""
    import jax

    pytest.importorskip(request.param)
    monkeypatch.setattr(_runtime, "JAX_NUFFT", request.param)
    jax.clear_caches()
    yield request.param
    jax.clear_caches()


def _backends():
    """(label, nufft function) for the NumPy-side backends; JAX ones are added per test."""
    return [("numba", getattr(nb, NUFFT)), ("xp", getattr(ax, NUFFT))]


def _check(actual, expected, *, rtol=1e-9, atol_peak=1e-12, label=""):
    """|a - e| <= rtol |e| + atol_peak * peak: a NUFFT's error is relative to the peak."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{label}: {actual.shape} != {expected.shape}"
    assert actual.dtype == np.float64, label
    peak = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_peak * peak, err_msg=label)


def _max_relative_above(actual, expected, floor=1e-6):
    """The contract's measure: the largest relative error on entries above ``floor`` x peak."""
    actual = np.asarray(actual)
    big = np.abs(expected) > floor * np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)[big] / np.abs(expected)[big]))


# (N, K, largest |u|, |v|): K = 1, N = 1 and 2, odd and even N, points that wrap many times
# (d u reaches 76 rad at 5e7 wavelengths and 0.05 arcsec)
CASES = [
    (1, 1, 1e6),
    (1, 9, 1e6),
    (2, 1, 1e6),
    (2, 17, 5e7),
    (3, 4, 5e7),
    (7, 1, 5e7),
    (8, 64, 1e6),
    (13, 300, 5e7),
    (30, 1000, 1e6),
    (31, 257, 2e7),
]


@needs_finufft
@pytest.mark.parametrize(("n", "n_vis", "uv_max"), CASES)
def test_numpy_backends_match_exact_sum(n, n_vis, uv_max):
    noise, uv = _data(n_vis, uv_max, seed=n)
    expected = ref.w_compact_curvature_interferometer_from(n, noise, uv, PIXEL_SCALE)
    for label, func in _backends():
        _check(func(n, noise, uv, PIXEL_SCALE), expected, label=f"{label} N={n} K={n_vis}")


@pytest.mark.parametrize(("n", "n_vis", "uv_max"), CASES)
def test_jax_matches_exact_sum(jax_library, jax_backend, n, n_vis, uv_max):
    import jax.numpy as jnp

    noise, uv = _data(n_vis, uv_max, seed=n)
    expected = ref.w_compact_curvature_interferometer_from(n, noise, uv, PIXEL_SCALE)
    func = getattr(jax_backend, NUFFT)
    label = f"jax[{jax_library}] N={n} K={n_vis}"
    _check(func(n, jnp.asarray(noise), jnp.asarray(uv), PIXEL_SCALE), expected, label=label)
    # array-API on JAX arrays delegates to the JAX implementation
    xp_result = getattr(ax, NUFFT)(n, jnp.asarray(noise), jnp.asarray(uv), PIXEL_SCALE)
    assert type(xp_result).__module__.startswith("jax"), "xp on JAX arrays must return JAX"
    _check(xp_result, expected, label=f"xp on {label}")


def test_jax_nufftax_chunks_are_exact(monkeypatch, jax_backend):
    """nufftax runs in chunks of K padded with zero weights: many ragged chunks change nothing."""
    import jax

    pytest.importorskip("nufftax")
    noise, uv = _data(1001, 3e7, seed=5)
    expected = ref.w_compact_curvature_interferometer_from(9, noise, uv, PIXEL_SCALE)
    monkeypatch.setattr(_runtime, "JAX_NUFFT", "nufftax")
    monkeypatch.setattr(_runtime, "CHUNK_BUDGET", 128 * 97)  # chunks of 97 points, 11 of them
    jax.clear_caches()
    try:
        _check(getattr(jax_backend, NUFFT)(9, noise, uv, PIXEL_SCALE), expected, label="nufftax")
    finally:
        jax.clear_caches()


@needs_finufft
def test_empty_visibilities_give_zeros(jax_backend):
    for func in [getattr(nb, NUFFT), getattr(ax, NUFFT), getattr(jax_backend, NUFFT)]:
        out = np.asarray(func(4, np.zeros(0), np.zeros((0, 2)), PIXEL_SCALE))
        np.testing.assert_array_equal(out, np.zeros((4, 7)))


def test_exact_compact_with_no_visibilities_gives_zeros(jax_backend):
    """Regression: the JAX exact sum gathered from an empty array at K = 0 and crashed."""
    for module in (nb, ax, jax_backend):
        for name in (EXACT, SEED):
            out = np.asarray(getattr(module, name)(4, np.zeros(0), np.zeros((0, 2)), PIXEL_SCALE))
            np.testing.assert_array_equal(out, np.zeros((4, 7)), err_msg=f"{module.__name__}")


def test_exact_compact_on_array_api_strict():
    """Regression: the array-API exact sum multiplied a Python float by an integer index
    array, which array-api-strict refuses; the exact method and auto must run there."""
    xps = pytest.importorskip("array_api_strict")
    noise, uv = _data(37, 3e6, seed=8)
    expected = ref.w_compact_curvature_interferometer_from(6, noise, uv, PIXEL_SCALE)
    for name, kwargs in ((EXACT, {}), (SEED, {}), (SEED, {"method": "exact"})):
        got = getattr(ax, name)(6, xps.asarray(noise), xps.asarray(uv), PIXEL_SCALE, **kwargs)
        assert_close(got, expected, namespace=xps, err_msg=f"{name} {kwargs}")


# ----------------------------------------------------------------------- the eps contract


@pytest.fixture(scope="module", params=[(30, 20_000), (64, 20_000)], ids=["N30", "N64"])
def contract_case(request):
    n, n_vis = request.param
    noise, uv = _data(n_vis, 1e6, seed=n_vis + n)
    expected = getattr(nb, EXACT)(n, noise, uv, PIXEL_SCALE)
    return n, noise, uv, expected


def _all_nufft_functions(jax_backend):
    """Every backend's NUFFT, JAX once per installed library (label, function, library)."""
    out = [(label, func, None) for label, func in _backends()]
    for library in JAX_LIBRARIES:
        if importlib.util.find_spec(library) is not None:
            out.append((f"jax[{library}]", getattr(jax_backend, NUFFT), library))
    return out


def _call(func, library, *args, **kwargs):
    if library is None:
        return func(*args, **kwargs)
    import jax

    old = _runtime.JAX_NUFFT
    _runtime.JAX_NUFFT = library
    jax.clear_caches()
    try:
        return np.asarray(func(*args, **kwargs))
    finally:
        _runtime.JAX_NUFFT = old
        jax.clear_caches()


@needs_finufft
def test_default_eps_meets_the_contract(contract_case, jax_backend):
    """Default eps: <= 1e-9 relative on every entry above 1e-6 of the peak (docs/contract.md)."""
    n, noise, uv, expected = contract_case
    for label, func, library in _all_nufft_functions(jax_backend):
        worst = _max_relative_above(_call(func, library, n, noise, uv, PIXEL_SCALE), expected)
        assert worst <= 1e-9, f"{label}: {worst:.2e} relative error at the default eps"


@needs_finufft
def test_loose_eps_is_worse_but_bounded(contract_case, jax_backend):
    n, noise, uv, expected = contract_case
    peak = np.max(np.abs(expected))
    for label, func, library in _all_nufft_functions(jax_backend):
        tight = np.max(np.abs(_call(func, library, n, noise, uv, PIXEL_SCALE) - expected)) / peak
        loose = _call(func, library, n, noise, uv, PIXEL_SCALE, eps=1e-3)
        loose = np.max(np.abs(loose - expected)) / peak
        assert loose > 100 * tight, f"{label}: eps=1e-3 gives {loose:.1e}, default {tight:.1e}"
        assert loose < 1e-2, f"{label}: eps=1e-3 gives {loose:.1e} of the peak"


def test_default_eps_is_the_same_everywhere(jax_backend):
    for module in (nb, ax, jax_backend):
        for name in (NUFFT, SEED):
            assert inspect.signature(getattr(module, name)).parameters["eps"].default == 1e-14


# ----------------------------------------------------------------------------- jax.jit


def test_under_jax_jit(jax_library, jax_backend):
    import jax
    import jax.numpy as jnp

    n = 11
    noise, uv = _data(500, 3e6, seed=2)
    expected = ref.w_compact_curvature_interferometer_from(n, noise, uv, PIXEL_SCALE)
    jitted = jax.jit(getattr(jax_backend, NUFFT), static_argnames=("grid_size", "eps"))
    args = (n, jnp.asarray(noise), jnp.asarray(uv), jnp.asarray(PIXEL_SCALE))
    _check(jitted(*args), expected, label=f"jit[{jax_library}]")
    # eps is static: a looser tolerance is a new trace with a (measurably) different result
    loose = np.asarray(jitted(*args, eps=1e-3))
    assert np.max(np.abs(loose - expected)) > 1e3 * np.max(
        np.abs(np.asarray(jitted(*args)) - expected)
    )
    # the dispatcher too, with the method static
    seed = jax.jit(getattr(jax_backend, SEED), static_argnames=("grid_size", "method", "eps"))
    _check(seed(*args, method="nufft"), expected, label="jit dispatcher")


# ------------------------------------------------------------------ missing libraries


def test_numpy_backends_name_the_extra_when_finufft_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "finufft", None)  # `import finufft` raises ImportError
    monkeypatch.setitem(sys.modules, "ducc0", None)
    noise, uv = _data(10)
    for label, func in _backends():
        with pytest.raises(ImportError) as info:
            func(4, noise, uv, PIXEL_SCALE)
        message = str(info.value)
        assert NUFFT in message and "optional 'nufft' extra" in message, (label, message)
        assert EXTRA in message, (label, message)


def test_jax_names_the_extra_when_both_libraries_are_missing(monkeypatch, jax_backend):
    import jax

    monkeypatch.setitem(sys.modules, "jax_finufft", None)
    monkeypatch.setitem(sys.modules, "nufftax", None)
    monkeypatch.setitem(sys.modules, "ducc0", None)
    jax.clear_caches()
    noise, uv = _data(10)
    try:
        with pytest.raises(ImportError, match=r"optional 'nufft' extra: pip install"):
            getattr(jax_backend, NUFFT)(4, noise, uv, PIXEL_SCALE)
    finally:
        jax.clear_caches()


@needs_finufft
def test_auto_falls_back_to_exact_without_the_libraries(monkeypatch, jax_backend):
    """Above the crossover auto picks nufft, unless its libraries are missing: then exact."""
    import jax

    n, (noise, uv) = 64, _data(2000, seed=9)
    modules = (nb, ax, jax_backend)
    exact = [np.asarray(getattr(module, EXACT)(n, noise, uv, PIXEL_SCALE)) for module in modules]
    nufft = [np.asarray(getattr(module, NUFFT)(n, noise, uv, PIXEL_SCALE)) for module in modules]
    for module, want in zip(modules, nufft):
        np.testing.assert_array_equal(
            np.asarray(getattr(module, SEED)(n, noise, uv, PIXEL_SCALE)), want
        )
    monkeypatch.setitem(sys.modules, "finufft", None)
    monkeypatch.setitem(sys.modules, "jax_finufft", None)
    monkeypatch.setitem(sys.modules, "nufftax", None)
    monkeypatch.setitem(sys.modules, "ducc0", None)
    jax.clear_caches()
    try:
        for module, want, other in zip(modules, exact, nufft):
            got = np.asarray(getattr(module, SEED)(n, noise, uv, PIXEL_SCALE))
            assert not np.array_equal(got, other), module.__name__
            np.testing.assert_array_equal(got, want, err_msg=module.__name__)
    finally:
        jax.clear_caches()


def test_other_namespaces_are_refused_by_nufft_and_routed_to_exact_by_auto(monkeypatch):
    xps = pytest.importorskip("array_api_strict")
    noise, uv = _data(3000, seed=4)
    a_noise, a_uv = xps.asarray(noise), xps.asarray(uv)
    with pytest.raises(TypeError, match=f"{NUFFT}: the NUFFT methods support NumPy arrays"):
        getattr(ax, NUFFT)(64, a_noise, a_uv, PIXEL_SCALE)
    assert not _runtime.have_nufft("xp", a_noise)
    assert _runtime.have_nufft("xp", noise) == any(
        importlib.util.find_spec(name) is not None for name in ("ducc0", "finufft")
    )
    # auto (above the crossover) calls the exact method for a namespace without a NUFFT
    module = sys.modules[getattr(ax, SEED).__module__]
    monkeypatch.setattr(module, f"_{EXACT}_impl", lambda **kwargs: "exact")
    assert getattr(ax, SEED)(64, a_noise, a_uv, PIXEL_SCALE) == "exact"


# -------------------------------------------------------------------------- dispatcher


@needs_finufft
@pytest.mark.parametrize("backend", ["numba", "jax", "xp"])
def test_dispatcher_methods(backend, jax_backend):
    module = {"numba": nb, "jax": jax_backend, "xp": ax}[backend]
    seed = getattr(module, SEED)
    methods = {"exact": getattr(module, EXACT), "nufft": getattr(module, NUFFT)}
    for library in ("ducc0", "finufft"):
        if importlib.util.find_spec(library) is not None:
            methods[f"nufft_{library}"] = getattr(
                module, NUFFT.replace("_from", f"_{library}_from")
            )
    assert set(module.METHODS[SEED]) == {"exact", "nufft", "nufft_ducc0", "nufft_finufft"}
    small, large = (3, *_data(20)), (64, *_data(2000, seed=1))
    for n, noise, uv in (small, large):
        for method, func in methods.items():
            np.testing.assert_array_equal(
                np.asarray(seed(n, noise, uv, PIXEL_SCALE, method=method)),
                np.asarray(func(n, noise, uv, PIXEL_SCALE)),
            )
        np.testing.assert_array_equal(
            np.asarray(seed(n, noise, uv, PIXEL_SCALE, method="nufft", eps=1e-4)),
            np.asarray(methods["nufft"](n, noise, uv, PIXEL_SCALE, 1e-4)),
        )
    # auto: exact for tiny K N, nufft at K = 2000, N = 64 (above the measured crossover)
    for (n, noise, uv), method in ((small, "exact"), (large, "nufft")):
        np.testing.assert_array_equal(
            np.asarray(seed(n, noise, uv, PIXEL_SCALE)),
            np.asarray(methods[method](n, noise, uv, PIXEL_SCALE)),
        )
    with pytest.raises(
        ValueError, match=rf"{SEED}: argument 'method' is 'fft'.*auto, exact, nufft"
    ):
        seed(3, *small[1:], PIXEL_SCALE, method="fft")
    with pytest.raises(TypeError, match=rf"{SEED}: argument 'method' must be a str"):
        seed(3, *small[1:], PIXEL_SCALE, method=1)
    with pytest.raises(TypeError, match=rf"{SEED}: argument 'eps' must be a real number"):
        seed(3, *small[1:], PIXEL_SCALE, method="nufft", eps="tight")


# ------------------------------------------------------------------ the nufft spec kind

TOY_NUFFT_SPEC = '''
"""Toy NUFFT kernels for the nufft kind's own tests."""

from codegen.kinds import Nufft

ARGS = {
    "w": "f8[K]", "x": "f8[K]", "y": "f8[K]", "rows": "int -> P", "cols": "int -> Q",
    "shift": "int", "eps": "float",
}
COMMON = dict(
    args=ARGS, defaults={"eps": "1e-13"}, index={"a": "P", "b": "Q"}, reduce=("k", "K"),
    weight="w[k] * cos(x[k])", points={"a": "3.0 * x[k]", "b": "y[k] - 1.0"},
    modes={"a": "a - shift", "b": "b + 1"},
)

KERNELS = [
    Nufft(name="toy_nufft_complex_from", doc="complex part, sign -1.", returns="c16[P,Q]",
          part="complex", sign=-1, **COMMON),
    Nufft(name="toy_nufft_imag_from", doc="imaginary part, sign +1.", returns="f8[P,Q]",
          part="imag", **COMMON),
]
'''


def _toy_expected(w, x, y, rows, cols, shift, sign):
    a = np.arange(rows)[:, None, None] - shift
    b = np.arange(cols)[None, :, None] + 1
    phase = a * (3.0 * x) + b * (y - 1.0)
    return (np.exp(sign * 1j * phase) * (w * np.cos(x))).sum(axis=-1)


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def toy_nufft(tmp_path):
    from codegen.load import load_specs
    from codegen.output import write
    from codegen.render import render_all

    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "toy_nufft.py").write_text(textwrap.dedent(TOY_NUFFT_SPEC))
    out = tmp_path / "out"
    write(render_all(load_specs(specs)), out)
    return specs, out


@needs_finufft
@pytest.mark.parametrize(("rows", "cols", "shift"), [(5, 4, 2), (1, 1, 0), (6, 9, -3)])
def test_toy_nufft_kind(toy_nufft, jax_backend, rows, cols, shift):
    """The kind in general: complex and imaginary parts, both signs, shifted modes."""
    _, out = toy_nufft
    rng = np.random.default_rng(rows)
    w, x, y = rng.random(37), rng.uniform(-20, 20, 37), rng.uniform(-20, 20, 37)
    args = (w, x, y, rows, cols, shift)
    modules = [_import(out / "numba" / "toy_nufft.py", f"_toy_nufft_numba_{rows}")]
    modules.append(_import(out / "jax" / "toy_nufft.py", f"_toy_nufft_jax_{rows}"))
    for module in modules:
        got = np.asarray(module.toy_nufft_complex_from(*args))
        want = _toy_expected(*args, sign=-1)
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, want, atol=1e-10 * np.abs(want).max())
        got = np.asarray(module.toy_nufft_imag_from(*args))
        want = _toy_expected(*args, sign=1).imag
        np.testing.assert_allclose(got, want, atol=1e-10 * np.abs(want).max())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('"a - shift"', '"2 * a"'), ["toy_nufft_complex_from", "modes.a", "must read"]),
        (('"a - shift"', '"a - x[0]"'), ["modes.a", "only sizes and int"]),
        (('"b": "y[k] - 1.0"', '"c": "y[k] - 1.0"'), ["toy_nufft_complex_from", "points"]),
        (('part="imag"', 'part="abs"'), ["toy_nufft_imag_from", "part", "abs"]),
        (('returns="f8[P,Q]"', 'returns="c16[P,Q]"'), ["toy_nufft_imag_from", "returns"]),
        (("sign=-1", "sign=2"), ["toy_nufft_complex_from", "sign"]),
        (('"eps": "float",\n}', '"eps": "int",\n}'), ["eps", "float"]),
        (('"b": "y[k] - 1.0"', '"b": "y[k] - besselj(k)"'), ["points.b", "besselj"]),
        (('index={"a": "P", "b": "Q"}', 'index={"a": "P"}'), ["index", "two output indices"]),
    ],
)
def test_malformed_nufft_spec_names_kernel_and_field(toy_nufft, change, words):
    from codegen.load import load_specs
    from codegen.model import SpecError

    specs, _ = toy_nufft
    text = textwrap.dedent(TOY_NUFFT_SPEC)
    assert change[0] in text, change
    (specs / "toy_nufft.py").write_text(text.replace(*change))
    with pytest.raises(SpecError) as info:
        load_specs(specs)
    for word in ["toy_nufft.py", *words]:
        assert word in str(info.value), str(info.value)


# ------------------------------------------------- the dirty image: a type-3 NUFFT

DIRTY = "dirty_image_from"
DIRTY_EXACT = "dirty_image_exact_from"
DIRTY_NUFFT = "dirty_image_nufft_from"


def _dirty_data(n: int, n_vis: int, uv_max: float = 5e5, seed: int = 0):
    """(visibilities, noise, uv, grid) on an n x n grid at 0.2 arcsec, unequal noise parts."""
    from autojax.datasets import DataGenerated

    ds = DataGenerated(N=n, K=1, S=3, B=1, P=1)
    rng = np.random.default_rng(seed)
    vis = rng.normal(size=n_vis) + 1j * rng.normal(size=n_vis)
    noise = rng.uniform(0.5, 1.5, n_vis) + 1j * rng.uniform(0.5, 1.5, n_vis)
    uv = rng.uniform(-uv_max, uv_max, (n_vis, 2))
    return vis, noise, uv, ds.grid_radians_slim


#: the NumPy-side backends (FINUFFT)
_MODS = [("numba", nb), ("xp", ax)]
# (N, K, largest |u|, |v|): M = 1 (N = 1), K = 1, a ragged odd grid, long baselines
DIRTY_CASES = [(1, 5, 5e5), (6, 1, 5e5), (13, 301, 5e5), (20, 2000, 5e6)]


@pytest.mark.parametrize(("n", "n_vis", "uv_max"), DIRTY_CASES)
def test_dirty_image_nufft_every_library(jax_library, jax_backend, n, n_vis, uv_max):
    """FINUFFT (Numba, array-API on NumPy) and each JAX library (JAX, array-API on JAX)."""
    import jax.numpy as jnp

    args = _dirty_data(n, n_vis, uv_max, seed=n)
    expected = ref.dirty_image_from(*args)
    funcs = [(f"jax[{jax_library}]", getattr(jax_backend, DIRTY_NUFFT), jnp.asarray)]
    funcs.append((f"xp on jax[{jax_library}]", getattr(ax, DIRTY_NUFFT), jnp.asarray))
    if importlib.util.find_spec("finufft") is not None:
        funcs += [(name, getattr(mod, DIRTY_NUFFT), np.asarray) for name, mod in _MODS]
    for label, func, convert in funcs:
        got = func(*map(convert, args))
        _check(got, expected, rtol=0, atol_peak=1e-9, label=f"{label} N={n} K={n_vis}")


@needs_finufft
def test_dirty_image_default_eps_meets_the_contract(jax_backend):
    """<= 1e-9 of max|out| at the default eps (measured ~1e-14); eps=1e-3 is worse but bounded."""
    args = _dirty_data(30, 20_000, 5e5, seed=3)
    expected = getattr(nb, DIRTY_EXACT)(*args)
    peak = np.max(np.abs(expected))
    funcs = [(name, getattr(mod, DIRTY_NUFFT), None) for name, mod in _MODS]
    for library in JAX_LIBRARIES:
        if importlib.util.find_spec(library) is not None:
            funcs.append((f"jax[{library}]", getattr(jax_backend, DIRTY_NUFFT), library))
    for label, func, library in funcs:
        tight = np.max(np.abs(_call(func, library, *args) - expected)) / peak
        assert tight <= 1e-9, f"{label}: {tight:.2e} of the peak at the default eps"
        loose = np.max(np.abs(_call(func, library, *args, eps=1e-3) - expected)) / peak
        assert 100 * tight < loose < 1e-2, f"{label}: eps=1e-3 {loose:.1e}, default {tight:.1e}"


def test_dirty_image_nufftax_chunks_and_jit(monkeypatch, jax_backend):
    """nufftax in many ragged chunks is exact; its grid is static, so under jax.jit (traced
    points) it raises a clear error, while jax-finufft on the CPU runs under jit."""
    import jax

    pytest.importorskip("nufftax")
    args = _dirty_data(9, 1001, 5e5, seed=5)
    expected = ref.dirty_image_from(*args)
    func = getattr(jax_backend, DIRTY_NUFFT)
    monkeypatch.setattr(_runtime, "JAX_NUFFT", "nufftax")
    monkeypatch.setattr(_runtime, "CHUNK_BUDGET", 128 * 97)  # 11 chunks of 97 points
    jax.clear_caches()
    try:
        _check(func(*args), expected, rtol=0, atol_peak=1e-9, label="nufftax chunks")
        with pytest.raises(ValueError, match=rf"{DIRTY_NUFFT}: the type-3 NUFFT by nufftax"):
            jax.jit(func)(*args)
    finally:
        jax.clear_caches()
    if importlib.util.find_spec("jax_finufft") is not None:
        monkeypatch.setattr(_runtime, "JAX_NUFFT", "auto")
        jax.clear_caches()
        try:
            jitted = jax.jit(getattr(jax_backend, DIRTY), static_argnames=("method", "eps"))
            _check(jitted(*args, method="nufft"), expected, rtol=0, atol_peak=1e-9, label="jit")
            loose = np.asarray(jitted(*args, method="nufft", eps=1e-3))
            assert np.max(np.abs(loose - expected)) > 1e3 * np.max(
                np.abs(np.asarray(jitted(*args, method="nufft")) - expected)
            )
        finally:
            jax.clear_caches()


@needs_finufft
def test_dirty_image_dispatcher_and_auto(monkeypatch, jax_backend):
    """Each method by name; auto: exact for small M K or K, nufft above the crossover, and
    exact again when the NUFFT libraries are missing."""
    import jax

    small, large = _dirty_data(6, 40, seed=1), _dirty_data(20, 2000, seed=2)
    modules = (nb, ax, jax_backend)
    for module in modules:
        seed = getattr(module, DIRTY)
        exact, nufft = getattr(module, DIRTY_EXACT), getattr(module, DIRTY_NUFFT)
        assert set(module.METHODS[DIRTY]) == {"exact", "nufft", "nufft_ducc0", "nufft_finufft"}
        for args, picks in ((small, exact), (large, nufft)):
            np.testing.assert_array_equal(np.asarray(seed(*args)), np.asarray(picks(*args)))
            np.testing.assert_array_equal(
                np.asarray(seed(*args, method="nufft", eps=1e-4)), np.asarray(nufft(*args, 1e-4))
            )
        with pytest.raises(ValueError, match=rf"{DIRTY}: argument 'method' is 'fft'.*exact, nufft"):
            seed(*small, method="fft")
    monkeypatch.setitem(sys.modules, "finufft", None)
    monkeypatch.setitem(sys.modules, "jax_finufft", None)
    monkeypatch.setitem(sys.modules, "nufftax", None)
    monkeypatch.setitem(sys.modules, "ducc0", None)
    jax.clear_caches()
    try:
        for module in modules:
            want = np.asarray(getattr(module, DIRTY_EXACT)(*large))
            np.testing.assert_array_equal(np.asarray(getattr(module, DIRTY)(*large)), want)
        with pytest.raises(ImportError, match="optional 'nufft' extra"):
            getattr(nb, DIRTY_NUFFT)(*large)
    finally:
        jax.clear_caches()


def test_new_kernels_on_array_api_strict():
    """exact and auto (routed to exact) of the dirty image and the preload expansion run on
    array-api-strict; the nufft method refuses the namespace clearly."""
    xps = pytest.importorskip("array_api_strict")
    from autojax.datasets import DataGenerated

    args = _dirty_data(20, 2000, seed=6)  # above the crossover: auto would pick nufft
    strict = [xps.asarray(a) for a in args]
    expected = ref.dirty_image_from(*args)
    for name in (DIRTY_EXACT, DIRTY):
        assert_close(getattr(ax, name)(*strict), expected, rtol=1e-12, namespace=xps, err_msg=name)
    with pytest.raises(TypeError, match=f"{DIRTY_NUFFT}: the NUFFT methods support NumPy arrays"):
        getattr(ax, DIRTY_NUFFT)(*strict)
    ds = DataGenerated(N=9, K=11, S=5, B=2, P=2)
    preload, native = ds.w_tilde_preload, ds.native_index_for_slim_index
    got = ax.w_tilde_via_preload_from(xps.asarray(preload), xps.asarray(native))
    assert_close(got, ref.w_tilde_via_preload_from(preload, native), namespace=xps)


@needs_finufft
def test_dirty_image_with_no_visibilities_or_pixels(jax_backend):
    vis, noise, uv, grid = _dirty_data(5, 10)
    empty = (np.zeros(0, complex), np.zeros(0, complex), np.zeros((0, 2)))
    for module in (nb, ax, jax_backend):
        for name in (DIRTY_EXACT, DIRTY_NUFFT, DIRTY):
            out = np.asarray(getattr(module, name)(*empty, grid))
            np.testing.assert_array_equal(out, np.zeros(grid.shape[0]), err_msg=name)
            out = np.asarray(getattr(module, name)(vis, noise, uv, np.zeros((0, 2))))
            assert out.shape == (0,), name


# ----------------------------------------------------------- the type-3 variant of the kind

TOY_TYPE3_SPEC = '''
"""A toy type-3 NUFFT for the kind's own tests."""

from codegen.kinds import Nufft

KERNELS = [
    Nufft(
        name="toy_type3_from", doc="complex part, sign -1.", returns="c16[P]",
        args={"w": "f8[K]", "x": "f8[K]", "y": "f8[K]", "s": "f8[P,2]", "eps": "float"},
        defaults={"eps": "1e-13"}, index={"i": "P"}, reduce=("k", "K"),
        weight="w[k] * (1.0 + 0.5j)", points={"a": "3.0 * x[k]", "b": "y[k] - 1.0"},
        targets={"a": "s[i, 0]", "b": "2.0 * s[i, 1]"}, part="complex", sign=-1,
    ),
]
'''


@needs_finufft
def test_toy_type3_kind(tmp_path, jax_backend):
    from codegen.load import load_specs
    from codegen.output import write
    from codegen.render import render_all

    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "toy_type3.py").write_text(textwrap.dedent(TOY_TYPE3_SPEC))
    write(render_all(load_specs(specs)), tmp_path / "out")
    rng = np.random.default_rng(1)
    w, x, y, s = rng.random(41), rng.uniform(-9, 9, 41), rng.uniform(-9, 9, 41), rng.random((7, 2))
    phase = s[:, :1] * (3.0 * x) + 2.0 * s[:, 1:] * (y - 1.0)
    want = (np.exp(-1j * phase) * (w * (1.0 + 0.5j))).sum(axis=-1)
    for backend in ("numba", "jax"):
        module = _import(tmp_path / "out" / backend / "toy_type3.py", f"_toy_type3_{backend}")
        got = np.asarray(module.toy_type3_from(w, x, y, s))
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, want, atol=1e-10 * np.abs(want).max(), err_msg=backend)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('targets={"a": "s[i, 0]", ', 'targets={"c": "s[i, 0]", '), ["targets", "axis labels"]),
        (('index={"i": "P"}', 'index={"i": "P", "j": "P"}'), ["index", "one output index"]),
        (('"b": "2.0 * s[i, 1]"', '"b": "2.0 * s[k, 1]"'), ["targets.b", "unknown names"]),
        (('reduce=("k", "K"),', 'reduce=("k", "K"), modes={"i": "i"},'), ["modes", "no modes"]),
    ],
)
def test_malformed_type3_spec_names_kernel_and_field(tmp_path, change, words):
    from codegen.load import load_specs
    from codegen.model import SpecError

    text = textwrap.dedent(TOY_TYPE3_SPEC)
    assert change[0] in text, change
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "toy_type3.py").write_text(text.replace(*change))
    with pytest.raises(SpecError) as info:
        load_specs(specs)
    for word in ["toy_type3.py", "toy_type3_from", *words]:
        assert word in str(info.value), str(info.value)


# ------------------------------------------------------------------ ducc0, by name and auto

needs_ducc0 = pytest.mark.skipif(
    importlib.util.find_spec("ducc0") is None, reason="ducc0 (the 'nufft' extra) is missing"
)
DUCC0 = "w_compact_curvature_interferometer_nufft_ducc0_from"
FINUFFT = "w_compact_curvature_interferometer_nufft_finufft_from"
DIRTY_DUCC0 = "dirty_image_nufft_ducc0_from"
DIRTY_FINUFFT = "dirty_image_nufft_finufft_from"


def _every_backend(jax_backend):
    """(label, module, convert) for numba, array-API on NumPy, JAX and array-API on JAX."""
    import jax.numpy as jnp

    return [
        ("numba", nb, np.asarray),
        ("xp", ax, np.asarray),
        ("jax", jax_backend, jnp.asarray),
        ("xp on jax", ax, jnp.asarray),
    ]


@needs_ducc0
@pytest.mark.parametrize(("n", "n_vis", "uv_max"), [(1, 1, 1e6), (2, 17, 5e7), (13, 300, 5e7)])
def test_ducc0_compact_matches_exact_sum(jax_backend, n, n_vis, uv_max):
    """ducc0's type 1 (points wrapping many times are folded) in every backend, and under
    jax.jit and jax.vmap (a host callback, one batch element at a time)."""
    import jax

    noise, uv = _data(n_vis, uv_max, seed=n)
    expected = ref.w_compact_curvature_interferometer_from(n, noise, uv, PIXEL_SCALE)
    for label, module, convert in _every_backend(jax_backend):
        got = getattr(module, DUCC0)(n, convert(noise), convert(uv), PIXEL_SCALE)
        _check(got, expected, label=f"{label} N={n} K={n_vis}")
    jitted = jax.jit(getattr(jax_backend, DUCC0), static_argnums=0)
    _check(jitted(n, noise, uv, PIXEL_SCALE), expected, label="jit")
    both = jax.vmap(lambda s: jitted(n, noise * s, uv, PIXEL_SCALE))(np.array([1.0, 2.0]))
    _check(both[1], expected / 4, label="vmap")


@needs_ducc0
@pytest.mark.parametrize(("n", "n_vis", "uv_max"), DIRTY_CASES)
def test_ducc0_dirty_image_matches_exact_sum(jax_backend, n, n_vis, uv_max):
    """ducc0's type 3 in every backend; method nufft (eps 1e-14, below ducc0's smallest
    type-3 tolerance) runs ducc0 at that tolerance and meets the contract too."""
    args = _dirty_data(n, n_vis, uv_max, seed=n)
    expected = ref.dirty_image_from(*args)
    for label, module, convert in _every_backend(jax_backend):
        for name, kwargs in ((DIRTY_DUCC0, {"eps": 2e-14}), (DIRTY_NUFFT, {})):
            got = getattr(module, name)(*map(convert, args), **kwargs)
            _check(got, expected, rtol=0, atol_peak=1e-9, label=f"{label} {name} N={n}")


@needs_ducc0
def test_ducc0_type3_eps_rule(jax_backend):
    """ducc0's type 3 accepts eps >= 1.44e-14 (twice its type-1 floor): nufft_ducc0 below
    that is a ValueError naming eps (eagerly and under jax.jit: eps is static); method nufft
    runs ducc0 at its floor for eps in [1e-14, 1.44e-14) and FINUFFT below 1e-14."""
    import jax

    floor = _runtime.ducc0_min_eps(True)
    assert 1e-14 < floor < 2e-14
    assert _runtime.ducc0_min_eps(False) < 1e-14  # the compact form's default is fine
    args = _dirty_data(6, 50, seed=7)
    for _, module, convert in _every_backend(jax_backend):
        # the kernel's own default (2e-14) is accepted; 1e-14 is refused
        assert np.all(np.isfinite(getattr(module, DIRTY_DUCC0)(*map(convert, args))))
        with pytest.raises(ValueError, match=rf"{DIRTY_DUCC0}: eps = 1e-14 is below"):
            getattr(module, DIRTY_DUCC0)(*map(convert, args), 1e-14)
        with pytest.raises(ValueError, match=rf"{DIRTY_DUCC0}: eps = 1e-14 is below"):
            getattr(module, DIRTY)(*map(convert, args), method="nufft_ducc0")
    with pytest.raises(ValueError, match="eps = 1e-14 is below"):
        jax.jit(getattr(jax_backend, DIRTY_DUCC0), static_argnames="eps")(*args, eps=1e-14)
    assert _runtime.ducc0_eps("k", 1e-14, True, clamp=True) == floor
    assert _runtime.ducc0_eps("k", 3e-14, True, clamp=False) == 3e-14
    assert _runtime.nufft_library("k", "auto", 1e-14, True) == "ducc0"
    if importlib.util.find_spec("finufft") is not None:
        assert _runtime.nufft_library("k", "auto", 5e-15, True) == "finufft"
        assert _runtime.nufft_library("k", "auto", 5e-15, False) == "finufft"
        got = getattr(nb, DIRTY_NUFFT)(*args, 5e-15)
        np.testing.assert_array_equal(got, getattr(nb, DIRTY_FINUFFT)(*args, 5e-15))


@needs_ducc0
@needs_finufft
def test_ducc0_is_auto_and_the_libraries_are_methods(monkeypatch, jax_backend):
    """Method nufft is ducc0 where it is installed (the faster library, measured), else
    FINUFFT; nufft_ducc0 and nufft_finufft name one; JAX on the CPU follows the same rule
    (AUTOJAX_JAX_NUFFT other than auto forces the jax-finufft/nufftax route)."""
    import jax

    n, (noise, uv) = 30, _data(2000, seed=11)
    dirty = _dirty_data(12, 500, seed=12)
    for _, module, convert in _every_backend(jax_backend):
        assert {"nufft", "nufft_ducc0", "nufft_finufft"} <= set(module.METHODS[SEED])
        assert {"nufft", "nufft_ducc0", "nufft_finufft"} <= set(module.METHODS[DIRTY])
        nv, u = convert(noise), convert(uv)
        auto = np.asarray(getattr(module, SEED)(n, nv, u, PIXEL_SCALE, method="nufft"))
        np.testing.assert_array_equal(auto, getattr(module, DUCC0)(n, nv, u, PIXEL_SCALE))
        fin = np.asarray(getattr(module, SEED)(n, nv, u, PIXEL_SCALE, method="nufft_finufft"))
        np.testing.assert_array_equal(fin, getattr(module, FINUFFT)(n, nv, u, PIXEL_SCALE))
        assert not np.array_equal(auto, fin)  # two libraries, two roundings
        args = [convert(a) for a in dirty]
        np.testing.assert_array_equal(
            np.asarray(getattr(module, DIRTY)(*args, method="nufft", eps=2e-14)),
            np.asarray(getattr(module, DIRTY_DUCC0)(*args, eps=2e-14)),
        )
    assert _runtime.jax_library_plan("k", "auto", 1e-14, False, True) == {"default": "ducc0"}
    assert "ducc0" not in _runtime.jax_library_plan("k", "finufft", 1e-14, False, True).values()
    monkeypatch.setattr(_runtime, "JAX_NUFFT", "jax_finufft")
    assert _runtime.jax_library_plan("k", "auto", 1e-14, False, True) == {"default": "jax_finufft"}
    # without ducc0: FINUFFT (NumPy) and the jax-finufft route (JAX)
    monkeypatch.setattr(_runtime, "JAX_NUFFT", "auto")
    monkeypatch.setitem(sys.modules, "ducc0", None)
    jax.clear_caches()
    try:
        assert _runtime.nufft_library("k", "auto", 1e-14, False) == "finufft"
        assert "ducc0" not in _runtime.jax_library_plan("k", "auto", 1e-14, False, True).values()
        for module in (nb, ax, jax_backend):
            np.testing.assert_array_equal(
                np.asarray(getattr(module, SEED)(n, noise, uv, PIXEL_SCALE, method="nufft")),
                np.asarray(getattr(module, FINUFFT)(n, noise, uv, PIXEL_SCALE)),
            )
        with pytest.raises(ImportError, match=rf"{DUCC0}: .*optional 'nufft' extra"):
            getattr(nb, DUCC0)(n, noise, uv, PIXEL_SCALE)
    finally:
        jax.clear_caches()


@needs_ducc0
def test_non_finite_coordinates_never_reach_ducc0(jax_backend):
    """NumPy: a ValueError before the call (the kernels' own check, past the argument
    checks); JAX under jit: the coordinates are zeroed for the call and the result is NaN."""
    import jax

    noise, uv = _data(50, seed=13)
    bad = uv.copy()
    bad[7, 1] = np.nan
    module = sys.modules[getattr(nb, DUCC0).__module__]
    with pytest.raises(ValueError, match=rf"{DUCC0}: a NUFFT point coordinate is not finite"):
        getattr(module, f"_{DUCC0}_impl")(5, noise, bad, PIXEL_SCALE, 1e-14)
    coord = np.array([[0.5, np.inf]])
    with pytest.raises(ValueError, match="k: a NUFFT point coordinate is not finite"):
        _runtime.ducc0_coordinates("k", coord, True)
    folded = _runtime.ducc0_coordinates("k", np.array([[7.0, -0.5]]), True)
    np.testing.assert_allclose(folded, [[7.0 - 2 * np.pi, -0.5]])
    got = jax.jit(getattr(jax_backend, DUCC0), static_argnums=0)(5, noise, bad, PIXEL_SCALE)
    assert np.all(np.isnan(np.asarray(got)))
    vis, noise_c, uv_d, grid = _dirty_data(5, 40, seed=14)
    grid = grid.copy()
    grid[0, 0] = np.inf
    jitted = jax.jit(getattr(jax_backend, DIRTY_DUCC0), static_argnames="eps")
    got = jitted(vis, noise_c, uv_d, grid, eps=2e-14)
    assert np.all(np.isnan(np.asarray(got)))


@needs_ducc0
def test_traced_argument_checks_run_in_the_ducc0_callback(jax_backend):
    """Under jax.jit the ducc0 kernels check their arguments in their host callback: a
    value a rule refuses gives all NaN (per batch element under vmap) and checkify reports
    the eager message, with no XLA pass over the arrays beside the callback."""
    import jax
    from jax.experimental import checkify

    noise, uv = _data(60, seed=15)
    zero = noise.copy()
    zero[4] = 0.0
    jitted = jax.jit(getattr(jax_backend, DUCC0), static_argnums=0)
    expected = ref.w_compact_curvature_interferometer_from(4, noise, uv, PIXEL_SCALE)
    _check(jitted(4, noise, uv, PIXEL_SCALE), expected, label="jit")
    assert np.all(np.isnan(np.asarray(jitted(4, zero, uv, PIXEL_SCALE))))
    err, _ = checkify.checkify(jax.jit(lambda n: jitted(4, n, uv, PIXEL_SCALE)))(zero)
    assert "argument 'noise_map_real' holds 0.0 at flat index 4" in err.get()
    both = jax.jit(jax.vmap(lambda n: getattr(jax_backend, DUCC0)(4, n, uv, PIXEL_SCALE)))(
        np.stack([noise, zero])
    )
    assert np.all(np.isfinite(both[0])) and np.all(np.isnan(both[1]))
    hlo = jitted.lower(4, noise, uv, PIXEL_SCALE).compile().as_text()
    assert "reduce" not in hlo and "is-finite" not in hlo
    vis, noise_c, uv_d, grid = _dirty_data(5, 40, seed=16)
    noise_c = noise_c.copy()
    noise_c[3] = np.inf
    got = jax.jit(getattr(jax_backend, DIRTY_DUCC0))(vis, noise_c, uv_d, grid)
    assert np.all(np.isnan(np.asarray(got)))


@needs_ducc0
def test_derivatives_through_the_ducc0_route_match_the_exact_sum(jax_backend):
    """Method 'nufft' on the CPU runs ducc0 in a host callback, which JAX cannot
    differentiate: a custom_jvp takes the tangent from jax-finufft. Gradients with respect to
    the visibilities, the noise and the uv coordinates equal those of the exact sum (plain
    JAX), eagerly, under jit and through a jitted call; the value stays ducc0's."""
    import jax
    import jax.numpy as jnp

    pytest.importorskip("jax_finufft")
    assert _runtime.jax_host_ducc0(DIRTY_NUFFT, "auto", 1e-13, True)
    vis, noise, uv, grid = _dirty_data(6, 211, seed=21)
    weights = np.random.default_rng(22).normal(size=grid.shape[0])

    def dirty(method):
        f = getattr(jax_backend, DIRTY)
        return lambda v, n, u: jnp.sum(weights * f(v, n, u, grid, method=method))

    for argnum in (0, 1, 2):
        expected = np.asarray(jax.grad(dirty("exact"), argnum)(vis, noise, uv))
        for how, grad in (
            ("eager", jax.grad(dirty("nufft"), argnum)),
            ("jit of grad", jax.jit(jax.grad(dirty("nufft"), argnum))),
            ("grad of jit", jax.grad(jax.jit(dirty("nufft")), argnum)),
        ):
            got = np.asarray(grad(vis, noise, uv))
            scale = np.max(np.abs(expected))
            assert np.max(np.abs(got - expected)) <= 1e-9 * scale, (argnum, how)
    value, tangent = jax.jvp(dirty("nufft"), (vis, noise, uv), (vis, 0 * noise, 0 * uv))
    assert float(value) == pytest.approx(float(tangent), rel=1e-12)  # linear in the data

    noise_r, uv_r = _data(150, seed=23)
    table = np.random.default_rng(24).normal(size=(5, 9))

    def compact(method):
        f = getattr(jax_backend, SEED)
        return lambda n, u: jnp.sum(table * f(5, n, u, PIXEL_SCALE, method=method))

    for argnum in (0, 1):
        expected = np.asarray(jax.grad(compact("exact"), argnum)(noise_r, uv_r))
        got = np.asarray(jax.jit(jax.grad(compact("nufft"), argnum))(noise_r, uv_r))
        assert np.max(np.abs(got - expected)) <= 1e-8 * np.max(np.abs(expected)), argnum


@needs_ducc0
def test_derivative_of_the_ducc0_route_without_a_differentiable_library(monkeypatch, jax_backend):
    """Without jax-finufft and nufftax the value still comes from ducc0, and a derivative
    raises an ImportError naming the extra, not JAX's 'callbacks do not support JVP'."""
    import jax
    import jax.numpy as jnp

    real = _runtime.have_module
    monkeypatch.setattr(_runtime, "have_module", lambda name: name == "ducc0" and real(name))
    jax.clear_caches()
    vis, noise, uv, grid = _dirty_data(4, 50, seed=25)
    f = getattr(jax_backend, DIRTY_NUFFT)  # the dispatcher would take 'exact' here
    expected = ref.dirty_image_from(vis, noise, uv, grid)
    np.testing.assert_allclose(jax.jit(f)(vis, noise, uv, grid), expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ImportError, match="host.*nufft.*extra"):
        jax.grad(lambda v: jnp.sum(f(v, noise, uv, grid)))(vis)
    jax.clear_caches()


def test_host_callback_whose_output_is_not_the_result_still_poisons():
    """A validated kernel that does more after its host callback is poisoned by the wrapper
    as usual, even where what it does hides the callback's NaN."""
    import jax
    import jax.numpy as jnp

    from autojax._validate import validated

    @validated(convert="jax", x="f8[K] !=0")
    def masked(x):
        host = lambda x: 2 * x  # noqa: E731
        y = _runtime.host_callback(host, x.shape, "float64", {}, {"x": x})
        return jnp.where(jnp.isnan(y), 0.0, y) + 1.0

    np.testing.assert_array_equal(jax.jit(masked)(np.array([1.0, 2.0])), [3.0, 5.0])
    assert np.all(np.isnan(jax.jit(masked)(np.array([1.0, 0.0]))))


def test_mode_slice_reads_modes_forward_and_reversed():
    """A centred axis holds modes -half..half at half + mode; a flipped axis (negative
    scale) holds mode m at half - m."""
    half, axis = 4, np.arange(-4, 5)
    for lo, extent in ((0, 5), (-4, 9), (-2, 3), (1, 4)):
        want = np.arange(lo, lo + extent)
        np.testing.assert_array_equal(axis[_runtime.mode_slice(lo, half, extent, False)], want)
        np.testing.assert_array_equal(-axis[_runtime.mode_slice(lo, half, extent, True)], want)


def test_ducc0_scaled_points_checks_and_falls_back():
    """Scaled columns go to ducc0 as a view; a zero or non-finite scale, or another dtype,
    falls back (None); a non-finite entry or an overflowing scaled point is a ValueError."""
    uv = np.array([[1.0, -3.0], [2.0, 5.0]])
    got = _runtime.ducc0_scaled_points("k", uv, True, (-0.5, 2.0))
    assert np.shares_memory(got.coord, uv)
    np.testing.assert_array_equal(got.coord, uv[:, ::-1])
    np.testing.assert_allclose(got.period, (4 * np.pi, np.pi))
    assert got.flip == (True, False)
    assert got.halves[0] >= 0.5 * 1.0 and got.halves[1] >= 2.0 * 0.5  # bounds of the extents
    assert _runtime.ducc0_scaled_points("k", uv, False, (0.0, 1.0)) is None
    assert _runtime.ducc0_scaled_points("k", uv, False, (np.inf, 1.0)) is None
    assert _runtime.ducc0_scaled_points("k", uv.astype(np.float32), False, (1.0, 1.0)) is None
    for bad, scale in ((np.nan, 1.0), (1e300, 1e10)):
        wrong = uv.copy()
        wrong[1, 0] = bad
        with pytest.raises(ValueError, match="k: a NUFFT point coordinate is not finite"):
            _runtime.ducc0_scaled_points("k", wrong, False, (scale, 1.0))


def test_type3_grid_bound_falls_back_to_the_exact_extents(monkeypatch):
    """The grid check bounds each axis by the whole array's extremes; only when that bound
    is over the limit are the per-axis extents computed, and only they can refuse."""
    coord = np.array([[-1000.0, 0.0], [1000.0, 1.0]])  # wide in u, narrow in v
    scaled = _runtime.ducc0_scaled_points("k", coord, False, (1.0, 1.0))
    targets = np.array([[0.0, -1000.0], [1.0, 1000.0]])  # narrow in x, wide in y
    monkeypatch.setattr(_runtime, "NUFFT_MAX_GRID", 10**6)  # bound ~8.5e8, exact ~4.5e5
    _runtime.refuse_big_type3_grid("k", scaled, targets)
    with pytest.raises(ValueError, match="k: the extents of uv_wavelengths"):
        _runtime.refuse_big_type3_grid("k", scaled, targets[:, ::-1] * 1e3)


def test_nufft_view_finds_scaled_columns_and_interleaved_weights():
    """The generator hands ducc0 the (K, 2) array itself when the points are scaled
    columns of it, and writes a weight whose parts differ only by real/imag as one pass."""
    from codegen.kinds.nufft import _interleaved_weight, _scaled_points
    from codegen.load import load_specs

    kernels = {k.name: k for s in load_specs() for k in s.kernels}
    compact = _scaled_points(kernels[DUCC0], "xp")
    assert compact == {"array": "uv_wavelengths", "swap": True, "scales": ["-d", "d"]}
    dirty = _scaled_points(kernels[DIRTY_DUCC0], "xp")
    assert dirty["swap"] is False and dirty["scales"] == ["2 * xp.pi", "2 * xp.pi"]
    weight = _interleaved_weight(kernels[DIRTY_DUCC0], "xp")
    assert weight["arrays"] == ["visibilities", "noise_map"]
    assert weight["expr"] == "_iv_visibilities[_j] / _iv_noise_map[_j] ** 2"
    assert _interleaved_weight(kernels[DUCC0], "xp") is None  # a real weight


@needs_ducc0
def test_results_do_not_share_the_kept_buffers(jax_backend):
    """The weights and the library output live in per-thread buffers kept between calls;
    a result is a copy, untouched by the next call (NumPy and the JAX host route)."""
    noise, uv = _data(60, seed=21)
    args = _dirty_data(5, 60, seed=22)
    for module in (nb, ax, jax_backend):
        first = np.array(getattr(module, DUCC0)(4, noise, uv, PIXEL_SCALE), copy=True)
        kept = getattr(module, DUCC0)(4, noise, uv, PIXEL_SCALE)
        getattr(module, DUCC0)(4, noise * 3.0, uv[::-1].copy(), PIXEL_SCALE)
        np.testing.assert_array_equal(np.asarray(kept), first)
        dirty = getattr(module, DIRTY_DUCC0)(*args)
        want = np.array(dirty, copy=True)
        getattr(module, DIRTY_DUCC0)(args[0] * 2.0, *args[1:])
        np.testing.assert_array_equal(np.asarray(dirty), want)
    big = _runtime.nufft_buffer("weights", (3,))
    assert big.shape == (3,) and big.dtype == np.complex128
    assert np.shares_memory(big, _runtime.nufft_buffer("weights", (2,)))
