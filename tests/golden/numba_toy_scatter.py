# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/toy_scatter.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/toy_scatter.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated


xp = np


@nb.njit(cache=True, parallel=True, nogil=True)
def _toy_rows_from_impl(x, idx, w, pixels):
    M = x.shape[0]
    N = x.shape[1]
    B = idx.shape[1]
    S = pixels
    out = np.zeros((M, S), dtype=np.float64)
    for m in nb.prange(M):
        for n in range(N):
            for b in range(B):
                if not (idx[n, b] >= 0):
                    break
                out[m, idx[n, b]] += x[m, n] * w[n, b]
    return out


@validated(convert="numpy", x="f8[M,N]", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_rows_from(x, idx, w, pixels):
    """out[m, idx[n, b]] += x[m, n] w[n, b]: the outer loop is a window axis.

    Method: ``direct`` (family ``toy_rows_from``).

    Parameters
    ----------
    x
        float64 array of shape (M, N)
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (M, S)
    """

    return _toy_rows_from_impl(x, idx, w, pixels)


@nb.njit(cache=True, parallel=False, nogil=True)
def _toy_columns_from_impl(x, idx, w, pixels):
    M = x.shape[0]
    N = x.shape[1]
    B = idx.shape[1]
    S = pixels
    out = np.zeros((S, M), dtype=np.float64)
    for n in range(N):
        for m in range(M):
            for b in range(B):
                if not (idx[n, b] >= 0):
                    break
                out[idx[n, b], m] -= x[m, n] * w[n, b]
    return out


@validated(convert="numpy", x="f8[M,N]", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_columns_from(x, idx, w, pixels):
    """out[idx[n, b], m] -= x[m, n] w[n, b]: an inner loop is a window axis.

    Method: ``direct`` (family ``toy_columns_from``).

    Parameters
    ----------
    x
        float64 array of shape (M, N)
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, M)
    """

    return _toy_columns_from_impl(x, idx, w, pixels)


@nb.njit(cache=True, parallel=False, nogil=True)
def _toy_pairs_from_impl(idx, w, pixels):
    N = idx.shape[0]
    B = idx.shape[1]
    S = pixels
    out = np.zeros((S, S), dtype=np.float64)
    for n in range(N):
        for b in range(B):
            if not (idx[n, b] >= 0):
                break
            for c in range(B):
                if not (idx[n, c] >= 0):
                    break
                out[idx[n, b], idx[n, c]] += w[n, b] * w[n, c]
    return out


@validated(convert="numpy", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_pairs_from(idx, w, pixels):
    """out[idx[n, b], idx[n, c]] += w[n, b] w[n, c]: both axes gathered.

    Method: ``direct`` (family ``toy_pairs_from``).

    Parameters
    ----------
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _toy_pairs_from_impl(idx, w, pixels)
