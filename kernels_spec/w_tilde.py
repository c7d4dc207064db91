"""W-tilde, the noise-weighted Fourier kernel between image pixels, and its compact form.

All three reductions sum over the K visibilities; their memory never grows with K.
"""

from codegen.model import Contraction, IndexMap

# the phase of image pixel i for visibility k (x is column 1 of the grid, y column 0)
PHASE_I = "2 * pi * (grid_radians_slim[i, 1] * uv_wavelengths[k, 0] + grid_radians_slim[i, 0] * uv_wavelengths[k, 1])"

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
    Contraction(
        name="w_tilde_curvature_interferometer_from",
        doc="""Dense W-tilde: ``W[i,j] = sum_k noise_k**-2 cos(2 pi ((x_i-x_j) u_k + (y_i-y_j) v_k))``.

Symmetric, (M, M). With ``phi_i = 2 pi (x_i u_k + y_i v_k)``, ``cos(phi_i - phi_j) =
cos phi_i cos phi_j + sin phi_i sin phi_j``: per chunk of visibilities, the (M, chunk)
tables of cosines and sines are built once and multiplied, so the cost is 2 M K cosines
and sines plus a matrix product, not M**2 K cosines.""",
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
        weight="noise_map_real[k] ** -2",
        terms=[(f"cos({PHASE_I})", None), (f"sin({PHASE_I})", None)],
        symmetric=True,
    ),
    Contraction(
        name="w_compact_curvature_interferometer_from",
        doc="""The compact form of W-tilde: one value per lattice offset, (N, 2N-1).

``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
``d = 2 pi pixel_scale pi/648000``. Only non-negative row offsets are stored
(cos is even), and no grid is needed, only the pixel scale. Evaluated as
``cos(a - b) = cos a cos b + sin a sin b`` with ``a = d (n-(N-1)) u_k`` and ``b = d m v_k``:
(N + 2N-1) K cosines and sines and a matrix product per chunk of visibilities.""",
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
        weight="noise_map_real[k] ** -2",
        terms=[
            ("cos(d * m * uv_wavelengths[k, 1])", "cos(d * (n - (N - 1)) * uv_wavelengths[k, 0])"),
            ("sin(d * m * uv_wavelengths[k, 1])", "sin(d * (n - (N - 1)) * uv_wavelengths[k, 0])"),
        ],
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
