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
Cholesky factor each: ``log det A = 2 sum log diag(L)``. H, the constant regularization, is
sparse (a few neighbours per source pixel): for NumPy its log-determinant comes from a sparse
factorisation (:func:`constant_regularization_logdet`), and ``F + H`` is formed by adding
H's entries to F (:func:`plus_constant_regularization`) without a dense H. When a matrix is not positive
definite its factorisation fails: NumPy raises ``LinAlgError``, JAX returns NaN. Both
become ``ok = False`` here, and the likelihood returns ``-inf`` (a sampler rejects the
step) instead of a finite wrong number, eagerly and under ``jax.jit`` alike. (``original``
keeps upstream's LU solve and ``slogdet``; its solve follows the policy above.)
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading

import numpy as np

__all__ = [
    "LinAlgError",
    "solve",
    "solution_or_raise",
    "cholesky_solve_logdet",
    "plus_constant_regularization",
    "constant_regularization_logdet",
    "value_or_minus_inf",
]

#: the reciprocal condition number below which a matrix is singular to working precision
RCOND_MIN = float(np.finfo(np.float64).eps)


#: dense factorisations of matrices smaller than this run on one BLAS thread (see _one_blas_thread)
SMALL_DENSE = 2048
#: JAX on the CPU factors one walker's matrix on the host (LAPACK, BLAS threads kept) below
#: this side, with XLA's own Cholesky from it. Inside a jitted two-pixelization step
#: (n = 3,000, 2 cores) the host factor took 114-130 ms in most calls but 200-480 ms in a
#: quarter of them (two OpenBLAS threads called from an XLA thread; the same call jitted
#: alone did not vary), XLA's a steady 160 ms: the same mean, without the tail. At
#: n = 1,500: 17 ms against 28 ms, no such tail (alma step 62-64 ms, mean 64-68 ms).
HOST_FACTOR_MAX = 2048


def single_blas_thread():
    """A context under which BLAS runs on the calling thread: for the small products of a
    step (a few function columns), which gain nothing from threads. A threaded call wakes
    OpenBLAS's workers, and they spin on after it (NumPy's and SciPy's wheels each bundle
    their own OpenBLAS, so NumPy's workers spin against the SciPy factorisation that
    follows): measured on 2 cores, ``B^T (W B)`` with NumPy's ``@`` just before the
    Cholesky of F + H at S = 3,000 made that factor 170 ms instead of 85 ms."""
    return _one_blas_thread(0)


def lapack_layout(matrix: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(array, lower)``: ``matrix`` for SciPy's Cholesky routines, without a transposing
    copy, and the ``lower`` flag that makes LAPACK read ``matrix``'s lower triangle.

    SciPy hands LAPACK Fortran-ordered arrays: a C-ordered one is first copied into Fortran
    order, a transposing copy (65 ms of a 175 ms factor at S = 3,000 on this project's 2-core
    machine). The transpose of a C-ordered array is Fortran-ordered, and its upper triangle
    is ``matrix``'s lower one, so that is passed with ``lower=False``: the factor is then
    ``U = L^T``, in the array's memory. The entries read are the lower triangle's either
    way, which matters where the caller's matrix is not exactly symmetric (H from neighbour
    lists that are not mutual).
    """
    if matrix.flags.c_contiguous and not matrix.flags.f_contiguous:
        return matrix.T, False
    return matrix, True


def _one_blas_thread(size: int):
    """A context under which BLAS/LAPACK uses one thread, for a matrix of side ``size`` below
    :data:`SMALL_DENSE` (else, or without threadpoolctl, a no-op).

    A step alternates Numba's parallel loops with these factorisations. OpenBLAS's threads
    synchronise by spinning, and they spin on after each call: on a machine whose cores are
    shared (other processes, Numba's or another library's OpenMP pool) one descheduled BLAS
    thread stalls the others. Measured on a loaded 2-core machine, conv then a Cholesky:
    n = 641, 10.6 ms median and 27 ms mean with 2 BLAS threads, 5.8 / 6.0 ms with one;
    n = 1500, 87 / 211 ms against 39 / 41 ms.
    """
    global _CONTROLLER
    if size >= SMALL_DENSE:
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency, but keep working without it
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController()
    if _CONTROLLER is False:
        return contextlib.nullcontext()
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER = None


class LinAlgError(np.linalg.LinAlgError):
    """A linear-algebra kernel met a singular or non-finite system (the message names it)."""


def _is_jax(xp) -> bool:
    return xp.__name__.startswith("jax")


def _check_leading(leading, size: int):
    """``leading`` as an int in [0, size] (``None``: ``size``), else ValueError."""
    if leading is None:
        return size
    if isinstance(leading, bool) or not isinstance(leading, (int, np.integer)):
        raise TypeError(f"argument 'leading' must be an int or None, got {type(leading).__name__}")
    if not 0 <= int(leading) <= size:
        raise ValueError(
            f"argument 'leading' must be in [0, {size}] (the matrix side), got {leading}"
        )
    return int(leading)


def cholesky_solve_logdet(xp, matrix, rhs=None, overwrite=False, leading=None):
    """``(solution or None, log det, ok)`` of a symmetric positive-definite ``matrix``.

    ``overwrite=True``: for NumPy, ``matrix`` (a temporary of the caller) may be factored in
    place. ``leading=k``: the log det is that of the leading ``k x k`` block of ``matrix``
    (``2 sum log diag(L)[:k]`` of the one Cholesky factor L of the whole matrix); ``ok``
    still says whether the whole matrix is positive definite, and the solution is the
    whole matrix's.

    ``ok`` is a Python bool for eager NumPy, a traced boolean under JAX; when it is false the
    other values are meaningless (NaN where the library produces them; the JAX solution is
    zero, so that no NaN reaches a gradient through it).

    Under JAX the three results have a custom derivative (:func:`_jax_cholesky_solve_logdet`):
    ``d log det = tr(B^-1 dA_kk)`` (B the leading block) and ``dx = A^-1 (db - dA x)``, so a
    reverse pass costs one inverse from the factor (LAPACK ``potri`` on the CPU) and two
    triangular solves, not the transpose of JAX's generic Cholesky derivative.
    """
    size = matrix.shape[0]
    leading = _check_leading(leading, size)
    if xp is np or xp.__name__ in ("numpy", "array_api_compat.numpy"):
        import scipy.linalg

        matrix = np.asarray(matrix)
        with _one_blas_thread(matrix.shape[0]):
            try:
                layout, lower = lapack_layout(matrix)
                factor = scipy.linalg.cho_factor(
                    layout, lower=lower, overwrite_a=overwrite, check_finite=False
                )
            except (np.linalg.LinAlgError, ValueError):
                return None, math.nan, False
            diag = np.diagonal(factor[0])
            if not np.all(np.isfinite(diag)):
                return None, math.nan, False
            logdet = 2.0 * float(np.sum(np.log(diag[:leading])))
            solution = (
                None if rhs is None else scipy.linalg.cho_solve(factor, rhs, check_finite=False)
            )
        return solution, logdet, bool(np.isfinite(logdet))
    if _is_jax(xp):
        return _jax_cholesky_solve_logdet(matrix, rhs, leading)
    try:
        lower = xp.linalg.cholesky(matrix)
    except Exception:  # a namespace that raises on failure
        return None, math.nan, False
    diag = xp.linalg.diagonal(lower)
    logdet = 2.0 * xp.sum(xp.log(diag[:leading]))
    if not bool(xp.all(xp.isfinite(diag))):
        return None, math.nan, False
    solution = None if rhs is None else xp.linalg.solve(matrix, rhs)
    return solution, logdet, True


# ------------------------------------------------------------------ JAX: custom derivatives


def _host_spd_inverse_lower(lower):
    """The lower triangle of ``(L L^T)^-1`` (zeros above) from the lower Cholesky factor
    ``lower``, by LAPACK ``potri`` on the host (2 n^3 / 3 flops)."""
    from scipy.linalg import lapack

    lower = np.asarray(lower)
    if lower.shape[0] == 0:
        return np.zeros_like(lower)
    # potri on L^T (a Fortran-ordered view, no copy) as an upper factor: it overwrites a
    # copy's upper triangle with the inverse's and leaves the zeros below; that copy's
    # transpose is C-ordered, the inverse's lower triangle. BLAS keeps its own thread count,
    # as for the Cholesky factor JAX computed (one thread: 18 ms against 11 ms at n = 1000
    # on 2 idle cores; no Numba loop runs beside it here)
    inverse, info = lapack.dpotri(lower.T, lower=0, overwrite_c=0)
    if info != 0:
        return np.full_like(lower, np.nan)
    return inverse.T


def _doubled_lower(half):
    """``half``'s lower triangle with the strict part doubled (zeros above), JAX."""
    import jax
    import jax.numpy as jnp

    row = jax.lax.broadcasted_iota(jnp.int32, half.shape, half.ndim - 2)
    col = jax.lax.broadcasted_iota(jnp.int32, half.shape, half.ndim - 1)
    return jnp.where(row > col, 2.0 * half, jnp.where(row == col, half, 0.0))


def _spd_inverse_weights_on_device(lower):
    """:func:`_jax_spd_inverse_weights` without a host round trip: ``L^-T L^-1`` by a
    triangular solve and a product (the GPU route; any platform can run it)."""
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl

    inverse_factor = jsl.solve_triangular(
        lower, jnp.eye(lower.shape[0], dtype=lower.dtype), lower=True
    )
    return _doubled_lower(inverse_factor.T @ inverse_factor)


def _spd_inverse_weights_on_host(lower):
    """:func:`_jax_spd_inverse_weights` by LAPACK ``potri`` through a host callback (CPU)."""
    import jax

    from ._runtime import host_array_call

    half = host_array_call(
        _host_spd_inverse_lower, jax.ShapeDtypeStruct(lower.shape, lower.dtype), lower
    )
    return _doubled_lower(half)


def _jax_spd_inverse_weights(lower):
    """The lower triangle W of ``A^-1 = (L L^T)^-1`` with its strict part doubled, from the
    lower Cholesky factor ``lower``; traceable. ``(W + W^T) / 2 = A^-1``, and
    ``sum(W * D) = tr(A^-1 D)`` for a symmetric D, or for the symmetric matrix D's lower
    triangle defines (what a Cholesky reads): no mirrored copy of either is formed.

    On the CPU: LAPACK ``potri`` through a host callback (2 n^3 / 3 flops; at n = 1500,
    33 ms against 93 ms for JAX's ``cho_solve`` of the identity and 197 ms for
    ``L^-T L^-1``); elsewhere (GPU: no host round trip) ``L^-T L^-1``.
    """
    import jax

    return jax.lax.platform_dependent(
        lower, cpu=_spd_inverse_weights_on_host, default=_spd_inverse_weights_on_device
    )


def _logdet_ok(diag, leading):
    """``(log det of the leading block, ok)`` from the diagonal of a Cholesky factor."""
    import jax.numpy as jnp

    logdet = 2.0 * jnp.sum(jnp.log(diag[:leading]))
    ok = jnp.all(jnp.isfinite(diag)) & jnp.all(diag > 0) & jnp.isfinite(logdet)
    return logdet, ok


def _jax_factor(matrix, leading, rhs=None):
    """``(L, log det of the leading block, ok, solution)`` of the (symmetrised) matrix:
    ``solution`` is ``A^-1 rhs`` (meaningless where ``ok`` is false; None without ``rhs``)."""
    import jax.numpy as jnp

    mode = "none" if rhs is None else "cho"
    rhs = jnp.zeros(matrix.shape[-1], matrix.dtype) if rhs is None else rhs
    lower, solution = _factor_solve(mode, False)(matrix, rhs)
    logdet, ok = _logdet_ok(jnp.diagonal(lower), leading)
    return lower, logdet, ok, None if mode == "none" else solution


def _jax_factor_summary(matrix, leading, rhs=None):
    """:func:`_jax_factor` without the factor itself: ``(log det, ok, solution)``. Under
    ``jax.vmap`` on the CPU no factor (n x n per walker) leaves the host callback."""
    import jax.numpy as jnp

    mode = "none" if rhs is None else "cho"
    rhs = jnp.zeros(matrix.shape[-1], matrix.dtype) if rhs is None else rhs
    diag, solution, _ = _factor_solve(mode, True)(matrix, rhs)
    logdet, ok = _logdet_ok(diag, leading)
    return logdet, ok, None if mode == "none" else solution


# ------------------------------------------ JAX: factorisations of a batch of walkers (CPU)

#: the solves :func:`_factor_solve` pairs with the factor: A^-1 b, L^-1 b, or none
_SOLVE_MODES = {"cho": 0, "lower": 1, "none": 2}


def _device_factor_solve(matrix, rhs, mode, summary):
    """JAX's Cholesky factor L of the symmetrised ``matrix`` (NaN where it fails) and
    ``x = A^-1 rhs`` (``mode="cho"``), ``L^-1 rhs`` (``"lower"``) or ``rhs`` (``"none"``):
    ``(L, x)``, or with ``summary`` ``(diag(L), x, L's column sums)``."""
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl

    lower = jnp.linalg.cholesky(matrix)
    if mode == "cho":
        solution = jsl.cho_solve((lower, True), rhs)
    elif mode == "lower":
        solution = jsl.solve_triangular(lower, rhs, lower=True)
    else:
        solution = rhs
    if summary:
        return jnp.diagonal(lower), solution, jnp.sum(lower, axis=0)
    return lower, solution


@functools.cache
def _factor_solve(mode: str, summary: bool):
    """:func:`_device_factor_solve` for one ``mode``, with a rule for ``jax.vmap``.

    On the CPU: one host callback (``_runtime.host_array_call``, which reads XLA's buffers
    and writes into them) that factors and solves with LAPACK (``potrf``, ``potrs``,
    ``trtrs``, :func:`_host_factor_solve`), for one walker below :data:`HOST_FACTOR_MAX`
    (XLA's own Cholesky from it); a batch of walkers (under ``jax.vmap``) in the
    same callback, the walkers spread over Numba's thread count, each on one BLAS thread;
    with ``summary`` only vectors come back. XLA's CPU Cholesky is slower (measured on 2
    cores, jax 0.10.2, factor and solve, summary: n = 1,500 28 ms against 17 ms, n = 3,000
    161 ms against 95 ms; n = 100 0.15 against 0.08 ms), the more so in a batch (at n = 1000
    23 ms per matrix in a batch of 8 and 29 ms in one of 32, against 9.4 ms alone; its
    batched triangular solves cost 3-4 ms a walker). Elsewhere (GPUs): JAX's own Cholesky
    and triangular solves, ``jax.vmap`` of them for a batch.
    """
    import jax
    import jax.numpy as jnp
    from jax.custom_batching import custom_vmap

    device = functools.partial(_device_factor_solve, mode=mode, summary=summary)

    def on_host(matrix, rhs):
        from ._runtime import host_array_call

        vector = jax.ShapeDtypeStruct(rhs.shape, rhs.dtype)
        if summary:
            shapes = (vector, vector, vector)
        else:
            shapes = (jax.ShapeDtypeStruct(matrix.shape, matrix.dtype), vector)
        host = functools.partial(_host_factor_solve, mode=mode, summary=summary)
        return host_array_call(host, shapes, matrix, rhs, vmap_method="expand_dims")

    @custom_vmap
    def factor_solve(matrix, rhs):
        if matrix.shape[-1] >= HOST_FACTOR_MAX:
            return device(matrix, rhs)
        return jax.lax.platform_dependent(matrix, rhs, cpu=on_host, default=device)

    @factor_solve.def_vmap
    def _(axis_size, in_batched, matrix, rhs):
        matrix_batched, rhs_batched = in_batched
        if not matrix_batched:
            matrix = jnp.broadcast_to(matrix, (axis_size, *matrix.shape))
        if not rhs_batched:
            rhs = jnp.broadcast_to(rhs, (axis_size, *rhs.shape))
        out = jax.lax.platform_dependent(matrix, rhs, cpu=on_host, default=jax.vmap(device))
        return out, (True,) * len(out)

    return factor_solve


#: per thread: ``factors``, the n x n scratch factor of the host factorisations (summary)
_SCRATCH = threading.local()


def _host_factor_solve(matrix, rhs, mode, summary):
    """The batch route of :func:`_factor_solve` on the host: ``matrix`` (..., n, n) and
    ``rhs`` (..., n) with broadcastable leading axes; NaN factor and solution for a walker
    whose matrix is not positive definite (as JAX's Cholesky). The walkers run in parallel
    (``_runtime.for_each_walker``), each on one BLAS thread; with ``summary`` each thread
    forms its factors in a scratch array it keeps between calls."""
    from ._runtime import for_each_walker

    matrix, rhs = np.asarray(matrix, dtype=np.float64), np.asarray(rhs, dtype=np.float64)
    n = matrix.shape[-1]
    lead = np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-1])
    walkers = math.prod(lead)
    if matrix.shape[:-2] != lead:
        matrix = np.broadcast_to(matrix, (*lead, n, n))
    matrices = np.ascontiguousarray(matrix).reshape(walkers, n, n)
    solution = np.array(np.broadcast_to(rhs, (*lead, n)), dtype=np.float64, order="C")
    solution = solution.reshape(walkers, n)
    diag = np.empty((walkers, n))
    colsum = np.empty((walkers, n))
    lower = None if summary else np.empty((walkers, n, n))
    kernel = _factor_solve_kernel()
    code = _SOLVE_MODES[mode]

    def one(k: int) -> None:
        if summary:
            factors = getattr(_SCRATCH, "factors", None)
            if factors is None or factors.shape[0] != n:
                factors = _SCRATCH.factors = np.empty((n, n))
        else:
            factors = lower[k]
        kernel(matrices[k], factors, solution[k], diag[k], colsum[k], code, not summary)

    if walkers == 1:  # one walker: BLAS keeps its threads, as for JAX's own factor
        one(0)
    elif walkers:
        with _one_blas_thread(0):  # the walkers run in parallel, each on one BLAS thread
            for_each_walker(one, walkers)
    if summary:
        return diag.reshape((*lead, n)), solution.reshape((*lead, n)), colsum.reshape((*lead, n))
    return lower.reshape((*lead, n, n)), solution.reshape((*lead, n))


