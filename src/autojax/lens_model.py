"""Whole lens models in one evidence: several pixelized sources and linear functions.

A lens model's linear part is ``A = [T_1 | ... | T_n | B]``: each :class:`Pixelization`
brings a sparse mapping ``T_i`` (its own source pixels ``S_i``, neighbours and constant
regularization coefficient), and ``functions`` an (M, L) array ``B`` of linear functions
(linear light profiles, a multi-Gaussian basis) evaluated at the unmasked pixel centres,
un-weighted (W-tilde holds the noise). One step solves for every amplitude at once.

The blocks of ``F = A^T W A`` come from the generated kernels:

- the pixelizations' blocks (``T_i^T W T_j`` for every i, j) from ONE call of the curvature
  kernel on the concatenated mapping ``[T_1 | ... | T_n]`` (the second mapping's indexes
  offset by ``S_1``, and so on): one pass over the columns of all mappings, the symmetric
  result formed once, so two pixelizations cost twice one;
- ``W B`` once (``w_compact_matmul_function_columns_from``, batched FFTs), then
  ``T^T (W B)`` by the sparse transpose product and ``B^T (W B)``;
- ``D = A^T d`` from the dirty image.

The evidence follows upstream PyAutoArray (2026.10.26.1), so the two agree:

- ``NO_REGULARIZATION_DIAGONAL`` (1e-3) is added to F's diagonal at every function column,
  in F itself (it reaches the solve and the chi-squared);
- H is block-diagonal: each pixelization its own constant regularization, zero on the
  function columns;
- ``s = (F + H)^-1 D`` over the whole system;
- both log-determinants, of F + H and of H, are over the pixelizations' block alone (the
  leading block: pixelizations come first), not the whole matrix and not a Schur complement;
- ``log evidence = -0.5 (chi2_data - s.D + log det (F + H)_pix - log det H + noise_norm)``,
  ``-inf`` when F + H or H is not positive definite.

With two or more pixelizations F is exactly singular (every mapping row sums to one, so +1
on one source and -1 on another is in its null space); F + H is then as well conditioned
as H's 1e-8 ridge allows, and the reconstruction along that direction is set by the ridge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import _linalg
from .observation import Mask

__all__ = ["NO_REGULARIZATION_DIAGONAL", "LensModel", "ModelFit", "Pixelization"]

#: added to F's diagonal at every linear-function column (upstream's
#: ``no_regularization_add_to_curvature_diag_value``)
NO_REGULARIZATION_DIAGONAL = 1e-3

_FIELDS = (
    "pix_indexes_for_sub_slim_index",
    "pix_weights_for_sub_slim_index",
    "neighbors",
    "neighbors_sizes",
)


class Pixelization(NamedTuple):
    """One pixelized source: its mapping, its source-pixel graph and its coefficient.

    ``pix_indexes_for_sub_slim_index`` (M, B) and ``pix_weights_for_sub_slim_index`` (M, B):
    the sparse rows of its mapping matrix T (rows end early with -1); ``neighbors`` (S, P)
    and ``neighbors_sizes`` (S,): its source-pixel graph; ``coefficient``: its constant
    regularization coefficient. A JAX pytree (a NamedTuple), so it goes through ``jax.jit``,
    ``jax.vmap`` and ``jax.grad``.
    """

    pix_indexes_for_sub_slim_index: Any
    pix_weights_for_sub_slim_index: Any
    neighbors: Any
    neighbors_sizes: Any
    coefficient: Any = 1.0


class LensModel(NamedTuple):
    """The linear part of a lens model: pixelized sources first, then linear functions.

    ``pixelizations``: a sequence of :class:`Pixelization` (at least one). ``functions``:
    ``None`` or an (M, L) array, column l the l-th linear function (a linear light profile,
    one Gaussian of a multi-Gaussian basis) evaluated at the unmasked pixel centres in the
    mask's order, un-weighted. Unregularized: their amplitudes are free.
    """

    pixelizations: Sequence[Pixelization]
    functions: Any = None


@dataclass(frozen=True)
class ModelFit:
    """The inversion of one step of a lens model, as NumPy arrays.

    ``reconstructions``: one (S_i,) source per pixelization; ``amplitudes``: (L,) the linear
    functions' amplitudes (empty without functions); ``mapped_images``: one (M,) image
    ``T_i s_i`` per pixelization; ``function_images``: (M, L), column l function l times its
    amplitude; ``model_image`` (M,) their sum; ``residual_dirty_image`` (M,) the dirty image
    of the residual visibilities, ``dirty_image - W A s``; ``chi_squared``
    ``chi2_data - 2 s.D + s.F s`` (F with its 1e-3 diagonal at the function columns, as
    upstream); ``regularization_term`` ``s.H s``; ``log_evidence`` the step's value.
    """

    reconstructions: tuple[np.ndarray, ...]
    amplitudes: np.ndarray
    mapped_images: tuple[np.ndarray, ...]
    function_images: np.ndarray
    model_image: np.ndarray
    residual_dirty_image: np.ndarray
    chi_squared: float
    regularization_term: float
    log_evidence: float
    mask: Mask


# ------------------------------------------------------------------------ input forms
def is_model_call(args: tuple, kwargs: dict) -> bool:
    """True when a Likelihood call describes a lens model rather than one mapping.

    A :class:`LensModel`, a sequence of :class:`Pixelization`, or the one-mapping argument
    list with a sequence of (M, B) mappings in place of one (``functions=`` allowed).
    """
    if "functions" in kwargs:
        return True
    if len(args) == 1 and not kwargs:
        first = args[0]
        return isinstance(first, LensModel | Pixelization) or (
            isinstance(first, list | tuple)
            and len(first) > 0
            and all(isinstance(p, Pixelization) for p in first)
        )
    first = args[0] if args else kwargs.get("pix_indexes_for_sub_slim_index")
    return (
        isinstance(first, list | tuple)
        and len(first) > 0
        and all(np.ndim(item) == 2 for item in first)
    )


def as_model(where: str, args: tuple, kwargs: dict) -> LensModel:
    """The :class:`LensModel` of any call form :func:`is_model_call` accepts."""
    functions = kwargs.pop("functions", None)
    if len(args) == 1 and not kwargs:
        first = args[0]
        if isinstance(first, LensModel):
            if functions is not None:
                raise TypeError(
                    f"Likelihood.{where}: give 'functions' once, in the LensModel or as a "
                    "keyword, not both"
                )
            return LensModel(tuple(first.pixelizations), first.functions)
        if isinstance(first, Pixelization):
            return LensModel((first,), functions)
        if isinstance(first, list | tuple) and all(isinstance(p, Pixelization) for p in first):
            return LensModel(tuple(first), functions)
    names = (*_FIELDS, "coefficient")
    if len(args) > len(names):
        raise TypeError(
            f"Likelihood.{where}: at most {len(names)} positional arguments "
            f"({', '.join(names)}), got {len(args)}"
        )
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in names:
            raise TypeError(f"Likelihood.{where}: unexpected keyword argument {name!r}")
        if name in values:
            raise TypeError(f"Likelihood.{where}: {name!r} given twice")
        values[name] = value
    missing = [name for name in _FIELDS if name not in values]
    if missing:
        raise TypeError(f"Likelihood.{where}: missing {', '.join(map(repr, missing))}")
    count = len(values["pix_indexes_for_sub_slim_index"])
    coefficient = values.get("coefficient", 1.0)
    if isinstance(coefficient, list | tuple) or np.ndim(coefficient) == 1:
        values["coefficient"] = list(coefficient)
    else:  # one value for every pixelization
        values["coefficient"] = [coefficient] * count
    for name in names:
        value = values[name]
        if not isinstance(value, list | tuple) or len(value) != count:
            got = f"{len(value)} entries" if isinstance(value, list | tuple) else "one array"
            raise ValueError(
                f"Likelihood.{where}: 'pix_indexes_for_sub_slim_index' holds {count} "
                f"mappings, so '{name}' must be a list of {count} (one per pixelization), "
                f"got {got}"
            )
    pixelizations = tuple(Pixelization(*(values[name][i] for name in names)) for i in range(count))
    return LensModel(pixelizations, functions)


# ------------------------------------------------------------------------ the checks
def check_model(likelihood, where: str, model: LensModel) -> tuple[LensModel, list[int]]:
    """Check each component eagerly, naming it; return the model as arrays and each S_i.

    Each pixelization goes through the one-mapping checks (rows per unmasked pixel, a
    non-negative coefficient) with its index in the message; S_i is its ``neighbors``
    row count and must be positive; ``functions`` must be (M, L) and finite. Values that
    are traced (inside ``jax.jit``) are left to the kernels, which return NaN.
    """
    from .likelihood import _is_traced

    pixelizations = model.pixelizations
    if not isinstance(pixelizations, list | tuple) or not pixelizations:
        raise ValueError(
            f"Likelihood.{where}: a LensModel needs at least one Pixelization in "
            f"'pixelizations', got {pixelizations!r}"
        )
    checked, sizes = [], []
    for i, pixelization in enumerate(pixelizations):
        label = f"{where} (pixelizations[{i}])"
        if not isinstance(pixelization, Pixelization):
            raise TypeError(
                f"Likelihood.{label}: expected an autojax.Pixelization, got "
                f"{type(pixelization).__name__}"
            )
        arrays = likelihood._check_step(label, *pixelization)
        pixels = np.shape(arrays[2])[0] if np.ndim(arrays[2]) == 2 else None
        if pixels is None:
            raise ValueError(
                f"Likelihood.{label}: 'neighbors' must be an (S, P) array, got shape "
                f"{np.shape(arrays[2])}"
            )
        if pixels == 0:
            raise ValueError(
                f"Likelihood.{label}: 'neighbors' has S = 0 rows: a pixelization needs at "
                "least one source pixel"
            )
        indexes = arrays[0]
        if not _is_traced(indexes):
            top = int(np.max(np.asarray(indexes), initial=-1))
            if top >= pixels:
                raise ValueError(
                    f"Likelihood.{label}: 'pix_indexes_for_sub_slim_index' has index {top}, "
                    f"but this pixelization has S = {pixels} source pixels (the rows of its "
                    "'neighbors'); indexes must be in [-1, S)"
                )
        checked.append(Pixelization(*arrays, pixelization.coefficient))
        sizes.append(int(pixels))
    functions = model.functions
    if functions is not None:
        if isinstance(functions, list | tuple):
            functions = np.asarray(functions, dtype=np.float64)
        shape = np.shape(functions)
        mask = likelihood.observation.mask
        if len(shape) != 2 or shape[0] != mask.pixels:
            raise ValueError(
                f"Likelihood.{where}: 'functions' must be an (M, L) array with one row per "
                f"unmasked pixel (M = {mask.pixels}), got shape {shape}"
            )
        if shape[1] == 0:
            functions = None
        elif not _is_traced(functions):
            values = np.asarray(functions)
            if not np.issubdtype(values.dtype, np.floating):
                raise TypeError(
                    f"Likelihood.{where}: 'functions' must hold floats, got dtype {values.dtype}"
                )
            bad = np.argwhere(~np.isfinite(values))
            if bad.size:
                row, column = bad[0]
                raise ValueError(
                    f"Likelihood.{where}: 'functions' column {column} (linear function "
                    f"{column}) is not finite at row {row}: {values[row, column]}"
                )
    return LensModel(tuple(checked), functions), sizes


# ------------------------------------------------------------------------ the system
def _xp(likelihood):
    if likelihood.backend == "jax":
        import jax.numpy as jnp

        return jnp
    return np


def concatenated_mapping(xp, pixelizations, sizes):
    """The sparse rows of ``[T_1 | ... | T_n]``: indexes offset per mapping, -1s last.

    Entries after the first -1 of a row are ignored, as everywhere; the valid entries of
    every mapping come first in each row (a stable sort keeps their order), weights follow.
    """
    if len(pixelizations) == 1:
        p = pixelizations[0]
        return p.pix_indexes_for_sub_slim_index, p.pix_weights_for_sub_slim_index
    indexes, weights, offset = [], [], 0
    for p, size in zip(pixelizations, sizes):
        idx = xp.asarray(p.pix_indexes_for_sub_slim_index)
        valid = xp.cumprod((idx >= 0).astype(np.int64), axis=1) > 0
        indexes.append(xp.where(valid, idx + offset, -1))
        weights.append(xp.where(valid, xp.asarray(p.pix_weights_for_sub_slim_index), 0.0))
        offset += size
    indexes = xp.concatenate(indexes, axis=1)
    weights = xp.concatenate(weights, axis=1)
    invalid = xp.where(indexes >= 0, 0, 1)
    order = (
        np.argsort(invalid, axis=1, kind="stable")
        if xp is np
        else xp.argsort(invalid, axis=1, stable=True)
    )
    return (
        xp.take_along_axis(indexes, order, axis=1),
        xp.take_along_axis(weights, order, axis=1),
    )


def linear_system(likelihood, model: LensModel, sizes: list[int]) -> dict:
    """F (with the function columns' diagonal added), D and the pieces a fit reuses."""
    xp = _xp(likelihood)
    k = likelihood.kernels
    c = likelihood.precompute()._constants
    w_compact, native = c["w_compact"], c["native_index_for_slim_index"]
    dirty = c["dirty_image"]
    pixels = sum(sizes)
    indexes, weights = concatenated_mapping(xp, model.pixelizations, sizes)
    curvature = k.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
        w_compact, native, indexes, weights, pixels, method=likelihood.method
    )
    dirty_column = xp.reshape(dirty, (-1, 1))
    data_vector = k.sparse_mapping_matrix_transpose_matmul(dirty_column, indexes, weights, pixels)
    data_vector = data_vector[:, 0]
    system = {"indexes": indexes, "weights": weights, "pixels": pixels, "w_functions": None}
    functions = model.functions
    if functions is not None:
        functions = xp.asarray(functions, dtype=xp.float64)
        w_functions = k.w_compact_matmul_function_columns_from(w_compact, native, functions)
        cross = k.sparse_mapping_matrix_transpose_matmul(w_functions, indexes, weights, pixels)
        with _linalg.single_blas_thread():
            own = functions.T @ w_functions
        own = 0.5 * (own + own.T) + NO_REGULARIZATION_DIAGONAL * xp.eye(
            own.shape[0], dtype=xp.float64
        )
        data_vector = xp.concatenate([data_vector, k.data_vector_functions_from(dirty, functions)])
        system.update(w_functions=w_functions, functions=functions, cross=cross, own=own)
    system["curvature"] = curvature  # the pixelizations' block; curvature_matrix() the whole
    system["data_vector"] = data_vector
    return system


