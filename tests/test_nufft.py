"""``method="nufft"`` of the compact W-tilde: every backend against the exact float64 sum.

The compact form ``C[m, n] = sum_k w_k cos(d (n-(N-1)) u_k - d m v_k)`` is the real part of
a type-1 NUFFT. These tests check each backend's NUFFT (FINUFFT in Numba and array-API on
NumPy; jax-finufft and nufftax in JAX) on small and awkward sizes, the tolerance contract
of KERNELS.md (1e-9 relative on entries above 1e-6 of the peak at the default ``eps``),
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
    """KERNELS.md's measure: the largest relative error on entries above ``floor`` x peak."""
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
    """Default eps: <= 1e-9 relative on every entry above 1e-6 of the peak (KERNELS.md)."""
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
    with pytest.raises(TypeError, match=f"{NUFFT}: method 'nufft' supports NumPy arrays"):
        getattr(ax, NUFFT)(64, a_noise, a_uv, PIXEL_SCALE)
    assert not _runtime.have_nufft("xp", a_noise)
    assert _runtime.have_nufft("xp", noise) == (importlib.util.find_spec("finufft") is not None)
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
    assert set(module.METHODS[SEED]) == set(methods)
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
    from codegen.render import load_specs, render_all, write

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
    from codegen.model import SpecError
    from codegen.render import load_specs

    specs, _ = toy_nufft
    text = textwrap.dedent(TOY_NUFFT_SPEC)
    assert change[0] in text, change
    (specs / "toy_nufft.py").write_text(text.replace(*change))
    with pytest.raises(SpecError) as info:
        load_specs(specs)
    for word in ["toy_nufft.py", *words]:
        assert word in str(info.value), str(info.value)