@functools.cache
def _factor_solve_kernel():
    """One walker of :func:`_host_factor_solve` (Numba, ``nogil``), compiled on first use:
    it calls SciPy's LAPACK through addresses known only at run time (not cached)."""
    import ctypes

    import numba as nb
    from numba.extending import get_cython_function_address

    def lapack(name, count):
        address = get_cython_function_address("scipy.linalg.cython_lapack", name)
        return ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * count))(address)

    potrf, potrs, trtrs = lapack("dpotrf", 5), lapack("dpotrs", 8), lapack("dtrtrs", 10)

    @nb.njit(nogil=True)
    def kernel(a, factor, x, diag, colsum, mode, zero_upper):
        # C order: a lower factor here is LAPACK's upper factor of the transpose (Fortran
        # order), so 'U' below; L^-1 b is trtrs of that upper factor transposed ('T')
        n = a.shape[0]
        chars = np.empty(3, np.uint8)
        chars[0], chars[1], chars[2] = 85, 84, 78  # 'U', 'T', 'N'
        ints = np.empty(3, np.int32)
        # the symmetrised matrix's lower triangle (in tiles: a[j, i] is read down a column);
        # above it zeros where the factor is returned (potrf leaves that part alone)
        for i0 in range(0, n, 32):
            for j0 in range(0, i0 + 1, 32):
                for i in range(i0, min(i0 + 32, n)):
                    for j in range(j0, min(j0 + 32, i + 1)):
                        factor[i, j] = 0.5 * (a[i, j] + a[j, i])
        if zero_upper:
            for i in range(n):
                factor[i, i + 1 :] = 0.0
        ints[0], ints[1], ints[2] = n, 1, 0  # n (and the leading dimensions), nrhs, info
        potrf(chars.ctypes, ints.ctypes, factor.ctypes, ints.ctypes, ints[2:].ctypes)
        if ints[2] != 0:
            factor[:, :] = np.nan
            x[:] = np.nan
        elif mode == 0:
            potrs(
                chars.ctypes, ints.ctypes, ints[1:].ctypes, factor.ctypes, ints.ctypes,
                x.ctypes, ints.ctypes, ints[2:].ctypes,
            )  # fmt: skip
        elif mode == 1:
            trtrs(
                chars.ctypes, chars[1:].ctypes, chars[2:].ctypes, ints.ctypes,
                ints[1:].ctypes, factor.ctypes, ints.ctypes, x.ctypes, ints.ctypes,
                ints[2:].ctypes,
            )  # fmt: skip
        for i in range(n):
            diag[i] = factor[i, i]
            colsum[i] = 0.0
        for i in range(n):
            for j in range(i + 1):
                colsum[j] += factor[i, j]

    return kernel


