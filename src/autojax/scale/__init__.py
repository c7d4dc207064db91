"""Running at scale: work spread over several devices, processes or machines.

See ``docs/scale.md``; each engine has its own module here, which imports its engine only
when it is imported itself: ``autojax.scale.dask`` (the precompute as a Dask graph) and
``autojax.scale.sharding`` (many JAX devices: walker batches, the precompute over K).
"""
