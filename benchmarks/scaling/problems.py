"""The inputs of every kernel at one size of a series."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from autojax import backends
from autojax.datasets import DataGenerated, Dataset


class Problem:
    """The inputs of every kernel at one problem size, looked up by argument name.

    Raw inputs (grid, visibilities, mapping, neighbours) come from
    :class:`~autojax.datasets.DataGenerated`; the derived arrays (compact and dense W-tilde,
    preload, mapping matrix) are computed with the fast ``numba``/``original`` kernels rather
    than the dataset's NumPy reference, which is far too slow at M ~ 10,000.
    """

    #: dataset attributes computed with the slow reference: never delegated to
    _REFERENCE_ONLY = frozenset(
        {
            "w_tilde_via_compact",
            "data_vector",
            "curvature_matrix",
            "regularization_matrix",
            "curvature_reg_matrix",
            "matrix",
        }
    )

    def __init__(self, N: int, K: int, S: int, B: int, P: int):
        self.dataset = DataGenerated(N=N, K=K, S=S, B=B, P=P)

    def __getattr__(self, name: str):
        if name == "dataset" or name in self._REFERENCE_ONLY:
            raise AttributeError(name)
        return getattr(self.dataset, name)

    @cached_property
    def w_compact(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.w_compact_curvature_interferometer_from(
            self.grid_size, self.noise_map_real, self.uv_wavelengths, self.pixel_scale
        )

    @cached_property
    def w_tilde(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.w_tilde_via_compact_from(self.w_compact, self.native_index_for_slim_index)

    @cached_property
    def w_tilde_preload(self) -> np.ndarray:
        original = backends.load("original")
        return original.w_tilde_curvature_preload_interferometer_from(
            self.noise_map_real,
            self.uv_wavelengths,
            self.shape_masked_pixels_2d,
            self.grid_radians_2d,
        )

    @property
    def curvature_preload(self) -> np.ndarray:
        return self.w_tilde_preload

    @cached_property
    def mapping_matrix(self) -> np.ndarray:
        numba = backends.load("numba")
        return numba.mapping_matrix_from(
            self.pix_indexes_for_sub_slim_index, self.pix_weights_for_sub_slim_index, self.pixels
        )

    args_for = Dataset.args_for  # arguments by parameter name, as for the datasets


@dataclass(frozen=True)
class Size:
    """One problem size of a series; ``x`` is the plotted size (K or M)."""

    N: int
    M: int
    K: int
    S: int
    B: int
    P: int
    x: int

    def problem(self) -> Problem:
        return Problem(N=self.N, K=self.K, S=self.S, B=self.B, P=self.P)


def image_pixels(N: int) -> int:
    """M, the unmasked pixels of DataGenerated's circular mask on the N x N grid."""
    return DataGenerated(N=N, K=1, S=1, B=1, P=1).M
