"""Scaling sweep: how the cost of each kernel grows with problem size, per backend and method.

Three series, each timed per backend and method over a log-spaced range of sizes:

- ``precompute``: W-tilde in its forms (compact, upstream preload, dense M x M) against the
  number of visibilities K, on the N = 30 grid (M = 716 image pixels);
- ``curvature``: the curvature matrix F = T^T W T against the number of image pixels M,
  with K = 64 (F does not depend on K once W-tilde is known) and S = 256 source pixels;
- ``likelihood``: the log evidence against M, same K and S.

Every point gets one untimed warm-up call (recorded as "first call": it includes any JIT
compilation), then timed calls until about 0.3 s have passed (at least 1, at most 7), and
the median is reported. While the timed calls run, a background thread samples the process
RSS every millisecond; the peak minus the RSS just before is reported as the point's
memory, an approximate measure (RSS growth includes what the allocators cache).

Once a method's point takes longer than ``--time-limit``, or the growth from its last point
predicts that the next one would, its larger sizes are recorded as skipped, with the
reason, instead of run. Methods needing a dense M x M W-tilde skip sizes where that matrix
exceeds ``--mem-cap-gib``. At the smallest size of each series, every method's result is
compared with the float64 NumPy reference (:mod:`autojax.reference`) and the sweep aborts
if one disagrees, so that a fast wrong answer never reaches the plots.

Outputs: ``OUT/NAME.md`` (one table per series), ``OUT/NAME-<series>.png`` (log-log plots)
and the raw results as ``.benchmarks/NAME.json``::

    python -m benchmarks.scaling                # the full sweep (a few minutes on 2 cores)
    python -m benchmarks.scaling --quick        # tiny sizes, seconds
    python -m benchmarks.scaling --series curvature --backends numba,jax --m-max 3000

Modules: :mod:`.problems` (inputs at one size), :mod:`.series` (methods, references and
sizes of each series), :mod:`.sweep` (running a series within the time and memory
budget), :mod:`.output` (tables and plots), :mod:`.cli` (the options and ``main``); the
timing, memory sampling and machine description are :mod:`benchmarks.harness`'s.
"""