@functools.cache
def _jax_rules():
    """The custom-JVP functions of the JAX route, built once on first use (JAX imported
    lazily: this module serves NumPy-only installs too)."""
    import jax
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl
    from jax.custom_derivatives import SymbolicZero

    def zero_bool(ok):
        return np.zeros(np.shape(ok), dtype=jax.dtypes.float0)

    def logdet_tangent(lower, ok, leading, d_matrix):
        # d log det B = tr(B^-1 dB), B the leading block (whose factor is L's leading block)
        if leading == 0:
            return jnp.zeros((), lower.dtype)
        inverse = _jax_spd_inverse_weights(lower[:leading, :leading])
        inverse = jnp.where(ok, inverse, 0.0)  # a failed factor passes no NaN to the caller
        return jnp.sum(inverse * d_matrix[:leading, :leading])

    @functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
    def factor_logdet(matrix, leading):
        logdet, ok, _ = _jax_factor_summary(matrix, leading)
        return logdet, ok

    @functools.partial(factor_logdet.defjvp, symbolic_zeros=True)
    def _(leading, primals, tangents):
        (matrix,), (d_matrix,) = primals, tangents
        lower, logdet, ok, _ = _jax_factor(matrix, leading)
        if isinstance(d_matrix, SymbolicZero):
            d_logdet = jnp.zeros_like(logdet)
        else:
            d_sym = 0.5 * (d_matrix + d_matrix.T)
            d_logdet = logdet_tangent(lower, ok, leading, d_sym)
        return (logdet, ok), (d_logdet, zero_bool(ok))

    @functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
    def solve_logdet(matrix, rhs, leading):
        logdet, ok, solution = _jax_factor_summary(matrix, leading, rhs)
        return jnp.where(ok, solution, 0.0), logdet, ok

    @functools.partial(solve_logdet.defjvp, symbolic_zeros=True)
    def _(leading, primals, tangents):
        (matrix, rhs), (d_matrix, d_rhs) = primals, tangents
        lower, logdet, ok, solution = _jax_factor(matrix, leading, rhs)
        solution = jnp.where(ok, solution, 0.0)
        # the tangents: linear in (d_matrix, d_rhs) given the factor, so that reverse mode
        # transposes them (outer products and two triangular solves)
        safe_lower = jnp.where(ok, lower, jnp.eye(lower.shape[0], dtype=lower.dtype))
        matrix_zero = isinstance(d_matrix, SymbolicZero)
        rhs_zero = isinstance(d_rhs, SymbolicZero)
        if matrix_zero and rhs_zero:
            d_solution = jnp.zeros_like(solution)
            d_logdet = jnp.zeros_like(logdet)
        else:
            moved = jnp.zeros_like(solution) if rhs_zero else d_rhs
            if matrix_zero:
                d_logdet = jnp.zeros_like(logdet)
            else:
                d_sym = 0.5 * (d_matrix + d_matrix.T)
                moved = moved - d_sym @ solution
                d_logdet = logdet_tangent(lower, ok, leading, d_sym)
            d_solution = jnp.where(ok, jsl.cho_solve((safe_lower, True), moved), 0.0)
        return (solution, logdet, ok), (d_solution, d_logdet, zero_bool(ok))

    return factor_logdet, solve_logdet


