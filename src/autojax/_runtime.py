"""Small run-time helpers the generated backends share (no kernel bodies live here)."""

from __future__ import annotations

import functools
import math
import os
import threading
from typing import Any, NamedTuple

from ._linalg import _is_numpy

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
NUFFT_LIBRARIES = {"numba": ("ducc0", "finufft"), "jax": ("ducc0", "jax_finufft", "nufftax")}
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


#: the libraries a NUFFT kernel's ``library`` may name (its method: nufft_<library>); "auto"
#: (method ``nufft``) takes the fastest installed one that reaches the tolerance
NUFFT_CHOICES = ("auto", "ducc0", "finufft")
#: ducc0 runs on one thread when both the points and the modes (or targets) are fewer
DUCC0_SERIAL_BELOW = 2**15


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def ducc0_threads(points: int, modes: int) -> int:
    """``nthreads`` for ducc0 (it wants an explicit count): 1 for small transforms, else
    the usable cores."""
    return 1 if max(points, modes) < DUCC0_SERIAL_BELOW else usable_cores()


@functools.cache
def ducc0_min_eps(type3: bool) -> float:
    """The smallest tolerance ducc0 accepts for a 2-D float64 NUFFT.

    Type 1: ``ducc0.nufft.bestEpsilon`` (7.2e-15 in ducc0 0.42). Type 3 (``nu2nu``, under
    ``ducc0.nufft.experimental``) needs twice that (1.44e-14 in 0.42: measured, it refuses
    anything smaller), above the dirty image's default ``eps = 1e-14``: see
    :func:`ducc0_eps` for what happens then.
    """
    import ducc0

    best = float(ducc0.nufft.bestEpsilon(ndim=2, singleprec=False))
    return 2 * best if type3 else best


#: method ``nufft`` (library "auto") takes ducc0 for ``eps`` at least this (the default
#: eps of the compact form and the dirty image), raising it to ducc0's smallest tolerance
#: where that is larger (its type 3: 1.44e-14); a smaller eps goes to FINUFFT
AUTO_DUCC0_MIN_EPS = 1e-14


def nufft_library(kernel: str, library: str, eps: float, type3: bool, libraries=None) -> str:
    """The library a NumPy NUFFT runs on: ``"ducc0"`` or ``"finufft"``.

    ``library`` is the kernel's (its method ``nufft_<library>``, or ``auto`` for method
    ``nufft``). ``auto`` takes ducc0 (measured 1.2-2x faster than FINUFFT at the same
    accuracy) when it is installed and ``eps >= AUTO_DUCC0_MIN_EPS``, else FINUFFT; an
    explicit library must be installed (ImportError naming the extra) and, for ducc0,
    ``eps`` must be at least :func:`ducc0_min_eps` (ValueError naming ``eps``).
    ``libraries``: the candidate module names (default: the Numba backend's).
    """
    have = {name: have_module(name) for name in (libraries or ("ducc0", "finufft"))}
    if library == "auto":
        if have.get("ducc0") and eps >= AUTO_DUCC0_MIN_EPS:
            return "ducc0"
        for name in have:
            if name != "ducc0" and have[name]:
                return name
        if have.get("ducc0"):
            ducc0_eps(kernel, eps, type3, clamp=False)  # FINUFFT is missing: eps must suit ducc0
            return "ducc0"
        raise ImportError(
            f"{kernel}: method 'nufft' needs the optional 'nufft' extra: {NUFFT_EXTRA} "
            f"(none of {', '.join(have)} is installed)"
        )
    if library not in NUFFT_CHOICES:
        raise ValueError(f"{kernel}: unknown NUFFT library {library!r}; expected {NUFFT_CHOICES}")
    if not have_module(library):
        raise ImportError(
            f"{kernel}: method 'nufft_{library}' needs {library}, part of the optional 'nufft' "
            f"extra: {NUFFT_EXTRA}"
        )
    if library == "ducc0":
        ducc0_eps(kernel, eps, type3, clamp=False)
    return library


