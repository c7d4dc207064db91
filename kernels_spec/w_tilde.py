"""W-tilde, the noise-weighted Fourier kernel between image pixels, and its compact form.

All the reductions sum over the K visibilities; their memory never grows with K. The
compact form has two methods behind one name: ``exact`` (the sum, by a matrix product per
chunk of K) and ``nufft`` (a type-1 non-uniform FFT, to a tolerance ``eps``). So has the
noise-weighted dirty image (``exact``: the sum, a matrix-vector product per chunk of K;
``nufft``: a type-3 non-uniform FFT). The preload expansion reproduces the upstream one.
"""

from codegen.kinds import Contraction, Dispatch, IndexMap, Nufft

COMPACT_ARGS = {
    "grid_size": "int -> N >0",
    "noise_map_real": "f8[K] finite !=0",
    "uv_wavelengths": "f8[K,2] finite",
    "pixel_scale": "float finite >0",
}
#: the native (row, col) of each image pixel lies in the (Ry // 2, Rx // 2) box of the preload
PRELOAD_NATIVE = "i8[M,2] in [0,Ry//2)x[0,Rx//2)"
# d: the phase step of one pixel for one wavelength of baseline
PIXEL_PHASE = {"d": "2 * pi * pixel_scale * pi / 648000"}

DIRTY_ARGS = {
    "visibilities": "c16[K] finite",
    # the dirty image weighs the real and imaginary parts by their own noise: Re != Im is fine
    "noise_map": "c16[K] finite !=0",
    "uv_wavelengths": "f8[K,2] finite",
    "grid_radians_slim": "f8[M,2] finite",
}

# the phase of image pixel i for visibility k (x is column 1 of the grid, y column 0)
PHASE_I = "2 * pi * (grid_radians_slim[i, 1] * uv_wavelengths[k, 0] + grid_radians_slim[i, 0] * uv_wavelengths[k, 1])"

#: the NUFFT methods of the compact form and the dirty image, by the library that runs them:
#: ``nufft`` (library "auto": the fastest installed that reaches eps), then one per library
NUFFT_LIBRARIES = ("auto", "ducc0", "finufft")
NUFFT_METHOD = {"auto": "nufft", "ducc0": "nufft_ducc0", "finufft": "nufft_finufft"}
NUFFT_BY = {
    "auto": """By ducc0 when it is installed and ``eps >= 1e-14`` (measured 1.2-2x faster than
FINUFFT at the same accuracy; below ducc0's smallest tolerance, 7.2e-15 for type 1 and
1.44e-14 for type 3, it runs at that one), else by FINUFFT; JAX: ducc0 through
a host callback on the CPU (jax-finufft without ducc0), nufftax elsewhere.""",
    "ducc0": """By ducc0 (``ducc0.nufft``; JAX: through a host callback, with no derivative
rule). ``eps`` must be at least ducc0's smallest tolerance (7.2e-15 for type
1, 1.44e-14 for type 3): a ValueError naming ``eps`` otherwise.""",
    "finufft": """By FINUFFT (JAX: jax-finufft on the CPU, nufftax elsewhere).""",
}


def _nufft_name(stem: str, library: str) -> str:
    return f"{stem}_{NUFFT_METHOD[library]}_from"


def _compact_nufft(library: str) -> Nufft:
    """The compact form by a type-1 NUFFT on ``library`` (method ``NUFFT_METHOD[library]``)."""
    return Nufft(
        name=_nufft_name("w_compact_curvature_interferometer", library),
        doc=f"""The compact form of W-tilde by a type-1 NUFFT, to the relative tolerance ``eps``.

``C[m, n] = Re sum_k noise_k**-2 exp(i ((n-(N-1)) d u_k + m (-d v_k)))``: the weights
``noise_k**-2`` at the points ``(d u_k, -d v_k)`` (folded into [-pi, pi)) onto the integer
modes ``n - (N-1)`` and ``m``. O(K + N**2 log N) instead of O(K N**2). The default
``eps`` keeps every entry above 1e-6 of the peak within 1e-9 relative of the exact sum
(measured: at 1e-12, FINUFFT gives up to 3e-9; at 1e-13 nufftax up to 2e-9).
{NUFFT_BY[library]} Needs the optional 'nufft' extra.""",
        args={**COMPACT_ARGS, "eps": "float finite >0"},
        defaults={"eps": "1e-14"},
        returns="f8[N,W=2*N-1] finite",
        family="w_compact",
        method=NUFFT_METHOD[library],
        lets=PIXEL_PHASE,
        index={"m": "N", "n": "2 * N - 1"},
        reduce=("k", "K"),
        weight="1.0 / noise_map_real[k] ** 2",  # NumPy squares fast; its pow(x, -2) is slow
        points={"m": "-d * uv_wavelengths[k, 1]", "n": "d * uv_wavelengths[k, 0]"},
        modes={"m": "m", "n": "n - (N - 1)"},
        part="real",
        eps="eps",
        library=library,
    )