def _jax_cholesky_solve_logdet(matrix, rhs, leading):
    """The JAX route of :func:`cholesky_solve_logdet`, with custom derivatives.

    Forward: one Cholesky factor (``jnp.linalg.cholesky``, which reads the symmetrised
    matrix). Derivatives (a JVP rule, linear in the tangents, which reverse mode transposes;
    jit and vmap compose with it): with ``dA`` symmetrised, ``d log det = tr(B^-1 dA_kk)``
    for the leading ``k x k`` block B (the inverse from the factor's leading block, by LAPACK
    ``potri`` on the CPU), ``dx = A^-1 (db - dA x)`` by two triangular solves. Where ``ok``
    is false the solution is zero (not NaN) and the derivatives are zero, so that a caller's
    ``where(ok, value, -inf)`` gets no NaN in its gradient (its value is -inf).
    """
    factor_logdet, solve_logdet = _jax_rules()
    if rhs is None:
        logdet, ok = factor_logdet(matrix, leading)
        return None, logdet, ok
    return solve_logdet(matrix, rhs, leading)


#: the constant regularization's ridge: H = 1e-8 I + c**2 G (upstream's value)
REGULARIZATION_RIDGE = 1e-8
#: the complex step along the ridge of :func:`_host_regularization_slope`, in units of it
_COMPLEX_STEP = 1e-20


