"""Running at scale: work spread over several devices, processes or machines.

See ``docs/scale.md``; each engine has its own module here (``autojax.scale.sharding``:
many JAX devices).
"""
