"""The log evidence of a linear source inversion for one observation: the MCMC step.

:class:`Likelihood` is a thin layer over the kernels. Per observation it computes, once and
lazily, the four things that cost O(K) (the compact form of W-tilde, the noise-weighted
dirty image, the data chi-squared and the noise normalisation); per step,
:meth:`Likelihood.log_evidence` calls one kernel,
``log_evidence_via_w_compact_from``, whose cost does not depend on K.

With ``backend="jax"`` the object is a JAX pytree, so a step runs under ``jax.jit``,
``jax.vmap`` (a batch of mappings, one per walker) and ``jax.grad`` (with respect to the
mapping weights and the regularization coefficient)::

    likelihood = Likelihood(observation, backend="jax")
    step = jax.jit(Likelihood.log_evidence)
    value = step(likelihood, pix_indexes, pix_weights, neighbors, neighbors_sizes, 1.0)

Only ``backend="jax"`` objects go through ``jax.jit``, ``jax.vmap`` and ``jax.grad``: the
Numba and array-API backends compute on NumPy arrays, and passing them to a JAX
transformation raises a ``TypeError`` that says so.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import backends
from .observation import Mask, Observation

__all__ = ["BACKENDS", "Fit", "Likelihood"]

#: the backends a Likelihood runs on (``original`` has no compact form)
BACKENDS = ("numba", "jax", "xp")
#: visibilities per precompute chunk: small enough for a progress bar to move, large enough
#: that the NUFFT's per-call FFT is a few per cent of a chunk
CHUNK = 2**18
#: a precompute predicted to take longer than this many seconds shows a progress bar
PROGRESS_AFTER_S = 1.0

_PRECOMPUTED = ("w_compact", "dirty_image", "chi_squared_data", "noise_normalization")


@dataclass(frozen=True)
class Fit:
    """The inversion of one step, as NumPy arrays for plotting.

    ``reconstruction`` (S,) is the source; ``mapped_image`` (M,) the source mapped to the
    image plane (``T s``); ``residual_dirty_image`` (M,) the dirty image of the residual
    visibilities, ``dirty_image - W T s`` (exact when Re(sigma) = Im(sigma), as the lattice
    forms need); ``chi_squared`` the residuals' chi-squared, ``chi2_data - 2 s.D + s.F s``;
    ``regularization_term`` ``s.H s``; ``log_evidence`` the step's value. ``mask.to_native``
    puts the (M,) arrays on the image.
    """

    reconstruction: np.ndarray
    mapped_image: np.ndarray
    residual_dirty_image: np.ndarray
    chi_squared: float
    regularization_term: float
    log_evidence: float
    mask: Mask


class Likelihood:
    """The log evidence of ``observation`` for any mapping, on one backend.

    The compact form of W-tilde is built from the real part of the noise, so the
    observation's noise must have ``Re(sigma) == Im(sigma)`` (a ``ValueError`` otherwise).

    Parameters
    ----------
    observation
        An :class:`autojax.Observation`.
    backend
        ``"numba"`` (the default: compiled loops on the CPU, always installed), ``"jax"``
        (jit/vmap/grad, CPU or GPU; the ``jax`` extra) or ``"xp"`` (array-API code on NumPy
        arrays; the ``xp`` extra). Chosen by you, never guessed from what is installed.
    method
        The curvature-matrix method of every step: ``"auto"`` (the backend's measured rule,
        see ``METHODS``), or one the backend has (``"conv"``, ``"two_pass"``, ``"fft"``).
    precompute_method
        How the compact form and the dirty image are computed once: ``"auto"``, ``"exact"``
        or ``"nufft"`` (the ``nufft`` extra), to the tolerance ``eps``.
    progress
        Show a progress bar for the precompute: ``None`` (when it is predicted to take more
        than a second), ``True`` or ``False``.
    """

    def __init__(
        self,
        observation: Observation,
        *,
        backend: str = "numba",
        method: str = "auto",
        precompute_method: str = "auto",
        eps: float = 1e-14,
        progress: bool | None = None,
    ):
        if not isinstance(observation, Observation):
            raise TypeError(
                f"Likelihood: 'observation' must be an autojax.Observation, got "
                f"{type(observation).__name__}"
            )
        if backend not in BACKENDS:
            raise ValueError(
                f"Likelihood: 'backend' must be one of {', '.join(map(repr, BACKENDS))}, "
                f"got {backend!r}"
            )
        worst = observation._noise_parts_differ()  # by chunks when the data are on disk
        if worst is not None:
            raise ValueError(
                "Likelihood: the observation's 'noise_map' has real and imaginary parts that "
                f"differ (index {worst}: {observation.noise_map[worst]}); the compact form of "
                "W-tilde, and so this likelihood, is exact only for Re(sigma) == Im(sigma)"
            )
        self.observation = observation
        self.backend = backend
        self.kernels = backends.load(backend)
        known = self.kernels.METHODS["curvature_matrix_via_w_compact_sparse_mapping_matrix_from"]
        if method != "auto" and method not in known:
            raise ValueError(
                f"Likelihood: 'method' {method!r} is not a curvature method of the {backend} "
                f"backend; expected 'auto' or one of {', '.join(map(repr, known))}"
            )
        known = self.kernels.METHODS["w_compact_curvature_interferometer_from"]
        if precompute_method != "auto" and precompute_method not in known:
            raise ValueError(
                f"Likelihood: 'precompute_method' {precompute_method!r} is not one of "
                f"'auto', {', '.join(map(repr, known))}"
            )
        self.method = method
        self.precompute_method = precompute_method
        self.eps = float(eps)
        self.progress = progress
        self._constants: dict | None = None
        # a JAX pytree for backend="jax"; for the others the registration is there only to
        # refuse jax.jit/vmap/grad with a clear message (done when JAX is already imported,
        # as it is in any program that calls jax.jit: importing it here would cost a second)
        if backend == "jax" or "jax" in sys.modules:
            _register_pytree()

    # ------------------------------------------------------------- precompute (once)
    def _array(self, value):
        return _as_array(value) if self.backend == "jax" else value

    def _column(self, vector):
        """``vector`` (M,) as an (M, 1) column of this backend's array type."""
        if self.backend == "jax":
            import jax.numpy as jnp

            return jnp.reshape(vector, (-1, 1))
        return np.reshape(np.asarray(vector), (-1, 1))

    def precompute(
        self,
        path: str | os.PathLike | None = None,
        *,
        scheduler: Any = None,
        chunk: int | None = None,
        split_every: int = 8,
    ) -> Likelihood:
        """Compute the per-observation constants now (otherwise on first use); return self.

        With ``path``: load them from that file when it exists (its fingerprint must match
        this likelihood's inputs, else a ``ValueError``), otherwise compute them and save
        them there, atomically (see :mod:`autojax.precompute`).

        ``scheduler``: ``None`` (the default) computes here, chunk after chunk. Otherwise the
        precompute runs as a Dask graph over chunks of ``chunk`` visibilities (default
        ``CHUNK``), partial sums added in a tree of fan-in ``split_every``: ``"threads"``,
        ``"processes"``, ``"synchronous"`` or a ``dask.distributed.Client`` (the ``dask``
        extra; see :mod:`autojax.scale.dask`). A streamed observation's chunks are read
        from its file inside the tasks.
        """
        if path is not None:
            from . import precompute as saved

            return saved.precompute_with_file(
                self, path, scheduler=scheduler, chunk=chunk, split_every=split_every
            )
        if self._constants is not None:
            return self
        if scheduler is not None:
            from .scale import dask as on_dask

            return on_dask.precompute(self, scheduler, chunk=chunk, split_every=split_every)
        obs = self.observation

        spec = (self.kernels, self.backend, obs.mask, self.precompute_method, self.eps)

        def step(rows: slice):
            return _partial_sums(*spec, *obs._read(rows))  # one chunk in memory, even from disk

        totals = None
        for parts in _chunks_with_progress(
            obs.visibility_count, step, self.progress, f"autojax: precompute ({self.backend})"
        ):
            totals = parts if totals is None else tuple(a + b for a, b in zip(totals, parts))
        return self._set_constants(totals)

    def _set_constants(self, totals: tuple) -> Likelihood:
        """Keep the four summed parts of the precompute (``_partial_sums`` over all chunks)."""
        mask = self.observation.mask
        self._constants = {
            "w_compact": self._array(totals[0]),
            "dirty_image": self._array(totals[1]),
            "chi_squared_data": float(totals[2]),
            "noise_normalization": float(totals[3]),
            "native_index_for_slim_index": self._array(mask.native_index_for_slim_index),
        }
        return self

    def save_precompute(self, path: str | os.PathLike) -> Path:
        """Save the precompute (computed now if needed) with its fingerprint, atomically."""
        from . import precompute as saved

        return saved.save(self, path)

    def load_precompute(self, path: str | os.PathLike) -> Likelihood:
        """Use the precompute saved at ``path``; a ``ValueError`` unless it matches. Returns self."""
        from . import precompute as saved

        return saved.load(self, path)

    def __getattr__(self, name):
        # the precomputed constants, computed on first access
        if name in _PRECOMPUTED or name == "native_index_for_slim_index":
            return self.precompute()._constants[name]
        raise AttributeError(f"'Likelihood' object has no attribute {name!r}")

    # ---------------------------------------------------------------- one step
    def log_evidence(
        self,
        pix_indexes_for_sub_slim_index: Any,
        pix_weights_for_sub_slim_index: ArrayLike | None = None,
        neighbors: ArrayLike | None = None,
        neighbors_sizes: ArrayLike | None = None,
        coefficient: float | ArrayLike = 1.0,
        *,
        functions: ArrayLike | None = None,
    ) -> Any:
        """Log evidence of one mapping, or of a whole lens model: ``-inf`` when F + H is
        not positive definite.

        Returns a float (NumPy backends) or a 0-d JAX array (``backend="jax"``).

        One mapping: ``pix_indexes_for_sub_slim_index`` (M, B) and
        ``pix_weights_for_sub_slim_index`` (M, B) are the sparse rows of the mapping matrix
        (rows end early with -1), ``neighbors`` (S, P) and ``neighbors_sizes`` (S,) the
        source-pixel graph of the constant regularization with ``coefficient``.

        A lens model (see :mod:`autojax.lens_model`): pass an :class:`autojax.LensModel`
        (or a list of :class:`autojax.Pixelization`) alone, or the same four arguments as
        lists with one entry per pixelization (``coefficient`` a list or one value for
        all), and optionally ``functions``, an (M, L) array of linear functions.
        """
        args = (pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, neighbors)
        args += (neighbors_sizes, coefficient)
        model = self._as_model("log_evidence", args, functions)
        if model is not None:
            from . import lens_model

            return lens_model.solve(self, *model)[2]
        (
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            neighbors,
            neighbors_sizes,
        ) = self._check_step("log_evidence", *args)
        c = self.precompute()._constants
        return self.kernels.log_evidence_via_w_compact_from(
            c["dirty_image"],
            c["chi_squared_data"],
            c["noise_normalization"],
            c["w_compact"],
            c["native_index_for_slim_index"],
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            neighbors,
            neighbors_sizes,
            coefficient,
            method=self.method,
        )

    def _as_model(self, where: str, args: tuple, functions) -> tuple | None:
        """``(checked LensModel, sizes)`` when the call describes a lens model, else None."""
        from . import lens_model

        alone = all(a is None for a in args[1:4])
        given = args[:1] if alone else args
        kwargs = {} if functions is None else {"functions": functions}
        if not lens_model.is_model_call(given, kwargs):
            if any(a is None for a in args[:4]):
                raise TypeError(
                    f"Likelihood.{where}: pass the four arrays of one mapping "
                    "(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, "
                    "neighbors, neighbors_sizes), or a LensModel alone"
                )
            return None
        coefficient = args[4]
        if alone and not _is_traced(coefficient) and np.any(np.asarray(coefficient) != 1.0):
            raise TypeError(
                f"Likelihood.{where}: with a LensModel or Pixelizations each pixelization "
                "carries its own 'coefficient'; do not pass one beside them"
            )
        model = lens_model.as_model(where, given, kwargs)
        return lens_model.check_model(self, where, model)

    def log_evidence_batch(
        self,
        pix_indexes_for_sub_slim_index: ArrayLike,
        pix_weights_for_sub_slim_index: ArrayLike,
        neighbors: ArrayLike,
        neighbors_sizes: ArrayLike,
        coefficient: float | ArrayLike = 1.0,
        *,
        mesh: Any = None,
    ) -> np.ndarray:
        """Log evidence of a batch of mappings (walkers first), optionally over many devices.

        ``backend="jax"`` only; see :func:`autojax.scale.sharding.log_evidence_batch`
        (``mesh=None``, ``"auto"`` or a ``jax.sharding.Mesh``). Returns a NumPy array.
        """
        from .scale.sharding import log_evidence_batch

        return log_evidence_batch(
            self,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            neighbors,
            neighbors_sizes,
            coefficient,
            mesh=mesh,
        )

    def fit(
        self,
        pix_indexes_for_sub_slim_index: Any,
        pix_weights_for_sub_slim_index: ArrayLike | None = None,
        neighbors: ArrayLike | None = None,
        neighbors_sizes: ArrayLike | None = None,
        coefficient: float | ArrayLike = 1.0,
        *,
        functions: ArrayLike | None = None,
    ) -> Any:
        """The reconstruction, mapped image, residuals and chi-squared of one step.

        A :class:`Fit` for one mapping; for a lens model (the call forms of
        :meth:`log_evidence`) an :class:`autojax.ModelFit`, with each component's
        reconstruction and image.
        """
        args = (pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, neighbors)
        args += (neighbors_sizes, coefficient)
        model = self._as_model("fit", args, functions)
        if model is not None:
            from . import lens_model

            return lens_model.fit(self, *model)
        (
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            neighbors,
            neighbors_sizes,
        ) = self._check_step(
            "fit",
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            neighbors,
            neighbors_sizes,
            coefficient,
        )
        c = self.precompute()._constants
        k = self.kernels
        pixels = int(np.shape(neighbors)[0])
        rows = (pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
        curvature = k.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
            c["w_compact"], c["native_index_for_slim_index"], *rows, method=self.method
        )
        dirty = c["dirty_image"]
        data_vector = k.sparse_mapping_matrix_transpose_matmul(self._column(dirty), *rows)[:, 0]
        regularization = k.constant_regularization_matrix_from(
            coefficient, neighbors, neighbors_sizes
        )
        source = k.reconstruction_positive_negative_from(data_vector, curvature + regularization)
        w_t = k._w_compact_matmul_sparse_mapping_matrix_from(
            c["w_compact"], c["native_index_for_slim_index"], *rows
        )
        source_np = np.asarray(source)
        w_t, curvature, regularization = map(np.asarray, (w_t, curvature, regularization))
        data_vector = np.asarray(data_vector)
        indexes = np.asarray(pix_indexes_for_sub_slim_index)
        weights = np.asarray(pix_weights_for_sub_slim_index)
        mapped = np.sum(
            np.where(indexes >= 0, weights * source_np[np.maximum(indexes, 0)], 0.0), axis=1
        )
        return Fit(
            reconstruction=source_np,
            mapped_image=mapped,
            residual_dirty_image=np.asarray(dirty) - w_t @ source_np,
            chi_squared=float(
                c["chi_squared_data"]
                - 2 * source_np @ data_vector
                + source_np @ curvature @ source_np
            ),
            regularization_term=float(source_np @ regularization @ source_np),
            log_evidence=float(
                self.log_evidence(*rows[:2], neighbors, neighbors_sizes, coefficient)
            ),
            mask=self.observation.mask,
        )

    def _check_step(self, where, pix_indexes, pix_weights, neighbors, sizes, coefficient):
        """What only this object can check about one step; the kernels check the rest.

        The mapping must have one row per unmasked pixel of this observation's mask (the
        kernels would report it in their own terms), and a concrete ``coefficient`` must be
        non-negative (H scales with its square: -c would silently mean c; traced values are
        checked by the kernel, which poisons the result with NaN and tells ``checkify``).
        Lists become arrays (under ``jax.jit`` a list arrives as a list of tracers).
        """
        names = ("pix_indexes_for_sub_slim_index", "pix_weights_for_sub_slim_index")
        names += ("neighbors", "neighbors_sizes")
        arrays = [pix_indexes, pix_weights, neighbors, sizes]
        if self.backend != "jax" and _holds_tracers([*arrays, coefficient]):
            # jax.grad(..., argnums=5) passes this object as it is, and traces the rest
            raise _not_traceable(self.backend)
        for i, (name, array) in enumerate(zip(names, arrays)):
            if isinstance(array, list | tuple):
                if _holds_tracers(array):
                    raise TypeError(
                        f"Likelihood.{where}: '{name}' is a {type(array).__name__} inside "
                        "jax.jit/vmap/grad, where each of its elements becomes a separate "
                        "traced scalar; pass an array (numpy.asarray or jax.numpy.asarray "
                        "it before calling the transformed function)"
                    )
                arrays[i] = np.asarray(array)
        mask = self.observation.mask
        for name, array in zip(names[:2], arrays[:2]):
            shape = np.shape(array)
            if len(shape) != 2 or shape[0] != mask.pixels:
                rows = f"{shape[0]} rows" if shape else "no rows"
                raise ValueError(
                    f"Likelihood.{where}: the mapping does not match the observation's mask: "
                    f"'{name}' has {rows} (shape {shape}), but the mask (shape_native "
                    f"{mask.shape_native}, pixel_scale {mask.pixel_scale}) has M = "
                    f"{mask.pixels} unmasked pixels, and the mapping needs one row per "
                    "unmasked pixel, in the mask's order; build the mapping on "
                    "likelihood.observation.mask"
                )
        if not _is_traced(coefficient):
            try:
                value = float(np.asarray(coefficient))
            except (TypeError, ValueError):
                value = None  # not a number: the kernel's check says what it must be
            if value is not None and value < 0:
                raise ValueError(
                    f"Likelihood.{where}: 'coefficient' (the regularization coefficient) must "
                    f"be >= 0, got {value}; H scales with its square, so a negative value "
                    "would silently mean its absolute value"
                )
        return arrays

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        """Pickle the settings, the observation and the precompute (as NumPy arrays).

        The kernels module is loaded again on unpickling. An observation on disk travels as
        its file's path (see :class:`autojax.io.store.StreamedObservation`), one in memory
        with its arrays. So ``likelihood.log_evidence`` can go to a sampler's pool of
        processes (``multiprocessing``, ``dask.distributed``, ``mpi4py.futures``), where it
        runs with the precompute it had, never recomputed.
        """
        state = self.__dict__.copy()
        state.pop("kernels", None)
        if self._constants is not None:
            state["_constants"] = {
                name: value if isinstance(value, float) else np.asarray(value)
                for name, value in self._constants.items()
            }
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.kernels = backends.load(self.backend)  # backend="jax" turns on x64 first
        if self._constants is not None:
            self._constants = {
                name: value if isinstance(value, float) else self._array(value)
                for name, value in self._constants.items()
            }
        if self.backend == "jax" or "jax" in sys.modules:
            _register_pytree()

    def __repr__(self) -> str:
        state = "precomputed" if self._constants is not None else "not yet precomputed"
        return (
            f"Likelihood({self.observation!r}, backend={self.backend!r}, "
            f"method={self.method!r}, {state})"
        )