def _regularization_entries(coefficient, neighbors, neighbors_sizes):
    """``(diagonal, rows, cols, c**2)``: H's diagonal and the (row, column) of each -c**2 entry.

    ``H[i, i] = 1e-8 + c**2 n_i`` and ``H[i, j] -= c**2`` per entry j of row i of ``neighbors``
    (before its first -1; a repeated entry counts twice, a self-entry lands on the diagonal).
    """
    neighbors = np.asarray(neighbors)
    sizes = np.asarray(neighbors_sizes)
    c2 = float(coefficient) ** 2
    used = np.arange(neighbors.shape[1])[None, :] < sizes[:, None]
    rows, slots = np.nonzero(used)
    cols = neighbors[rows, slots]
    return REGULARIZATION_RIDGE + c2 * sizes.astype(np.float64), rows, cols, c2


def plus_constant_regularization(xp, curvature, coefficient, neighbors, neighbors_sizes):
    """``curvature + H`` for the constant regularization H, from H's sparse entries.

    The values are those of ``curvature + constant_regularization_matrix_from(...)``. For
    NumPy the sum is formed in a copy of ``curvature`` with O(S P) updates (no dense H); JAX
    uses scatter-adds (traceable); other namespaces build H densely.
    """
    if _is_numpy(xp):
        out = np.array(curvature, dtype=np.float64, copy=True)
        add_constant_regularization(out, coefficient, neighbors, neighbors_sizes)
        return out
    if _is_jax(xp):
        return jax_plus_constant_regularization(curvature, coefficient, neighbors, neighbors_sizes)
    return curvature + _dense_regularization(xp, coefficient, neighbors, neighbors_sizes)


def jax_plus_constant_regularization(curvature, coefficient, neighbors, neighbors_sizes, offset=0):
    """``curvature`` with H added to its square block at ``(offset, offset)``, JAX: the
    updates of :func:`add_constant_regularization` as two scatter-adds (under ``jax.jit``
    in place in ``curvature``'s buffer: no dense H, no copy of the block; at S = 3,000, two
    blocks: 44 ms for the sliced dense sums it replaces)."""
    import jax.numpy as jnp

    c2 = coefficient**2
    used, rows, cols = _jax_neighbor_entries(neighbors, neighbors_sizes, offset)
    index = rows[:, 0]
    diagonal = REGULARIZATION_RIDGE + c2 * neighbors_sizes.astype(jnp.float64)
    curvature = curvature.at[index, index].add(diagonal)
    return curvature.at[rows, cols].add(jnp.where(used, -c2, 0.0))


def add_constant_regularization(out, coefficient, neighbors, neighbors_sizes, offset=0):
    """Add H to the square block of the NumPy array ``out`` that starts at ``(offset,
    offset)``, in place, from H's sparse entries (O(S P) updates, no dense H)."""
    diagonal, rows, cols, c2 = _regularization_entries(coefficient, neighbors, neighbors_sizes)
    index = np.arange(offset, offset + diagonal.shape[0])
    out[index, index] += diagonal
    np.add.at(out, (rows + offset, cols + offset), -c2)


def _jax_neighbor_entries(neighbors, neighbors_sizes, offset=0):
    """``(used, rows, cols)``, JAX, each (S, P): whether slot b of row i is an entry (before
    the row's size), the row ``offset + i`` and the column ``offset + neighbors[i, b]`` (0 +
    ``offset`` where unused, so that a scatter stays in bounds)."""
    import jax.numpy as jnp

    s, p = neighbors.shape
    used = jnp.arange(p)[None, :] < neighbors_sizes[:, None]
    rows = jnp.broadcast_to(offset + jnp.arange(s)[:, None], (s, p))
    return used, rows, offset + jnp.where(used, neighbors, 0)


def _dense_regularization(xp, coefficient, neighbors, neighbors_sizes):
    """H densely in namespace ``xp`` (the array-API route; JAX adds H by scatters)."""
    s, p = neighbors.shape
    c2 = coefficient**2
    used = xp.arange(p)[None, :] < neighbors_sizes[:, None]
    hit = (neighbors[:, :, None] == xp.arange(s)[None, None, :]) & used[:, :, None]
    adjacency = xp.sum(xp.astype(hit, xp.float64), axis=1)
    diagonal = REGULARIZATION_RIDGE + c2 * xp.astype(neighbors_sizes, xp.float64)
    return xp.eye(s, dtype=xp.float64) * diagonal[None, :] - c2 * adjacency


def constant_regularization_logdet(xp, coefficient, neighbors, neighbors_sizes):
    """``(None, log det H, ok)`` of the constant regularization H, as :func:`cholesky_solve_logdet`.

    H is 1e-8 I plus a graph Laplacian: each connected component has an eigenvalue near 1e-8,
    and a plain Cholesky gets that pivot by cancellation (O(1) numbers to O(1e-8)), losing
    eight digits of it: about 1e-8 absolute in the log-determinant. Both routes here keep
    every pivot a sum of terms of one sign. For NumPy, and for JAX on the CPU (in a host
    callback, with its derivative: :func:`_host_regularization_slope`): a sparse
    factorisation, O(S P), see :func:`_symmetric_sparse_logdet`. For JAX elsewhere and other
    namespaces: the dense Cholesky ``H = L L^T`` and, with the row sums ``rho = H 1`` formed
    without rounding and ``w = L^-1 rho``, each pivot as ``d_k = L_kk (w_k - sum_{j>k}
    L_jk)`` (exact algebra: the Schur complement's row sum less its off-diagonal entries),
    traceable under ``jax.jit``.
    """
    if not _is_numpy(xp):
        return _dense_regularization_logdet(xp, coefficient, neighbors, neighbors_sizes)
    diagonal, rows, cols, c2 = _regularization_entries(coefficient, neighbors, neighbors_sizes)
    size = diagonal.shape[0]
    if size == 0:
        return None, 0.0, True
    return None, *_symmetric_sparse_logdet(diagonal, rows, cols, c2, size)


