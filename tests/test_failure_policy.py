"""The numerical-failure policy of ``autojax._linalg``, in every backend.

The solve ``reconstruction_positive_negative_from`` raises ``autojax.LinAlgError`` (a
``numpy.linalg.LinAlgError``) naming itself for a singular or non-finite system, solves
indefinite systems like any other, and under ``jax.jit`` returns all NaN instead of
raising. The likelihoods return ``-inf`` when F + H is not positive definite, also under
``jax.jit`` (``test_methods.py`` covers the compact likelihood eagerly and with the fft
method under jit; here the W-tilde likelihood and every JAX method under jit).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, backend_name, get_dataset

import autojax
from autojax import reference as ref

SOLVE = "reconstruction_positive_negative_from"
GENERATED = ("numba", "jax", "xp")


def _rng():
    return np.random.default_rng(20261128)


def _indefinite(n: int, symmetric: bool) -> np.ndarray:
    """A well-conditioned matrix with eigenvalues of both signs (or a general one)."""
    rng = _rng()
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eig = np.linspace(1.0, 3.0, n) * np.where(np.arange(n) % 2, -1.0, 1.0)
    if symmetric:
        return (q * eig) @ q.T
    return (q * eig) @ np.linalg.qr(rng.normal(size=(n, n)))[0].T


def _rank_deficient(n: int, rank: int) -> np.ndarray:
    """Singular to working precision, not exactly: LU meets tiny, non-zero pivots."""
    x = _rng().normal(size=(n, rank))
    return x @ x.T


SINGULAR = {
    "exactly singular": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "zero matrix": np.zeros((3, 3)),
    "rank 3 of 6": _rank_deficient(6, 3),
    "graph Laplacian (no 1e-8 diagonal)": ref.constant_regularization_matrix_from(
        1.0, *(lambda ds: (ds.neighbors, ds.neighbors_sizes))(get_dataset("S<<M"))
    )
    - 1e-8 * np.eye(9),
}
NOT_FINITE = {
    "inf in the matrix": ("curvature_reg_matrix", lambda a, b: (a.__setitem__((0, 1), np.inf), b)),
    "nan in the matrix": ("curvature_reg_matrix", lambda a, b: (a.__setitem__((2, 2), np.nan), b)),
    "nan in the data vector": ("data_vector", lambda a, b: (a, b.__setitem__(1, np.nan))),
}


def _solve(backend):
    return getattr(backend, SOLVE)


def _rhs(n: int) -> np.ndarray:
    return np.linspace(-1.0, 2.0, n)


def test_linalg_error_is_numpys_and_exported():
    assert issubclass(autojax.LinAlgError, np.linalg.LinAlgError)
    assert autojax.LinAlgError is autojax._linalg.LinAlgError


@pytest.mark.parametrize("case", list(SINGULAR))
def test_singular_matrix_raises(backend, case):
    matrix = SINGULAR[case]
    with pytest.raises(autojax.LinAlgError, match=rf"^{SOLVE}: 'curvature_reg_matrix' is singular"):
        _solve(backend)(_rhs(matrix.shape[0]), matrix)


# Non-finite input is bad input: the declared 'finite' rule refuses it before any solve,
# with the ValueError every kernel gives for NaN or inf (docs/bad-input.md).
FINITE_MESSAGE = "it must be finite"


@pytest.mark.parametrize("case", list(NOT_FINITE))
def test_non_finite_system_raises(backend, case):
    name, poison = NOT_FINITE[case]
    matrix, rhs = _indefinite(4, symmetric=True), _rhs(4)
    poison(matrix, rhs)
    with pytest.raises(ValueError, match=rf"^{SOLVE}: argument '{name}' .*{FINITE_MESSAGE}"):
        _solve(backend)(rhs, matrix)


def test_inf_that_used_to_solve_to_a_finite_answer_raises(backend):
    """inf off the diagonal of an upper-triangular matrix: LAPACK gives a finite 'solution'."""
    matrix = np.array([[1.0, np.inf], [0.0, 1.0]])
    with pytest.raises(ValueError, match=FINITE_MESSAGE):
        _solve(backend)(np.array([0.0, 0.0]), matrix)


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "general"])
def test_indefinite_system_still_solves(backend, symmetric):
    """The solve is general: F + H need not be positive definite for it."""
    matrix = _indefinite(7, symmetric)
    rhs = _rhs(7)
    got = _solve(backend)(rhs, matrix)
    assert_close(got, np.linalg.solve(matrix, rhs), err_msg=f"{backend_name(backend)}")


def test_solve_matches_reference_on_the_datasets(backend):
    ds = get_dataset("DataLoaded")
    assert_close(
        _solve(backend)(ds.data_vector, ds.curvature_reg_matrix),
        ref.reconstruction_positive_negative_from(ds.data_vector, ds.curvature_reg_matrix),
    )


# ---------------------------------------------------------------------------- under jax.jit


def _jax():
    jax = pytest.importorskip("jax")
    return jax


@pytest.mark.parametrize("module", ["jax", "xp"])
def test_failed_solve_is_all_nan_under_jit(module):
    jax = _jax()
    import jax.numpy as jnp

    backend = autojax.backends.load(module)
    jitted = jax.jit(_solve(backend))
    cases = dict(SINGULAR)
    for case, (_, poison) in NOT_FINITE.items():
        matrix, rhs = _indefinite(4, symmetric=True), _rhs(4)
        poison(matrix, rhs)
        cases[case] = (matrix, rhs)
    for case, item in cases.items():
        matrix, rhs = item if isinstance(item, tuple) else (item, _rhs(item.shape[0]))
        got = np.asarray(jitted(jnp.asarray(rhs), jnp.asarray(matrix)))
        assert got.shape == rhs.shape and np.all(np.isnan(got)), f"{module} {case}: {got}"
    matrix = _indefinite(7, symmetric=False)
    assert_close(
        jitted(jnp.asarray(_rhs(7)), jnp.asarray(matrix)), np.linalg.solve(matrix, _rhs(7))
    )


def test_xp_backend_on_jax_arrays_raises_eagerly():
    _jax()
    import jax.numpy as jnp

    import autojax.xp as backend

    with pytest.raises(autojax.LinAlgError, match=f"{SOLVE}: 'curvature_reg_matrix' is singular"):
        backend.reconstruction_positive_negative_from(
            jnp.asarray(_rhs(6)), jnp.asarray(SINGULAR["rank 3 of 6"])
        )


def test_xp_backend_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    import autojax.xp as backend

    func = backend.reconstruction_positive_negative_from
    for matrix in SINGULAR.values():
        with pytest.raises(autojax.LinAlgError, match="singular"):
            func(xps.asarray(_rhs(matrix.shape[0])), xps.asarray(matrix))
    bad = _indefinite(4, symmetric=True)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        func(xps.asarray(_rhs(4)), xps.asarray(bad))
    matrix = _indefinite(7, symmetric=False)
    assert_close(
        func(xps.asarray(_rhs(7)), xps.asarray(matrix)),
        np.linalg.solve(matrix, _rhs(7)),
        namespace=xps,
    )


# ---------------------------------------------------------------------------- likelihoods

W_TILDE_LIKELIHOOD = "log_likelihood_function_via_w_tilde_from"
COMPACT_LIKELIHOOD = "log_likelihood_function_via_w_compact_from"


def _negated(func, position: int):
    """Arguments of ``func`` on DataLoaded with argument ``position`` (W) times -10."""
    args = get_dataset("DataLoaded").args_for(func)
    args[position] = -10.0 * np.asarray(args[position])
    return args


def test_w_tilde_likelihood_is_minus_inf_when_not_positive_definite(backend):
    """-10 W makes F negative definite, so F + H is not positive definite."""
    if backend_name(backend) not in GENERATED:
        pytest.skip("original keeps upstream's LU solve and slogdet (no -inf policy)")
    func = getattr(backend, W_TILDE_LIKELIHOOD)
    args = _negated(func, 3)
    assert ref.log_likelihood_function_via_w_tilde_from(*args) == -np.inf
    assert float(func(*args)) == -np.inf


def test_likelihoods_are_minus_inf_under_jit():
    """The JAX backend (the xp backend's mapping kernels read ``.device``, which tracers lack)."""
    jax = _jax()
    import jax.numpy as jnp

    backend = autojax.backends.load("jax")
    func = getattr(backend, W_TILDE_LIKELIHOOD)
    args = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in _negated(func, 3)]
    assert float(jax.jit(func)(*args)) == -np.inf
    func = getattr(backend, COMPACT_LIKELIHOOD)
    args = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in _negated(func, 3)]
    jitted = jax.jit(func, static_argnames=["method"])
    for method in backend.METHODS[COMPACT_LIKELIHOOD]:
        assert float(jitted(*args, method=method)) == -np.inf, method


def test_spec_result_check_must_name_a_linalg_function():
    from codegen.kinds import Composite
    from codegen.model import SpecError

    with pytest.raises(SpecError, match=r"kernel 'toy', field 'result_check'.*no 'nope'"):
        Composite(
            name="toy",
            doc="A toy.",
            args={"a": "f8[S]"},
            returns="f8[S]",
            result_check="nope",
            body="return a",
        )
