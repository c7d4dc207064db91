"""Running beyond one process: the precompute as a Dask graph (:mod:`autojax.scale.dask`).

The submodules import their engines (Dask) only when they are imported themselves.
"""