def _exact_row_sums(xp, diagonal, degree, c2):
    """``diagonal - degree * c2`` without rounding the product (Dekker's split of c2 in two
    26-bit halves: ``degree * half`` is exact for integer degree < 2**26)."""
    split = c2 * 134217729.0  # 2**27 + 1
    c2_hi = split - (split - c2)
    c2_lo = c2 - c2_hi
    return (diagonal - degree * c2_hi) - degree * c2_lo


def _jax_mirrored_adjacency(neighbors, neighbors_sizes):
    """``(A', d)``: the (S, S) count of entries j < i in row i of ``neighbors`` (before its
    first -1) mirrored above the diagonal (zero diagonal), and the count of self-entries
    per row, JAX. Both by scatters of the S P entries, free of the coefficient (under
    ``jax.vmap`` over walkers with one graph they are formed once, not per walker)."""
    import jax.numpy as jnp

    s = neighbors.shape[0]
    used, rows, cols = _jax_neighbor_entries(neighbors, neighbors_sizes)
    below = jnp.where(used & (cols < rows), 1.0, 0.0)
    mirrored = jnp.zeros((s, s)).at[rows, cols].add(below).at[cols, rows].add(below)
    return mirrored, jnp.sum(jnp.where(used & (cols == rows), 1.0, 0.0), axis=1)


def _regularization_pivots_parts(xp, coefficient, neighbors, neighbors_sizes):
    """``(full, rho)``: H's lower triangle mirrored, and its row sums formed without rounding."""
    if _is_jax(xp):
        import jax.numpy as jnp

        # the values of the route below, entry for entry (H's off-diagonal entries are
        # -(c**2 * count)), without a transposed copy of an S x S array per coefficient
        c2 = coefficient**2
        mirrored, self_entries = _jax_mirrored_adjacency(neighbors, neighbors_sizes)
        off = -(c2 * mirrored)
        diagonal = (
            REGULARIZATION_RIDGE + c2 * neighbors_sizes.astype(jnp.float64)
        ) - c2 * self_entries
        degree = jnp.round(-jnp.sum(off, axis=1) / jnp.where(c2 == 0, 1.0, c2))
        rho = _exact_row_sums(xp, diagonal, degree, c2)
        full = off + jnp.eye(off.shape[0], dtype=off.dtype) * diagonal[None, :]
        return full, rho
    h = _dense_regularization(xp, coefficient, neighbors, neighbors_sizes)
    s = h.shape[0]
    c2 = coefficient**2
    # the symmetric matrix Cholesky reads: H's strict lower triangle mirrored
    lower = xp.tril(h, k=-1)
    off = lower + xp.matrix_transpose(lower)
    diagonal = xp.linalg.diagonal(h)
    if _is_jax(xp):
        import jax.numpy as jnp

        degree = jnp.round(-jnp.sum(off, axis=1) / jnp.where(c2 == 0, 1.0, c2))
    else:
        degree = xp.round(-xp.sum(off, axis=1) / (c2 if float(c2) != 0 else 1.0))
    rho = _exact_row_sums(xp, diagonal, degree, c2)
    full = off + xp.eye(s, dtype=h.dtype) * diagonal[None, :]
    return full, rho


def _dense_regularization_logdet(xp, coefficient, neighbors, neighbors_sizes):
    """The dense route of :func:`constant_regularization_logdet` (JAX, array-API)."""
    s = neighbors.shape[0]
    if s == 0:
        return None, 0.0, True
    if _is_jax(xp):
        logdet, ok = _jax_rules_regularization()(coefficient, neighbors, neighbors_sizes)
        return None, logdet, ok
    full, rho = _regularization_pivots_parts(xp, coefficient, neighbors, neighbors_sizes)
    try:
        factor = xp.linalg.cholesky(full)
    except Exception:  # a namespace that raises on failure
        return None, math.nan, False
    diag_l = xp.linalg.diagonal(factor)
    if not bool(xp.all(xp.isfinite(diag_l))):
        return None, math.nan, False
    w = xp.linalg.solve(factor, rho[:, None])[:, 0]
    pivots = diag_l * (w - (xp.sum(factor, axis=0) - diag_l))
    if not bool(xp.all(pivots > 0)):
        return None, math.nan, False
    return None, xp.sum(xp.log(pivots)), True


def _jax_regularization_factor(coefficient, neighbors, neighbors_sizes, summary=False):
    """``(factor, log det H, ok)`` of the JAX route (pivots without cancellation); with
    ``summary`` no factor (None) is formed outside the host callback of a CPU batch."""
    import jax.numpy as jnp

    full, rho = _regularization_pivots_parts(jnp, coefficient, neighbors, neighbors_sizes)
    if summary:
        diag_l, w, column_sums = _factor_solve("lower", True)(full, rho)
        factor = None
    else:
        factor, w = _factor_solve("lower", False)(full, rho)
        diag_l, column_sums = jnp.diagonal(factor), jnp.sum(factor, axis=0)
    below = column_sums - diag_l
    pivots = diag_l * (w - below)
    logdet = jnp.sum(jnp.log(pivots))
    ok = jnp.all(jnp.isfinite(diag_l)) & jnp.all(pivots > 0) & jnp.isfinite(logdet)
    return factor, logdet, ok


