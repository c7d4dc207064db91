"""The precompute of a :class:`autojax.Likelihood` as a Dask graph over visibility chunks.

The precompute is four sums over the K visibilities (the compact form of W-tilde, the dirty
image, the data chi-squared and the noise normalisation). Here each chunk of ``chunk``
visibilities is one task that reads its rows and returns its four partial sums; the partial
sums are added in a tree of fan-in ``split_every``; the root is the precompute. The graph
runs on any Dask scheduler::

    likelihood.precompute(scheduler="threads")        # or "processes", "synchronous"
    likelihood.precompute(scheduler=client)           # a dask.distributed.Client

    graph = precompute_graph(likelihood)               # a dask.delayed.Delayed
    parts = graph.compute(scheduler=...)               # (w_compact, dirty, chi2, norm)

What a task receives:

- from a zarr store or memory-mapped FITS (``Observation.from_zarr``,
  ``from_fits(..., memmap=True)``): the observation pickled as its file's path, the mask and
  the checks already made; each task opens the file and reads its rows, so the data never
  pass through the scheduler. The path must be readable by every worker (a shared file
  system on a cluster).
- in memory: each task carries its own rows in the graph (48 bytes a visibility); for a
  cluster, write the observation to zarr first (``obs.to_zarr(path)``).

Dask runs a task again when its worker dies, so a killed worker delays the result without
changing it. The partial sums travel as NumPy float64 arrays (N x (2N - 1) + M values), on
every backend; the result is the backend's arrays, as after the single-process precompute,
to which it is equal up to the order of the additions (1e-12 relative).
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from .. import backends
from ..likelihood import CHUNK, Likelihood, _partial_sums
from ..observation import Observation

__all__ = ["SCHEDULERS", "precompute", "precompute_graph"]

#: the scheduler names ``precompute`` takes (besides a ``dask.distributed.Client``)
SCHEDULERS = ("threads", "processes", "synchronous")


def _dask():
    try:
        import dask
    except ImportError as exc:  # pragma: no cover - the dask extra is missing
        raise ImportError("the precompute on Dask needs dask: pip install 'autojax[dask]'") from exc
    return dask


class _Rows:
    """The rows of one chunk of an in-memory observation, carried in the graph."""

    def __init__(self, visibilities, noise_map, uv_wavelengths):
        self.parts = (visibilities, noise_map, uv_wavelengths)

    def _read(self, rows: slice):
        return tuple(part[rows] for part in self.parts)


class _Spec:
    """What a task needs besides its rows: the backend, the mask, the precompute method."""

    def __init__(self, likelihood: Likelihood):
        self.backend = likelihood.backend
        self.mask = likelihood.observation.mask
        self.precompute_method = likelihood.precompute_method
        self.eps = likelihood.eps


def _partial(reader: Any, rows: slice, spec: _Spec) -> tuple:
    """One task: the four partial sums of ``rows`` read from ``reader``, as NumPy."""
    kernels = backends.load(spec.backend)
    parts = _partial_sums(
        kernels, spec.backend, spec.mask, spec.precompute_method, spec.eps, *reader._read(rows)
    )
    return (
        np.asarray(parts[0], dtype=np.float64),
        np.asarray(parts[1], dtype=np.float64),
        float(parts[2]),
        float(parts[3]),
    )


def _add(*parts: tuple) -> tuple:
    """The sum of several tasks' partial sums (a node of the tree)."""
    total = parts[0]
    for part in parts[1:]:
        total = tuple(a + b for a, b in zip(total, part))
    return total


