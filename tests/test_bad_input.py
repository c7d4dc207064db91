"""Bad input never gives a plausible wrong answer (docs/bad-input.md).

One row per class of bad input and argument. Each row runs on every public kernel that
takes the argument (found from the kernels' declarations, ``__autojax_decls__``), in every
backend: eagerly it must raise the row's exception with a message naming the kernel, the
argument and the row's words; under ``jax.jit`` (JAX backend) a value rule must poison the
floating result with NaN, and ``checkify`` must report the eager message. Valid inputs in
big-endian byte order must give the same answer as native ones.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pytest
from conftest import get_dataset

from autojax import backends
from autojax._validate import parse_decl

DATASET = "S<<M"  # N=17, K=29, S=9, B=2, P=3: every call takes microseconds


def _set(a, index, value):
    a = np.array(a, copy=True)
    a.flat[index] = value
    return a


def _sizes_off_by_one(a):
    a = np.array(a, copy=True)
    a[np.argmax(a > 0)] -= 1  # a row whose count now disagrees with its -1 (still in [0, P])
    return a


# (row id, argument, spoil(value, dataset), exception, words in the message, needs)
# ``needs``: the value rule the row breaks ("bounds", "counts" or a flag); the row runs on
# the kernels whose declaration of the argument has that rule, and under jax.jit too.
# None for shape and type checks: every kernel taking the argument, and under jax.jit they
# raise at trace time like eagerly.
ROWS = [
    ("wrong-W", "w_compact", lambda a, d: a[:, :-2], ValueError, "2*N-1", None),
    (
        "wrong-W-wide",
        "w_compact",
        lambda a, d: np.pad(a, ((0, 0), (0, 2))),
        ValueError,
        "2*N-1",
        None,
    ),
    (
        "sizes-vs-sentinels",
        "neighbors_sizes",
        lambda a, d: _sizes_off_by_one(a),
        ValueError,
        "first -1",
        "counts",
    ),
    (
        "sizes-negative",
        "neighbors_sizes",
        lambda a, d: _set(a, 0, -1),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "sizes-over-P",
        "neighbors_sizes",
        lambda a, d: _set(a, 0, d.P + 1),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "pix-size-past-sentinel",
        "pix_size_for_sub_slim_index",
        lambda a, d: _set(a, 0, d.B + 1),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "pix-size-vs-sentinels",
        "pix_size_for_sub_slim_index",
        lambda a, d: _set(a, 0, a[0] - 1),
        ValueError,
        "first -1",
        "counts",
    ),
    (
        "index-over-S",
        "pix_indexes_for_sub_slim_index",
        lambda a, d: _set(a, 0, d.S),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "index-under-minus-1",
        "pix_indexes_for_sub_slim_index",
        lambda a, d: _set(a, 1, -2),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "neighbor-over-S",
        "neighbors",
        lambda a, d: _set(a, 0, d.S),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "native-over-N",
        "native_index_for_slim_index",
        lambda a, d: _set(a, 0, d.N),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "native-negative",
        "native_index_for_slim_index",
        lambda a, d: _set(a, 1, -1),
        ValueError,
        "valid range",
        "bounds",
    ),
    (
        "zero-noise-real",
        "noise_map_real",
        lambda a, d: _set(a, 3, 0.0),
        ValueError,
        "non-zero",
        "!=0",
    ),
    (
        "zero-noise-imag",
        "noise_map",
        lambda a, d: _set(a, 3, a[3].real + 0j),
        ValueError,
        "non-zero",
        "!=0",
    ),
    ("zero-noise-complex", "noise_map", lambda a, d: _set(a, 3, 0j), ValueError, "non-zero", "!=0"),
    (
        "noise-re-ne-im",
        "noise_map",
        lambda a, d: a.real + 1.5j * a.real,
        ValueError,
        "real and imaginary",
        "re==im",
    ),
    ("real-for-complex", "noise_map", lambda a, d: a.real, TypeError, "complex128", None),
    ("real-for-complex", "data", lambda a, d: a.real, TypeError, "complex128", None),
    ("zero-pixel-scale", "pixel_scale", lambda a, d: 0.0, ValueError, "positive", ">0"),
    ("zero-pixel-scales", "pixel_scales", lambda a, d: (0.0, 0.2), ValueError, "positive", ">0"),
    ("negative-shape", "shape_native", lambda a, d: (-3, 5), ValueError, "positive", ">0"),
    ("nan-centre", "centre", lambda a, d: (np.nan, 0.0), ValueError, "finite", "finite"),
    ("nan-radius", "radius", lambda a, d: np.nan, ValueError, "finite", "finite"),
    ("nan-coefficient", "coefficient", lambda a, d: np.nan, ValueError, "finite", "finite"),
]
# NaN and inf in every declared-finite array the dataset provides
FINITE_ARRAYS = [
    "w_compact",
    "w_tilde",
    "mapping_matrix",
    "matrix",
    "dirty_image",
    "data",
    "noise_map",
    "noise_map_real",
    "visibilities_real",
    "uv_wavelengths",
    "grid_radians_slim",
    "pix_weights_for_sub_slim_index",
    "data_vector",
    "curvature_reg_matrix",
    "function_columns",
]
for _arg in FINITE_ARRAYS:
    ROWS.append(("nan", _arg, lambda a, d: _set(a, 2, np.nan), ValueError, "finite", "finite"))
    ROWS.append(("inf", _arg, lambda a, d: _set(a, 1, -np.inf), ValueError, "finite", "finite"))

BACKENDS = [b for b, reason in backends.available().items() if reason is None]


@functools.cache
def _dataset():
    d = get_dataset(DATASET)
    # arrays some kernels take that the dataset does not keep
    extra = {
        "data_vector": np.linspace(0.5, 1.5, d.S),
        "curvature_reg_matrix": np.eye(d.S) * 2.0,
        "matrix": np.ones((d.M, 2)),
        "w_tilde": d.w_tilde if hasattr(d, "w_tilde") else None,
        # the lens-model blocks: a second mapping (R = 5 source pixels, a -1 in every other
        # row) and L = 3 function columns
        "pix_indexes_other": np.stack(
            [np.arange(d.M) % 5, np.where(np.arange(d.M) % 2 == 0, (np.arange(d.M) + 1) % 5, -1)],
            axis=1,
        ),
        "pix_weights_other": np.full((d.M, 2), 0.5),
        "pixels_other": 5,
        "function_columns": np.cos(np.arange(d.M * 3).reshape(d.M, 3) * 0.1),
    }
    return d, extra


def _has(text: str, needs: str | None) -> bool:
    decl = parse_decl(text)
    if needs is None:
        return True
    if needs == "bounds":
        return decl.bounds is not None
    if needs == "counts":
        return decl.counts is not None
    return needs in decl.flags


def _kernels_taking(backend: str, arg: str, needs: str | None = None):
    """Public kernels of ``backend`` that declare ``arg`` (with rule ``needs``; aliases once)."""
    module = backends.load(backend)
    seen, out = set(), []
    for name in module.__all__:
        func = getattr(module, name)
        decls = getattr(func, "__autojax_decls__", {})
        if arg in decls and _has(decls[arg], needs) and id(func) not in seen:
            seen.add(id(func))
            out.append(name)
    return out


def _kwargs(func):
    d, extra = _dataset()
    kwargs = {}
    for param in inspect.signature(func).parameters.values():
        if param.name in extra and extra[param.name] is not None:
            kwargs[param.name] = extra[param.name]
        elif hasattr(d, param.name):
            kwargs[param.name] = getattr(d, param.name)
        elif param.default is inspect.Parameter.empty:
            return None
    return kwargs


def _cases():
    for row_id, arg, spoil, exc, words, needs in ROWS:
        for backend in BACKENDS:
            for kernel in _kernels_taking(backend, arg, needs):
                yield pytest.param(
                    backend, kernel, arg, spoil, exc, words, id=f"{row_id}-{arg}-{backend}-{kernel}"
                )


def _spoiled(backend, kernel, arg, spoil):
    func = getattr(backends.load(backend), kernel)
    kwargs = _kwargs(func)
    if kwargs is None:
        pytest.skip(f"the {DATASET} dataset lacks an argument of {kernel}")
    d, _ = _dataset()
    kwargs[arg] = spoil(kwargs[arg], d)
    return func, kwargs


@pytest.mark.parametrize(("backend", "kernel", "arg", "spoil", "exc", "words"), list(_cases()))
def test_eager_bad_input_raises_naming_kernel_and_argument(backend, kernel, arg, spoil, exc, words):
    func, kwargs = _spoiled(backend, kernel, arg, spoil)
    with pytest.raises(exc) as info:
        func(**kwargs)
    message = str(info.value)
    assert func.__name__ in message and f"'{arg}'" in message and words in message, message


# ------------------------------------------------------------------------ under jax.jit

#: one kernel per value-rule row (the likelihood where it takes the argument): compiles
#: are the slow part
_LIKELIHOOD = "log_likelihood_function_via_w_compact_from"


def _jit_cases():
    if "jax" not in BACKENDS:
        return
    done = set()
    for row_id, arg, spoil, _exc, words, needs in ROWS:
        if needs is None or arg == "shape_native" or (row_id, arg) in done:
            continue  # shape_native is static under jit: it raises at trace time
        kernels = _kernels_taking("jax", arg, needs)
        kernels = [k for k in kernels if not k.startswith("mask_2d_circular")]  # bool result
        if not kernels:
            continue
        done.add((row_id, arg))
        kernel = _LIKELIHOOD if _LIKELIHOOD in kernels else kernels[0]
        yield pytest.param(kernel, arg, spoil, words, id=f"{row_id}-{arg}-{kernel}")


@functools.cache
def _jitted(kernel):
    import jax

    import autojax.jax as aj

    func = getattr(aj, kernel)
    static = [
        a
        for a, t in func.__autojax_decls__.items()
        if parse_decl(t).scalar in ("int", "int2", "str")
    ]
    return func, jax.jit(func, static_argnames=static)


def _floats(out):
    import jax

    return [
        np.asarray(x) for x in jax.tree_util.tree_leaves(out) if np.asarray(x).dtype.kind in "fc"
    ]


@pytest.mark.parametrize(("kernel", "arg", "spoil", "words"), list(_jit_cases()))
def test_jit_bad_value_poisons_result_and_checkify_reports(kernel, arg, spoil, words):
    from jax.experimental import checkify

    func, jitted = _jitted(kernel)
    good = _kwargs(func)
    bad = dict(good)
    bad[arg] = spoil(good[arg], _dataset()[0])
    assert all(np.all(np.isfinite(x)) for x in _floats(jitted(**good)))
    leaves = _floats(jitted(**bad))
    assert leaves and all(np.all(np.isnan(x)) for x in leaves), leaves
    err, _ = checkify.checkify(jitted)(**bad)
    message = err.get()
    assert message and kernel in message and f"'{arg}'" in message and words in message, message


def test_jit_shape_rule_raises_at_trace_time():
    func, jitted = _jitted(_LIKELIHOOD)
    kwargs = _kwargs(func)
    kwargs["w_compact"] = kwargs["w_compact"][:, :-2]
    with pytest.raises(ValueError, match="w_compact.*2\\*N-1"):
        jitted(**kwargs)


def test_vmap_and_grad_are_poisoned_too():
    import jax
    import jax.numpy as jnp

    import autojax.jax as aj

    func = aj.noise_normalization_complex_from
    noise = jnp.asarray(_dataset()[0].noise_map)
    batch = jnp.stack([noise, noise.at[2].set(0.0)])
    values = jax.jit(jax.vmap(func))(batch)
    assert np.isfinite(values[0]) and np.isnan(values[1])
    grad = jax.grad(lambda s: func(noise * s))(1.0)
    assert np.isfinite(grad)
    grad = jax.grad(lambda s: func(noise.at[2].set(0.0) * s))(1.0)
    assert np.isnan(grad)


def test_check_runs_every_rule_once_outside_the_loop():
    import autojax.jax as aj

    func = getattr(aj, _LIKELIHOOD)
    kwargs = _kwargs(func)
    assert aj.check(func, **kwargs) is None
    kwargs["neighbors_sizes"] = _sizes_off_by_one(kwargs["neighbors_sizes"])
    with pytest.raises(ValueError, match="neighbors_sizes"):
        aj.check(func, **kwargs)


# ------------------------------------------------------------------------ byte order

BIG_ENDIAN_ARGS = ["noise_map_real", "w_compact", "dirty_image", "noise_map", "neighbors_sizes"]


def _big_endian_cases():
    for arg in BIG_ENDIAN_ARGS:
        for backend in BACKENDS:
            for kernel in _kernels_taking(backend, arg):
                if "nufft" in kernel:
                    continue
                yield pytest.param(backend, kernel, arg, id=f"{arg}-{backend}-{kernel}")


@pytest.mark.parametrize(("backend", "kernel", "arg"), list(_big_endian_cases()))
def test_big_endian_input_gives_the_native_answer(backend, kernel, arg):
    func = getattr(backends.load(backend), kernel)
    kwargs = _kwargs(func)
    if kwargs is None:
        pytest.skip(f"the {DATASET} dataset lacks an argument of {kernel}")
    want = func(**kwargs)
    value = kwargs[arg]
    kwargs[arg] = value.astype(value.dtype.newbyteorder(">"))
    assert not kwargs[arg].dtype.isnative
    for _ in range(2):  # JAX used to go wrong after a warm-up call
        got = func(**kwargs)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=0)


# ------------------------------------------------------------------------ array-api-strict


def test_array_api_strict_scalars_lists_and_bad_values():
    xps = pytest.importorskip("array_api_strict")
    import autojax.xp as ax

    d, _ = _dataset()
    func = ax.constant_regularization_matrix_from
    neighbors = xps.asarray(d.neighbors)
    want = np.asarray(func(1.0, d.neighbors, d.neighbors_sizes))
    # a 0-d array for a float, a list beside strict arrays: both work
    got = func(xps.asarray(1.0), neighbors, d.neighbors_sizes.tolist())
    np.testing.assert_allclose(np.from_dlpack(got), want)
    with pytest.raises(
        ValueError, match="constant_regularization_matrix_from.*'neighbors_sizes'.*first -1"
    ):
        func(1.0, neighbors, xps.asarray(_sizes_off_by_one(d.neighbors_sizes)))
    with pytest.raises(ValueError, match="'neighbors'.*valid range"):
        func(1.0, xps.asarray(_set(d.neighbors, 0, d.S)), xps.asarray(d.neighbors_sizes))
    noise = ax.noise_normalization_complex_from
    with pytest.raises(ValueError, match="'noise_map'.*non-zero"):
        noise(xps.asarray(_set(d.noise_map, 0, 0j)))
    with pytest.raises(ValueError, match="'noise_map'.*finite"):
        noise(xps.asarray(_set(d.noise_map, 0, np.nan)))
    with pytest.raises(TypeError, match="'noise_map'.*complex128"):
        noise(xps.asarray(d.noise_map.real))


def test_xp_kernel_on_jax_tracers_is_poisoned_too():
    import jax
    import jax.numpy as jnp

    import autojax.xp as ax

    d, _ = _dataset()
    func = jax.jit(ax.constant_regularization_matrix_from)
    good = func(1.0, jnp.asarray(d.neighbors), jnp.asarray(d.neighbors_sizes))
    assert np.all(np.isfinite(good))
    bad = func(1.0, jnp.asarray(d.neighbors), jnp.asarray(_sizes_off_by_one(d.neighbors_sizes)))
    assert np.all(np.isnan(bad))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "original"])
def test_no_image_pixels_gives_a_zero_curvature(backend):
    """M = 0 is valid: JAX used to fail inside a gather ("Slice size ... out of range")."""
    d, _ = _dataset()
    func = backends.load(backend).curvature_matrix_via_w_compact_sparse_mapping_matrix_from
    out = func(
        d.w_compact,
        d.native_index_for_slim_index[:0],
        d.pix_indexes_for_sub_slim_index[:0],
        d.pix_weights_for_sub_slim_index[:0],
        d.S,
    )
    np.testing.assert_array_equal(np.asarray(out), np.zeros((d.S, d.S)))
