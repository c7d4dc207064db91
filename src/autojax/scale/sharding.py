"""Many JAX devices: walker batches sharded over a device mesh, the precompute sharded over K.

Two functions, both for ``Likelihood(observation, backend="jax")``:

- :func:`log_evidence_batch`: the log evidence of a batch of mappings (one per walker of an
  ensemble sampler, or live point of a nested sampler) in one call. The step is
  ``jax.vmap`` of :meth:`autojax.Likelihood.log_evidence` under ``jax.jit``; the batch axis
  is sharded over the devices of a ``jax.sharding.Mesh`` (``NamedSharding``), and the
  precomputed arrays are replicated on every device. A batch whose size is not a multiple
  of the device count is padded (with copies of its first walker) and the padding dropped.
- :func:`precompute`: the per-observation constants (the compact form of W-tilde, the dirty
  image, the data chi-squared and the noise normalisation) with the visibilities split
  over the devices of a mesh: each device sums its share of every chunk with the generated
  JAX kernels inside ``jax.shard_map``, and one ``psum`` adds the devices' partial sums at
  the end. A device holds one chunk of ``chunk`` visibilities and its partial sums: its
  memory does not grow with K.

Both take ``mesh=``: ``None`` (one device, no sharding), ``"auto"`` (every device JAX sees,
``jax.devices()``: after ``jax.distributed.initialize`` the devices of every process), or
a ``jax.sharding.Mesh`` (its axes together carry the sharded axis). See ``docs/scale.md``.
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Any

import numpy as np

from ..likelihood import CHUNK, Likelihood

__all__ = ["device_mesh", "log_evidence_batch", "precompute"]

_STEP_NAMES = (
    "pix_indexes_for_sub_slim_index",
    "pix_weights_for_sub_slim_index",
    "neighbors",
    "neighbors_sizes",
    "coefficient",
)
#: the rank of each step argument for one walker; a batched argument has one more axis
_RANKS = (2, 2, 2, 1, 0)


def device_mesh(devices=None, axis: str = "devices"):
    """A one-axis ``jax.sharding.Mesh`` over ``devices`` (default: ``jax.devices()``)."""
    import jax
    from jax.sharding import Mesh

    devices = jax.devices() if devices is None else list(devices)
    if not devices:
        raise ValueError("device_mesh: 'devices' is empty; expected at least one JAX device")
    return Mesh(np.asarray(devices, dtype=object), (axis,))


def _mesh_from(where: str, mesh):
    """``mesh`` (None, "auto" or a Mesh) as a Mesh, or None for one device."""
    if mesh is None:
        return None
    if isinstance(mesh, str):
        if mesh != "auto":
            raise ValueError(
                f"{where}: 'mesh' must be None, 'auto' or a jax.sharding.Mesh, got {mesh!r}"
            )
        return device_mesh()
    from jax.sharding import Mesh

    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"{where}: 'mesh' must be None, 'auto' or a jax.sharding.Mesh, got "
            f"{type(mesh).__name__}"
        )
    return mesh


def _check_jax(where: str, likelihood) -> None:
    if not isinstance(likelihood, Likelihood):
        raise TypeError(
            f"{where}: 'likelihood' must be an autojax.Likelihood, got {type(likelihood).__name__}"
        )
    if likelihood.backend != "jax":
        raise ValueError(
            f"{where}: needs Likelihood(..., backend='jax'), got backend={likelihood.backend!r}; "
            "the Numba and array-API backends do not run on JAX devices"
        )


def _global_array(value: np.ndarray, sharding):
    """``value`` (the same on every process) as a global array with ``sharding``.

    ``make_array_from_callback`` places only this process's shards, so it works unchanged
    with ``jax.distributed`` on several hosts.
    """
    import jax

    value = np.asarray(value)
    return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])


def _to_numpy(array) -> np.ndarray:
    """A result as a NumPy array on every process (gathered when it spans other hosts)."""
    if getattr(array, "is_fully_addressable", True):
        return np.asarray(array)
    if array.is_fully_replicated:
        return np.asarray(array.addressable_data(0))
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(array, tiled=True))


# ----------------------------------------------------------------------- walker batches

#: likelihood -> {mesh: the likelihood with its constants replicated over that mesh}
_REPLICATED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _replicated(likelihood: Likelihood, mesh):
    """``likelihood`` with its precomputed arrays on every device of ``mesh`` (cached)."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    per_mesh = _REPLICATED.setdefault(likelihood, {})
    if mesh not in per_mesh:
        leaves, treedef = jax.tree_util.tree_flatten(likelihood)
        everywhere = NamedSharding(mesh, PartitionSpec())
        placed = [_global_array(np.asarray(leaf), everywhere) for leaf in leaves]
        per_mesh[mesh] = jax.tree_util.tree_unflatten(treedef, placed)
    return per_mesh[mesh]


