"""The Numba conv lowering of ``F = T^T W T``: its paths, either side of each threshold.

``curvature_matrix_via_w_compact_conv_from`` takes the small-box path (a group of columns
at a time, each pair a dot product over a column of T) when the mask's bounding box has at
most ``CONV_GROUP_BOX`` lattice positions, and the row path above it; either runs on one
thread (its serial twin) when M^2 B is at most ``CONV_SERIAL_WORK``. Each case here is
built so it lies on stated sides of both thresholds (asserted, so a changed threshold
cannot silently move a case), with a prime M, rows of T ending early with junk after the
-1, and S much larger or much smaller than M (empty columns, a partial last group); every
result is checked against the float64 reference (dense W from the compact form).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

from autojax import numba as nb_backend
from autojax import reference as ref
from codegen.kinds.lattice import CONV_GROUP_BOX, CONV_PERMUTE_PIECE, CONV_SERIAL_WORK

#: name -> (N, box rows, box columns, M, S, B, small-box path?, parallel?)
CASES = {
    # 23 x 31 box, M = 401 (prime) of its 713 positions, S = 997 >> M: many empty columns
    "small box, S>>M": (40, 23, 31, 401, 997, 3, True, False),
    # the whole 25 x 25 lattice, M = 613 (prime), S = 7 < one group of columns (S = 997, 7,
    # 101 and 53 all leave a partial last group)
    "small box, S<<M": (25, 25, 25, 613, 7, 4, True, False),
    # a box of exactly CONV_GROUP_BOX positions (the small path's largest), M = 257
    "at the threshold": (170, 160, 160, 257, 101, 3, True, False),
    # one position past the threshold on a side: the row path, M = 331, S = 60
    "past the threshold": (170, 161, 160, 331, 60, 3, False, False),
    # a 169 x 170 box on a lattice of N = 170, M = 211 (prime), S = 503 >> M
    "large box, S>>M": (170, 169, 170, 211, 503, 4, False, False),
    # enough work for the parallel loops: M = 1201 (prime) in a 37 x 41 box, S = 53
    "small box, parallel": (45, 37, 41, 1201, 53, 3, True, True),
    # the same with S = 389 (prime): the rank's cycles are longer than CONV_PERMUTE_PIECE,
    # so the permutation into the columns' order runs in pieces (asserted below)
    "small box, parallel, long cycles": (45, 37, 41, 1201, 389, 3, True, True),
    # the row path in parallel: M = 1009 (prime) in a 170 x 170 box, S = 300
    "large box, parallel": (170, 170, 170, 1009, 300, 3, False, True),
}


def _case(name):
    n, h, w, m, s, b, _, _ = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    # a compact form of a symmetric W: row 0 (dr = 0) even in dc
    compact = rng.normal(size=(n, 2 * n - 1))
    compact[0] = 0.5 * (compact[0] + compact[0, ::-1])
    # M distinct positions in an h x w box at an offset, in row-major (slim) order; the
    # box's four edges are used, so its size is exactly h x w
    corners = np.array([0, w - 1, (h - 1) * w, h * w - 1])
    rest = rng.choice(np.setdiff1d(np.arange(h * w), corners), size=m - 4, replace=False)
    flat = np.sort(np.concatenate([corners, rest]))
    native = np.stack([flat // w + (n - h) // 2, flat % w + (n - w) // 3], axis=1)
    # T: rows of B entries ending early at random (-1), junk indexes and weights after it
    indexes = rng.integers(0, s, size=(m, b))
    weights = rng.uniform(-1.0, 1.0, size=(m, b))
    keep = rng.integers(1, b + 1, size=m)
    cut = np.arange(b)[None, :] == keep[:, None]
    indexes[cut] = -1
    return compact, native.astype(np.int64), indexes, weights, s


@pytest.mark.parametrize("name", list(CASES))
def test_conv_matches_reference_on_every_side_of_the_thresholds(name):
    n, h, w, m, s, b, small, parallel = CASES[name]
    assert (h * w <= CONV_GROUP_BOX) == small, f"{name}: the box moved across the threshold"
    assert (m * m * b > CONV_SERIAL_WORK) == parallel, f"{name}: moved across the serial bound"
    args = _case(name)
    native = args[1]
    assert np.ptp(native[:, 0]) + 1 == h and np.ptp(native[:, 1]) + 1 == w
    want = ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(*args)
    for func, label in (
        (nb_backend.curvature_matrix_via_w_compact_conv_from, "conv"),
        (nb_backend.curvature_matrix_via_w_compact_sparse_mapping_matrix_from, "auto"),
    ):
        got = func(*args)
        assert_close(got, want, err_msg=f"numba {label} on {name}")
        # the mirror copies: F is exactly symmetric
        np.testing.assert_array_equal(got, got.T, err_msg=f"numba {label} on {name}")


def _rank_cycles(native, indexes, s):
    """The lengths of the cycles of s -> rank[s], rank ordering T's columns by their first
    entry in row-major order of the box (ties by column), as the small-box path does."""
    position = (native[:, 0] - native[:, 0].min()) * (np.ptp(native[:, 1]) + 1) + (
        native[:, 1] - native[:, 1].min()
    )
    first = np.full(s, np.iinfo(np.int64).max)
    for a, row in enumerate(indexes):
        for p in row:
            if p < 0:
                break
            first[p] = min(first[p], position[a])
    rank = np.empty(s, dtype=np.int64)
    rank[np.lexsort((np.arange(s), first))] = np.arange(s)
    seen = np.zeros(s, dtype=bool)
    lengths = []
    for start in range(s):
        length, x = 0, start
        while not seen[x]:
            seen[x], x, length = True, rank[x], length + 1
        if length:
            lengths.append(length)
    return lengths


def test_the_long_cycles_case_has_a_cycle_cut_into_pieces():
    _, native, indexes, _, s = _case("small box, parallel, long cycles")
    assert max(_rank_cycles(native, indexes, s)) > CONV_PERMUTE_PIECE


@pytest.mark.parametrize("parallel", [False, True])
def test_columns_already_in_rank_order(parallel):
    """Every column of T its own pixel's (S = M, one entry per row): the rank is the
    identity, every cycle of the permutation a fixed point."""
    name = "small box, parallel" if parallel else "small box, S<<M"
    compact, native, _, _, _ = _case(name)
    m = native.shape[0]
    indexes = np.full((m, 3), -1, dtype=np.int64)
    indexes[:, 0] = np.arange(m)
    weights = np.zeros((m, 3))
    weights[:, 0] = np.linspace(0.5, 1.5, m)
    args = (compact, native, indexes, weights, m)
    assert set(_rank_cycles(native, indexes, m)) == {1}
    want = ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(*args)
    got = nb_backend.curvature_matrix_via_w_compact_conv_from(*args)
    assert_close(got, want, err_msg=f"numba conv, identity rank ({name})")
    np.testing.assert_array_equal(got, got.T)