def curvature_matrix(xp, system: dict, pixel_block=None):
    """The whole F of a :func:`linear_system` (``pixel_block`` in place of its pixel block)."""
    block = system["curvature"] if pixel_block is None else pixel_block
    if system.get("cross") is None:
        return block
    cross, own = system["cross"], system["own"]
    return xp.concatenate(
        [xp.concatenate([block, cross], axis=1), xp.concatenate([cross.T, own], axis=1)],
        axis=0,
    )


def _solve_by_blocks(curvature_reg, cross, own, data_vector):
    """``(s, log det of the pixel block, ok)`` of ``[[A, C], [C^T, E]] s = D`` (NumPy).

    One Cholesky factor ``A = L L^T`` of the pixelizations' block (F + H there: its log
    det is the evidence's term), then the functions' Schur complement ``E - Z^T Z`` with
    ``Z = L^-1 C`` (L columns), so the (S + L)-square matrix is never assembled: the same
    solution and log det as one factor of the whole matrix, whose leading factor is L.
    """
    import scipy.linalg

    pixels = curvature_reg.shape[0]
    with _linalg._one_blas_thread(pixels):
        try:
            layout, lower = _linalg.lapack_layout(curvature_reg)
            # cho_factor leaves the other triangle as it was (cholesky zeroes it: 10 ms at
            # S = 3,000); the triangular solves read only the factor's own
            factor, _ = scipy.linalg.cho_factor(
                layout, lower=lower, overwrite_a=True, check_finite=False
            )
        except (np.linalg.LinAlgError, ValueError):
            return None, np.nan, False

        def solve(rhs, transposed):
            # L x = rhs, or L^T x = rhs when transposed (factor is L, or U = L^T)
            trans = "T" if transposed == lower else "N"
            return scipy.linalg.solve_triangular(
                factor, rhs, lower=lower, trans=trans, check_finite=False
            )

        diag = np.diagonal(factor)
        if not np.all(np.isfinite(diag)) or not np.all(diag > 0):
            return None, np.nan, False
        logdet = 2.0 * float(np.sum(np.log(diag)))
        z = solve(cross, False)
        y = solve(data_vector[:pixels], False)
        with _linalg.single_blas_thread():  # L columns: no threads to wake (and leave spinning)
            schur = own - z.T @ z
            try:
                schur_factor = scipy.linalg.cho_factor(schur, lower=True, check_finite=False)
            except (np.linalg.LinAlgError, ValueError):
                return None, np.nan, False
            amplitudes = scipy.linalg.cho_solve(
                schur_factor, data_vector[pixels:] - z.T @ y, check_finite=False
            )
            moved = y - z @ amplitudes
        sources = solve(moved, True)
    solution = np.concatenate([sources, amplitudes])
    return solution, logdet, bool(np.all(np.isfinite(solution)))