@lru_cache(maxsize=64)
def _batched_step(in_axes: tuple, mesh=None):
    """The step over a batch of walkers, under ``jax.jit``.

    Without a mesh: ``jax.vmap(Likelihood.log_evidence)``; on a CPU, walkers a few at a time
    (``lax.map`` with ``batch_size`` the number of Numba threads, ``jax.vmap`` inside). Each
    group of walkers goes through the host callbacks in one call (the conv loop and the
    Cholesky factorisations, the walkers in parallel over the cores, one thread each), while
    XLA's arrays stay one group's size: a (walkers, S, S) temporary is fresh memory at each
    call, and its page faults cost more than the work (measured at mid, 32 walkers on 2
    cores: 1.15 s in groups of 2 against 1.6 s for the whole batch at once).

    With a mesh, inside ``jax.shard_map``: each device maps its own walkers with the
    replicated constants, and no collective runs (the walkers are independent). On GPUs a
    device vmaps its walkers; on CPU devices it loops over them (``lax.map``): the CPU
    devices of one process share one thread pool, in which JAX's batched LAPACK Cholesky
    (``ParallelBatchMap``) waits for pool threads that the other devices hold. Measured here
    (jax 0.10.2, 4 forced host devices on 2 cores), vmap with 2 walkers per device
    deadlocked.
    """
    import jax

    batched = jax.vmap(Likelihood.log_evidence, in_axes=(None, *in_axes))
    on_cpu = (
        jax.default_backend() == "cpu"
        if mesh is None
        else all(device.platform == "cpu" for device in mesh.devices.flat)
    )
    if mesh is None and not on_cpu:
        return jax.jit(batched)

    if on_cpu:
        # one device: groups of as many walkers as Numba has threads; CPU devices of a mesh:
        # one walker at a time (see above)
        group = _cpu_group() if mesh is None else None

        def batched(likelihood, *arguments):
            walker_axis = [a for a, axis in zip(arguments, in_axes) if axis is not None]

            def one(walker):
                values = iter(walker)
                own = [a if axis is None else next(values) for a, axis in zip(arguments, in_axes)]
                return Likelihood.log_evidence(likelihood, *own)

            return jax.lax.map(one, tuple(walker_axis), batch_size=group)

    if mesh is None:
        return jax.jit(batched)
    from jax.sharding import PartitionSpec as P

    split = P(mesh.axis_names)
    specs = (P(), *(P() if axis is None else split for axis in in_axes))
    return jax.jit(
        jax.shard_map(batched, mesh=mesh, in_specs=specs, out_specs=split, check_vma=False)
    )


def _cpu_group() -> int | None:
    """Walkers per group of the one-device CPU batch: Numba's thread count (None for 1)."""
    import numba

    threads = numba.get_num_threads()
    return threads if threads > 1 else None


def _batch_arguments(where: str, likelihood: Likelihood, arguments: tuple):
    """The step arguments as arrays, which of them are batched, and the batch size."""
    arrays, in_axes, sizes = [], [], {}
    for name, rank, value in zip(_STEP_NAMES, _RANKS, arguments):
        if isinstance(value, np.ndarray | int | float | list | tuple):
            value = np.asarray(value)
        ndim = np.ndim(value)
        if ndim == rank + 1:
            in_axes.append(0)
            sizes[name] = int(np.shape(value)[0])
        elif ndim == rank and name not in _STEP_NAMES[:2]:
            in_axes.append(None)  # one value for every walker
        else:
            expected = f"{rank + 1}-d (walkers first)"
            if name not in _STEP_NAMES[:2]:
                expected += f" or {rank}-d (the same for every walker)"
            raise ValueError(f"{where}: '{name}' must be {expected}, got shape {np.shape(value)}")
        arrays.append(value)
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"'{n}' {s}" for n, s in sizes.items())
        raise ValueError(
            f"{where}: the batched arguments have different numbers of walkers ({listed}); "
            "every batched argument needs the same leading axis"
        )
    walkers = next(iter(sizes.values()))
    if walkers == 0:
        raise ValueError(
            f"{where}: the batch is empty ('pix_indexes_for_sub_slim_index' has shape "
            f"{np.shape(arrays[0])}); expected at least one walker"
        )
    return arrays, tuple(in_axes), walkers


