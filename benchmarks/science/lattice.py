"""The compact form's lattice: W-tilde by pixel offset, and the upstream preload's layout."""

from __future__ import annotations

import numpy as np


def compact_lookup(w_compact: np.ndarray, dr, dc):
    """W-tilde for row offset ``dr = row_a - row_b`` and column offset ``dc``.

    The compact form holds ``dr >= 0`` only: ``W(dr, dc) = W(-dr, -dc)`` gives the rest.
    """
    n = w_compact.shape[0]
    dr = np.asarray(dr)
    dc = np.asarray(dc)
    return w_compact[np.abs(dr), np.where(dr >= 0, dc, -dc) + n - 1]


def preload_from_compact(w_compact: np.ndarray) -> np.ndarray:
    """The upstream (2N, 2N) preload holding the same values: ``P[-dr, -dc] = W(dr, dc)``."""
    n = w_compact.shape[0]
    preload = np.zeros((2 * n, 2 * n))
    m = np.arange(n)[:, None]
    c = np.arange(-(n - 1), n)[None, :]
    preload[(-m) % (2 * n), (-c) % (2 * n)] = w_compact  # dr = m >= 0, dc = c
    preload[m, c % (2 * n)] = w_compact  # dr = -m, dc = -c
    return preload


def compact_from_preload(preload: np.ndarray, n: int) -> np.ndarray:
    """The (N, 2N-1) compact form read back from a preload of an N x N box."""
    ny, nx = preload.shape
    m = np.arange(n)[:, None]
    c = np.arange(-(n - 1), n)[None, :]
    return preload[(-m) % ny, (-c) % nx]
