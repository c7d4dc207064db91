"""``autojax._linalg``'s Cholesky solve and log-determinants: the ``leading`` block's log det
(every branch) and the JAX route's custom derivatives (value, gradient and forward mode
against finite differences and closed forms, under jit and vmap, and at a failed factor)."""

import numpy as np
import pytest

from autojax import _linalg

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _graph(rng, size, isolated=(), width=10):
    """Symmetric neighbour lists (rows end at -1) of each point's 3 nearest, less ``isolated``."""
    points = rng.random((size, 2))
    distance = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    lists = [set() for _ in range(size)]
    for i in range(size):
        for j in np.argsort(distance[i])[:3]:
            if i not in isolated and int(j) not in isolated:
                lists[i].add(int(j))
                lists[int(j)].add(i)
    neighbors = -np.ones((size, width), dtype=np.int64)
    sizes = np.zeros(size, dtype=np.int64)
    for i, entries in enumerate(lists):
        entries = sorted(entries)[:width]
        neighbors[i, : len(entries)] = entries
        sizes[i] = len(entries)
    return neighbors, sizes


def _spd(rng, n, shift=None):
    x = rng.standard_normal((n, n))
    return x @ x.T + (n if shift is None else shift) * np.eye(n)


def _central(f, x, direction, h):
    return (f(x + h * direction) - f(x - h * direction)) / (2 * h)


def _symmetric_direction(rng, n):
    d = rng.standard_normal((n, n))
    return d + d.T


@pytest.mark.parametrize("leading", [0, 1, 7, 12])
def test_leading_block_logdet_numpy_and_generic(leading):
    rng = np.random.default_rng(leading)
    a = _spd(rng, 12)
    rhs = rng.standard_normal(12)
    want = np.linalg.slogdet(a[:leading, :leading])[1] if leading else 0.0
    solution, logdet, ok = _linalg.cholesky_solve_logdet(np, a, rhs, leading=leading)
    assert ok is True
    assert abs(logdet - want) <= 1e-12 * max(1.0, abs(want))
    np.testing.assert_allclose(solution, np.linalg.solve(a, rhs), rtol=1e-12)
    strict = pytest.importorskip("array_api_strict")
    _, logdet, ok = _linalg.cholesky_solve_logdet(strict, strict.asarray(a), leading=leading)
    assert ok is True
    assert abs(float(logdet) - want) <= 1e-12 * max(1.0, abs(want))
    # the derivative the JAX rule uses, against central differences of the NumPy value:
    # d log det(A_kk) / dA = (A_kk)^-1, padded with zeros
    direction = _symmetric_direction(rng, 12)
    padded = np.zeros((12, 12))
    padded[:leading, :leading] = np.linalg.inv(a[:leading, :leading]) if leading else 0.0

    def value(m):
        return _linalg.cholesky_solve_logdet(np, m, leading=leading)[1]

    fd = _central(value, a, direction, 1e-5)
    assert abs(np.sum(padded * direction) - fd) <= 1e-7 * max(1.0, abs(fd))


@pytest.mark.parametrize("leading", [None, 0, 5, 12])
def test_jax_leading_logdet_value_and_gradient(leading):
    rng = np.random.default_rng(20 + (leading or 0))
    a = _spd(rng, 12)
    k = 12 if leading is None else leading
    want = np.linalg.slogdet(a[:k, :k])[1] if k else 0.0

    def value(m):
        return _linalg.cholesky_solve_logdet(jnp, m, leading=leading)[1]

    assert abs(float(value(jnp.asarray(a))) - want) <= 1e-12 * max(1.0, abs(want))
    grad = np.asarray(jax.jit(jax.grad(value))(jnp.asarray(a)))
    padded = np.zeros((12, 12))
    if k:
        padded[:k, :k] = np.linalg.inv(a[:k, :k])
    np.testing.assert_allclose(grad, padded, rtol=1e-10, atol=1e-13)
    direction = _symmetric_direction(rng, 12)
    fd = _central(lambda m: float(value(jnp.asarray(m))), a, direction, 1e-5)
    assert abs(np.sum(grad * direction) - fd) <= 1e-7 * max(1.0, abs(fd))


def _loss(matrix, rhs, leading=None):
    """Uses every output: the solution (twice), the log det, ok."""
    solution, logdet, ok = _linalg.cholesky_solve_logdet(jnp, matrix, rhs, leading=leading)
    value = 0.3 * jnp.sum(solution * rhs) - jnp.sum(solution**2) + logdet
    return _linalg.value_or_minus_inf(jnp, ok, value)


