"""JAX's ``method="conv"``: the Numba conv loop called on the host (``buffer_callback`` on the
CPU, else ``jax.pure_callback``).

It must equal the reference in value, under ``jax.jit`` and under ``jax.vmap``, and its
``custom_vjp`` (the generated gather for the mapping weights, the array form for the
compact form) must give the gradients ``jax.grad`` gives through the pure-JAX ``two_pass``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from conftest import assert_close, get_dataset

from autojax import _runtime
from autojax import reference as ref

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
aj = pytest.importorskip("autojax.generated.jax")

CURVATURE = "curvature_matrix_via_w_compact_sparse_mapping_matrix_from"
LIKELIHOOD = "log_likelihood_function_via_w_compact_from"
DATASETS = ["DataLoaded", "small-K1-ragged"]


def _rel(got, want) -> float:
    got, want = np.asarray(got), np.asarray(want)
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))


def _curvature_args(ds):
    return (
        ds.w_compact,
        ds.native_index_for_slim_index,
        ds.pix_indexes_for_sub_slim_index,
        ds.pix_weights_for_sub_slim_index,
        ds.pixels,
    )


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize("name", DATASETS)
def test_conv_equals_reference_eagerly_under_jit_and_vmap(name):
    ds = get_dataset(name)
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)
    want = ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(*_curvature_args(ds))
    assert_close(func(*_curvature_args(ds), method="conv"), want, err_msg=f"conv on {name}")

    jitted = jax.jit(lambda w: func(compact, native, indexes, w, pixels, method="conv"))
    assert_close(jitted(jnp.asarray(weights)), want, err_msg=f"jit(conv) on {name}")

    scales = np.array([1.0, 0.5, 2.0])
    batch = jnp.asarray(weights[None] * scales[:, None, None])
    got = jax.vmap(lambda w: func(compact, native, indexes, w, pixels, method="conv"))(batch)
    assert got.shape == (3, pixels, pixels)
    for n, scale in enumerate(scales):  # F is quadratic in the weights
        assert_close(got[n], want * scale**2, err_msg=f"vmap(conv)[{n}] on {name}")


@pytest.mark.parametrize("name", DATASETS)
def test_conv_gradient_equals_two_pass_gradient(name):
    """d/dw and d/dw_compact of a non-linear function of F, conv against two_pass."""
    ds = get_dataset(name)
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)
    probe = np.random.default_rng(3).normal(size=(pixels, pixels))  # not symmetric on purpose

    def loss(method):
        def f(c, w):
            return jnp.sum(jnp.tanh(func(c, native, indexes, w, pixels, method=method)) * probe)

        return f

    want = jax.grad(loss("two_pass"), argnums=(0, 1))(compact, weights)
    got = jax.grad(loss("conv"), argnums=(0, 1))(compact, weights)
    for what, g, w in zip(("w_compact", "weights"), got, want):
        assert _rel(g, w) <= 1e-10, f"d/d{what} on {name}: {_rel(g, w):.3g}"
    only_weights = jax.jit(jax.grad(loss("conv"), argnums=1))(compact, weights)
    assert _rel(only_weights, want[1]) <= 1e-10
    # ended rows (index -1) get no gradient
    assert np.all(np.asarray(only_weights)[indexes < 0] == 0.0)


def test_conv_gradient_after_a_jitted_step_gradient():
    """The kernel's jit is traced once; JAX then linearizes that trace for each set of
    perturbed inputs. The custom_vjp's residuals must have one structure for all of them:
    they once depended on what was perturbed, and this order (the step's gradient at a
    matrix that is not positive definite, then gradients of the conv kernel alone) raised
    StopIteration inside JAX's residual forwarding."""
    import test_linalg_derivatives as step_tests

    for method in ("two_pass", "conv"):
        step_tests.test_step_gradient_is_finite_where_the_step_is_minus_inf(method)
    test_conv_gradient_equals_two_pass_gradient("DataLoaded")


def test_conv_gradient_under_vmap():
    ds = get_dataset("DataLoaded")
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)

    def loss(method):
        return lambda w: jnp.sum(func(compact, native, indexes, w, pixels, method=method) ** 2)

    batch = jnp.asarray(weights[None] * np.array([1.0, 0.7])[:, None, None])
    got = jax.vmap(jax.grad(loss("conv")))(batch)
    want = jax.vmap(jax.grad(loss("two_pass")))(batch)
    assert _rel(got, want) <= 1e-10


