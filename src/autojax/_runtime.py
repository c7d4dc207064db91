"""Small run-time helpers the generated backends share (no kernel bodies live here)."""

from __future__ import annotations

#: elements one vectorised temporary may hold (index space x chunk of the reduced axis)
CHUNK_BUDGET = 2**21


def chunk_size(index_elements: int, total: int, budget: int = CHUNK_BUDGET) -> int:
    """Steps of a reduction (or rows of a scatter) to take at once within ``budget`` elements.

    Called with static shapes (under ``jax.jit`` they are Python ints), so the chunk is
    fixed at trace time and memory stays bounded however large K or M grows.
    """
    if total <= 0:
        return 1
    return max(1, min(total, budget // max(int(index_elements), 1)))


def require_x64(kernel: str) -> None:
    """Fail clearly when JAX computes in float32 (autojax.jax enables x64 unless told not to)."""
    import jax

    if not jax.config.jax_enable_x64:
        raise TypeError(
            f"{kernel}: autojax.jax computes in float64, but JAX's x64 mode is off. "
            "Enable it with jax.config.update('jax_enable_x64', True) (autojax.jax does this "
            "on import unless AUTOJAX_JAX_ENABLE_X64=0 is set)."
        )
