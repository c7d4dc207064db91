"""Correctness first: what each workload's result must agree with, and the exact sums.

- W1: relative error <= ``W1_RTOL`` on entries above ``W1_FLOOR`` of the peak, absolute
  error <= ``W1_RTOL * W1_FLOOR`` of the peak on the others (the same bound, continued
  below the threshold), over the full form or spot entries (:func:`compact_entries_direct`).
- W1's dirty-image rows (the second NUFFT of the precompute): |error| <= ``W1_RTOL`` of the
  largest |value| over ``SPOT_PIXELS`` pixels summed directly (the tests' contract for it).
- W2: |error| <= ``W2_RTOL`` (|F| + max|F|), over F or spot columns
  (:func:`curvature_columns`).
- W3: relative ``W3_RTOL`` on the total and on the part that depends on F
  (:func:`likelihood_from_curvature`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from autojax import reference as ref

from ..harness import WrongAnswer, as_numpy
from .lattice import compact_lookup
from .problem import Problem

W1_RTOL = 1e-9  # element-wise, on entries above W1_FLOOR of the peak
W1_FLOOR = 1e-6
W2_RTOL = 1e-8
W3_RTOL = 1e-8


@dataclass
class CompactExpected:
    N: int
    index: np.ndarray  # flat indices of the spot entries
    values: np.ndarray  # their direct sums
    peak: float  # C[0, N-1] = sum of the weights, the largest entry
    full: np.ndarray | None = None


@dataclass
class DirtyExpected:
    M: int
    index: np.ndarray  # the spot pixels
    values: np.ndarray  # their direct sums
    peak: float  # the largest |value| among them


@dataclass
class LikelihoodExpected:
    value: float  # the evidence
    data_terms: float  # its terms that do not depend on F: -(chi² of the data + norm.) / 2
    curvature: np.ndarray | None = None  # the verified F it came from


@dataclass
class CurvatureExpected:
    S: int
    columns: np.ndarray
    values: np.ndarray  # (S, len(columns))
    full: np.ndarray | None = None


def check_compact(result, expected: CompactExpected, what: str) -> float:
    """Raise :class:`WrongAnswer` unless ``result`` meets the W1 rule; return the error.

    The error is the largest relative error on entries above ``W1_FLOOR`` of the peak.
    """
    a = as_numpy(result)
    n = expected.N
    if a.shape != (n, 2 * n - 1):
        raise WrongAnswer(f"{what}: shape {a.shape}, expected {(n, 2 * n - 1)}")
    if not np.all(np.isfinite(a)):
        raise WrongAnswer(f"{what}: non-finite values")
    if expected.full is not None:
        got, want = a.ravel(), expected.full.ravel()
    else:
        got, want = a.ravel()[expected.index], expected.values
    peak = expected.peak
    big = np.abs(want) > W1_FLOOR * peak
    diff = np.abs(got - want)
    rel = float(np.max(diff[big] / np.abs(want[big]))) if big.any() else 0.0
    small = float(np.max(diff[~big])) / peak if (~big).any() else 0.0
    where = "all entries" if expected.full is not None else f"{len(want)} spot entries"
    if not rel <= W1_RTOL or not small <= W1_RTOL * W1_FLOOR:
        worst = int(np.argmax(np.where(big, diff / np.maximum(np.abs(want), 1e-300), 0)))
        raise WrongAnswer(
            f"{what}: max relative error {rel:.3g} on entries above {W1_FLOOR:g} of the peak "
            f"(allowed {W1_RTOL:g}), max error {small:.3g} of the peak on the others (allowed "
            f"{W1_RTOL * W1_FLOOR:g}), over {where}; worst entry got {got[worst]!r}, "
            f"expected {want[worst]!r}"
        )
    return rel


def check_dirty(result, expected: DirtyExpected, what: str) -> float:
    """Raise unless the dirty image is within ``W1_RTOL`` of the spot peak at the spot
    pixels; return max error / peak."""
    a = as_numpy(result)
    if a.shape != (expected.M,):
        raise WrongAnswer(f"{what}: shape {a.shape}, expected {(expected.M,)}")
    got = a[expected.index]
    if not np.all(np.isfinite(got)):
        raise WrongAnswer(f"{what}: non-finite values")
    error = float(np.max(np.abs(got - expected.values))) / expected.peak
    if not error <= W1_RTOL:
        raise WrongAnswer(
            f"{what}: max error {error:.3g} of the peak over {len(got)} spot pixels "
            f"(allowed {W1_RTOL:g})"
        )
    return error


def dirty_pixels_direct(problem: Problem, index: np.ndarray) -> np.ndarray:
    """The dirty image at pixels ``index`` by a direct float64 sum over K, in blocks."""
    c = problem.data.real / problem.noise_map.real**2
    s = -problem.data.imag / problem.noise_map.imag**2
    uv = problem.uv_wavelengths
    g = problem.grid_radians_slim[index]
    out = np.zeros(len(index))
    block = max(1, 2**22 // max(len(index), 1))
    for start in range(0, len(c), block):
        sl = slice(start, start + block)
        phase = 2 * np.pi * (np.outer(g[:, 1], uv[sl, 0]) + np.outer(g[:, 0], uv[sl, 1]))
        out += np.cos(phase) @ c[sl] + np.sin(phase) @ s[sl]
    return out


def check_curvature(result, expected: CurvatureExpected, what: str) -> float:
    """Raise unless |F - F_ref| <= W2_RTOL (|F_ref| + max|F_ref|); return max error / max|F|."""
    a = as_numpy(result)
    s = expected.S
    if a.shape != (s, s):
        raise WrongAnswer(f"{what}: shape {a.shape}, expected {(s, s)}")
    if expected.full is not None:
        got, want = a, expected.full
    else:
        got, want = a[:, expected.columns], expected.values
    if not np.all(np.isfinite(got)):
        raise WrongAnswer(f"{what}: non-finite values")
    scale = float(np.max(np.abs(want)))
    diff = np.abs(got - want)
    error = float(np.max(diff)) / scale
    if not np.all(diff <= W2_RTOL * (np.abs(want) + scale)):
        where = "F" if expected.full is not None else f"{len(expected.columns)} spot columns of F"
        raise WrongAnswer(
            f"{what}: max error {error:.3g} of max|F| over {where} (allowed {W2_RTOL:g} "
            "relative, plus the same of max|F|)"
        )
    return error


def check_likelihood(result, expected: LikelihoodExpected, what: str) -> float:
    """Raise unless the evidence agrees to ``W3_RTOL``, in total and in the part that
    depends on F; return the relative error of that part.

    At K ~ 1e6 the total is dominated by the data's chi-squared and the noise
    normalisation (terms of size K that do not involve F), so a relative tolerance on the
    total alone would let F be wrong by 1e-6; the part that depends on F,
    ``-(-s.D + logdet(F+H) - logdet(H))/2``, is compared on its own.
    """
    value = float(as_numpy(result))
    if not math.isfinite(value):
        raise WrongAnswer(f"{what}: {value!r}, reference {expected.value!r}")
    total = abs(value - expected.value) / abs(expected.value)
    part = expected.value - expected.data_terms
    error = abs((value - expected.data_terms) - part) / abs(part)
    if not (total <= W3_RTOL and error <= W3_RTOL):
        raise WrongAnswer(
            f"{what}: {value!r} vs reference {expected.value!r}: relative error {total:.3g} in "
            f"total, {error:.3g} in the part that depends on F ({part:.6g}) (allowed "
            f"{W3_RTOL:g})"
        )
    return error


def compact_entries_direct(problem: Problem, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """C[m, n] by a direct float64 sum over K (O(len(m) K)), in blocks."""
    N = problem.grid_size
    d = 2 * np.pi * problem.pixel_scale * np.pi / 648000
    w = problem.noise_map_real**-2.0
    u = problem.uv_wavelengths[:, 0]
    v = problem.uv_wavelengths[:, 1]
    du = d * (n - (N - 1)).astype(np.float64)
    dv = d * m.astype(np.float64)
    out = np.zeros(len(m))
    block = max(1, 2**22 // max(len(m), 1))
    for start in range(0, len(w), block):
        sl = slice(start, start + block)
        out += np.cos(np.outer(du, u[sl]) - np.outer(dv, v[sl])) @ w[sl]
    return out


def curvature_columns(problem: Problem, w_compact: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Columns of F = T^T W T, exactly: W t_s over the column's non-zero pixels, then T^T."""
    idx = problem.pix_indexes_for_sub_slim_index
    wts = problem.pix_weights_for_sub_slim_index
    valid = np.cumprod(idx >= 0, axis=1).astype(bool)
    rows = problem.native_index_for_slim_index[:, 0]
    cols = problem.native_index_for_slim_index[:, 1]
    out = np.empty((problem.S, len(columns)))
    for j, s in enumerate(columns):
        where = np.nonzero(valid & (idx == s))
        w_t = np.zeros(problem.M)  # (W t_s)[a] = sum_b W[a, b] t_s[b]
        for b, weight in zip(where[0], wts[where]):
            w_t += weight * compact_lookup(w_compact, rows - rows[b], cols - cols[b])
        contrib = np.where(valid, wts * w_t[:, None], 0.0)
        out[:, j] = np.bincount(idx[valid], weights=contrib[valid], minlength=problem.S)
    return out