def ducc0_eps(kernel: str, eps: float, type3: bool, clamp: bool) -> float:
    """The ``epsilon`` to give ducc0 for ``eps``: ``eps`` itself when ducc0 accepts it;
    below :func:`ducc0_min_eps` the smallest it accepts under method ``nufft``
    (``clamp``), a ValueError naming ``eps`` under method ``nufft_ducc0``."""
    floor = ducc0_min_eps(type3)
    if eps >= floor:
        return float(eps)
    if clamp:
        return floor
    what = "type-3 (nu2nu)" if type3 else "type-1 (nu2u)"
    raise ValueError(
        f"{kernel}: eps = {eps:g} is below the smallest tolerance ducc0's {what} NUFFT "
        f"accepts ({floor:.3g}); pass eps >= {floor:.3g} (e.g. 2e-14) or use "
        "method='nufft_finufft'"
    )


def ducc0_coordinates(kernel: str, coord, fold: bool):
    """ducc0's (K, 2) point coordinates, checked: finite (else ValueError), and for a type 1
    (``fold``) folded into [-pi, pi) when any lies outside (exact: the modes are integers;
    a new array then, else ``coord`` itself).

    Non-finite coordinates never reach the library (it would hang or read out of bounds).
    """
    import numpy as np

    if coord.size == 0:
        return coord
    top = float(np.max(np.abs(coord)))  # NaN if any is NaN
    if not np.isfinite(top):
        _refuse_coordinate(kernel)
    if fold and top >= np.pi:
        return coord - 2 * np.pi * np.floor((coord + np.pi) / (2 * np.pi))
    return coord


def _refuse_coordinate(kernel: str):
    raise ValueError(
        f"{kernel}: a NUFFT point coordinate is not finite (check uv_wavelengths and the "
        "other inputs of the points)"
    )


class ScaledPoints(NamedTuple):
    """Points ``x_a(k) = scales[a] * coord[k, a]`` handed to ducc0 without building them.

    ``coord``: the input array itself or its column-swapped view (no copy); ``period``: the
    type-1 ``periodicity`` per axis, ``2 pi / |scales[a]|``; ``flip``: the axes whose scale
    is negative (a type 1 reads their modes reversed); ``halves``: an upper bound of each
    axis's half-extent of the scaled points (from the extremes of the whole array)."""

    coord: Any
    scales: tuple[float, float]
    period: tuple[float, float]
    flip: tuple[bool, bool]
    halves: tuple[float, float]


def ducc0_scaled_points(kernel: str, array, swap: bool, scales) -> ScaledPoints | None:
    """ducc0's points as the (K, 2) float64 ``array`` scaled per axis, when the kernel's
    points are ``s_a * array[k, j_a]`` (``swap``: ``j = (1, 0)``): one pass over ``array``
    for its extremes (finite, else ValueError as :func:`ducc0_coordinates`; no scaled
    point may overflow) instead of building and checking a coordinate array. None when it
    does not apply (a scale that is 0 or not finite, an array of another dtype or layout):
    the caller builds the coordinates then."""
    import numpy as np

    scales = tuple(float(x) for x in scales)
    if not (
        isinstance(array, np.ndarray)
        and array.dtype == np.float64
        and array.ndim == 2
        and array.shape[1] == 2
        and all(math.isfinite(x) and x != 0.0 for x in scales)
    ):
        return None
    halves = (0.0, 0.0)
    if array.size:
        hi, lo = float(array.max()), float(array.min())  # NaN if any is NaN
        top = max(abs(hi), abs(lo)) * max(abs(x) for x in scales)
        if not math.isfinite(top):
            _refuse_coordinate(kernel)
        halves = tuple((hi / 2 - lo / 2) * abs(x) for x in scales)
    return ScaledPoints(
        array[:, ::-1] if swap else array,
        scales,
        tuple(2 * math.pi / abs(x) for x in scales),
        tuple(x < 0 for x in scales),
        halves,
    )


