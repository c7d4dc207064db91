"""W-tilde, the noise-weighted Fourier kernel between image pixels, and its compact form.

All the reductions sum over the K visibilities; their memory never grows with K. The
compact form has two methods behind one name: ``exact`` (the sum, by a matrix product per
chunk of K) and ``nufft`` (a type-1 non-uniform FFT, to a tolerance ``eps``).
"""

from codegen.kinds import Dispatch, Nufft
from codegen.model import Contraction, IndexMap

COMPACT_ARGS = {
    "grid_size": "int -> N",
    "noise_map_real": "f8[K] finite !=0",
    "uv_wavelengths": "f8[K,2] finite",
    "pixel_scale": "float finite >0",
}
# d: the phase step of one pixel for one wavelength of baseline
PIXEL_PHASE = {"d": "2 * pi * pixel_scale * pi / 648000"}

# the phase of image pixel i for visibility k (x is column 1 of the grid, y column 0)
PHASE_I = "2 * pi * (grid_radians_slim[i, 1] * uv_wavelengths[k, 0] + grid_radians_slim[i, 0] * uv_wavelengths[k, 1])"

KERNELS = [
    IndexMap(
        name="w_tilde_data_interferometer_from",
        doc="""``out[i] = sum_k (noise_k**2 / vis_k)**2 cos(2 pi (x_i u_k + y_i v_k))``.

The weight ``(noise**2 / vis)**2`` is the upstream one, kept on purpose.""",
        args={
            "visibilities_real": "f8[K] finite",
            "noise_map_real": "f8[K] finite !=0",
            "uv_wavelengths": "f8[K,2] finite",
            "grid_radians_slim": "f8[M,2] finite",
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
            "noise_map_real": "f8[K] finite !=0",
            "uv_wavelengths": "f8[K,2] finite",
            "grid_radians_slim": "f8[M,2] finite",
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
        name="w_compact_curvature_interferometer_exact_from",
        doc="""The compact form of W-tilde by the exact sum: one value per lattice offset, (N, 2N-1).

``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
``d = 2 pi pixel_scale pi/648000``. Only non-negative row offsets are stored
(cos is even), and no grid is needed, only the pixel scale. Evaluated as
``cos(a - b) = cos a cos b + sin a sin b`` with ``a = d (n-(N-1)) u_k`` and ``b = d m v_k``:
(N + 2N-1) K cosines and sines and a matrix product per chunk of visibilities.""",
        args=COMPACT_ARGS,
        returns="f8[N,W=2*N-1] finite",
        family="w_compact",
        method="exact",
        lets=PIXEL_PHASE,
        index={"m": "N", "n": "2 * N - 1"},
        reduce=("k", "K"),
        weight="noise_map_real[k] ** -2",
        terms=[
            ("cos(d * m * uv_wavelengths[k, 1])", "cos(d * (n - (N - 1)) * uv_wavelengths[k, 0])"),
            ("sin(d * m * uv_wavelengths[k, 1])", "sin(d * (n - (N - 1)) * uv_wavelengths[k, 0])"),
        ],
    ),
    Nufft(
        name="w_compact_curvature_interferometer_nufft_from",
        doc="""The compact form of W-tilde by a type-1 NUFFT, to the relative tolerance ``eps``.

``C[m, n] = Re sum_k noise_k**-2 exp(i ((n-(N-1)) d u_k + m (-d v_k)))``: the weights
``noise_k**-2`` at the points ``(d u_k, -d v_k)`` (folded into [-pi, pi)) onto the integer
modes ``n - (N-1)`` and ``m``. O(K + N**2 log N) instead of O(K N**2). The default
``eps`` keeps every entry above 1e-6 of the peak within 1e-9 relative of the exact sum
(measured: at 1e-12, FINUFFT gives up to 3e-9; at 1e-13 nufftax up to 2e-9).
Needs the optional 'nufft' extra (FINUFFT; jax-finufft or nufftax for JAX).""",
        args={**COMPACT_ARGS, "eps": "float finite >0"},
        defaults={"eps": "1e-14"},
        returns="f8[N,W=2*N-1] finite",
        family="w_compact",
        method="nufft",
        lets=PIXEL_PHASE,
        index={"m": "N", "n": "2 * N - 1"},
        reduce=("k", "K"),
        weight="noise_map_real[k] ** -2",
        points={"m": "-d * uv_wavelengths[k, 1]", "n": "d * uv_wavelengths[k, 0]"},
        modes={"m": "m", "n": "n - (N - 1)"},
        part="real",
        eps="eps",
    ),
    Dispatch(
        name="w_compact_curvature_interferometer_from",
        doc="""The compact form of W-tilde, (N, 2N-1), by ``method``.

``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
``d = 2 pi pixel_scale pi/648000``. Methods: ``exact`` (the sum, O(K N**2)) and ``nufft``
(a type-1 NUFFT to the tolerance ``eps``, O(K + N**2 log N); the optional 'nufft'
extra). ``auto`` takes ``nufft`` above the measured crossover when its libraries are
installed (and, for array-API, the inputs are NumPy or JAX arrays), else ``exact``.""",
        args={**COMPACT_ARGS, "method": "str", "eps": "float finite >0"},
        defaults={"method": "'auto'", "eps": "1e-14"},
        returns="f8[N,W=2*N-1] finite",
        family="w_tilde",
        method="compact",
        methods={
            "exact": "w_compact_curvature_interferometer_exact_from",
            "nufft": "w_compact_curvature_interferometer_nufft_from",
        },
        # measured crossover (2 cores; Numba and JAX alike): the NUFFT's fixed cost, an FFT
        # on a (4N)^2 grid, pays off above K ~ 3N visibilities and K N ~ 2e4
        auto="'nufft' if have_nufft and K > 3 * N and K * N > 20000 else 'exact'",
    ),
    IndexMap(
        name="w_tilde_via_compact_from",
        doc="""Expand the compact form to the dense (M, M) W-tilde.

For pixels a, b with ``dr = row_a - row_b``, ``dc = col_a - col_b``:
``W[a,b] = C[|dr|, (dc if dr >= 0 else -dc) + N - 1]``.""",
        args={
            "w_compact": "f8[N,W=2*N-1] finite",
            "native_index_for_slim_index": "i8[M,2] in [0,N)",
        },
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