def plus_regularization(xp, curvature, pixelizations, sizes):
    """``F + H`` with H block-diagonal: each pixelization's constant regularization.

    NumPy: added in place, from H's sparse entries (``curvature`` is the step's own F, and
    the fit's chi-squared does not need it again); JAX: scatter-adds into the whole matrix.
    """
    offset = 0
    for p, size in zip(pixelizations, sizes):
        if xp is np:
            _linalg.add_constant_regularization(
                curvature, p.coefficient, p.neighbors, p.neighbors_sizes, offset
            )
        else:
            curvature = _linalg.jax_plus_constant_regularization(
                curvature, p.coefficient, p.neighbors, p.neighbors_sizes, offset
            )
        offset += size
    return curvature


def regularization_logdet(xp, pixelizations):
    """``(log det H, ok)`` of the block-diagonal H: the sum of each block's."""
    total, ok = 0.0, True
    for p in pixelizations:
        _, logdet, fine = _linalg.constant_regularization_logdet(
            xp, p.coefficient, p.neighbors, p.neighbors_sizes
        )
        total = total + logdet
        ok = _both(ok, fine)
    return total, ok


def _both(a, b):
    """``a and b`` for Python bools (eager NumPy), ``a & b`` for traced ones."""
    if isinstance(a, bool) and isinstance(b, bool):
        return a and b
    return a & b