def mode_slice(lo: int, half: int, extent: int, flip: bool) -> slice:
    """The slice of a centred type-1 axis (modes ``-half..half``) holding the modes
    ``lo .. lo + extent - 1``; reversed (mode ``m`` at ``half - m``) for a ``flip`` axis."""
    if not flip:
        return slice(lo + half, lo + half + extent)
    stop = half - lo - extent
    return slice(half - lo, stop if stop >= 0 else None, -1)


def refuse_big_type3_grid(kernel: str, scaled: ScaledPoints, targets) -> None:
    """:func:`refuse_bad_type3` for :class:`ScaledPoints` (their extremes already checked)
    and ``targets`` (M, 2), already scaled and checked: a ValueError when the fine grid
    exceeds :data:`NUFFT_MAX_GRID`, the points' exact per-axis extents computed only when
    the bound from the whole array's extremes is above it."""
    import numpy as np

    if targets.size == 0 or scaled.coord.size == 0:
        return
    target_halves = [float(np.max(t) / 2 - np.min(t) / 2) for t in targets.T]

    def size(halves):
        total = 1.0
        for hx, hs in zip(halves, target_halves):
            total *= 4 * hx * hs / math.pi + 32
        return total

    if size(scaled.halves) <= NUFFT_MAX_GRID:
        return
    exact = [
        float(np.max(x) / 2 - np.min(x) / 2) * abs(s) for x, s in zip(scaled.coord.T, scaled.scales)
    ]
    _refuse_grid(kernel, size(exact))


#: the largest weights buffer (bytes) a thread keeps between NumPy NUFFT calls
#: (AUTOJAX_NUFFT_KEEP_BYTES; 128 MiB: K up to 8.4e6 complex weights)
NUFFT_KEEP_BYTES = int(os.environ.get("AUTOJAX_NUFFT_KEEP_BYTES", 2**27))
_kept = threading.local()


def kept_buffer(role: str, shape):
    """A complex128 array of ``shape`` for a temporary (``role``: a NUFFT's weights or
    library output, a lattice spectrum), every entry to be overwritten, never returned to
    the caller.

    The calling thread keeps one buffer per role (the largest asked for, up to
    :data:`NUFFT_KEEP_BYTES`) and hands out a view of its first entries: fresh K-sized
    arrays per call cost their page faults every call, and with them ducc0's own buffers
    fault too (measured at K = 1e6, one kernel called repeatedly as a loop over datasets
    does: about 6,000 faults and 5-10 ms per call). Larger arrays are allocated per call.
    """
    import numpy as np

    total = math.prod(shape)
    if 16 * total > NUFFT_KEEP_BYTES:
        return np.empty(shape, dtype=np.complex128)
    kept = getattr(_kept, role, None)
    if kept is None or kept.shape[0] < total:
        kept = np.empty((total,), dtype=np.complex128)
        setattr(_kept, role, kept)
    return kept[:total].reshape(shape)


#: the NUFFT templates' name for :func:`kept_buffer`
nufft_buffer = kept_buffer


#: elements per chunk of the NumPy NUFFT templates' weight pass: its temporaries stay in
#: cache and are reused, instead of K-sized arrays allocated (and first touched) per call
WEIGHT_CHUNK = 2**15


def interleaved(array):
    """A complex128 array's (K,) values as (2K,) float64 (real, imaginary, ...), no copy
    when it is contiguous: the NumPy NUFFT templates write a weight whose imaginary part
    is its real part with ``real`` and ``imag`` swapped as one elementwise pass over these."""
    import numpy as np

    return np.ascontiguousarray(array, dtype=np.complex128).view(np.float64)


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
    _refuse_grid(kernel, float(type3_grid_points(np, points, targets)))


