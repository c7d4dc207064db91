"""W-tilde, the noise-weighted Fourier kernel between image pixels, and its compact form.

All three reductions sum over the K visibilities; their memory never grows with K.
"""

from codegen.model import IndexMap

KERNELS = [
    IndexMap(
        name="w_tilde_data_interferometer_from",
        doc="""``out[i] = sum_k (noise_k**2 / vis_k)**2 cos(2 pi (x_i u_k + y_i v_k))``.

The weight ``(noise**2 / vis)**2`` is the upstream one, kept on purpose.""",
        args={
            "visibilities_real": "f8[K]",
            "noise_map_real": "f8[K]",
            "uv_wavelengths": "f8[K,2]",
            "grid_radians_slim": "f8[M,2]",
        },
        returns="f8[M]",
        family="w_tilde_data",
        index={"i": "M"},
        reduce=("k", "K"),
        expr="(noise_map_real[k] ** 2 / visibilities_real[k]) ** 2"
        " * cos(2 * pi * (grid_radians_slim[i, 1] * uv_wavelengths[k, 0]"
        " + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]))",
    ),
    IndexMap(
        name="w_tilde_curvature_interferometer_from",
        doc="""Dense W-tilde: ``W[i,j] = sum_k noise_k**-2 cos(2 pi ((x_i-x_j) u_k + (y_i-y_j) v_k))``.

Symmetric, (M, M): loops compute the upper triangle and mirror it.""",
        args={
            "noise_map_real": "f8[K]",
            "uv_wavelengths": "f8[K,2]",
            "grid_radians_slim": "f8[M,2]",
        },
        returns="f8[M,M]",
        family="w_tilde",
        method="direct",
        index={"i": "M", "j": "M"},
        reduce=("k", "K"),
        symmetric=True,
        expr="noise_map_real[k] ** -2 * cos(2 * pi * ("
        "(grid_radians_slim[i, 1] - grid_radians_slim[j, 1]) * uv_wavelengths[k, 0]"
        " + (grid_radians_slim[i, 0] - grid_radians_slim[j, 0]) * uv_wavelengths[k, 1]))",
    ),
    IndexMap(
        name="w_compact_curvature_interferometer_from",
        doc="""The compact form of W-tilde: one value per lattice offset, (N, 2N-1).

``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
``d = 2 pi pixel_scale pi/648000``. Only non-negative row offsets are stored
(cos is even), and no grid is needed, only the pixel scale.""",
        args={
            "grid_size": "int -> N",
            "noise_map_real": "f8[K]",
            "uv_wavelengths": "f8[K,2]",
            "pixel_scale": "float",
        },
        returns="f8[N,W]",
        family="w_tilde",
        method="compact",
        lets={"d": "2 * pi * pixel_scale * pi / 648000"},
        index={"m": "N", "n": "2 * N - 1"},
        reduce=("k", "K"),
        expr="noise_map_real[k] ** -2 * cos(d * (n - (N - 1)) * uv_wavelengths[k, 0] - d * m * uv_wavelengths[k, 1])",
    ),
    IndexMap(
        name="w_tilde_via_compact_from",
        doc="""Expand the compact form to the dense (M, M) W-tilde.

For pixels a, b with ``dr = row_a - row_b``, ``dc = col_a - col_b``:
``W[a,b] = C[|dr|, (dc if dr >= 0 else -dc) + N - 1]``.""",
        args={"w_compact": "f8[N,W]", "native_index_for_slim_index": "i8[M,2] in [0,N)"},
        returns="f8[M,M]",
        family="w_tilde",
        method="compact_expand",
        index={"a": "M", "b": "M"},
        expr="w_compact[abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),"
        " where(native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0],"
        " native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1],"
        " native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1]) + N - 1]",
    ),
]