def _check_int(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(
            f"precompute on Dask: '{name}' must be an integer >= {least}, got {value!r}"
        )
    return int(value)


def precompute_graph(
    likelihood: Likelihood,
    *,
    chunk: int | None = None,
    split_every: int = 8,
    reader: Any = None,
):
    """The precompute of ``likelihood`` as a ``dask.delayed.Delayed`` (nothing runs yet).

    Computing it gives the tuple ``(w_compact, dirty_image, chi_squared_data,
    noise_normalization)`` of NumPy float64 values. ``chunk`` visibilities per task
    (default ``autojax.likelihood.CHUNK`` = 2**18, one zarr chunk of a store written by
    ``to_zarr``); ``split_every`` partial sums added per node of the tree.

    ``reader``: where the tasks read their rows; any picklable object whose
    ``_read(slice)`` returns the (visibilities, noise_map, uv_wavelengths) rows of the
    observation (complex (n,), complex (n,), real (n, 2)). By default the observation
    itself when it is on disk, its rows chunk by chunk when it is in memory.
    """
    if not isinstance(likelihood, Likelihood):
        raise TypeError(
            f"precompute_graph: 'likelihood' must be an autojax.Likelihood, got "
            f"{type(likelihood).__name__}"
        )
    dask = _dask()
    chunk = _check_int("chunk", CHUNK if chunk is None else chunk, 1)
    split_every = _check_int("split_every", split_every, 2)
    observation = likelihood.observation
    total = observation.visibility_count
    bounds = [slice(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    if not bounds:  # K = 0: the kernels return zeros
        bounds = [slice(0, 0)]
    # keys unique to this graph: two precomputes on one cluster never share a result
    tag = uuid.uuid4().hex[:12]
    spec = dask.delayed(_Spec(likelihood), name=f"autojax-spec-{tag}")
    partial = dask.delayed(_partial)
    if reader is None and _on_disk(observation):
        reader = observation
    if reader is not None:
        shared = dask.delayed(reader, name=f"autojax-reader-{tag}")
        layer = [partial(shared, rows, spec, dask_key_name=_key(tag, rows)) for rows in bounds]
    else:
        layer = [
            partial(
                _Rows(*observation._read(rows)),
                slice(0, rows.stop - rows.start),
                spec,
                dask_key_name=_key(tag, rows),
            )
            for rows in bounds
        ]
    add = dask.delayed(_add)
    level = 0
    while len(layer) > 1:
        level += 1
        layer = [
            add(*layer[i : i + split_every], dask_key_name=f"autojax-sum-{tag}-{level}-{i}")
            for i in range(0, len(layer), split_every)
        ]
    return layer[0]


def _key(tag: str, rows: slice) -> str:
    return f"autojax-chunk-{tag}-{rows.start}-{rows.stop}"


def _on_disk(observation: Observation) -> bool:
    from ..io.store import StreamedObservation

    return isinstance(observation, StreamedObservation)


def precompute(
    likelihood: Likelihood,
    scheduler: Any,
    *,
    chunk: int | None = None,
    split_every: int = 8,
    reader: Any = None,
) -> Likelihood:
    """Run :func:`precompute_graph` on ``scheduler`` and keep the result in ``likelihood``.

    ``scheduler``: ``"threads"``, ``"processes"``, ``"synchronous"`` or a
    ``dask.distributed.Client``. Returns ``likelihood``, precomputed.
    """
    if likelihood._constants is not None:
        return likelihood
    graph = precompute_graph(likelihood, chunk=chunk, split_every=split_every, reader=reader)
    if isinstance(scheduler, str):
        if scheduler not in SCHEDULERS:
            raise ValueError(
                f"Likelihood.precompute: 'scheduler' must be None, one of "
                f"{', '.join(map(repr, SCHEDULERS))} or a dask.distributed.Client, "
                f"got {scheduler!r}"
            )
        totals = graph.compute(scheduler=scheduler)
    elif _is_client(scheduler):
        totals = scheduler.compute(graph).result()
    else:
        raise TypeError(
            f"Likelihood.precompute: 'scheduler' must be None, one of "
            f"{', '.join(map(repr, SCHEDULERS))} or a dask.distributed.Client, got "
            f"{type(scheduler).__name__}"
        )
    return likelihood._set_constants(totals)


def _is_client(value: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the dask extra is partly installed
        return False
    return isinstance(value, Client)