def likelihood_from_curvature(
    problem: Problem, curvature: np.ndarray, weight_scale: float = 1.0
) -> LikelihoodExpected:
    """The evidence in NumPy float64, with Cholesky log-determinants.

    ``weight_scale``: the mapping's weights are the problem's times this (``curvature`` is
    then F times its square; the data vector scales by it)."""
    import scipy.linalg

    p = problem
    idx = p.pix_indexes_for_sub_slim_index
    valid = np.cumprod(idx >= 0, axis=1).astype(bool)
    d_contrib = p.pix_weights_for_sub_slim_index * p.dirty_image[:, None]
    data_vector = weight_scale * np.bincount(idx[valid], weights=d_contrib[valid], minlength=p.S)
    h = ref.constant_regularization_matrix_from(p.coefficient, p.neighbors, p.neighbors_sizes)
    factor = scipy.linalg.cho_factor(curvature + h, lower=True)
    s = scipy.linalg.cho_solve(factor, data_vector)
    logdet_fh = 2.0 * np.sum(np.log(np.diag(factor[0])))
    logdet_h = 2.0 * np.sum(np.log(np.diag(scipy.linalg.cholesky(h, lower=True))))
    chi_data = np.sum(p.data.real**2 / p.noise_map.real**2 + p.data.imag**2 / p.noise_map.imag**2)
    norm = ref.noise_normalization_complex_from(p.noise_map)
    return LikelihoodExpected(
        value=float(-0.5 * (chi_data - s @ data_vector + logdet_fh - logdet_h + norm)),
        data_terms=float(-0.5 * (chi_data + norm)),
    )
