"""Worked example: the log evidence of the built-in SMA-like lens observation.

Loads the observation through :class:`autojax.Observation` (from FITS files written to a
scratch folder, as a modeller's own data would be), finds the regularization coefficient
of highest evidence (a grid of coefficients widened until its best value is inside it,
then a golden-section search between the best value's neighbours), plots the dirty image,
the model image, the reconstructed source on its Delaunay mesh, the residual dirty image,
the normalised residuals of the visibilities and the evidence against the coefficient into
one PNG, and times one step per backend.

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

#: the first grid of regularization coefficients (one per half decade); widened when its
#: best value is at an end, so that the maximum is always bracketed
COEFFICIENTS = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
QUICK_COEFFICIENTS = (1e-2, 0.1, 1.0)
GOLDEN = (np.sqrt(5) - 1) / 2


def search_coefficient(evidence, grid, refinements: int) -> tuple[dict, float, tuple]:
    """The coefficient of highest ``evidence(c)``, bracketed by two lower values.

    Evaluates ``grid``, extends it by its end ratios while the best value is at an end (at
    most 20 times: an evidence still rising then is reported, not hidden), then runs
    ``refinements`` golden-section steps in log c between the best point's neighbours.
    Returns every value computed ``{c: evidence}``, the best c and the bracket (lo, hi).
    """
    values = {float(c): evidence(float(c)) for c in grid}
    for _ in range(20):
        cs = sorted(values)
        best = max(cs, key=values.get)
        if best == cs[0]:
            values[cs[0] ** 2 / cs[1]] = evidence(cs[0] ** 2 / cs[1])
        elif best == cs[-1]:
            values[cs[-1] ** 2 / cs[-2]] = evidence(cs[-1] ** 2 / cs[-2])
        else:
            break
    else:
        raise RuntimeError(f"the evidence still rises at the end of {sorted(values)}")
    cs = sorted(values)
    i = cs.index(max(cs, key=values.get))
    lo, hi = np.log(cs[i - 1]), np.log(cs[i + 1])
    # golden section on log c: the bracket (lo, hi) always holds the best value seen
    a, b = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
    fa, fb = evidence(float(np.exp(a))), evidence(float(np.exp(b)))
    values[float(np.exp(a))], values[float(np.exp(b))] = fa, fb
    for _ in range(refinements):
        if fa >= fb:
            hi, b, fb = b, a, fa
            a = hi - GOLDEN * (hi - lo)
            fa = values[float(np.exp(a))] = evidence(float(np.exp(a)))
        else:
            lo, a, fa = a, b, fb
            b = lo + GOLDEN * (hi - lo)
            fb = values[float(np.exp(b))] = evidence(float(np.exp(b)))
    best = max(values, key=values.get)
    below = [c for c in values if c < best]
    above = [c for c in values if c > best]
    return values, best, (max(below), min(above))


def normalised_residuals(observation, mapped_image) -> np.ndarray:
    """(K, 2) real and imaginary residuals of the visibilities, each over its sigma.

    The model visibilities are the direct Fourier transform of the mapped image on the
    unmasked pixels, ``sum_m exp(-2 pi i (x_m u_k + y_m v_k)) image_m`` (the transform of
    W-tilde and the dirty image); the sum of their squares is the fit's chi-squared.
    """
    grid = observation.mask.grid_radians_slim  # (M, 2) (y, x)
    uv = observation.uv_wavelengths  # (K, 2) (u, v)
    phase = 2 * np.pi * (np.outer(uv[:, 0], grid[:, 1]) + np.outer(uv[:, 1], grid[:, 0]))
    model = np.exp(-1j * phase) @ mapped_image
    residual = observation.visibilities - model
    sigma = observation.noise_map
    return np.stack([residual.real / sigma.real, residual.imag / sigma.imag], axis=1)


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


def plot(fit, dataset, observation, dirty_image, search, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    mask = fit.mask
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.4), constrained_layout=True)
    images = [
        (axes[0, 0], mask.to_native(np.asarray(dirty_image)), "dirty image (noise-weighted)"),
        (axes[0, 1], mask.to_native(fit.mapped_image), "model image (mapped_image = T s)"),
        (axes[1, 0], mask.to_native(fit.residual_dirty_image), "residual dirty image"),
    ]
    rows, cols = np.nonzero(~mask.array)
    pad = 2
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, mask.array.shape[0])
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, mask.array.shape[1])
    left, right, bottom, top = mask.extent
    scale = mask.pixel_scale
    box = (left + c0 * scale, left + c1 * scale, top - r1 * scale, top - r0 * scale)
    for ax, image, label in images:
        shown = ax.imshow(image[r0:r1, c0:c1], extent=box, origin="upper", cmap="inferno")
        ax.set(title=label, xlabel="x (arcsec)", ylabel="y (arcsec)")
        fig.colorbar(shown, ax=ax, shrink=0.85)
    # (S, 2) Delaunay vertices (y, x) in radians, shown in arcsec
    source = axes[0, 2]
    mesh = np.asarray(dataset.source_plane_mesh_grid) / autojax.observation.ARCSEC
    tri = Triangulation(mesh[:, 1], mesh[:, 0])
    shown = source.tripcolor(tri, fit.reconstruction, shading="gouraud", cmap="inferno")
    source.triplot(tri, color="white", lw=0.15, alpha=0.4)
    source.set(title="reconstructed source (Delaunay mesh)", xlabel="x (arcsec)")
    source.set(ylabel="y (arcsec)", aspect="equal")
    fig.colorbar(shown, ax=source, shrink=0.85)
    # normalised residuals of the visibilities against baseline length
    ax = axes[1, 1]
    residuals = normalised_residuals(observation, fit.mapped_image)
    baseline = np.hypot(*observation.uv_wavelengths.T) / 1e3
    ax.scatter(baseline, residuals[:, 0], s=9, label="real")
    ax.scatter(baseline, residuals[:, 1], s=9, marker="x", label="imaginary")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(
        title=f"normalised residuals (chi2 = {np.sum(residuals**2):.1f} for "
        f"{residuals.size} values)",
        xlabel="baseline (k wavelengths)",
        ylabel="(data - model) / sigma",
    )
    ax.legend()
    # the evidence against the coefficient, with the bracket of its maximum
    ax = axes[1, 2]
    values, best, (lo, hi) = search
    cs = sorted(values)
    ax.plot(cs, [values[c] for c in cs], "o-", ms=3)
    ax.axvspan(lo, hi, color="tab:green", alpha=0.2, label=f"bracket [{lo:.3g}, {hi:.3g}]")
    ax.axvline(best, color="tab:red", lw=1, label=f"best {best:.3g}")
    ax.set(
        xscale="log",
        title="log evidence against the coefficient",
        xlabel="regularization coefficient",
        ylabel="log evidence",
    )
    ax.legend()
    fig.suptitle(title)
    fig.savefig(out, dpi=100)
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
    evidences, best, (lo, hi) = search_coefficient(
        lambda c: float(likelihood.log_evidence(*args, c)),
        QUICK_COEFFICIENTS if quick else COEFFICIENTS,
        refinements=4 if quick else 8,
    )
    print("coefficient   log evidence")
    for c in sorted(evidences):
        print(f"{c:11.5g}   {evidences[c]:14.4f}" + ("   <- best" if c == best else ""))
    print(
        f"the maximum is bracketed: log evidence {evidences[lo]:.4f} at {lo:.5g} and "
        f"{evidences[hi]:.4f} at {hi:.5g}, both below {evidences[best]:.4f} at {best:.5g}"
    )

    fit = likelihood.fit(*args, best)
    residuals = normalised_residuals(observation, fit.mapped_image)
    print(
        f"chi-squared {fit.chi_squared:.4f} (from the normalised residuals of the "
        f"visibilities: {np.sum(residuals**2):.4f})"
    )
    plot(
        fit,
        dataset,
        observation,
        likelihood.dirty_image,
        (evidences, best, (lo, hi)),
        out,
        f"SMA-like observation (K = {observation.visibility_count}, M = {mask.pixels}, "
        f"S = {fit.reconstruction.size}), coefficient {best:.4g}: log evidence "
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
    return {
        "evidences": evidences,
        "best": best,
        "bracket": (lo, hi),
        "residuals": residuals,
        "timings": timings,
        "fit": fit,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".png"))
    parser.add_argument("--quick", action="store_true", help="fewer coefficients and repeats")
    options = parser.parse_args()
    main(options.out, options.quick)