def _refuse_grid(kernel: str, size: float) -> None:
    if size > NUFFT_MAX_GRID:
        raise ValueError(
            f"{kernel}: the extents of uv_wavelengths and grid_radians_slim need a NUFFT fine "
            f"grid of about {size:.3g} points, more than the {NUFFT_MAX_GRID} allowed "
            "(AUTOJAX_NUFFT_MAX_GRID); check their units (wavelengths, radians) or use "
            "method='exact'"
        )


def jax_library_plan(
    kernel: str, library: str, eps: float, type3: bool, have_grid: bool
) -> dict[str, str]:
    """Which library a JAX NUFFT kernel lowers to, per platform (``lax.platform_dependent``).

    ``library`` is the kernel's: ``"finufft"`` (method ``nufft_finufft``) is
    :func:`jax_nufft_plan` (:func:`jax_type3_plan` for a type 3): jax-finufft on the CPU,
    nufftax elsewhere. ``"ducc0"`` is ducc0 through ``jax.pure_callback`` on every platform
    (on a GPU the arrays go through the host). ``"auto"`` (method ``nufft``) is ducc0 on the
    CPU when it is installed, accepts ``eps`` and ``AUTOJAX_JAX_NUFFT`` is ``auto`` (it is
    the faster library there, measured), else the FINUFFT plan; nufftax elsewhere.
    """
    if library == "ducc0":
        nufft_library(kernel, "ducc0", eps, type3, libraries=("ducc0",))
        return {"default": "ducc0"}
    if library != "auto":
        return jax_type3_plan(kernel, have_grid) if type3 else jax_nufft_plan(kernel)
    ducc = JAX_NUFFT == "auto" and have_module("ducc0") and eps >= AUTO_DUCC0_MIN_EPS
    try:
        plan = jax_type3_plan(kernel, have_grid) if type3 else jax_nufft_plan(kernel)
    except (ImportError, ValueError):
        if not ducc or jax_on_gpu():
            raise
        return {"default": "ducc0"}
    if not ducc:
        return plan
    if jax_on_gpu():
        return plan if "cpu" not in plan else {**plan, "cpu": "ducc0"}
    return {"default": "ducc0"}


