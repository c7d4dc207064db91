"""Science-size benchmark: the three workloads of an interferometer lens fit at real sizes.

``python -m benchmarks.science`` (``nox -s bench-science``) builds a realistic problem of a
chosen size, in seconds and deterministically, and times every backend and method of

- **W1**, the precompute: the compact W-tilde form (``exact`` sum, ``nufft``, ...) and
  ``original``'s upstream preload;
- **W2**, the curvature matrix F = T^T W T from the compact form (``two_pass``, ``conv``,
  ``fft``, ...), the 4-loop ``direct`` kernel, JAX's BCOO products and ``original``'s
  loop over the preload;
- **W3**, one likelihood step, in two kinds of row: *step (Likelihood, K-free)*, what a
  modeller's step costs, :meth:`autojax.Likelihood.log_evidence` with its per-observation
  constants precomputed once (W1); and *seed-argument likelihood (recomputes K sums)*,
  ``log_likelihood_function_via_w_compact_from``, which sums over the K visibilities on
  every call; each with F by every method, and ``original``'s.

Presets (``--preset``; pixel scale 0.05 arcsec, |uv| up to 1e6 wavelengths):

==========  =====  ========  ======  ====  =====
preset      N      M         K       S     B, P
==========  =====  ========  ======  ====  =====
tiny        16     208       500     60    3, 10
mid         64     3,228     1e5     1000  3, 10
alma        140    15,380    1e6     1500  3, 10
alma_high   400    125,676   5e6     1500  3, 10
==========  =====  ========  ======  ====  =====

Correctness first: every row's first result is checked against an exact reference before
anything is timed, and a row that disagrees is reported as *failed*, never timed. Rows a
cost model predicts to exceed ``--time-limit`` seconds per call, or ``--mem-cap-gib`` of
memory, are skipped with the prediction as the reason.

Outputs, per preset: a rich table per workload on the console,
``benchmarks/report/science-<preset>-<time>.md`` (median, first call, peak RSS growth,
ratio to the workload's baseline row: W1 ``numba exact``, W2 ``numba two_pass``, W3
``numba two_pass: step (Likelihood, K-free)``), a bar chart per workload in
``benchmarks/report/science-<preset>-<time>/`` and the raw results in
``.benchmarks/science-<preset>-<time>.json``. Exit status 2 when a row failed (the reports
are still written, the failures in them)::

    python -m benchmarks.science                       # --preset mid (~2 minutes)
    python -m benchmarks.science --preset alma         # ~7 minutes on 2 cores
    python -m benchmarks.science --preset tiny --quick # seconds
    python -m benchmarks.science --preset mid,alma --backends numba,jax --workloads W2,W3

Modules, by concern: :mod:`.problem` (presets and the problem) and :mod:`.lattice`;
:mod:`.workloads` (public kernels, baselines); :mod:`.rows` (the rows, how each is called
and checked); :mod:`.checks` (the rules and exact sums) and :mod:`.references` (the cached
references); :mod:`.cost` (the cost model); :mod:`.runner` (timing a preset);
:mod:`.output` (tables, plots, Markdown); :mod:`.cli` (options and ``main``). Timing,
memory sampling, machine description and the shared options are
:mod:`benchmarks.harness`'s.
"""
