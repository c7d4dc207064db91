"""A batch of walkers on one CPU (``Likelihood.log_evidence_batch`` with ``mesh=None``).

On the CPU the batch runs in groups of walkers (``lax.map`` with ``jax.vmap`` inside), and
under ``vmap`` the host callbacks take the whole group: the conv loop (its serial twin per
walker, the walkers in parallel) and the Cholesky factorisations with their solves (one
LAPACK callback over the walkers, ``_linalg._factor_solve``). Each walker must equal a
single call to 1e-10 relative, with a coefficient per walker, on a problem where the single
call takes the parallel conv loop (M^2 B above the serial threshold).
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import jax.numpy as jnp  # noqa: E402

from autojax import Likelihood, Observation, _linalg  # noqa: E402
from autojax.datasets import DataGenerated  # noqa: E402

#: M^2 B above this: the Numba backend's conv runs its parallel loop (codegen/kinds/lattice.py)
SERIAL_WORK = 2**21


@pytest.fixture(scope="module")
def problem():
    ds = DataGenerated(N=36, B=3, K=256, P=8, S=48, ragged=0.3)
    like = Likelihood(Observation.from_dataset(ds), backend="jax", progress=False)
    like.precompute()
    return ds, like


def _walkers(ds, count):
    rng = np.random.default_rng(7)
    weights = ds.pix_weights_for_sub_slim_index
    scaled = weights * (1 + 0.05 * rng.standard_normal((count, *weights.shape)))
    pix = np.stack([ds.pix_indexes_for_sub_slim_index] * count)
    return pix, scaled, np.linspace(0.6, 1.8, count)


def test_batch_equals_single_calls_with_a_coefficient_per_walker(problem):
    ds, like = problem
    m, b = ds.pix_indexes_for_sub_slim_index.shape
    assert m * m * b > SERIAL_WORK  # single calls take the parallel conv loop
    pix, weights, coefficient = _walkers(ds, 5)  # groups of walkers and a remainder
    graph = (ds.neighbors, ds.neighbors_sizes)
    values = like.log_evidence_batch(pix, weights, *graph, coefficient)
    step = jax.jit(Likelihood.log_evidence)
    singles = [float(step(like, pix[k], weights[k], *graph, coefficient[k])) for k in range(5)]
    assert np.all(np.isfinite(singles))
    np.testing.assert_allclose(values, singles, rtol=1e-10, atol=0)
    # jax.vmap of the step itself (all walkers in one group), the sparse indexes shared
    vmapped = jax.jit(jax.vmap(Likelihood.log_evidence, in_axes=(None, None, 0, None, None, 0)))
    values = vmapped(like, pix[0], weights, *graph, coefficient)
    np.testing.assert_allclose(np.asarray(values), singles, rtol=1e-10, atol=0)


def test_batched_factorisation_marks_a_failed_walker(problem):
    """The host LAPACK callback: NaN and ok=False for a walker whose matrix is not positive
    definite, the others equal to one walker's route (JAX's own Cholesky)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 40, 40))
    matrices = x @ np.swapaxes(x, 1, 2) / 40 + np.eye(40)
    matrices[1] = -matrices[1]
    rhs = rng.standard_normal((3, 40))

    def solve(a, b):
        return _linalg.cholesky_solve_logdet(jnp, a, b)

    batched = jax.jit(jax.vmap(solve))(matrices, rhs)
    for k in range(3):
        one = jax.jit(solve)(matrices[k], rhs[k])
        assert bool(batched[2][k]) == bool(one[2]) == (k != 1)
        if k != 1:
            np.testing.assert_allclose(batched[0][k], one[0], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(batched[1][k], one[1], rtol=1e-13)
    # the regularization's log det over a coefficient per walker
    ds, _ = problem
    graph = (jnp.asarray(ds.neighbors), jnp.asarray(ds.neighbors_sizes))
    coefficients = jnp.asarray([0.5, 1.0, 2.0])

    def logdet(c):
        return _linalg.constant_regularization_logdet(jnp, c, *graph)[1]

    batched = jax.jit(jax.vmap(logdet))(coefficients)
    for k in range(3):
        np.testing.assert_allclose(batched[k], jax.jit(logdet)(coefficients[k]), rtol=1e-12)
