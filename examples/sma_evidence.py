"""Worked example: the log evidence of the built-in SMA-like lens observation.

Loads the observation through :class:`autojax.Observation` (from FITS files written to a
scratch folder, as a modeller's own data would be), evaluates the evidence for a few
regularization coefficients, plots the dirty image, the reconstructed source on its
Delaunay mesh and the residual dirty image into one PNG, and times one step per backend.

    python examples/sma_evidence.py                 # writes examples/sma_evidence.png
    python examples/sma_evidence.py --quick --out /tmp/x.png

Needs ``pip install -e '.[all]'`` (JAX, array-API, NUFFT, astropy and matplotlib); a
backend whose extra is missing is reported and skipped in the timing table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import autojax
from autojax import backends
from autojax.datasets import DataLoaded

COEFFICIENTS = (0.1, 0.3, 1.0, 3.0, 10.0)


def time_step(likelihood, args, repeats: int) -> float:
    """Median seconds of one log-evidence step (JAX: jitted, after a warm-up)."""
    if likelihood.backend == "jax":
        import jax

        step = jax.jit(autojax.Likelihood.log_evidence)
        call = lambda: step(likelihood, *args).block_until_ready()  # noqa: E731
    else:
        call = lambda: likelihood.log_evidence(*args)  # noqa: E731
    call()  # compile / warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def plot(fit, dataset, dirty_image, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    mask = fit.mask
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    panels = [
        (axes[0], mask.to_native(np.asarray(dirty_image)), "dirty image (noise-weighted)"),
        (axes[2], mask.to_native(fit.residual_dirty_image), "residual dirty image"),
    ]
    rows, cols = np.nonzero(~mask.array)
    pad = 2
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, mask.array.shape[0])
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, mask.array.shape[1])
    left, right, bottom, top = mask.extent
    scale = mask.pixel_scale
    box = (left + c0 * scale, left + c1 * scale, top - r1 * scale, top - r0 * scale)
    for ax, image, label in panels:
        shown = ax.imshow(image[r0:r1, c0:c1], extent=box, origin="upper", cmap="inferno")
        ax.set(title=label, xlabel="x (arcsec)", ylabel="y (arcsec)")
        fig.colorbar(shown, ax=ax, shrink=0.85)
    # (S, 2) Delaunay vertices (y, x) in radians, shown in arcsec
    mesh = np.asarray(dataset.source_plane_mesh_grid) / autojax.observation.ARCSEC
    tri = Triangulation(mesh[:, 1], mesh[:, 0])
    shown = axes[1].tripcolor(tri, fit.reconstruction, shading="gouraud", cmap="inferno")
    axes[1].triplot(tri, color="white", lw=0.15, alpha=0.4)
    axes[1].set(
        title="reconstructed source (Delaunay mesh)", xlabel="x (arcsec)", ylabel="y (arcsec)"
    )
    axes[1].set_aspect("equal")
    fig.colorbar(shown, ax=axes[1], shrink=0.85)
    axes[1].set_title("reconstructed source (Delaunay mesh)", pad=14)
    fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(out: Path, quick: bool = False) -> dict:
    dataset = DataLoaded()
    # a modeller's data arrive as FITS files: write the built-in observation as three FITS
    # files, then read it back as one would read one's own
    with tempfile.TemporaryDirectory() as folder:
        autojax.Observation.from_dataset(dataset).to_fits(folder)
        mask = autojax.Mask.circular(dataset.mask.shape, dataset.pixel_scale, dataset.radius)
        observation = autojax.Observation.from_fits(folder, mask)
    print(observation)

    likelihood = autojax.Likelihood(observation, backend="numba")
    args = (
        dataset.pix_indexes_for_sub_slim_index,
        dataset.pix_weights_for_sub_slim_index,
        dataset.neighbors,
        dataset.neighbors_sizes,
    )
    coefficients = COEFFICIENTS[1:4] if quick else COEFFICIENTS
    evidences = {c: float(likelihood.log_evidence(*args, c)) for c in coefficients}
    print("coefficient   log evidence")
    for c, value in evidences.items():
        print(f"{c:11.2f}   {value:14.4f}")
    best = max(evidences, key=evidences.get)

    fit = likelihood.fit(*args, best)
    plot(
        fit,
        dataset,
        likelihood.dirty_image,
        out,
        f"SMA-like observation (K = {observation.visibility_count}, M = {mask.pixels}, "
        f"S = {fit.reconstruction.size}), coefficient {best}: log evidence "
        f"{fit.log_evidence:.2f}, chi2 {fit.chi_squared:.1f}",
    )
    print(f"wrote {out}")

    timings = {}
    print("backend   one step (median)")
    for name in autojax.likelihood.BACKENDS:
        reason = backends.available()[name]
        if reason is not None:
            print(f"{name:8s}  skipped: {reason}")
            continue
        lk = autojax.Likelihood(observation, backend=name).precompute()
        timings[name] = time_step(lk, (*args, best), repeats=3 if quick else 20)
        print(f"{name:8s}  {timings[name] * 1e3:8.2f} ms")
    return {"evidences": evidences, "best": best, "timings": timings, "fit": fit}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".png"))
    parser.add_argument("--quick", action="store_true", help="fewer coefficients and repeats")
    options = parser.parse_args()
    main(options.out, options.quick)