@functools.cache
def _jax_rules_regularization():
    """``(log det H, ok)`` of the constant regularization as a function of the coefficient c,
    with a custom derivative: H = 1e-8 I + c**2 G (G the graph Laplacian, as Cholesky reads
    it), so ``d log det H / dc = 2 c tr(H^-1 G)``. On the CPU the value and the slope come
    from sparse factorisations on the host (:func:`_host_regularization_slope`); elsewhere
    the value from the dense route and the slope from the dense factor's inverse, formed
    only when the coefficient is differentiated. ``G`` annihilates each component's constant
    vector, the direction of H's 1e-8 eigenvalue, so the 1e8-sized part of H^-1 drops out of
    the trace.
    """
    import jax
    import jax.numpy as jnp
    from jax.custom_derivatives import SymbolicZero

    def dense_value(coefficient, neighbors, neighbors_sizes):
        _, logdet, ok = _jax_regularization_factor(
            coefficient, neighbors, neighbors_sizes, summary=True
        )
        return logdet, ok

    def sparse_value_on_host(coefficient, neighbors, neighbors_sizes):
        return _jax_host_scalars(
            _host_regularization_logdet,
            (jnp.float64, jnp.bool_),
            coefficient,
            neighbors,
            neighbors_sizes,
        )

    def value(coefficient, neighbors, neighbors_sizes):
        # the CPU: NumPy's sparse factorisation on the host (3 ms at S = 1,500 against 34 ms
        # for the dense route under jax.jit, measured); elsewhere the dense route
        return jax.lax.platform_dependent(
            coefficient,
            neighbors,
            neighbors_sizes,
            cpu=sparse_value_on_host,
            default=dense_value,
        )

    @jax.custom_jvp
    def regularization_logdet(coefficient, neighbors, neighbors_sizes):
        return value(coefficient, neighbors, neighbors_sizes)

    @functools.partial(regularization_logdet.defjvp, symbolic_zeros=True)
    def _(primals, tangents):
        coefficient, neighbors, neighbors_sizes = primals
        d_coefficient = tangents[0]
        if isinstance(d_coefficient, SymbolicZero):
            logdet, ok = value(coefficient, neighbors, neighbors_sizes)
            zero_ok = np.zeros(np.shape(ok), dtype=jax.dtypes.float0)
            return (logdet, ok), (jnp.zeros_like(logdet), zero_ok)
        # the CPU: the value and the slope from sparse factorisations on the host (at S =
        # 1,500: 10 ms against 61 ms for the dense factor and its inverse); elsewhere the
        # dense factor for H^-1
        logdet, ok, slope = jax.lax.platform_dependent(
            coefficient,
            neighbors,
            neighbors_sizes,
            cpu=_jax_host_regularization_slope,
            default=_jax_dense_regularization_slope,
        )
        zero_ok = np.zeros(np.shape(ok), dtype=jax.dtypes.float0)
        return (logdet, ok), (slope * d_coefficient, zero_ok)

    return regularization_logdet


def _jax_dense_regularization_slope(coefficient, neighbors, neighbors_sizes):
    """``(log det H, ok, d log det H / dc)``, JAX, from the dense factor (any platform):
    ``2 c tr(H^-1 G)`` with H^-1 from the factor (LAPACK ``potri`` on the CPU)."""
    import jax.numpy as jnp

    factor, logdet, ok = _jax_regularization_factor(coefficient, neighbors, neighbors_sizes)
    weights = _jax_spd_inverse_weights(factor)
    # tr(H^-1 G) for G = diag(sizes) - adjacency as its lower triangle defines it: with W's
    # lower-triangle form, sum_i sizes_i W_ii less W at each listed entry (i, j <= i)
    used, rows, cols = _jax_neighbor_entries(neighbors, neighbors_sizes)
    listed = jnp.where(used & (cols <= rows), weights[rows, cols], 0.0)
    trace = jnp.sum(neighbors_sizes * jnp.diagonal(weights)) - jnp.sum(listed)
    return logdet, ok, jnp.where(ok, 2.0 * coefficient * trace, 0.0)


def _jax_host_regularization_slope(coefficient, neighbors, neighbors_sizes):
    """:func:`_jax_dense_regularization_slope` by :func:`_host_regularization_slope` (sparse
    factorisations) in a host callback, for the CPU."""
    import jax.numpy as jnp

    return _jax_host_scalars(
        _host_regularization_slope,
        (jnp.float64, jnp.bool_, jnp.float64),
        coefficient,
        neighbors,
        neighbors_sizes,
    )


def _jax_host_scalars(host, dtypes, coefficient, neighbors, neighbors_sizes):
    """``host(coefficient, neighbors, neighbors_sizes)`` in one host callback, JAX: one value
    of the coefficient's shape per dtype of ``dtypes``."""
    import jax
    import jax.numpy as jnp

    from ._runtime import host_array_call

    shapes = tuple(jax.ShapeDtypeStruct(jnp.shape(coefficient), d) for d in dtypes)
    return host_array_call(host, shapes, coefficient, neighbors, neighbors_sizes)


def _neighbors_out_of_range(neighbors, sizes) -> bool:
    """Whether an entry of ``neighbors`` before its row's size lies outside [0, S) (the host
    callbacks return NaN for it: under ``jax.jit`` nothing may raise there)."""
    used = np.arange(neighbors.shape[1])[None, :] < sizes[:, None]
    return bool(np.any(used & ((neighbors < 0) | (neighbors >= neighbors.shape[0]))))


def _host_regularization_logdet(coefficient, neighbors, neighbors_sizes):
    """``(log det H, ok)`` by the NumPy (sparse) route, for a host callback: ``(NaN, False)``
    for a neighbour index outside [0, S) before its row's size (under ``jax.jit`` the
    argument checks poison such a call instead of raising; it must not raise here)."""
    neighbors, sizes = np.asarray(neighbors), np.asarray(neighbors_sizes)
    if _neighbors_out_of_range(neighbors, sizes):
        return np.asarray(np.nan), np.asarray(False)
    _, logdet, ok = constant_regularization_logdet(
        np, np.asarray(coefficient)[()], neighbors, sizes
    )
    return np.asarray(logdet, dtype=np.float64), np.asarray(ok, dtype=np.bool_)