@pytest.mark.parametrize("name", DATASETS)
def test_likelihood_gradient_with_conv(name):
    """The step's gradient (mapping weights and coefficient): conv against two_pass."""
    ds = get_dataset(name)
    func = getattr(aj, LIKELIHOOD)
    args = list(ds.args_for(func))
    names = list(inspect.signature(func).parameters)[: len(args)]
    w_at = names.index("pix_weights_for_sub_slim_index")

    def step(method):
        def f(w, coefficient):
            call = args.copy()
            call[w_at] = w
            return func(*call[: names.index("coefficient")], coefficient, method=method)

        return f

    weights = args[w_at]
    want = jax.grad(step("two_pass"), argnums=(0, 1))(weights, 1.3)
    got = jax.jit(jax.grad(step("conv"), argnums=(0, 1)))(weights, 1.3)
    # small-K1-ragged has K = 1: F has rank 1 and F + H is conditioned by H's ridge, so the
    # two routes' rounding (1e-16 apart in F) reaches ~1e-9 in d/dcoefficient (measured
    # 1.4e-9 once the evidence adds H's entries to F directly); elsewhere 1e-10 holds
    tol = 1e-8 if name == "small-K1-ragged" else 1e-10
    for what, g, w in zip(("weights", "coefficient"), got, want):
        assert _rel(g, w) <= tol, f"d/d{what} on {name}: {_rel(g, w):.3g}"


def test_conv_under_jit_with_bad_values_gives_nan_without_running_the_loop():
    """Inside jax.jit the values are unchecked: an index out of range must poison the
    result (NaN, as every JAX kernel does), never reach the loop's unchecked writes."""
    ds = get_dataset("small-K1-ragged")
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)
    bad_index = indexes.copy()
    bad_index[0, 0] = pixels + 1000
    bad_position = native.copy()
    bad_position[0, 1] = compact.shape[0] + 1000
    call = jax.jit(lambda p, i: func(compact, p, i, weights, pixels, method="conv"))
    assert np.all(np.isnan(np.asarray(call(native, bad_index))))
    assert np.all(np.isnan(np.asarray(call(bad_position, indexes))))
    grad = jax.jit(
        jax.grad(
            lambda w: jnp.sum(func(compact, native, bad_index, w, pixels, method="conv")),
        )
    )
    assert np.all(np.isnan(np.asarray(grad(weights))))


def test_conv_writes_the_numba_result_into_each_walker_of_a_batch():
    """On the CPU the loop writes into XLA's output buffer (buffer_callback): under jit and
    under vmap of the compact form (walkers one after another, each into its slice of the
    buffer) every entry is the Numba backend's, bit for bit, and a walker with an index out
    of range is NaN without touching the others."""
    nb_backend = pytest.importorskip("autojax.generated.numba")
    ds = get_dataset("small-K1-ragged")
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)
    want = getattr(nb_backend, CURVATURE)(*_curvature_args(ds), method="conv")
    jitted = jax.jit(lambda c: func(c, native, indexes, weights, pixels, method="conv"))
    if jax.default_backend() == "cpu" and _runtime.jax_buffer_callback() is not None:
        assert "buffer_callback" in str(jax.make_jaxpr(jitted)(jnp.asarray(compact)))
    np.testing.assert_array_equal(np.asarray(jitted(jnp.asarray(compact))), want)

    scales = np.array([1.0, 0.5, 2.0])
    batch = jax.jit(jax.vmap(jitted))(jnp.asarray(compact[None] * scales[:, None, None]))
    for n, scale in enumerate(scales):  # F is linear in the compact form; powers of 2: exact
        np.testing.assert_array_equal(np.asarray(batch[n]), want * scale)

    bad = np.stack([indexes, indexes, indexes])
    bad[1, 0, 0] = pixels + 1000
    call = jax.jit(jax.vmap(lambda i, c: func(c, native, i, weights, pixels, method="conv")))
    got = np.asarray(call(jnp.asarray(bad), jnp.asarray(compact[None] * scales[:, None, None])))
    assert np.all(np.isnan(got[1]))
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[2], want * 2.0)


def test_conv_without_buffer_callback_returns_the_same_through_pure_callback(monkeypatch):
    """Where JAX cannot write into the output buffer (a GPU, an older JAX) the loop's result
    comes back through jax.pure_callback: the same values, under jit, vmap and grad."""
    monkeypatch.setattr(_runtime, "jax_buffer_callback", lambda: None)
    jax.clear_caches()  # the kernel's jit traced with buffer_callback in earlier tests
    ds = get_dataset("small-K1-ragged")
    compact, native, indexes, weights, pixels = _curvature_args(ds)
    func = getattr(aj, CURVATURE)
    want = ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(*_curvature_args(ds))

    def call(w):
        return func(compact, native, indexes, w, pixels, method="conv")

    w = jnp.asarray(weights)
    jaxpr = str(jax.make_jaxpr(call)(w))
    assert "pure_callback" in jaxpr and "buffer_callback" not in jaxpr
    assert_close(jax.jit(call)(w), want, err_msg="jit(conv) through pure_callback")
    got = jax.jit(jax.vmap(call))(jnp.stack([w, 2.0 * w]))
    assert_close(got[1], 4.0 * want, err_msg="vmap(conv) through pure_callback")
    grad = jax.jit(jax.grad(lambda w: jnp.sum(call(w) ** 2)))(w)
    monkeypatch.undo()
    jax.clear_caches()
    np.testing.assert_allclose(
        np.asarray(grad),
        np.asarray(jax.jit(jax.grad(lambda w: jnp.sum(call(w) ** 2)))(w)),
        rtol=1e-12,
        atol=0.0,
    )