@pytest.mark.parametrize("leading", [None, 4])
def test_solve_logdet_gradient_against_finite_differences(leading):
    rng = np.random.default_rng(3)
    n = 10
    a, rhs = _spd(rng, n), rng.standard_normal(n)
    grad_a, grad_b = jax.jit(jax.grad(_loss, argnums=(0, 1)), static_argnums=2)(
        jnp.asarray(a), jnp.asarray(rhs), leading
    )
    np.testing.assert_allclose(grad_a, np.asarray(grad_a).T, rtol=0, atol=1e-15)
    da, db = _symmetric_direction(rng, n), rng.standard_normal(n)

    def along(t):
        return float(_loss(jnp.asarray(a + t * da), jnp.asarray(rhs + t * db), leading))

    fd = (along(1e-5) - along(-1e-5)) / 2e-5
    ad = float(np.sum(np.asarray(grad_a) * da) + np.sum(np.asarray(grad_b) * db))
    assert abs(ad - fd) <= 1e-7 * abs(fd)
    # forward mode gives the same directional derivative
    _, tangent = jax.jvp(
        lambda m, b: _loss(m, b, leading),
        (jnp.asarray(a), jnp.asarray(rhs)),
        (jnp.asarray(da), jnp.asarray(db)),
    )
    assert abs(float(tangent) - ad) <= 1e-10 * abs(ad)


def test_solve_logdet_gradient_under_vmap():
    rng = np.random.default_rng(4)
    n = 9
    a = np.stack([_spd(rng, n) for _ in range(3)])
    b = rng.standard_normal((3, n))
    batched = jax.jit(jax.vmap(jax.grad(_loss, argnums=(0, 1))))(jnp.asarray(a), jnp.asarray(b))
    for i in range(3):
        single = jax.grad(_loss, argnums=(0, 1))(jnp.asarray(a[i]), jnp.asarray(b[i]))
        for got, want in zip(batched, single):
            np.testing.assert_allclose(got[i], want, rtol=1e-13, atol=1e-15)


@pytest.mark.slow  # compiles several JAX programs: in nox -s tests-slow
def test_not_positive_definite_is_minus_inf_with_finite_gradients():
    """The rule's derivatives are zero where the factor failed: the caller's ``-inf`` (a
    rejected step) must not turn its gradient into NaN, eagerly, under jit and vmap."""
    rng = np.random.default_rng(5)
    n = 8
    a, rhs = _spd(rng, n), rng.standard_normal(n)
    bad = a.copy()
    bad[0, 0] = -1.0
    assert float(_loss(jnp.asarray(bad), jnp.asarray(rhs))) == -np.inf
    for grad in (jax.grad(_loss, argnums=(0, 1)), jax.jit(jax.grad(_loss, argnums=(0, 1)))):
        grad_a, grad_b = grad(jnp.asarray(bad), jnp.asarray(rhs))
        assert np.all(np.asarray(grad_a) == 0) and np.all(np.asarray(grad_b) == 0)
    both = jnp.asarray(np.stack([a, bad]))
    values = jax.vmap(_loss)(both, jnp.asarray(np.stack([rhs, rhs])))
    assert np.isfinite(float(values[0])) and float(values[1]) == -np.inf
    grads = jax.vmap(jax.grad(_loss))(both, jnp.asarray(np.stack([rhs, rhs])))
    assert np.all(np.isfinite(np.asarray(grads)))
    assert np.all(np.asarray(grads[1]) == 0) and np.any(np.asarray(grads[0]) != 0)