def _poisoned(xp, model: LensModel, sizes):
    """What the eager checks refuse, as a traced flag: under ``jax.jit`` such a step is NaN
    (as for one mapping), never a silently wrong value or ``-inf``. A mapping index at or past
    its own S_i (it would land in the next pixelization), a non-finite weight or function
    value, a negative or non-finite coefficient."""
    bad = False
    for p, size in zip(model.pixelizations, sizes):
        bad = bad | xp.any(xp.asarray(p.pix_indexes_for_sub_slim_index) >= size)
        bad = bad | ~xp.all(xp.isfinite(xp.asarray(p.pix_weights_for_sub_slim_index)))
        coefficient = xp.asarray(p.coefficient)
        bad = bad | ~(xp.isfinite(coefficient) & (coefficient >= 0))
    if model.functions is not None:
        bad = bad | ~xp.all(xp.isfinite(xp.asarray(model.functions)))
    return bad


def solve(likelihood, model: LensModel, sizes: list[int]) -> tuple[dict, Any, Any]:
    """``(system, s, log evidence)`` of one step."""
    xp = _xp(likelihood)
    c = likelihood._constants
    system = linear_system(likelihood, model, sizes)
    curvature_reg = plus_regularization(xp, system["curvature"], model.pixelizations, sizes)
    data_vector = system["data_vector"]
    if xp is np and system.get("cross") is not None:
        solution, logdet_curvature_reg, ok_curvature_reg = _solve_by_blocks(
            curvature_reg, system["cross"], system["own"], data_vector
        )
    else:
        solution, logdet_curvature_reg, ok_curvature_reg = _linalg.cholesky_solve_logdet(
            xp,
            curvature_matrix(xp, system, curvature_reg),
            data_vector,
            overwrite=xp is np,
            leading=system["pixels"],
        )
    logdet_regularization, ok_regularization = regularization_logdet(xp, model.pixelizations)
    ok = _both(ok_curvature_reg, ok_regularization)
    if ok is False:
        return system, None, -np.inf
    value = -0.5 * (
        c["chi_squared_data"]
        - xp.sum(solution * data_vector)
        + logdet_curvature_reg
        - logdet_regularization
        + c["noise_normalization"]
    )
    value = _linalg.value_or_minus_inf(xp, ok, value)
    if xp is not np:
        value = xp.where(_poisoned(xp, model, sizes), xp.nan, value)
    return system, solution, value


