"""Build the "loaded" dataset: a small, realistic SMA-like interferometric lens observation.

The dataset is rebuilt deterministically from a seed with numpy and scipy only; the committed
file ``data/loaded.npz`` is its output, and ``python -m autojax.datasets._loaded_build --check``
confirms that the committed file still matches this code.

Image plane. A 100 x 100 grid of 0.2 arcsec pixels is centred on the optical axis, so the
centre falls between pixels 49 and 50 and the top-left pixel centre sits at
(y, x) = (+9.9, -9.9) arcsec; y decreases with the row index, x increases with the column
index, and every coordinate is stored in radians (1 arcsec = pi / 648000 rad). A circular mask
of radius 3.0 arcsec leaves M = 716 unmasked pixels inside a 30 x 30 bounding box;
``native_index_for_slim_index`` counts rows and columns inside that box.

Observation. Five antennas with fixed east/north/up offsets (metres, a compact SMA-like
layout on Mauna Kea, latitude +19.82 deg) give 10 baselines. Each baseline is rotated into
the equatorial frame and then tracked with the textbook Earth-rotation formulas
(Thompson, Moran & Swenson, chapter 4) for a source at declination +20 deg, over 19 hour
angles evenly spaced between -3 h and +3 h, at 230 GHz. That yields K = 190 (u, v) points
in wavelengths with |uv| from about 1e4 to 5e5. Here u pairs with x and v with y, and a pixel
at (y, x) contributes ``exp(-2j*pi*(x*u + y*v))`` to a visibility.

Lens and source mesh. The lens is a singular isothermal sphere (Einstein radius 1.2 arcsec,
centre (0.05, -0.03) arcsec, deflection ``theta_E * (theta - c) / |theta - c|``) plus an
external shear (gamma_1, gamma_2) = (0.04, -0.03) from the potential
``psi = gamma_1 (x^2 - y^2) / 2 + gamma_2 x y`` about the origin, i.e.
``alpha_x = gamma_1 x + gamma_2 y`` and ``alpha_y = gamma_2 x - gamma_1 y``. The lens
equation beta = theta - alpha maps a regular "overlay" grid of image-plane points (spacing
0.21 arcsec, kept where they fall inside the mask) to the source plane; these traced points
are the S vertices of a Delaunay mesh (``scipy.spatial.Delaunay``). Every unmasked image pixel
is traced the same way: inside the mesh hull it maps to the three vertices of its triangle with
barycentric weights; outside it maps to its nearest vertex with weight 1 (rows padded with -1).
Two vertices are neighbours when they share a Delaunay edge; that graph feeds the
regularization.

Visibilities. A smooth elliptical Gaussian source (centred at (0.08, 0.12) arcsec, major-axis
sigma 0.30 arcsec, axis ratio 0.7) is evaluated at the mesh vertices, mapped to the image
with the mapping matrix T built from those indexes and weights (so the data are exactly
representable by the inversion model), Fourier transformed directly to the 190 uv points and
given complex Gaussian noise with sigma = 100 on the real and imaginary parts separately (drawn
from ``np.random.default_rng(seed)``, the only randomness). The peak |V| is tens of times the
noise. The dirty image stored alongside is the noise-weighted adjoint transform of the data,
``Re(A^H N^-1 d)``, which is the input the w-tilde inversion expects.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.spatial import Delaunay

ARCSEC = np.pi / 648000.0  # radians per arcsec

PIXEL_SCALE = 0.2  # arcsec
SHAPE_NATIVE = (100, 100)
MASK_RADIUS = 3.0  # arcsec
EXPECTED_M = 716

# Observation (SMA-like compact configuration at 230 GHz).
SPEED_OF_LIGHT = 299_792_458.0  # m / s
FREQUENCY = 230.0e9  # Hz
LATITUDE_DEG = 19.82  # Mauna Kea
DECLINATION_DEG = 20.0
HOUR_ANGLE_RANGE_H = (-3.0, 3.0)
N_HOUR_ANGLES = 19
# Antenna offsets (east, north, up) in metres.
ANTENNAS_ENU = np.array(
    [
        [0.0, 0.0, 0.0],
        [13.0, 9.0, 0.2],
        [-52.0, 41.0, -0.5],
        [168.0, -117.0, 1.1],
        [-372.0, -468.0, 2.4],
    ]
)

# Lens: singular isothermal sphere plus external shear.
EINSTEIN_RADIUS = 1.2  # arcsec
LENS_CENTRE = (0.05, -0.03)  # (y, x) arcsec
SHEAR = (0.04, -0.03)  # (gamma_1, gamma_2)
OVERLAY_SPACING = 0.21  # arcsec

# Source: elliptical Gaussian evaluated on the mesh vertices.
SOURCE_CENTRE = (0.08, 0.12)  # (y, x) arcsec
SOURCE_SIGMA = 0.30  # arcsec, along the major axis
SOURCE_AXIS_RATIO = 0.7
SOURCE_ANGLE_DEG = 40.0  # major axis, counter-clockwise from +x
SOURCE_INTENSITY = 30.0  # peak value per image pixel

NOISE_SIGMA = 100.0

KEYS = (
    "pixel_scale",
    "grid_size",
    "mask",
    "grid_radians_2d",
    "shape_masked_pixels_2d",
    "native_index_for_slim_index",
    "grid_radians_slim",
    "uv_wavelengths",
    "source_plane_mesh_grid",
    "pix_indexes_for_sub_slim_index",
    "pix_weights_for_sub_slim_index",
    "pix_size_for_sub_slim_index",
    "neighbors",
    "neighbors_sizes",
    "noise_map",
    "data",
    "dirty_image",
)


def _default_out() -> Path:
    return Path(__file__).resolve().parent / "data" / "loaded.npz"


def _image_grid() -> tuple[np.ndarray, np.ndarray]:
    """Circular mask (True = masked) and (y, x) radians of every pixel centre."""
    rows, cols = np.indices(SHAPE_NATIVE, dtype=np.float64)
    yc = (SHAPE_NATIVE[0] - 1) / 2.0
    xc = (SHAPE_NATIVE[1] - 1) / 2.0
    dy = (rows - yc) * PIXEL_SCALE
    dx = (cols - xc) * PIXEL_SCALE
    mask = ~(dy**2 + dx**2 <= MASK_RADIUS**2)
    grid_arcsec = np.stack([(yc - rows) * PIXEL_SCALE, (cols - xc) * PIXEL_SCALE], axis=-1)
    return mask, grid_arcsec * ARCSEC


def _uv_track() -> np.ndarray:
    """Earth-rotation (u, v) track in wavelengths, baseline-major order."""
    wavelength = SPEED_OF_LIGHT / FREQUENCY
    lat = np.deg2rad(LATITUDE_DEG)
    dec = np.deg2rad(DECLINATION_DEG)
    east, north, up = ANTENNAS_ENU.T
    # Local (east, north, up) -> equatorial (X towards H=0, Y towards H=-6h, Z to the pole).
    xyz = np.stack(
        [
            -np.sin(lat) * north + np.cos(lat) * up,
            east,
            np.cos(lat) * north + np.sin(lat) * up,
        ],
        axis=-1,
    )
    ant_1, ant_2 = np.triu_indices(len(ANTENNAS_ENU), k=1)
    baselines = (xyz[ant_2] - xyz[ant_1]) / wavelength  # (10, 3) in wavelengths
    hour_angles = np.deg2rad(15.0 * np.linspace(*HOUR_ANGLE_RANGE_H, N_HOUR_ANGLES))
    bx = baselines[:, 0:1]
    by = baselines[:, 1:2]
    bz = baselines[:, 2:3]
    sin_h = np.sin(hour_angles)[None, :]
    cos_h = np.cos(hour_angles)[None, :]
    u = sin_h * bx + cos_h * by
    v = -np.sin(dec) * cos_h * bx + np.sin(dec) * sin_h * by + np.cos(dec) * bz
    return np.stack([u.ravel(), v.ravel()], axis=-1)


def _trace(theta_arcsec: np.ndarray) -> np.ndarray:
    """Lens equation beta = theta - alpha for (y, x) points in arcsec."""
    y = theta_arcsec[:, 0]
    x = theta_arcsec[:, 1]
    dy = y - LENS_CENTRE[0]
    dx = x - LENS_CENTRE[1]
    r = np.sqrt(dy**2 + dx**2)
    if np.any(r < 1e-6):
        raise ValueError("a traced point lies on the SIS centre")
    alpha_y = EINSTEIN_RADIUS * dy / r
    alpha_x = EINSTEIN_RADIUS * dx / r
    gamma_1, gamma_2 = SHEAR
    alpha_y = alpha_y + gamma_2 * x - gamma_1 * y
    alpha_x = alpha_x + gamma_1 * x + gamma_2 * y
    return np.stack([y - alpha_y, x - alpha_x], axis=-1)


def _overlay_grid_arcsec() -> np.ndarray:
    """Regular grid of image-plane points (spacing OVERLAY_SPACING) inside the mask."""
    half = int(np.floor(MASK_RADIUS / OVERLAY_SPACING))
    offsets = np.arange(-half, half + 1, dtype=np.float64) * OVERLAY_SPACING
    yy, xx = np.meshgrid(offsets[::-1], offsets, indexing="ij")
    keep = yy**2 + xx**2 <= MASK_RADIUS**2
    return np.stack([yy[keep], xx[keep]], axis=-1)


def _mapping(
    tri: Delaunay, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Delaunay barycentric mapping; nearest vertex outside the hull."""
    n = len(points)
    simplex = tri.find_simplex(points)
    inside = simplex >= 0
    indexes = np.full((n, 3), -1, dtype=np.int64)
    weights = np.zeros((n, 3), dtype=np.float64)

    s = simplex[inside]
    transform = tri.transform[s]  # (n_in, 3, 2)
    b = np.einsum("nij,nj->ni", transform[:, :2, :], points[inside] - transform[:, 2, :])
    weights[inside, 0] = b[:, 0]
    weights[inside, 1] = b[:, 1]
    weights[inside, 2] = 1.0 - b[:, 0] - b[:, 1]
    indexes[inside] = tri.simplices[s]

    outside = ~inside
    if np.any(outside):
        diff = points[outside][:, None, :] - tri.points[None, :, :]
        nearest = np.argmin(np.einsum("nsk,nsk->ns", diff, diff), axis=1)
        indexes[outside, 0] = nearest
        weights[outside, 0] = 1.0
    sizes = np.where(inside, 3, 1).astype(np.int64)
    return indexes, weights, sizes, outside