def _host_regularization_slope(coefficient, neighbors, neighbors_sizes):
    """``(log det H, ok, d log det H / dc)`` by sparse factorisations, for a host callback.

    H as stored is exactly ``diag(e) + c**2 G`` (G as its lower triangle defines it, with
    diagonal ``sizes - self-entries``; e the ridge each row keeps after rounding, about 1e-8,
    found without rounding as the stored diagonal less ``c**2 G_ii``). log det H is
    homogeneous in (e, c**2): scaling both by t adds n log t, so
    ``sum_i e_i d/de_i + c**2 d/d(c**2)`` of it is n and
    ``d log det H / dc = 2 (n - sum_i e_i (H^-1)_ii) / c`` (= 2 c tr(H^-1 G), the dense
    route's derivative). The sum, the derivative along e, comes from the same sparse route
    run once more on the complex diagonal ``diag(H) + i h e`` (a complex step: ``Im log det
    / h``, without the cancellation of a difference quotient; h = 1e-20). It is about the
    number of connected components (the ridge's eigenvalue in each), far below n, so the
    difference keeps its digits. The rounded ridge matters: with a uniform 1e-8 in place of
    e the slope was off by 2e-8 relative on a 40-pixel graph. At c = 0 the slope is 0.
    """
    neighbors, sizes = np.asarray(neighbors), np.asarray(neighbors_sizes)
    if _neighbors_out_of_range(neighbors, sizes):
        return np.asarray(np.nan), np.asarray(False), np.asarray(np.nan)
    coefficient = float(np.asarray(coefficient)[()])
    diagonal, rows, cols, c2 = _regularization_entries(coefficient, neighbors, sizes)
    size = diagonal.shape[0]
    if size == 0:
        return np.asarray(0.0), np.asarray(True), np.asarray(0.0)
    logdet, ok = _symmetric_sparse_logdet(diagonal, rows, cols, c2, size)
    slope = 0.0
    if ok and coefficient != 0.0:
        # the stored diagonal as _symmetric_sparse_logdet forms it, and each row's ridge
        self_entries = np.bincount(rows[rows == cols], minlength=size)
        stored = diagonal - c2 * self_entries
        ridge = _exact_row_sums(np, stored, (sizes - self_entries).astype(np.float64), c2)
        stepped, stepped_ok = _symmetric_sparse_logdet(
            diagonal + 1j * _COMPLEX_STEP * ridge, rows, cols, c2, size
        )
        along_ridge = complex(stepped).imag / _COMPLEX_STEP if stepped_ok else math.nan
        slope = 2.0 * (size - along_ridge) / coefficient
    return (
        np.asarray(logdet, dtype=np.float64),
        np.asarray(ok, dtype=np.bool_),
        np.asarray(slope if ok else 0.0, dtype=np.float64),
    )


def _symmetric_sparse_logdet(diagonal, rows, cols, c2, size):
    """``(log det, ok)`` of the symmetric ``M = diag(diagonal) - c2 A`` that H's lower triangle
    defines (A: the adjacency listed by ``rows``, ``cols``, mirrored from below the diagonal).

    M is 1e-8 I plus a graph Laplacian: each connected component has one eigenvalue near
    1e-8, and an elimination that ends on it subtracts O(1) numbers to get O(1e-8), losing
    eight digits of that pivot. So each component's last vertex r (its root) is factored
    apart: ``det M = det M' prod_r p_r``, M' being M without the roots (a grounded Laplacian,
    well conditioned), and with rho = M 1 (the row sums, formed exactly from the counts) and
    y = M'^-1 rho', the root's pivot ``p_r = rho_r - M[r, :] y`` is a sum of non-negative
    terms for a Laplacian (no cancellation). M' is factored by SuperLU under a symmetric
    fill-reducing ordering with diagonal pivots only, i.e. its LDL^T: M is positive definite
    exactly when every pivot of M' and every p_r is positive.

    ``diagonal`` may be complex (a complex step along the ridge, see
    :func:`_host_regularization_slope`): then the log det is complex, and the signs are
    read from the real parts.
    """
    import scipy.sparse
    import scipy.sparse.csgraph
    import scipy.sparse.linalg

    if not np.all(np.isfinite(diagonal)) or not math.isfinite(c2):
        return math.nan, False
    self_loops = np.bincount(rows[rows == cols], minlength=size).astype(np.float64)
    lower = rows > cols
    r, c = rows[lower], cols[lower]
    degree = np.bincount(r, minlength=size) + np.bincount(c, minlength=size)
    diag = diagonal - c2 * self_loops
    # the row sums of M as stored, diag_i - degree_i c2, without rounding the product: c2 is
    # split in two halves of 26 bits, so degree * half is exact (degree < 2**26), and the
    # first difference is exact (Sterbenz) where it cancels
    split = c2 * 134217729.0  # 2**27 + 1 (Dekker)
    c2_hi = split - (split - c2)
    c2_lo = c2 - c2_hi
    degree = degree.astype(np.float64)
    rho = (diag - degree * c2_hi) - degree * c2_lo
    pattern = scipy.sparse.coo_matrix((np.ones(r.shape[0]), (r, c)), shape=(size, size)).tocsr()
    n_comp, label = scipy.sparse.csgraph.connected_components(pattern, directed=False)
    root = np.zeros(size, dtype=bool)
    last = np.full(n_comp, -1)
    last[label] = np.arange(size)  # the last vertex of each component
    root[last] = True
    keep = np.flatnonzero(~root)
    new = np.full(size, -1)
    new[keep] = np.arange(keep.shape[0])
    # M' (the non-roots) and the root rows M[r, non-roots]
    both = ~root[r] & ~root[c]
    rr, cc = new[r[both]], new[c[both]]
    values = np.full(rr.shape[0], -c2)
    logdet = 0.0
    y = np.zeros(size, dtype=rho.dtype)
    if keep.shape[0]:
        n = keep.shape[0]
        matrix = scipy.sparse.csc_matrix(
            (
                np.concatenate([diag[keep], values, values]),
                (np.concatenate([np.arange(n), rr, cc]), np.concatenate([np.arange(n), cc, rr])),
            ),
            shape=(n, n),
        )
        try:
            factor = scipy.sparse.linalg.splu(
                matrix,
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        except RuntimeError:  # an exactly singular M'
            return math.nan, False
        if not np.array_equal(factor.perm_r, factor.perm_c):  # an off-diagonal pivot was taken
            return math.nan, False
        pivots = factor.U.diagonal()
        if not np.all(pivots.real > 0):
            return math.nan, False
        logdet = np.sum(np.log(pivots)).item()
        y[keep] = factor.solve(rho[keep])
    # p_r = rho_r - sum_j M[r, j] y_j = rho_r + c2 sum_{j ~ r} y_j (roots are never adjacent)
    root_pivot = rho.copy()
    edges_r = root[r] & ~root[c]
    edges_c = root[c] & ~root[r]
    np.add.at(root_pivot, r[edges_r], c2 * y[c[edges_r]])
    np.add.at(root_pivot, c[edges_c], c2 * y[r[edges_c]])
    root_pivot = root_pivot[root]
    if not np.all(root_pivot.real > 0):
        return math.nan, False
    logdet += np.sum(np.log(root_pivot)).item()
    return logdet, bool(np.isfinite(logdet))


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