def ducc0_jax(kernel: str, coord, weights, targets, shape, forward: bool, eps: float):
    """ducc0's 2-D NUFFT of JAX arrays through ``jax.pure_callback`` (traceable, vmappable
    one batch element at a time; no derivative rule): type 1 (``targets`` None, the
    centred modes of ``shape``; the points folded on the host when any lies outside
    [-pi, pi)) or type 3 onto ``targets`` ((M, 2), ``shape`` (M,)).

    Non-finite coordinates never reach ducc0: the host sees them first (one pass, the one
    that decides the fold) and returns all NaN instead, the poison under ``jax.jit``, where
    no error can be raised.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    # an explicit nufft_ducc0 had eps checked by jax_library_plan; method nufft raises it
    eps = ducc0_eps(kernel, eps, targets is not None, clamp=True)

    def host(coord, weights, *targets):
        import ducc0

        out = np.empty(shape, dtype=np.complex128)
        try:
            coord = ducc0_coordinates(kernel, np.asarray(coord), fold=not targets)
            targets = [ducc0_coordinates(kernel, np.asarray(t), fold=False) for t in targets]
        except ValueError:
            out.fill(np.nan)
            return out
        weights = np.asarray(weights)
        threads = ducc0_threads(len(weights), out.size)
        if not targets:
            return ducc0.nufft.nu2u(
                points=weights,
                coord=coord,
                forward=forward,
                epsilon=eps,
                nthreads=threads,
                out=out,
            )
        return ducc0.nufft.experimental.nu2nu(
            points_in=weights,
            coord_in=coord,
            coord_out=targets[0],
            forward=forward,
            epsilon=eps,
            nthreads=threads,
            points_out=out,
        )

    arrays = [coord, weights] if targets is None else [coord, weights, targets]
    result = jax.ShapeDtypeStruct(shape, jnp.complex128)
    return jax.pure_callback(host, result, *arrays, vmap_method="sequential")


def jax_host_ducc0(kernel: str, library: str, eps: float, type3: bool) -> bool:
    """Whether a JAX NUFFT kernel runs ducc0 on the host (its plan is ducc0 alone: method
    ``nufft`` on a CPU with ducc0 installed, or ``nufft_ducc0``) with the NumPy code of
    the other backends (:func:`host_route`)."""
    return jax_library_plan(kernel, library, eps, type3, True) == {"default": "ducc0"}


def host_route(
    function,
    shape,
    dtype: str,
    static: dict,
    dynamic: dict,
    empty: bool = False,
    derivative=None,
):
    """A kernel's NumPy code ``function(**static, **dynamic)`` on the host: eagerly on
    concrete arrays (:func:`host_eager`, its ValueErrors raised), else one host callback
    (:func:`host_callback`, returned as it is so that the validated wrapper can leave the
    value rules to it); traced and ``empty`` (a sum over no points, or no outputs): zeros.

    ``derivative``: a traceable function of the ``dynamic`` arguments (by name) with the
    same value, the kernel on a library JAX can differentiate; given, the callback gets a
    ``jax.custom_jvp`` whose tangent is that function's (``jax.grad``, ``jax.jvp`` and
    ``jax.jacfwd`` go through it; the value stays the callback's)."""
    if any("Tracer" in type(a).__name__ for a in dynamic.values()):
        if empty:
            import jax.numpy as jnp

            return jnp.zeros(shape, dtype=dtype)
        return host_callback(function, shape, dtype, static, dynamic, derivative)
    return host_eager(function, **static, **dynamic)


def _with_derivative(call, names: list, derivative):
    """``call`` (of the operands, the values of ``names`` first) under a ``jax.custom_jvp``
    whose tangent is ``derivative``'s (see :func:`host_route`). Every traced value the
    callback reads is an operand (a closed-over tracer breaks ``jax.grad(jax.jit(...))``)."""
    import jax

    call = jax.custom_jvp(call)

    @call.defjvp
    def _tangent(primals, tangents):
        count = len(names)
        try:
            _, tangent = jax.jvp(
                lambda *values: derivative(**dict(zip(names, values))),
                tuple(primals[:count]),
                tuple(tangents[:count]),
            )
        except (ImportError, ValueError) as exc:
            raise type(exc)(
                f"a derivative of a kernel that runs on the host (no JAX derivative rule) is "
                f"taken through a library JAX differentiates, which failed: {exc}"
            ) from exc
        return call(*primals), tangent

    return call