def fit(likelihood, model: LensModel, sizes: list[int]) -> ModelFit:
    """The :class:`ModelFit` of one step (NumPy arrays)."""
    system, solution, value = solve(likelihood, model, sizes)
    if solution is None or not np.all(np.isfinite(np.asarray(solution))):
        raise _linalg.LinAlgError(
            f"Likelihood.fit: F + H of this lens model is not positive definite (log evidence "
            f"{float(value)}); no reconstruction"
        )
    k = likelihood.kernels
    c = likelihood._constants
    s = np.asarray(solution, dtype=np.float64)
    pixels = system["pixels"]
    s_pix, amplitudes = s[:pixels], s[pixels:]
    w_t = np.asarray(
        k._w_compact_matmul_sparse_mapping_matrix_from(
            c["w_compact"],
            c["native_index_for_slim_index"],
            system["indexes"],
            system["weights"],
            pixels,
        )
    )
    w_model = w_t @ s_pix
    images, sources, offset = [], [], 0
    for p, size in zip(model.pixelizations, sizes):
        source = s_pix[offset : offset + size]
        indexes = np.asarray(p.pix_indexes_for_sub_slim_index)
        weights = np.asarray(p.pix_weights_for_sub_slim_index)
        valid = np.cumprod(indexes >= 0, axis=1) > 0
        images.append(np.sum(np.where(valid, weights * source[np.maximum(indexes, 0)], 0.0), 1))
        sources.append(source)
        offset += size
    mask = likelihood.observation.mask
    if system["w_functions"] is not None:
        functions = np.asarray(system["functions"])
        function_images = functions * amplitudes[None, :]
        w_model = w_model + np.asarray(system["w_functions"]) @ amplitudes
    else:
        function_images = np.zeros((mask.pixels, 0))
    data_vector = np.asarray(system["data_vector"])
    regularization = 0.0
    offset = 0
    for p, size in zip(model.pixelizations, sizes):
        h = np.asarray(
            k.constant_regularization_matrix_from(p.coefficient, p.neighbors, p.neighbors_sizes)
        )
        block = s_pix[offset : offset + size]
        regularization += float(block @ h @ block)
        offset += size
    return ModelFit(
        reconstructions=tuple(sources),
        amplitudes=amplitudes,
        mapped_images=tuple(images),
        function_images=function_images,
        model_image=np.sum(images, axis=0) + np.sum(function_images, axis=1),
        residual_dirty_image=np.asarray(c["dirty_image"]) - w_model,
        # s.(F + H) s = s.D, so chi2_data - 2 s.D + s.F s = chi2_data - s.D - s.H s
        chi_squared=float(c["chi_squared_data"] - s @ data_vector - regularization),
        regularization_term=regularization,
        log_evidence=float(value),
        mask=mask,
    )