def _partial_sums(
    kernels, backend: str, mask: Mask, precompute_method: str, eps: float, vis, noise, uv
) -> tuple:
    """The four precompute sums of one chunk of visibilities, as the backend returns them.

    The single-process precompute adds them chunk after chunk; :mod:`autojax.scale.dask`
    computes them in tasks (which get the mask, not the observation) and adds them in a tree.
    """
    methods = {"method": precompute_method, "eps": eps}
    as_array = _as_array if backend == "jax" else (lambda value: value)
    noise_real = as_array(np.ascontiguousarray(noise.real))
    vis, noise, uv = as_array(vis), as_array(noise), as_array(uv)
    return (
        kernels.w_compact_curvature_interferometer_from(
            mask.grid_size, noise_real, uv, mask.pixel_scale, **methods
        ),
        kernels.dirty_image_from(vis, noise, uv, as_array(mask.grid_radians_slim), **methods),
        kernels.data_chi_squared_complex_from(vis, noise),
        kernels.noise_normalization_complex_from(noise),
    )


def _as_array(value):
    import jax.numpy as jnp

    return jnp.asarray(value)


def _chunks_with_progress(
    total: int, step: Callable[[slice], tuple], progress: bool | None, label: str
) -> Iterator[tuple]:
    """``step`` over chunks of ``CHUNK`` visibilities, with a bar when it is slow.

    The first chunk is timed; a bar (tqdm) follows when ``progress`` is True, or when it is
    None and the chunks left are predicted to take more than ``PROGRESS_AFTER_S`` (the
    first chunk's time, compilation included, times their number). With one chunk nothing
    is left to show: no bar, however long the first call took.
    """
    bounds = [slice(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]
    if not bounds:  # K = 0: the kernels return zeros
        bounds = [slice(0, 0)]
    start = time.perf_counter()
    yield step(bounds[0])
    first = time.perf_counter() - start
    rest = bounds[1:]
    show = progress if progress is not None else first * len(rest) > PROGRESS_AFTER_S
    if show:
        from tqdm.auto import tqdm

        with tqdm(total=total, desc=label, unit="vis", unit_scale=True) as bar:
            bar.update(bounds[0].stop - bounds[0].start)
            for chunk in rest:
                yield step(chunk)
                bar.update(chunk.stop - chunk.start)
    else:
        for chunk in rest:
            yield step(chunk)


# --------------------------------------------------------------------- JAX pytree
_REGISTERED = False


def _is_traced(value) -> bool:
    """True for a JAX tracer (a value inside jax.jit, vmap or grad)."""
    if "jax" not in sys.modules:
        return False
    import jax

    return isinstance(value, jax.core.Tracer)


def _not_traceable(backend: str) -> TypeError:
    return TypeError(
        f"Likelihood(backend={backend!r}) cannot go through jax.jit, jax.vmap or jax.grad: "
        f"only backend='jax' objects can (the {backend} kernels compute on NumPy arrays, "
        "not JAX tracers). Use autojax.Likelihood(observation, backend='jax'), or call "
        "likelihood.log_evidence(...) without a JAX transformation"
    )


def _holds_tracers(values) -> bool:
    """True when a (nested) list or tuple holds a JAX tracer."""
    if "jax" not in sys.modules:
        return False
    import jax

    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(values))


def _register_pytree() -> None:
    """Make Likelihood a pytree: the constants are leaves, the rest is static.

    A Likelihood of another backend refuses to be flattened, with a message saying why
    (JAX's own is "Error interpreting argument ... as an abstract array").
    """
    global _REGISTERED
    if _REGISTERED:
        return
    import jax

    def flatten(likelihood):
        if likelihood.backend != "jax":
            raise _not_traceable(likelihood.backend)
        c = likelihood.precompute()._constants
        leaves = (
            c["w_compact"],
            c["dirty_image"],
            c["chi_squared_data"],
            c["noise_normalization"],
            c["native_index_for_slim_index"],
        )
        return leaves, likelihood

    def unflatten(template, leaves):
        clone = object.__new__(Likelihood)
        clone.__dict__.update(template.__dict__)
        names = (*_PRECOMPUTED, "native_index_for_slim_index")
        clone._constants = dict(zip(names, leaves))
        return clone

    jax.tree_util.register_pytree_node(Likelihood, flatten, unflatten)
    _REGISTERED = True
