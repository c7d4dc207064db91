"""The one numerical-failure policy of the likelihoods, for every array namespace.

The evidence needs ``(F + H)^-1 D``, ``log det (F + H)`` and ``log det H``, all from one
Cholesky factor each: ``log det A = 2 sum log diag(L)``. When a matrix is not positive
definite its factorisation fails: NumPy raises ``LinAlgError``, JAX returns NaN. Both
become ``ok = False`` here, and the likelihood returns ``-inf`` (a sampler rejects the
step) instead of a finite wrong number.
"""

from __future__ import annotations

import math

import numpy as np


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