def _neighbors(tri: Delaunay) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists from the Delaunay edges, rows sorted and padded with -1."""
    indptr, indices = tri.vertex_neighbor_vertices
    sizes = np.diff(indptr).astype(np.int64)
    n_vertices = len(sizes)
    neighbors = np.full((n_vertices, int(sizes.max())), -1, dtype=np.int64)
    for i in range(n_vertices):
        neighbors[i, : sizes[i]] = np.sort(indices[indptr[i] : indptr[i + 1]])
    return neighbors, sizes


def _source_values(points_arcsec: np.ndarray) -> np.ndarray:
    """Elliptical Gaussian surface brightness at (y, x) arcsec."""
    phi = np.deg2rad(SOURCE_ANGLE_DEG)
    dy = points_arcsec[:, 0] - SOURCE_CENTRE[0]
    dx = points_arcsec[:, 1] - SOURCE_CENTRE[1]
    major = dx * np.cos(phi) + dy * np.sin(phi)
    minor = -dx * np.sin(phi) + dy * np.cos(phi)
    r2 = major**2 + (minor / SOURCE_AXIS_RATIO) ** 2
    return SOURCE_INTENSITY * np.exp(-0.5 * r2 / SOURCE_SIGMA**2)


def build_loaded(seed: int = 20261124) -> dict[str, np.ndarray]:
    """Build the "loaded" dataset deterministically; see the module docstring."""
    rng = np.random.default_rng(seed)

    mask, grid_radians_2d = _image_grid()
    rows, cols = np.nonzero(~mask)  # row-major order
    if rows.size != EXPECTED_M:
        raise AssertionError(f"mask has {rows.size} unmasked pixels, expected {EXPECTED_M}")
    shape_masked = np.array(
        [rows.max() - rows.min() + 1, cols.max() - cols.min() + 1], dtype=np.int64
    )
    native_index = np.stack([rows - rows.min(), cols - cols.min()], axis=-1).astype(np.int64)
    grid_radians_slim = grid_radians_2d[rows, cols]

    uv = _uv_track()
    uv_norm = np.hypot(uv[:, 0], uv[:, 1])
    if not (1e3 < uv_norm.min() and uv_norm.max() < 1e6):
        raise AssertionError(f"|uv| range {uv_norm.min():.3g}..{uv_norm.max():.3g} unrealistic")

    mesh_arcsec = _trace(_overlay_grid_arcsec())
    tri = Delaunay(mesh_arcsec)
    if len(tri.coplanar):
        raise AssertionError("some mesh vertices were left out of the triangulation")
    image_traced_arcsec = _trace(grid_radians_slim / ARCSEC)
    indexes, weights, sizes, _ = _mapping(tri, image_traced_arcsec)
    neighbors, neighbors_sizes = _neighbors(tri)

    n_pix = len(mesh_arcsec)
    mapping = np.zeros((len(indexes), n_pix))
    for b in range(indexes.shape[1]):
        valid = indexes[:, b] >= 0
        np.add.at(mapping, (np.nonzero(valid)[0], indexes[valid, b]), weights[valid, b])
    image = mapping @ _source_values(mesh_arcsec)

    y = grid_radians_slim[:, 0]
    x = grid_radians_slim[:, 1]
    phase = 2.0 * np.pi * (np.outer(uv[:, 0], x) + np.outer(uv[:, 1], y))  # (K, M)
    cos_p = np.cos(phase)
    sin_p = np.sin(phase)
    model = cos_p @ image - 1j * (sin_p @ image)

    k = len(uv)
    noise_map = np.full(k, NOISE_SIGMA + 1j * NOISE_SIGMA, dtype=np.complex128)
    noise = rng.standard_normal((k, 2))
    data = model + noise[:, 0] * noise_map.real + 1j * noise[:, 1] * noise_map.imag
    dirty_image = (data.real / noise_map.real**2) @ cos_p - (data.imag / noise_map.imag**2) @ sin_p

    out = {
        "pixel_scale": np.array(PIXEL_SCALE, dtype=np.float64),
        "grid_size": np.array(shape_masked[0], dtype=np.int64),
        "mask": mask,
        "grid_radians_2d": grid_radians_2d,
        "shape_masked_pixels_2d": shape_masked,
        "native_index_for_slim_index": native_index,
        "grid_radians_slim": grid_radians_slim,
        "uv_wavelengths": uv,
        "source_plane_mesh_grid": mesh_arcsec * ARCSEC,
        "pix_indexes_for_sub_slim_index": indexes,
        "pix_weights_for_sub_slim_index": weights,
        "pix_size_for_sub_slim_index": sizes,
        "neighbors": neighbors,
        "neighbors_sizes": neighbors_sizes,
        "noise_map": noise_map,
        "data": data,
        "dirty_image": dirty_image,
    }
    dtypes = {"b": np.bool_, "i": np.int64, "f": np.float64, "c": np.complex128}
    return {key: np.array(out[key], dtype=dtypes[out[key].dtype.kind], order="C") for key in KEYS}


def _compare(built: dict[str, np.ndarray], stored: dict[str, np.ndarray]) -> str | None:
    """Return a message naming the first differing key, or None when they match."""
    if set(built) != set(stored):
        missing = sorted(set(built) ^ set(stored))
        return f"key sets differ: {missing}"
    for key in KEYS:
        a, b = built[key], stored[key]
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"{key}: built {a.dtype}{a.shape} vs stored {b.dtype}{b.shape}"
        if a.dtype.kind in "biu":
            if not np.array_equal(a, b):
                return f"{key}: {int(np.count_nonzero(a != b))} entries differ"
        elif not np.allclose(a, b, rtol=1e-9, atol=0.0):
            worst = float(np.max(np.abs(a - b)))
            return f"{key}: values differ (max abs difference {worst:.3g})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autojax.datasets._loaded_build",
        description="Build the 'loaded' SMA-like lens dataset (or check the stored copy).",
    )
    parser.add_argument("--out", type=Path, default=_default_out(), help="npz file path")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in memory and compare with --out"
    )
    args = parser.parse_args(argv)

    built = build_loaded()
    if args.check:
        if not args.out.is_file():
            print(f"error: {args.out} does not exist", file=sys.stderr)
            return 1
        with np.load(args.out, allow_pickle=False) as npz:
            stored = {key: npz[key] for key in npz.files}
        problem = _compare(built, stored)
        if problem is not None:
            print(f"error: {args.out} differs from the rebuild: {problem}", file=sys.stderr)
            return 1
        print(
            f"{args.out.name} matches the rebuild: {len(KEYS)} keys, "
            f"M={len(built['grid_radians_slim'])}, K={len(built['uv_wavelengths'])}, "
            f"S={len(built['source_plane_mesh_grid'])}, P={built['neighbors'].shape[1]}"
        )
        return 0

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **built)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
