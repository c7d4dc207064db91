"""Reading and writing observations that may not fit in memory.

- :mod:`autojax.io.measurement_set`: CASA Measurement Sets (python-casacore) to an
  :class:`autojax.Observation` or, streamed, to a zarr store;
- :mod:`autojax.io.store`: the chunked on-disk form (zarr) and memory-mapped FITS, read by
  the precompute one chunk at a time (:class:`StreamedObservation`).

Everything here needs the ``ms`` extra (``pip install 'autojax[ms]'``); nothing is imported
until it is used.
"""

__all__ = ["measurement_set", "store"]
