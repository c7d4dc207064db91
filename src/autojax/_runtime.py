"""Small run-time helpers the generated backends share (no kernel bodies live here)."""

from __future__ import annotations

import functools
import math
import os

#: elements one vectorised temporary may hold in a reduction (index space x chunk of the
#: reduced axis); AUTOJAX_CHUNK_BUDGET overrides it (read when a JAX kernel is traced or a
#: Numba contraction is called)
DEFAULT_CHUNK_BUDGET = 2**21
CHUNK_BUDGET = int(os.environ.get("AUTOJAX_CHUNK_BUDGET", DEFAULT_CHUNK_BUDGET))
#: the same for element-wise scatter-adds, smaller: their index and value temporaries are
#: read back element by element, fastest while they stay in cache (AUTOJAX_SCATTER_BUDGET)
SCATTER_BUDGET = int(os.environ.get("AUTOJAX_SCATTER_BUDGET", 2**18))


def chunk_size(index_elements: int, total: int, budget: int | None = None) -> int:
    """Steps of a reduction (or rows of a scatter) to take at once within ``budget`` elements.

    Called with static shapes (under ``jax.jit`` they are Python ints), so the chunk is
    fixed at trace time and memory stays bounded however large K or M grows. ``budget``
    defaults to the module's ``CHUNK_BUDGET`` as it is when the kernel is traced.
    """
    budget = CHUNK_BUDGET if budget is None else budget
    if total <= 0:
        return 1
    return max(1, min(total, budget // max(int(index_elements), 1)))


def scatter_chunk_size(index_elements: int, total: int) -> int:
    """:func:`chunk_size` with the scatter budget (``SCATTER_BUDGET`` when traced)."""
    return chunk_size(index_elements, total, SCATTER_BUDGET)


def scan_chunks(step, init, steps: int):
    """``lax.scan(step, init, arange(steps))`` for the JAX templates; one chunk needs no loop.

    ``step(carry, chunk_number) -> (carry, block)``. With a single chunk (small inputs) the
    step is called directly, which saves the loop's fixed cost on every call.
    """
    import jax.numpy as jnp
    from jax import lax

    if steps == 1:
        carry, block = step(init, 0)
        return carry, None if block is None else block[None]
    return lax.scan(step, init, jnp.arange(steps))


def require_x64(kernel: str) -> None:
    """Fail clearly when JAX computes in float32 (autojax.jax enables x64 unless told not to)."""
    import jax

    if not jax.config.jax_enable_x64:
        raise TypeError(
            f"{kernel}: autojax.jax computes in float64, but JAX's x64 mode is off. "
            "Enable it with jax.config.update('jax_enable_x64', True) (autojax.jax does this "
            "on import unless AUTOJAX_JAX_ENABLE_X64=0 is set)."
        )


def jax_on_gpu() -> bool:
    """Whether JAX computes on an accelerator (its default backend is not the CPU)."""
    import jax

    return jax.default_backend() != "cpu"


def xp_on_gpu(array) -> bool:
    """Whether an array-API array lives on an accelerator (its device is not a CPU)."""
    from array_api_compat import device

    if array is None:
        return False
    text = str(device(array)).lower()
    return not ("cpu" in text or text in ("", "none"))


# ------------------------------------------------------------------------------ NUFFT

#: the optional libraries of ``method="nufft"`` (the 'nufft' extra), per backend
NUFFT_LIBRARIES = {"numba": ("finufft",), "jax": ("jax_finufft", "nufftax")}
NUFFT_EXTRA = "pip install 'autojax[nufft]'"
#: FINUFFT runs on one thread when both the points and the modes are fewer than this:
#: starting its OpenMP team costs ~3 ms on 2 cores, more than the whole transform of 10^4
#: points onto 127^2 modes; with more modes its FFT gains from the threads (FINUFFT 2.5)
FINUFFT_SERIAL_BELOW = 2**15
#: which library the JAX NUFFT uses: "auto" (jax-finufft on the CPU, nufftax elsewhere),
#: "jax_finufft" or "nufftax" (AUTOJAX_JAX_NUFFT; read when a kernel is traced)
JAX_NUFFT = os.environ.get("AUTOJAX_JAX_NUFFT", "auto")


def have_module(name: str) -> bool:
    """Whether ``import name`` would find the module (without importing it).

    A module already imported (or blocked: ``sys.modules[name] = None``) answers at once;
    otherwise the search of the import path is done once per name (it takes ~50 us, and
    dispatchers ask on every call).
    """
    import sys

    if name in sys.modules:
        return sys.modules[name] is not None  # None: imports of it are blocked
    return _find_module(name)


@functools.cache
def _find_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def have_nufft(backend: str, array=None) -> bool:
    """Whether ``method="nufft"`` can run in ``backend`` (on ``array``'s namespace for xp).

    The ``auto`` rule of a dispatcher calls this so that it falls back to the exact
    method when the optional NUFFT libraries are missing (or, for the array-API backend,
    when the inputs live in a namespace the NUFFT does not support).
    """
    if backend == "xp":
        from array_api_compat import array_namespace, is_jax_namespace, is_numpy_namespace

        xp = array_namespace(array)
        if is_numpy_namespace(xp):
            backend = "numba"
        elif is_jax_namespace(xp):
            backend = "jax"
        else:
            return False
    if backend == "jax" and jax_on_gpu():
        return have_module("nufftax")  # jax-finufft's wheels are CPU-only
    return any(have_module(name) for name in NUFFT_LIBRARIES[backend])


def finufft_threads(points: int, modes: int) -> int:
    """``nthreads`` for FINUFFT: 1 for small transforms, else 0 (its default, all threads)."""
    return 1 if max(points, modes) < FINUFFT_SERIAL_BELOW else 0


def jax_nufft_plan(kernel: str) -> dict[str, str]:
    """Which library the JAX NUFFT lowers to, per platform: ``{"cpu": ..., "default": ...}``.

    jax-finufft's wheels hold the CPU transform only, and on the CPU it is about ten times
    faster than nufftax (pure JAX); nufftax runs on every platform (Pallas on GPUs). With
    both installed, ``lax.platform_dependent`` picks at lowering time. Raises ImportError
    naming the extra when neither is installed.
    """
    choice = JAX_NUFFT
    if choice not in ("auto", "jax_finufft", "nufftax"):
        raise ValueError(
            f"AUTOJAX_JAX_NUFFT is {choice!r}; expected 'auto', 'jax_finufft' or 'nufftax'"
        )
    finufft, nufftax = have_module("jax_finufft"), have_module("nufftax")
    missing = {"jax_finufft": "jax-finufft", "nufftax": "nufftax"}
    if choice != "auto":
        if not have_module(choice):
            raise ImportError(
                f"{kernel}: method 'nufft' with AUTOJAX_JAX_NUFFT={choice} needs "
                f"{missing[choice]}, part of the optional 'nufft' extra: {NUFFT_EXTRA}"
            )
        return {"default": choice}
    if finufft and nufftax:
        return {"cpu": "jax_finufft", "default": "nufftax"}
    if nufftax:
        return {"default": "nufftax"}
    if finufft:
        if jax_on_gpu():
            raise ImportError(
                f"{kernel}: method 'nufft' on a GPU needs nufftax (jax-finufft's wheels are "
                f"CPU-only), part of the optional 'nufft' extra: {NUFFT_EXTRA}"
            )
        return {"default": "jax_finufft"}
    raise ImportError(
        f"{kernel}: method 'nufft' needs the optional 'nufft' extra: {NUFFT_EXTRA} "
        "(neither jax-finufft nor nufftax is installed)"
    )


def jax_type3_plan(kernel: str, have_grid: bool) -> dict[str, str]:
    """:func:`jax_nufft_plan` for a type-3 NUFFT, whose nufftax branch needs a static grid.

    On the CPU with jax-finufft installed, jax-finufft alone (it sizes its grid at run
    time). Otherwise nufftax needs the grid ``have_grid`` says was computed from concrete
    points; without it (inputs traced by ``jax.jit``) this raises a clear ValueError.
    """
    plan = jax_nufft_plan(kernel)
    if "nufftax" not in plan.values():
        return plan
    if plan.get("cpu") == "jax_finufft" and not jax_on_gpu():
        return {"default": "jax_finufft"}
    if have_grid:
        return plan
    raise ValueError(
        f"{kernel}: the type-3 NUFFT by nufftax needs its grid size, which depends on the "
        "extents of the points and targets, but they are traced (inside jax.jit). Call it "
        "outside jax.jit, use jax-finufft on the CPU, or method='exact'."
    )


def refuse_non_finite(kernel: str, what: str, *coordinates) -> None:
    """Raise a ValueError when a NUFFT coordinate is NaN or inf (FINUFFT would crash the process).

    The argument checks refuse non-finite input; a finite input can still overflow (a huge
    pixel scale or baseline), and no NUFFT library may ever see the result. Traced
    coordinates pass (the JAX kernels replace them by 0 and poison the result).
    """
    import numpy as np

    if any("Tracer" in type(x).__name__ for x in coordinates):
        return  # traced: the jitted kernel replaces them and poisons its result
    for axis, x in enumerate(coordinates):
        x = np.asarray(x)
        bad = ~np.isfinite(x)
        if bad.any():
            raise ValueError(
                f"{kernel}: NUFFT {what} along axis {axis} hold {float(x[bad][0])} at index "
                f"{int(np.argmax(bad))}; they must be finite (the inputs are finite, so the "
                "coordinates overflowed: check the scale of uv_wavelengths, pixel_scale, the grid)"
            )


#: the most points a type-3 NUFFT's fine grid may have (AUTOJAX_NUFFT_MAX_GRID; 2**30
#: complex128 points are 16 GiB): beyond it FINUFFT fails to allocate and jax-finufft
#: aborts the process. A dirty image near Nyquist sampling needs about (2 N)**2 for an
#: N x N image; far larger extents mean bad input (a wrong unit), or a job for 'exact'.
NUFFT_MAX_GRID = int(os.environ.get("AUTOJAX_NUFFT_MAX_GRID", 2**30))


def type3_grid_points(xp, points, targets):
    """An estimate of a 2-D type-3 NUFFT's fine grid, from the half-extents of its points
    and targets (FINUFFT: ``2 sigma X S / pi`` per axis with ``sigma = 2``, plus the spread)."""
    total = 1.0
    for x, s in zip(points, targets):
        half_x = (xp.max(x) - xp.min(x)) / 2
        half_s = (xp.max(s) - xp.min(s)) / 2
        total = total * (4 * half_x * half_s / math.pi + 32)
    return total


def type3_coordinates_ok(xp, points, targets):
    """0-d boolean: every coordinate finite and the fine grid within :data:`NUFFT_MAX_GRID`."""
    ok = xp.asarray(True)
    for a in (*points, *targets):
        ok = ok & xp.all(xp.isfinite(a))
    size = type3_grid_points(xp, points, targets)
    return ok & (xp.where(ok, size, 0.0) <= NUFFT_MAX_GRID)


def refuse_bad_type3(kernel: str, points, targets) -> None:
    """Raise a ValueError when concrete type-3 coordinates could crash the NUFFT library:
    NaN or inf (only an overflow gives them: the argument checks refuse non-finite input),
    or extents whose fine grid exceeds :data:`NUFFT_MAX_GRID`. Traced coordinates pass
    (the jitted kernel replaces them and poisons its result)."""
    import numpy as np

    if any("Tracer" in type(a).__name__ for a in (*points, *targets)):
        return
    points = [np.asarray(a) for a in points]
    targets = [np.asarray(a) for a in targets]
    if any(a.size == 0 for a in (*points, *targets)):
        return
    refuse_non_finite(kernel, "points", *points)
    refuse_non_finite(kernel, "targets", *targets)
    size = float(type3_grid_points(np, points, targets))
    if size > NUFFT_MAX_GRID:
        raise ValueError(
            f"{kernel}: the extents of uv_wavelengths and grid_radians_slim need a NUFFT fine "
            f"grid of about {size:.3g} points, more than the {NUFFT_MAX_GRID} allowed "
            "(AUTOJAX_NUFFT_MAX_GRID); check their units (wavelengths, radians) or use "
            "method='exact'"
        )


def nufftax_type3_grid(eps: float, points, targets) -> tuple[int, int] | None:
    """nufftax's static 2-D type-3 grid from the half-widths of the coordinates.

    ``points`` and ``targets``: the two source and the two target coordinate arrays. None
    when any is traced (its extent is unknown until run time) or empty.
    """
    import numpy as np

    arrays = [*points, *targets]
    if any("Tracer" in type(a).__name__ for a in arrays) or any(a.size == 0 for a in arrays):
        return None
    import nufftax

    half = [float((np.max(a) - np.min(a)) / 2) for a in (np.asarray(a) for a in arrays)]
    return tuple(int(n) for n in nufftax.compute_type3_grid_sizes_2d(*half, eps=eps))


#: elements of the padded lattice times columns one FFT chunk may hold (AUTOJAX_FFT_BUDGET)
FFT_BUDGET = int(os.environ.get("AUTOJAX_FFT_BUDGET", 2**23))


def fft_size(n: int) -> int:
    """The smallest 2-3-5-smooth length >= n (FFT libraries are fastest on those)."""
    n = max(int(n), 1)
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def fft_chunk(lattice_elements: int, columns: int) -> int:
    """Columns per batched FFT within ``FFT_BUDGET`` elements (at least 1, at most all)."""
    return max(1, min(max(int(columns), 1), FFT_BUDGET // max(int(lattice_elements), 1)))


def circular_layout(xp, table, h: int, w: int, l1: int, l2: int):
    """A kernel table over offsets (-(h-1)..h-1) x (-(w-1)..w-1) in circular (FFT) order.

    Offset (dr, dc) lands at (dr mod l1, dc mod l2) of an (l1, l2) array, the rest zero;
    needs l1 >= 2h - 1 and l2 >= 2w - 1 so that no two offsets share a place.
    """
    from array_api_compat import device

    def zeros(shape):
        return xp.zeros(shape, dtype=table.dtype, device=device(table))

    rows = xp.concat(
        [table[h - 1 :, :], zeros((l1 - (2 * h - 1), 2 * w - 1)), table[: h - 1, :]], axis=0
    )
    return xp.concat([rows[:, w - 1 :], zeros((l1, l2 - (2 * w - 1))), rows[:, : w - 1]], axis=1)


def inverse_positions(xp, flat, size: int):
    """For each place 0..size-1 of a flattened lattice, the pixel there, or len(flat) if none.

    ``flat`` holds distinct places; uses a sort and a binary search (no scatter), so it works
    in any array-API namespace.
    """
    from array_api_compat import device

    m = flat.shape[0]
    if m == 0:
        return xp.zeros((size,), dtype=flat.dtype, device=device(flat))
    order = xp.argsort(flat)
    ordered = xp.take(flat, order)
    places = xp.arange(size, dtype=flat.dtype, device=device(flat))
    where = xp.searchsorted(ordered, places)
    clipped = xp.minimum(where, xp.asarray(m - 1, dtype=where.dtype))
    hit = (where < m) & (xp.take(ordered, clipped) == places)
    return xp.where(hit, xp.take(order, clipped), xp.asarray(m, dtype=order.dtype))