def host_eager(function, *args, **kwargs):
    """``function`` (a kernel's NumPy code) on concrete JAX arrays: NumPy views of them in,
    its ValueErrors raised as they are, the result as a JAX array."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    args = [np.asarray(a) if isinstance(a, jax.Array) else a for a in args]
    kwargs = {k: np.asarray(a) if isinstance(a, jax.Array) else a for k, a in kwargs.items()}
    return jnp.asarray(function(*args, **kwargs))


def host_callback(function, shape, dtype: str, static: dict, dynamic: dict, derivative=None):
    """``function(**static, **dynamic)`` (a kernel's NumPy code) as one host callback
    under ``jax.jit`` (vmappable one batch element at a time; with ``derivative``, a
    ``jax.custom_jvp`` as :func:`host_route` says, else no derivative rule),
    returning ``shape`` of ``dtype``. A ValueError (points that are not finite or too far
    apart: no error can be raised under ``jax.jit``) gives all NaN instead.

    The value rules of the traced validated call it runs in (when no other callback has
    taken them: :func:`autojax._validate.claim_host_checks`) run here too, on the host
    before ``function``: a failed rule gives all NaN, and when this output is the kernel's
    result the wrapper skips its XLA passes over the arrays (the rules and the NaN
    multiply: 4-8 ms beside a 45 ms ducc0 call at K = 1e6, measured).

    On the CPU through ``jax.experimental.buffer_callback``: the inputs are the arrays' own
    buffers (``jax.pure_callback`` hands over copies: 9 ms for the 16 MB of uv at K = 1e6,
    measured) and the result is written into the output buffer; elsewhere, or where JAX
    lacks it, ``jax.pure_callback``.
    """
    from ._validate import claim_host_checks

    names = list(dynamic)
    checks = claim_host_checks()
    operands, ruled = _with_rule_operands(list(dynamic.values()), checks)

    def call(*values):
        return _host_call(function, shape, dtype, static, names, list(values), ruled, checks)

    if derivative is not None:  # (see host_route)
        call = _with_derivative(call, names, derivative)
    out = call(*operands)
    if checks is not None:
        checks.result = out
    return out


def _with_rule_operands(operands: list, checks) -> tuple[list, list]:
    """``(operands, ruled)``: the callback's operands, with every traced value the claimed
    value rules read appended unless it is one of them already, and ``ruled``: for each of
    those values ``(operand index, name, pair index, traced value)``."""
    operands = list(operands)
    ruled = []
    if checks is not None:
        for name, index, value in checks.operands():
            same = [i for i, v in enumerate(operands) if v is value]
            if not same:
                operands.append(value)
            ruled.append((same[0] if same else len(operands) - 1, name, index, value))
    return operands, ruled


def _host_call(function, shape, dtype, static, names, operands, ruled, checks):
    """The callback of :func:`host_callback`: ``operands`` start with the values of
    ``names``; the rules of ``checks`` read the operands ``ruled`` points at."""
    import jax
    import numpy as np

    def run(values):
        kwargs = dict(static)
        for name, value in zip(names, values):
            value = np.asarray(value)
            kwargs[name] = value[()] if value.ndim == 0 else value
        try:
            if ruled:
                host = [np.asarray(values[i]) for i, *_ in ruled]
                checks.run([r[1:] for r in ruled], [v[()] if v.ndim == 0 else v for v in host])
            # under jax.jit the argument checks poison the result instead of raising, so
            # invalid values (a zero noise) reach here: no warnings for them
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                return np.asarray(function(**kwargs), dtype=dtype)
        except ValueError:
            return np.full(shape, np.nan, dtype=dtype)

    result = jax.ShapeDtypeStruct(shape, np.dtype(dtype))
    return host_array_call(lambda *values: run(values), result, *operands)


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


def rfftn(xp, array, axes):
    """``xp.fft.rfftn``; for NumPy arrays SciPy's, on every usable core (NumPy's own FFT is
    single-threaded: the lattice lowering's batched transforms are its cost)."""
    if _is_numpy(xp):
        import scipy.fft

        return scipy.fft.rfftn(array, axes=axes, workers=usable_cores())
    return xp.fft.rfftn(array, axes=axes)


def lattice_convolve(xp, box, khat, l1: int, l2: int, axes: tuple[int, int] = (0, 1)):
    """Rows ``0..h-1`` (``h = box.shape[axes[0]]``) of the circular convolution, on the
    ``(l1, l2)`` lattice over ``axes``, of ``box`` zero-padded to it with the kernel whose
    real 2-D FFT is ``khat`` (broadcast against the spectrum): the Lattice kind's ``fft``
    lowering of W applied to columns placed on the (h, w) box.

    Pruned transforms: a real FFT of length ``l2`` along ``axes[1]`` of the box's rows
    alone, a complex one of length ``l1`` along ``axes[0]``, the product, the inverse
    along ``axes[0]``, and the real inverse along ``axes[1]`` of the ``h`` rows read back;
    the rows of zeros are never transformed along ``axes[1]``. NumPy arrays: SciPy's FFT
    on every usable core, the spectrum in the calling thread's kept buffer and transformed
    in place (a fresh spectrum per call costs its page faults every call, and SciPy's own
    padding was slow). Measured at alma (288-square lattice, 140 x 140 box, 20 columns,
    2 cores): NumPy 11 ms against 20 ms for ``rfftn`` and ``irfftn`` of the whole
    lattice; JAX under ``jit`` 9-10 ms against 13-15 ms for ``irfft2(rfft2(...))``.
    """
    first, second = axes
    h = box.shape[first]
    head = (slice(None),) * first + (slice(0, h), Ellipsis)
    tail = (slice(None),) * first + (slice(h, None), Ellipsis)
    if _is_numpy(xp):
        import scipy.fft

        workers = usable_cores()
        rows = scipy.fft.rfft(box, n=l2, axis=second, workers=workers)
        shape = list(rows.shape)
        shape[first] = l1
        spectrum = kept_buffer("lattice spectrum", tuple(shape))
        spectrum[head] = rows
        spectrum[tail] = 0
        spectrum = scipy.fft.fft(spectrum, axis=first, workers=workers, overwrite_x=True)
        spectrum *= khat
        spectrum = scipy.fft.ifft(spectrum, axis=first, workers=workers, overwrite_x=True)
        return scipy.fft.irfft(spectrum[head], n=l2, axis=second, workers=workers)
    spectrum = xp.fft.fft(xp.fft.rfft(box, n=l2, axis=second), n=l1, axis=first) * khat
    return xp.fft.irfft(xp.fft.ifft(spectrum, axis=first)[head], n=l2, axis=second)


def walker_axes(arguments, ranks) -> tuple[tuple[int, ...], list[bool], list]:
    """The walker axes of a host callback's arguments under ``jax.vmap``
    (``vmap_method="expand_dims"``: a batched argument gains leading axes, a shared one
    leading axes of size 1). ``ranks``: each argument's rank for one walker.

    Returns ``(lead, per_walker, arrays)``: the broadcast leading axes (``()`` outside
    ``vmap``); for each argument whether it differs between walkers, and the argument
    as one walker's array (shared) or with the walker axes flattened into one (per walker).
    """
    import numpy as np

    arrays = [np.asarray(a) for a in arguments]
    lead = np.broadcast_shapes(*(a.shape[: a.ndim - r] for a, r in zip(arrays, ranks)))
    walkers = math.prod(lead)
    per_walker, out = [], []
    for a, r in zip(arrays, ranks):
        own = a.shape[a.ndim - r :]
        if math.prod(a.shape[: a.ndim - r]) == 1:
            per_walker.append(False)
            out.append(a.reshape(own))
        else:
            per_walker.append(True)
            out.append(np.broadcast_to(a, (*lead, *own)).reshape((walkers, *own)))
    return lead, per_walker, out


_WALKER_POOL = None


def for_each_walker(function, walkers: int) -> None:
    """``function(k)`` for each walker ``k`` in ``range(walkers)``, the walkers spread over
    Numba's thread count of persistent Python threads (in the calling thread when that is
    one). For the host callbacks of a batch under ``jax.vmap``: ``function`` calls
    single-threaded ``nogil`` Numba code (or LAPACK on one BLAS thread), so the threads run
    in parallel. Not Numba's own parallel loop: called from the thread XLA runs a callback
    on, a ``prange`` over the walkers took 1.6x the time it takes from the main thread
    (measured at n = 1000, 2 walkers on 2 cores: 23 ms against 14 ms; these threads, 18 ms).
    """
    global _WALKER_POOL
    import numba

    threads = max(1, min(walkers, numba.get_num_threads()))
    if threads == 1:
        for k in range(walkers):
            function(k)
        return
    if _WALKER_POOL is None or _WALKER_POOL._max_workers < threads:
        from concurrent.futures import ThreadPoolExecutor

        _WALKER_POOL = ThreadPoolExecutor(
            max_workers=max(threads, usable_cores()), thread_name_prefix="autojax-walkers"
        )

    def share(first: int) -> None:
        for k in range(first, walkers, threads):
            function(k)

    for done in [_WALKER_POOL.submit(share, t) for t in range(threads)]:
        done.result()


def host_array_call(function, shapes, *operands, vmap_method: str = "sequential"):
    """``function(*operands)`` on the host under JAX: NumPy arrays in, an array (or a tuple of
    arrays, as ``shapes`` is one ``jax.ShapeDtypeStruct`` or a tuple of them) out.

    On the CPU through ``jax.experimental.buffer_callback``: ``function`` reads the operands'
    own buffers and its results are written into the buffers XLA allocates.
    ``jax.pure_callback`` copies every operand and result instead: 9 ms for 16 MB, and about
    50 ms for a 3,000-square factor and its matrix, measured. Elsewhere, or in a JAX
    without it, ``jax.pure_callback``. ``vmap_method`` as for ``jax.pure_callback``.
    """
    import jax
    import numpy as np

    buffer_callback = jax_buffer_callback()
    if buffer_callback is None:
        return jax.pure_callback(function, shapes, *operands, vmap_method=vmap_method)
    single = isinstance(shapes, jax.ShapeDtypeStruct)

    def into(ctx, out, *values):
        buffers = [np.asarray(b) for b in ((out,) if single else out)]
        for buffer in buffers:  # XLA's fresh buffers: first touched below
            advise_huge_pages(buffer)
        result = function(*(np.asarray(v) for v in values))
        for buffer, value in zip(buffers, (result,) if single else result):
            buffer[...] = value

    return buffer_callback(into, shapes, vmap_method=vmap_method)(*operands)


def jax_buffer_callback():
    """``jax.experimental.buffer_callback.buffer_callback`` where a host callback may write
    its result straight into the output buffer XLA allocates (JAX on the CPU, a JAX that
    has it); else None (then ``jax.pure_callback``, whose result XLA copies)."""
    if jax_on_gpu():
        return None
    try:
        from jax.experimental.buffer_callback import buffer_callback
    except ImportError:  # an older JAX
        return None
    return buffer_callback


#: Linux's madvise advice asking for transparent huge pages (MADV_HUGEPAGE)
_MADV_HUGEPAGE = 14
#: the smallest array worth the system call (a huge page is 2 MiB)
_HUGE_PAGES_MIN_BYTES = 4 * 2**20


@functools.cache
def _libc_madvise():
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


def advise_huge_pages(array) -> bool:
    """Ask Linux to back the whole pages inside ``array`` (a NumPy array about to be
    written for the first time) with transparent huge pages.

    For a result written into a buffer XLA allocated (see :func:`jax_buffer_callback`):
    glibc serves an allocation that large with a fresh ``mmap``, and where the system
    gives huge pages only on request (``/sys/kernel/mm/transparent_hugepage/enabled`` is
    ``madvise``) the first touch faults it in 4 KiB pages, about 30 ms for the 72 MB of F
    at S = 3,000. NumPy asks the same for its own large arrays. Nothing where the advice
    is unknown (not Linux) or refused: the result is the same, only slower to write.
    Returns whether the advice was given and accepted."""
    if array.nbytes < _HUGE_PAGES_MIN_BYTES:
        return False
    madvise = _libc_madvise()
    if madvise is None:
        return False
    import mmap

    page = mmap.PAGESIZE
    start = array.__array_interface__["data"][0]
    first = -(-start // page) * page
    last = (start + array.nbytes) // page * page
    # a failure (a kernel without transparent huge pages) leaves 4 KiB pages
    return last > first and madvise(first, last - first, _MADV_HUGEPAGE) == 0