def test_inverse_weights_on_host_and_device_agree():
    """The CPU route (LAPACK potri in a callback) and the route other platforms take."""
    rng = np.random.default_rng(6)
    a = np.stack([_spd(rng, 11, shift=0.5) for _ in range(2)])
    lower = jnp.linalg.cholesky(jnp.asarray(a))
    host = jax.jit(jax.vmap(_linalg._spd_inverse_weights_on_host))(lower)
    device = jax.jit(jax.vmap(_linalg._spd_inverse_weights_on_device))(lower)
    for i in range(2):
        w = np.asarray(host[i])
        assert np.all(np.triu(w, 1) == 0)
        np.testing.assert_allclose((w + w.T) / 2, np.linalg.inv(a[i]), rtol=1e-10)
        np.testing.assert_allclose(device[i], w, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("host_below", [10**9, 0])
def test_one_walker_factor_on_host_or_by_xla(monkeypatch, host_below):
    """One walker's factor and solve: on the host below HOST_FACTOR_MAX, XLA's Cholesky from
    it; both give the solve, log det and gradient of NumPy's, and a matrix that is not
    positive definite is not ok on either."""
    monkeypatch.setattr(_linalg, "HOST_FACTOR_MAX", host_below)
    jax.clear_caches()
    rng = np.random.default_rng(8)
    a, b = _spd(rng, 23, shift=0.5), rng.standard_normal(23)

    def value(a, b):
        x, logdet, ok = _linalg.cholesky_solve_logdet(jnp, a, b)
        return jnp.sum(x) + logdet, ok

    got, ok = jax.jit(value)(a, b)
    assert bool(ok)
    expected = np.sum(np.linalg.solve(a, b)) + np.linalg.slogdet(a)[1]
    assert abs(float(got) - expected) <= 1e-11 * abs(expected)
    grad = jax.jit(jax.grad(lambda b: value(a, b)[0]))(b)
    np.testing.assert_allclose(grad, np.linalg.solve(a, np.ones(23)), rtol=1e-10)
    _, ok = jax.jit(value)(a - 100 * np.eye(23), b)
    assert not bool(ok)
    jax.clear_caches()


@pytest.mark.parametrize("coefficient", [1.3, 0.05])
def test_regularization_logdet_derivative_against_finite_differences(coefficient):
    """d log det H / dc by the rule against central differences of the NumPy (sparse)
    log det, on a graph with isolated vertices (each an eigenvalue 1e-8 of H)."""
    neighbors, sizes = _graph(np.random.default_rng(7), 60, isolated=(2, 5))

    def numpy_value(c):
        return _linalg.constant_regularization_logdet(np, c, neighbors, sizes)[1]

    def jax_value(c):
        return _linalg.constant_regularization_logdet(
            jnp, c, jnp.asarray(neighbors), jnp.asarray(sizes)
        )[1]

    # the fourth-order stencil with a wide step: the values' rounding (~1e-9 relative)
    # divided by the step stays near 1e-8 of the derivative, the truncation far below
    h = 1e-2 * coefficient
    fd = (
        numpy_value(coefficient - 2 * h)
        - 8 * numpy_value(coefficient - h)
        + 8 * numpy_value(coefficient + h)
        - numpy_value(coefficient + 2 * h)
    ) / (12 * h)
    for grad in (jax.grad(jax_value), jax.jit(jax.grad(jax_value))):
        got = float(grad(jnp.asarray(coefficient)))
        assert abs(got - fd) <= 1e-6 * abs(fd), (got, fd)
    assert float(jax.grad(jax_value)(jnp.asarray(0.0))) == 0.0


def test_leading_is_checked():
    a = np.eye(3)
    with pytest.raises(ValueError, match="'leading' must be in \\[0, 3\\]"):
        _linalg.cholesky_solve_logdet(np, a, leading=4)
    with pytest.raises(ValueError, match="'leading'"):
        _linalg.cholesky_solve_logdet(jnp, jnp.asarray(a), leading=-1)
    with pytest.raises(TypeError, match="'leading' must be an int or None"):
        _linalg.cholesky_solve_logdet(np, a, leading=1.5)


@pytest.mark.parametrize("method", ["two_pass", "conv"])
def test_step_gradient_is_finite_where_the_step_is_minus_inf(method):
    """-10 W makes F + H not positive definite: the jitted step is -inf, and its gradient
    with respect to the mapping weights and the coefficient holds no NaN."""
    import inspect

    from conftest import get_dataset

    import autojax

    func = autojax.backends.load("jax").log_likelihood_function_via_w_compact_from
    args = get_dataset("DataLoaded").args_for(func)
    args[3] = -10.0 * np.asarray(args[3])
    args = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    names = list(inspect.signature(func).parameters)
    w_at, c_at = names.index("pix_weights_for_sub_slim_index"), names.index("coefficient")

    def step(w, c):
        call = list(args[:c_at])
        call[w_at] = w
        return func(*call, c, method=method)

    value, (d_w, d_c) = jax.jit(jax.value_and_grad(step, argnums=(0, 1)))(args[w_at], 1.0)
    assert float(value) == -np.inf
    assert np.all(np.isfinite(np.asarray(d_w))) and np.isfinite(float(d_c))
