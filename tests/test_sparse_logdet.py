"""The sparse log-determinant of the constant regularization H and ``F + H`` from H's entries
(``autojax._linalg``), against float64 and extended-precision dense factorisations."""

import numpy as np
import pytest
import scipy.linalg

from autojax import _linalg
from autojax import reference as ref


def _graph(rng, size, width=10, isolated=(), symmetric=True):
    """Neighbour lists of a k-nearest-neighbour graph on random points (rows end at -1)."""
    points = rng.random((size, 2))
    distance = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1)[:, :4]
    lists = [set() for _ in range(size)]
    for i in range(size):
        for j in nearest[i, : min(4, size - 1)]:
            if i in isolated or int(j) in isolated:
                continue
            lists[i].add(int(j))
            if symmetric:
                lists[int(j)].add(i)
    neighbors = -np.ones((size, width), dtype=np.int64)
    sizes = np.zeros(size, dtype=np.int64)
    for i, entries in enumerate(lists):
        entries = sorted(entries)[:width]
        neighbors[i, : len(entries)] = entries
        sizes[i] = len(entries)
    return neighbors, sizes


def _logdet_extended(matrix):
    """log det of a positive-definite matrix by Cholesky-style elimination in long double
    (the lower triangle, as LAPACK's Cholesky reads it)."""
    a = np.tril(matrix) + np.tril(matrix, -1).T
    a = a.astype(np.longdouble)
    total = np.longdouble(0)
    for k in range(a.shape[0]):
        pivot = a[k, k]
        total += np.log(pivot)
        a[k + 1 :, k + 1 :] -= np.outer(a[k + 1 :, k], a[k, k + 1 :]) / pivot
    return float(total)


CASES = [
    (1, (0,), 1.0),  # a single isolated vertex
    (7, (0, 3), 1.0),
    (50, (0, 1, 2), 2.5),  # several isolated vertices and components
    (200, (5,), 0.3),
    (641, (), 1.0),  # the seed's S
]


@pytest.mark.parametrize("size,isolated,coefficient", CASES)
def test_sparse_logdet_matches_extended_precision(size, isolated, coefficient):
    rng = np.random.default_rng(size)
    neighbors, sizes = _graph(rng, size, isolated=isolated)
    h = ref.constant_regularization_matrix_from(coefficient, neighbors, sizes)
    _, logdet, ok = _linalg.constant_regularization_logdet(np, coefficient, neighbors, sizes)
    assert ok is True
    truth = _logdet_extended(h) if size <= 200 else None
    if truth is not None and np.finfo(np.longdouble).eps < 1e-18:
        assert abs(logdet - truth) <= 1e-12 * abs(truth)
    # the float64 dense Cholesky (the reference) loses digits on each component's near-zero
    # eigenvalue (1e-8 next to O(1) entries); the two agree to its accuracy
    dense = 2 * np.sum(np.log(np.diagonal(scipy.linalg.cho_factor(h, lower=True)[0])))
    assert abs(logdet - dense) <= 1e-8 * abs(dense)


def test_isolated_vertices_only():
    neighbors = -np.ones((5, 3), dtype=np.int64)
    sizes = np.zeros(5, dtype=np.int64)
    _, logdet, ok = _linalg.constant_regularization_logdet(np, 1.0, neighbors, sizes)
    assert ok is True
    assert logdet == pytest.approx(5 * np.log(1e-8), rel=1e-15)


def test_empty_graph():
    neighbors = np.zeros((0, 3), dtype=np.int64)
    _, logdet, ok = _linalg.constant_regularization_logdet(
        np, 1.0, neighbors, np.zeros(0, np.int64)
    )
    assert (logdet, ok) == (0.0, True)


@pytest.mark.parametrize("seed", range(6))
def test_one_sided_neighbours_agree_with_the_dense_cholesky(seed):
    """Neighbour lists that are not symmetric: the dense Cholesky reads H's lower triangle;
    the sparse factorisation sees the same matrix, and agrees on positive definiteness."""
    rng = np.random.default_rng(seed)
    neighbors, sizes = _graph(rng, 30, symmetric=False)
    h = ref.constant_regularization_matrix_from(1.0, neighbors, sizes)
    try:
        factor = scipy.linalg.cho_factor(h, lower=True)
        dense_ok = True
    except np.linalg.LinAlgError:
        dense_ok = False
    _, logdet, ok = _linalg.constant_regularization_logdet(np, 1.0, neighbors, sizes)
    assert ok is dense_ok
    if ok:
        dense = 2 * np.sum(np.log(np.diagonal(factor[0])))
        assert abs(logdet - dense) <= 1e-8 * abs(dense)


@pytest.mark.parametrize("size,isolated,coefficient", CASES[:4])
def test_plus_regularization_is_f_plus_dense_h(size, isolated, coefficient):
    rng = np.random.default_rng(size + 1)
    neighbors, sizes = _graph(rng, size, isolated=isolated)
    f = rng.random((size, size))
    f = f @ f.T
    h = ref.constant_regularization_matrix_from(coefficient, neighbors, sizes)
    got = _linalg.plus_constant_regularization(np, f, coefficient, neighbors, sizes)
    np.testing.assert_allclose(got, f + h, rtol=1e-15, atol=1e-15 * np.abs(f).max())
    assert not np.shares_memory(got, f)


def test_jax_route_matches_numpy():
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(3)
    neighbors, sizes = _graph(rng, 40, isolated=(2,))
    _, expected, _ = _linalg.constant_regularization_logdet(np, 1.5, neighbors, sizes)
    _, got, ok = _linalg.constant_regularization_logdet(
        jnp, 1.5, jnp.asarray(neighbors), jnp.asarray(sizes)
    )
    assert bool(ok)
    assert abs(float(got) - expected) <= 1e-8 * abs(expected)