def _dirty_nufft(library: str) -> Nufft:
    """The dirty image by a type-3 NUFFT on ``library`` (method ``NUFFT_METHOD[library]``)."""
    return Nufft(
        name=_nufft_name("dirty_image", library),
        doc=f"""The noise-weighted dirty image by a type-3 NUFFT, to the relative tolerance ``eps``.

``out[i] = Re sum_k c_k exp(i (x_i 2 pi u_k + y_i 2 pi v_k))`` with
``c_k = Re(d_k) / Re(sigma_k)**2 + i Im(d_k) / Im(sigma_k)**2``: from the non-uniform
points ``2 pi (u_k, v_k)`` to the non-uniform targets ``(x_i, y_i)``. About
O(K + M + G log G) with G the fine grid (set by the product of the uv and image extents)
instead of O(M K). {NUFFT_BY[library]} Needs the optional 'nufft' extra.

Accuracy at the default ``eps = 1e-14``, as max |nufft - exact| / max |exact|: DataLoaded
(M 716, K 190) FINUFFT 1.1e-14, jax-finufft 1.1e-14, nufftax 1.9e-14; DataGenerated
(N 30, K 1024) 1.1e-14, 1.1e-14, 2.3e-14; (N 20, K 3001) 7.7e-15, 7.7e-15, 3.4e-14 (also in
nufftax chunks of 97 points); at ``eps = 1e-12`` all about 2e-12. The contract (1e-9 of
the peak) holds with five orders to spare.""",
        args={**DIRTY_ARGS, "eps": "float finite >0"},
        # ducc0's type 3 refuses eps below 1.44e-14: its own kernel defaults to 2e-14
        defaults={"eps": "2e-14" if library == "ducc0" else "1e-14"},
        returns="f8[M]",
        family="dirty_image",
        method=NUFFT_METHOD[library],
        index={"i": "M"},
        reduce=("k", "K"),
        weight="real(visibilities[k]) / real(noise_map[k]) ** 2"
        " + 1j * (imag(visibilities[k]) / imag(noise_map[k]) ** 2)",
        points={"x": "2 * pi * uv_wavelengths[k, 0]", "y": "2 * pi * uv_wavelengths[k, 1]"},
        targets={"x": "grid_radians_slim[i, 1]", "y": "grid_radians_slim[i, 0]"},
        part="real",
        eps="eps",
        library=library,
    )


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
    *[_compact_nufft(library) for library in NUFFT_LIBRARIES],
    Dispatch(
        name="w_compact_curvature_interferometer_from",
        doc="""The compact form of W-tilde, (N, 2N-1), by ``method``.

``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
``d = 2 pi pixel_scale pi/648000``. Methods: ``exact`` (the sum, O(K N**2)) and ``nufft``
(a type-1 NUFFT to the tolerance ``eps``, O(K + N**2 log N); the optional 'nufft'
extra: ducc0 when installed, else FINUFFT), or ``nufft_ducc0`` / ``nufft_finufft`` to name
the library. ``auto`` takes ``nufft`` above the measured crossover when its libraries are
installed (and, for array-API, the inputs are NumPy or JAX arrays), else ``exact``.""",
        args={**COMPACT_ARGS, "method": "str", "eps": "float finite >0"},
        defaults={"method": "'auto'", "eps": "1e-14"},
        returns="f8[N,W=2*N-1] finite",
        family="w_tilde",
        method="compact",
        methods={
            "exact": "w_compact_curvature_interferometer_exact_from",
            **{
                NUFFT_METHOD[lib]: _nufft_name("w_compact_curvature_interferometer", lib)
                for lib in NUFFT_LIBRARIES
            },
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
    IndexMap(
        name="w_tilde_via_preload_from",
        doc="""Expand the upstream preload, (2Ny, 2Nx), to the dense (M, M) W-tilde.

``W[a,b] = P[row_b - row_a, col_b - col_a]`` with negative offsets stored from the end of
each axis (Python's negative indexing), written as the offset modulo the axis length so
every backend reads it the same way. The native indices must lie in the preload's
(Ny, Nx) = (Ry // 2, Rx // 2) crop, so that every offset is below Ny (Nx) in size (a
declared rule: an index outside, or a preload of half the size, is refused).""",
        args={
            "w_tilde_preload": "f8[Ry,Rx] finite",
            "native_index_for_slim_index": PRELOAD_NATIVE,
        },
        returns="f8[M,M]",
        family="w_tilde",
        method="preload_expand",
        index={"a": "M", "b": "M"},
        expr="w_tilde_preload[(native_index_for_slim_index[b, 0] - native_index_for_slim_index[a, 0]) % Ry,"
        " (native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1]) % Rx]",
    ),
    Contraction(
        name="dirty_image_exact_from",
        doc="""The noise-weighted dirty image by the direct sum over the visibilities, (M,).

``out[i] = sum_k [cos(phi_ik) Re(d_k) / Re(sigma_k)**2 - sin(phi_ik) Im(d_k) / Im(sigma_k)**2]``
with ``phi_ik = 2 pi (x_i u_k + y_i v_k)``. Per chunk of visibilities the (M, chunk) tables
of cos and sin are built once and multiplied by the weighted data (a matrix-vector
product): 2 M K cosines and sines, memory flat in K. Unlike
``w_tilde_data_interferometer_from`` (the upstream weight) the real and imaginary parts
are weighted by their own noise.""",
        args=DIRTY_ARGS,
        returns="f8[M]",
        family="dirty_image",
        method="exact",
        index={"i": "M"},
        reduce=("k", "K"),
        terms=[
            (f"cos({PHASE_I})", "real(visibilities[k]) / real(noise_map[k]) ** 2"),
            (f"sin({PHASE_I})", "-imag(visibilities[k]) / imag(noise_map[k]) ** 2"),
        ],
    ),
    *[_dirty_nufft(library) for library in NUFFT_LIBRARIES],
    Dispatch(
        name="dirty_image_from",
        doc="""The noise-weighted dirty image, (M,), by ``method``.

``out[i] = sum_k [cos(phi_ik) Re(d_k) / Re(sigma_k)**2 - sin(phi_ik) Im(d_k) / Im(sigma_k)**2]``
with ``phi_ik = 2 pi (x_i u_k + y_i v_k)``; the data vector is ``T^T`` of it. Methods:
``exact`` (the direct sum, O(M K)) and ``nufft`` (a type-3 NUFFT to the tolerance ``eps``;
the optional 'nufft' extra: ducc0 when installed, else FINUFFT), or ``nufft_ducc0`` (eps at
least 1.44e-14, ducc0's smallest; ValueError otherwise) / ``nufft_finufft`` to name the
library. ``auto`` takes ``nufft`` above the measured crossover when
its libraries are installed (and, for array-API, the inputs are NumPy or JAX arrays).""",
        args={**DIRTY_ARGS, "method": "str", "eps": "float finite >0"},
        defaults={"method": "'auto'", "eps": "1e-14"},
        returns="f8[M]",
        family="dirty_image",
        method="dispatch",
        methods={
            "exact": "dirty_image_exact_from",
            **{NUFFT_METHOD[lib]: _nufft_name("dirty_image", lib) for lib in NUFFT_LIBRARIES},
        },
        # measured crossover (2 shared cores, FINUFFT 2.5.1 / jax-finufft 1.3.1; Numba and JAX
        # alike, ms exact vs nufft): M 80: K 300 0.7 vs 1.9, K 3000 10 vs 2.9; M 716: K 30
        # 0.6 vs 2.9, K 300 5.9 vs 3.0, K 3000 106 vs 4.5; M 2828: K 30 2.2 vs 4.9, K 300 36 vs
        # 6.2; M 11304: K 30 12.5 vs 16, K 300 145 vs 19. The exact sum costs ~45 ns per (i, k)
        # pair, the NUFFT ~2.5 ms + ~1.3 us per pixel: nufft above M K ~ 1e5 unless K is tiny.
        # Not measured on a GPU (the same rule applies there).
        auto="'nufft' if have_nufft and K > 60 and M * K > 10**5 else 'exact'",
    ),
]
