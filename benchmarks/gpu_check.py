"""Fail clearly unless JAX sees an NVIDIA GPU: ``python -m benchmarks.gpu_check``."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        import jax
    except ImportError as exc:
        print(
            f"bench-cuda: jax does not import ({exc}); install it with `pip install 'jax[cuda12]'`"
        )
        return 1
    try:
        gpus = jax.devices("gpu")
    except RuntimeError as exc:
        gpus, reason = [], str(exc).splitlines()[0]
    else:
        reason = ""
    if not gpus:
        print(
            "bench-cuda: JAX sees no GPU, so there is nothing to benchmark on CUDA.\n"
            f"  jax {jax.__version__}, devices: {jax.devices()}\n"
            f"  {reason}\n"
            "  Needs an NVIDIA GPU with a CUDA 12 driver and the CUDA build of jax "
            "(`pip install 'jax[cuda12]'`, which this session installs). "
            "Use `nox -s bench-cpu` on machines without one.",
            file=sys.stderr,
        )
        return 1
    for d in gpus:
        print(f"bench-cuda: using {d.device_kind} ({d.platform}:{d.id}), jax {jax.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