def test_jax_value_on_the_cpu_is_the_sparse_route_and_the_dense_route_agrees():
    """On the CPU JAX's value is NumPy's sparse factorisation on the host (the same number,
    under jit and vmap); the dense route other platforms take agrees to rounding."""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(4)
    neighbors, sizes = _graph(rng, 60, isolated=(0, 7))
    coefficients = np.array([0.3, 1.5, 4.0])
    expected = [
        _linalg.constant_regularization_logdet(np, c, neighbors, sizes)[1] for c in coefficients
    ]

    def value(c):
        _, logdet, ok = _linalg.constant_regularization_logdet(
            jnp, c, jnp.asarray(neighbors), jnp.asarray(sizes)
        )
        return logdet, ok

    got, ok = jax.jit(jax.vmap(value))(coefficients)
    assert np.all(np.asarray(ok))
    np.testing.assert_array_equal(np.asarray(got), expected)
    for c, want in zip(coefficients, expected):
        _, dense, fine = _linalg._jax_regularization_factor(
            jnp.asarray(c), jnp.asarray(neighbors), jnp.asarray(sizes), summary=True
        )
        assert bool(fine) and abs(float(dense) - want) <= 1e-12 * abs(want)


def test_jax_value_with_a_neighbour_out_of_range_is_nan_under_jit():
    """Under jax.jit nothing can raise: an index past S (which the eager checks refuse)
    gives (NaN, not ok) from the host route, not an error from inside the callback."""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    neighbors, sizes = _graph(np.random.default_rng(5), 12)
    neighbors = neighbors.copy()
    neighbors[3, 0] = 12
    logdet, ok = jax.jit(
        lambda c: _linalg.constant_regularization_logdet(
            jnp, c, jnp.asarray(neighbors), jnp.asarray(sizes)
        )[1:]
    )(1.0)
    assert np.isnan(float(logdet)) and not bool(ok)


def _spectral_slope(coefficient, neighbors, sizes):
    """d log det H / dc from G's spectrum: H = 1e-8 I + c**2 G, G the graph Laplacian (whose
    zero eigenvalues, one per connected component, are exactly zero):
    ``2 (n - sum_k 1e-8 / (1e-8 + c**2 lambda_k)) / c``."""
    import scipy.sparse
    import scipy.sparse.csgraph

    h = ref.constant_regularization_matrix_from(1.0, neighbors, sizes)
    laplacian = np.round(h - 1e-8 * np.eye(h.shape[0]))  # integer counts
    adjacency = scipy.sparse.csr_matrix(laplacian - np.diag(np.diag(laplacian)) != 0)
    components = scipy.sparse.csgraph.connected_components(adjacency, directed=False)[0]
    positive = np.sort(np.linalg.eigvalsh(laplacian))[components:]
    ridge = 1e-8 / (1e-8 + coefficient**2 * positive)
    return 2.0 * (h.shape[0] - components - np.sum(ridge)) / coefficient


@pytest.mark.parametrize("size,isolated,coefficient", CASES)
def test_sparse_slope_matches_the_spectrum(size, isolated, coefficient):
    """The host's d log det H / dc (a complex step along the ridge through the sparse route)
    against G's spectrum, at 1e-12; the dense inverse's trace (the route of other platforms)
    is good to about 1e-8 (see the next test)."""
    rng = np.random.default_rng(size + 7)
    neighbors, sizes = _graph(rng, size, isolated=isolated)
    for c in (coefficient, 0.2, 7.0):
        logdet, ok, slope = _linalg._host_regularization_slope(c, neighbors, sizes)
        assert bool(ok)
        assert float(logdet) == _linalg.constant_regularization_logdet(np, c, neighbors, sizes)[1]
        want = _spectral_slope(c, neighbors, sizes)
        assert abs(float(slope) - want) <= 1e-12 * max(abs(want), 1.0), (c, float(slope), want)
    assert float(_linalg._host_regularization_slope(0.0, neighbors, sizes)[2]) == 0.0


def test_jax_slope_on_the_cpu_and_the_dense_slope_agree_with_the_spectrum():
    """jax.grad of the log det on the CPU (the host route, under jit and vmap) and the dense
    route other platforms take, against the spectrum; a neighbour out of range gives NaN."""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(8)
    neighbors, sizes = _graph(rng, 80, isolated=(3, 40))
    nb, sz = jnp.asarray(neighbors), jnp.asarray(sizes)
    coefficients = np.array([0.3, 1.5, 4.0])
    want = np.array([_spectral_slope(c, neighbors, sizes) for c in coefficients])

    def logdet(c, nb):
        return _linalg.constant_regularization_logdet(jnp, c, nb, sz)[1]

    got = jax.jit(jax.vmap(jax.grad(logdet), in_axes=(0, None)))(coefficients, nb)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    for c, w in zip(coefficients, want):
        _, ok, dense = _linalg._jax_dense_regularization_slope(jnp.asarray(c), nb, sz)
        # the dense trace sums entries of H^-1 up to 1e8 whose large parts cancel: measured
        # 1.2e-8 relative at c = 4 on this graph (the host route: 1e-15)
        assert bool(ok) and abs(float(dense) - w) <= 1e-7 * abs(w)
    bad = neighbors.copy()
    bad[0, 0] = 80
    assert np.isnan(float(jax.jit(jax.grad(logdet))(1.0, jnp.asarray(bad))))
