"""The numerical-failure policy of autojax, for every backend and array namespace.

This module is the one place the policy lives; kernels reach it through their spec bodies.

The linear solve, ``reconstruction_positive_negative_from(data_vector, curvature_reg_matrix)``
-----------------------------------------------------------------------------------------------
A general solve (the matrix need not be positive definite). It fails when

- ``curvature_reg_matrix`` or ``data_vector`` holds inf or NaN;
- the matrix is singular: exactly (LU meets a zero pivot, as LAPACK's ``getrf`` reports) or
  to working precision, i.e. its estimated reciprocal condition number in the 1-norm is
  below the float64 machine epsilon (the test of LAPACK's expert drivers and of
  ``scipy.linalg.solve``'s ill-conditioning warning);
- the solution is not finite (overflow).

On failure every backend (``original``, ``numba``, ``jax``, ``xp``), called eagerly, raises
:class:`LinAlgError`, a subclass of ``numpy.linalg.LinAlgError``, whose message names the
kernel and the reason. Under JAX tracing (inside ``jax.jit``, ``vmap``, ``grad``) nothing can
be raised, so the solution is all NaN instead. The reciprocal condition number comes from
LAPACK's ``gecon`` for NumPy arrays and from the same Hager-Higham 1-norm estimator run on
the LU factors for JAX arrays; both estimate ``||A^-1||_1`` from below, so a matrix is only
ever flagged when it really is that ill-conditioned (a rare adversarial matrix can escape
the estimate, as in LAPACK). Other array namespaces (array-api-strict, ...) use the ratio of
the extreme singular values, the 2-norm reciprocal condition number, with the same bound.

The likelihoods: ``-inf``
-------------------------
The evidence needs ``(F + H)^-1 D``, ``log det (F + H)`` and ``log det H``, all from one
Cholesky factor each: ``log det A = 2 sum log diag(L)``. When a matrix is not positive
definite its factorisation fails: NumPy raises ``LinAlgError``, JAX returns NaN. Both
become ``ok = False`` here, and the likelihood returns ``-inf`` (a sampler rejects the
step) instead of a finite wrong number, eagerly and under ``jax.jit`` alike. (``original``
keeps upstream's LU solve and ``slogdet``; its solve follows the policy above.)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "LinAlgError",
    "solve",
    "solution_or_raise",
    "cholesky_solve_logdet",
    "value_or_minus_inf",
]

#: the reciprocal condition number below which a matrix is singular to working precision
RCOND_MIN = float(np.finfo(np.float64).eps)


class LinAlgError(np.linalg.LinAlgError):
    """A linear-algebra kernel met a singular or non-finite system (the message names it)."""


def _is_jax(xp) -> bool:
    return xp.__name__.startswith("jax")


def cholesky_solve_logdet(xp, matrix, rhs=None):
    """``(solution or None, log det, ok)`` of a symmetric positive-definite ``matrix``.

    ``ok`` is a Python bool for eager NumPy, a traced boolean under JAX; when it is false the
    other values are meaningless (NaN where the library produces them).
    """
    if xp is np or xp.__name__ in ("numpy", "array_api_compat.numpy"):
        import scipy.linalg

        matrix = np.asarray(matrix)
        try:
            factor = scipy.linalg.cho_factor(matrix, lower=True, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            return None, math.nan, False
        diag = np.diagonal(factor[0])
        if not np.all(np.isfinite(diag)):
            return None, math.nan, False
        logdet = 2.0 * float(np.sum(np.log(diag)))
        solution = None if rhs is None else scipy.linalg.cho_solve(factor, rhs, check_finite=False)
        return solution, logdet, bool(np.isfinite(logdet))
    if _is_jax(xp):
        import jax.numpy as jnp
        import jax.scipy.linalg as jsl

        lower = jnp.linalg.cholesky(matrix)
        diag = jnp.diagonal(lower)
        logdet = 2.0 * jnp.sum(jnp.log(diag))
        ok = jnp.all(jnp.isfinite(diag)) & jnp.isfinite(logdet)
        solution = None if rhs is None else jsl.cho_solve((lower, True), rhs)
        return solution, logdet, ok
    try:
        lower = xp.linalg.cholesky(matrix)
    except Exception:  # a namespace that raises on failure
        return None, math.nan, False
    diag = xp.linalg.diagonal(lower)
    logdet = 2.0 * xp.sum(xp.log(diag))
    if not bool(xp.all(xp.isfinite(diag))):
        return None, math.nan, False
    solution = None if rhs is None else xp.linalg.solve(matrix, rhs)
    return solution, logdet, True


def value_or_minus_inf(xp, ok, value):
    """``value`` where ``ok``, else ``-inf`` (a traced select under JAX)."""
    if isinstance(ok, bool):
        return value if ok else -math.inf
    return xp.where(ok, value, -xp.inf)


# --------------------------------------------------------------------------- the solve


def _is_numpy(xp) -> bool:
    return xp is np or xp.__name__ in ("numpy", "array_api_compat.numpy")


def _is_traced(x) -> bool:
    try:
        import jax
    except ImportError:
        return False
    return isinstance(x, jax.core.Tracer)


def _fail(kernel: str, names, reason: str):
    raise LinAlgError(f"{kernel}: {reason.format(matrix=names[0], rhs=names[1])}")


def _numpy_solve(matrix, rhs, kernel, names):
    """LU solve by LAPACK with the checks of the policy; raises :class:`LinAlgError`."""
    from scipy.linalg import get_lapack_funcs

    matrix = np.asarray(matrix, dtype=np.float64)
    rhs = np.asarray(rhs, dtype=np.float64)
    if not np.all(np.isfinite(matrix)):
        _fail(kernel, names, "argument '{matrix}' is not finite (it holds inf or NaN)")
    if not np.all(np.isfinite(rhs)):
        _fail(kernel, names, "argument '{rhs}' is not finite (it holds inf or NaN)")
    if matrix.shape[0] == 0:
        return np.zeros(0)
    getrf, getrs, gecon = get_lapack_funcs(("getrf", "getrs", "gecon"), (matrix,))
    lu, piv, info = getrf(matrix)
    if info > 0:
        _fail(
            kernel,
            names,
            f"'{{matrix}}' is singular (its LU factorisation meets an exactly zero pivot in column {info - 1})",
        )
    rcond, _ = gecon(lu, np.linalg.norm(matrix, 1), norm="1")
    if not rcond >= RCOND_MIN:
        _fail(
            kernel,
            names,
            f"'{{matrix}}' is singular to working precision (reciprocal condition number "
            f"{rcond:.3g} < {RCOND_MIN:.3g})",
        )
    solution, _ = getrs(lu, piv, rhs)
    if not np.all(np.isfinite(solution)):
        _fail(kernel, names, "the solution is not finite (overflow)")
    return solution


def _jax_inverse_norm1(lu_piv, n: int):
    """A lower estimate of ``||A^-1||_1`` from A's LU factors (Hager 1984, Higham 1988).

    Each trial vector x gives ``||A^-1 x||_1 / ||x||_1 <= ||A^-1||_1``; the trials are the
    uniform vector, a few steps of Hager's gradient ascent (the unit vector where
    ``|A^-T sign(A^-1 x)|`` peaks) and Higham's alternating vector, as in LAPACK's ``lacon``.
    """
    import jax.numpy as jnp
    from jax.scipy.linalg import lu_solve

    y = lu_solve(lu_piv, jnp.full((n,), 1.0 / n))
    estimate = jnp.sum(jnp.abs(y))
    for _ in range(4):
        z = lu_solve(lu_piv, jnp.where(y >= 0, 1.0, -1.0), trans=1)
        y = lu_solve(lu_piv, jnp.zeros(n).at[jnp.argmax(jnp.abs(z))].set(1.0))
        estimate = jnp.maximum(estimate, jnp.sum(jnp.abs(y)))
    if n > 1:
        i = jnp.arange(n)
        alternating = jnp.where(i % 2 == 0, 1.0, -1.0) * (1.0 + i / (n - 1))
        y = lu_solve(lu_piv, alternating)
        estimate = jnp.maximum(estimate, 2.0 * jnp.sum(jnp.abs(y)) / (3.0 * n))
    return estimate


def _jax_solve(matrix, rhs):
    """``(solution, ok)`` by LU; traceable (no Python branch on values)."""
    import jax.numpy as jnp
    from jax.scipy.linalg import lu_factor, lu_solve

    n = matrix.shape[0]
    if n == 0:
        return jnp.zeros(0, dtype=jnp.float64), jnp.asarray(True)
    lu_piv = lu_factor(matrix)
    solution = lu_solve(lu_piv, rhs)
    norm = jnp.max(jnp.sum(jnp.abs(matrix), axis=0))
    rcond = 1.0 / (norm * _jax_inverse_norm1(lu_piv, n))
    ok = (
        jnp.all(jnp.isfinite(matrix))
        & jnp.all(jnp.isfinite(rhs))
        & (rcond >= RCOND_MIN)
        & jnp.all(jnp.isfinite(solution))
    )
    return solution, ok


def _generic_solve(xp, matrix, rhs, kernel, names):
    """Any other array namespace: its ``linalg.solve`` and ``linalg.svdvals``."""
    if not bool(xp.all(xp.isfinite(matrix))):
        _fail(kernel, names, "argument '{matrix}' is not finite (it holds inf or NaN)")
    if not bool(xp.all(xp.isfinite(rhs))):
        _fail(kernel, names, "argument '{rhs}' is not finite (it holds inf or NaN)")
    if matrix.shape[0] == 0:
        return xp.zeros(0, dtype=xp.float64)
    singular = xp.linalg.svdvals(matrix)
    rcond = float(xp.min(singular)) / float(xp.max(singular)) if float(xp.max(singular)) else 0.0
    if not rcond >= RCOND_MIN:
        _fail(
            kernel,
            names,
            f"'{{matrix}}' is singular to working precision (reciprocal condition number "
            f"{rcond:.3g} < {RCOND_MIN:.3g})",
        )
    try:
        solution = xp.linalg.solve(matrix, rhs)
    except Exception as exc:  # a namespace that raises its own error for a singular matrix
        raise LinAlgError(f"{kernel}: '{names[0]}' is singular ({exc})") from exc
    if not bool(xp.all(xp.isfinite(solution))):
        _fail(kernel, names, "the solution is not finite (overflow)")
    return solution


#: the JAX solve failed where NumPy's LU, asked again for the reason, finds none (the
#: estimates differ, or JAX computed on other values than NumPy reads)
_JAX_ONLY = (
    "the JAX solve failed (a reciprocal condition estimate below machine epsilon or a "
    "non-finite solution), though NumPy's LU of '{matrix}' finds no fault"
)


def solve(xp, matrix, rhs, kernel: str, names=("curvature_reg_matrix", "data_vector")):
    """``matrix^-1 rhs`` under the policy of this module.

    Raises :class:`LinAlgError` (naming ``kernel`` and the argument ``names``) when the
    values are concrete; returns all NaN when they are JAX tracers.
    """
    if _is_numpy(xp):
        return _numpy_solve(matrix, rhs, kernel, names)
    if _is_jax(xp):
        import jax.numpy as jnp

        solution, ok = _jax_solve(matrix, rhs)
        if not (_is_traced(solution) or bool(ok)):
            _numpy_solve(np.asarray(matrix), np.asarray(rhs), kernel, names)  # says why
            _fail(kernel, names, _JAX_ONLY)
        return jnp.where(ok, solution, jnp.nan)
    return _generic_solve(xp, matrix, rhs, kernel, names)


def solution_or_raise(kernel: str, solution, rhs, matrix):
    """The public solve's last step: raise eagerly for a failed (all-NaN) JAX solution.

    A jitted JAX kernel cannot raise, so it returns NaN; called eagerly, its public function
    passes the result here, and a non-finite solution becomes :class:`LinAlgError` with the
    reason (found again by the NumPy checks). Traced values pass through unchanged, and so
    does every result of the NumPy and array-API backends (they have raised already).
    """
    if _is_traced(solution) or isinstance(solution, np.ndarray):
        return solution
    if type(solution).__module__.startswith("jax") and not bool(
        np.all(np.isfinite(np.asarray(solution)))
    ):
        names = ("curvature_reg_matrix", "data_vector")
        _numpy_solve(np.asarray(matrix), np.asarray(rhs), kernel, names)
        _fail(kernel, names, _JAX_ONLY)
    return solution