def log_evidence_batch(
    likelihood: Likelihood,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    neighbors,
    neighbors_sizes,
    coefficient=1.0,
    *,
    mesh=None,
) -> np.ndarray:
    """The log evidence of a batch of mappings, one per walker: a float64 array (walkers,).

    ``pix_indexes_for_sub_slim_index`` and ``pix_weights_for_sub_slim_index`` are
    (walkers, M, B); ``neighbors`` (walkers, S, P) or (S, P), ``neighbors_sizes``
    (walkers, S) or (S,), and ``coefficient`` (walkers,) or a scalar: an argument without
    the walker axis is the same for every walker. Every walker has the same S (pad the
    source pixels of a smaller mesh, or batch walkers by S).

    ``mesh``: ``None`` (one device), ``"auto"`` (every device, ``jax.devices()``) or a
    ``jax.sharding.Mesh``: the walkers are split over its devices and the precomputed arrays
    copied to each (once per mesh, then cached). Any number of walkers works: the batch is
    padded to a multiple of the device count with copies of the first walker, whose values
    are dropped. Each distinct (walkers, M, B, S, P) compiles once.

    The values equal those of :meth:`Likelihood.log_evidence`, walker by walker, to
    rounding; ``-inf`` marks a walker whose F + H is not positive definite.
    """
    where = "log_evidence_batch"
    _check_jax(where, likelihood)
    mesh = _mesh_from(where, mesh)
    arguments = (
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        neighbors,
        neighbors_sizes,
        coefficient,
    )
    arrays, in_axes, walkers = _batch_arguments(where, likelihood, arguments)
    likelihood.precompute()
    if mesh is None:
        import jax.numpy as jnp

        step = _batched_step(in_axes)
        return np.asarray(step(likelihood, *(jnp.asarray(a) for a in arrays)))

    from jax.sharding import NamedSharding, PartitionSpec

    devices = mesh.devices.size
    padded = -(-walkers // devices) * devices
    split = NamedSharding(mesh, PartitionSpec(mesh.axis_names))
    everywhere = NamedSharding(mesh, PartitionSpec())
    placed = []
    for array, axis in zip(arrays, in_axes):
        array = np.asarray(array)
        if axis is None:
            placed.append(_global_array(array, everywhere))
            continue
        if padded > walkers:
            fill = np.repeat(array[:1], padded - walkers, axis=0)
            array = np.concatenate([array, fill], axis=0)
        placed.append(_global_array(array, split))
    values = _batched_step(in_axes, mesh)(_replicated(likelihood, mesh), *placed)
    return _to_numpy(values)[:walkers]


# ----------------------------------------------------------------- precompute over K


@lru_cache(maxsize=16)
def _sharded_parts(mesh, grid_size: int, pixel_scale: float, method: str, eps: float):
    """The per-device partial sums of one chunk, added to the running per-device sums."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import PartitionSpec as P

    from .. import jax as kernels

    axes = mesh.axis_names
    methods = {"method": method, "eps": eps}

    def add(vis, noise, uv, grid, w, dirty, chi, norm):
        noise_real = jnp.real(noise)
        w = w + kernels.w_compact_curvature_interferometer_from(
            grid_size, noise_real, uv, pixel_scale, **methods
        )
        dirty = dirty + kernels.dirty_image_from(vis, noise, uv, grid, **methods)
        chi = chi + kernels.data_chi_squared_complex_from(vis, noise)
        norm = norm + kernels.noise_normalization_complex_from(noise)
        return w, dirty, chi, norm

    split, partial = P(axes), P(axes)
    sharded = jax.shard_map(
        lambda vis, noise, uv, grid, w, dirty, chi, norm: tuple(
            part[None] for part in add(vis, noise, uv, grid, w[0], dirty[0], chi[0], norm[0])
        ),
        mesh=mesh,
        in_specs=(split, split, split, P(), partial, partial, partial, partial),
        out_specs=(partial, partial, partial, partial),
        check_vma=False,
    )
    return jax.jit(sharded)


@lru_cache(maxsize=16)
def _psum(mesh):
    """The one collective: the devices' partial sums added, the total on every device."""
    import jax
    from jax.sharding import PartitionSpec as P

    axes = mesh.axis_names
    summed = jax.shard_map(
        lambda *parts: tuple(jax.lax.psum(part[0], axes) for part in parts),
        mesh=mesh,
        in_specs=P(axes),
        out_specs=P(),
        check_vma=False,
    )
    return jax.jit(summed)


def precompute(likelihood: Likelihood, *, mesh="auto", chunk: int = CHUNK) -> Likelihood:
    """Compute ``likelihood``'s constants with the visibilities split over ``mesh``; return it.

    The visibilities are read ``devices * chunk`` at a time (from memory, zarr or
    memory-mapped FITS: only that block is ever in memory), ``chunk`` to each device; each
    device adds what the generated JAX kernels give for its share to its own partial sums,
    and one ``psum`` adds the devices' sums at the end. The last block is split evenly
    (fewer than ``devices`` visibilities left over are summed on the first device). With
    ``jax.distributed`` each process reads only the visibilities of its own devices.

    The result equals :meth:`Likelihood.precompute` on one device to rounding (1e-12
    relative, measured against the largest entry) for ``precompute_method="exact"`` and
    ``"nufft"``; ``"auto"`` chooses per device chunk, as the one-device precompute chooses
    per chunk. A constant already computed is kept (nothing is recomputed).
    """
    where = "precompute"
    _check_jax(where, likelihood)
    mesh = _mesh_from(where, mesh)
    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ValueError(f"{where}: 'chunk' must be a positive integer, got {chunk!r}")
    if likelihood._constants is not None:
        return likelihood
    if mesh is None:
        return likelihood.precompute()

    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding, PartitionSpec

    obs, mask = likelihood.observation, likelihood.observation.mask
    axes = mesh.axis_names
    devices = mesh.devices.size
    split = NamedSharding(mesh, PartitionSpec(axes))
    everywhere = NamedSharding(mesh, PartitionSpec())
    n, m = mask.grid_size, mask.pixels
    add = _sharded_parts(
        mesh, n, float(mask.pixel_scale), likelihood.precompute_method, likelihood.eps
    )
    grid = _global_array(mask.grid_radians_slim, everywhere)
    sums = [
        _global_array(np.zeros(shape), split)
        for shape in ((devices, n, 2 * n - 1), (devices, m), (devices,), (devices,))
    ]

    def block(start: int, stop: int):
        """Visibilities start:stop as global arrays split over K (each process reads its own)."""
        count = stop - start
        read_rows: dict = {}  # (lo, hi) -> the three columns, read once for all three arrays

        def reader(column):
            def read(index):
                rows = index[0]
                lo = start + (rows.start or 0)
                hi = start + (count if rows.stop is None else rows.stop)
                if (lo, hi) not in read_rows:
                    read_rows[lo, hi] = _read_columns(obs, lo, hi)
                return read_rows[lo, hi][column]

            return read

        shapes = ((count,), (count,), (count, 2))
        dtypes = (np.complex128, np.complex128, np.float64)
        return [
            jax.make_array_from_callback(shape, split, reader(i), dtype=dtype)
            for i, (shape, dtype) in enumerate(zip(shapes, dtypes))
        ]

    total = obs.visibility_count
    start = 0
    while total - start >= devices:
        per_device = min(chunk, (total - start) // devices)
        stop = start + per_device * devices
        sums = list(add(*block(start, stop), grid, *sums))
        start = stop
    w, dirty, chi, norm = (_to_numpy(part) for part in _psum(mesh)(*sums))
    if start < total or total == 0:  # fewer than `devices` left: one device sums them
        vis, noise, uv = _read_columns(obs, start, total)
        methods = {"method": likelihood.precompute_method, "eps": likelihood.eps}
        from .. import jax as kernels

        w = w + np.asarray(
            kernels.w_compact_curvature_interferometer_from(
                n, np.ascontiguousarray(noise.real), uv, mask.pixel_scale, **methods
            )
        )
        dirty = dirty + np.asarray(
            kernels.dirty_image_from(vis, noise, uv, mask.grid_radians_slim, **methods)
        )
        chi = chi + float(kernels.data_chi_squared_complex_from(vis, noise))
        norm = norm + float(kernels.noise_normalization_complex_from(noise))
    likelihood._constants = {
        "w_compact": jnp.asarray(w),
        "dirty_image": jnp.asarray(dirty),
        "chi_squared_data": float(chi),
        "noise_normalization": float(norm),
        "native_index_for_slim_index": jnp.asarray(mask.native_index_for_slim_index),
    }
    return likelihood


def _read_columns(obs, start: int, stop: int) -> tuple[Any, Any, Any]:
    """Visibilities, noise and uv of rows start:stop, as contiguous NumPy arrays."""
    vis, noise, uv = obs._read(slice(start, stop))
    return (
        np.ascontiguousarray(vis, dtype=np.complex128),
        np.ascontiguousarray(noise, dtype=np.complex128),
        np.ascontiguousarray(uv, dtype=np.float64),
    )
