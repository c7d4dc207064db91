"""Small run-time helpers the generated backends share (no kernel bodies live here)."""

from __future__ import annotations

import os

#: elements one vectorised temporary may hold in a reduction (index space x chunk of the
#: reduced axis); AUTOJAX_CHUNK_BUDGET overrides it (read when a JAX kernel is traced or a
#: Numba contraction is called)
DEFAULT_CHUNK_BUDGET = 2**21
CHUNK_BUDGET = int(os.environ.get("AUTOJAX_CHUNK_BUDGET", DEFAULT_CHUNK_BUDGET))
#: the same for element-wise scatter-adds, smaller: their index and value temporaries are
#: read back element by element, fastest while they stay in cache (AUTOJAX_SCATTER_BUDGET)
SCATTER_BUDGET = int(os.environ.get("AUTOJAX_SCATTER_BUDGET", 2**18))


def chunk_size(index_elements: int, total: int, budget: int | None = None) -> int:
    """Steps of a reduction (or rows of a scatter) to take at once within ``budget`` elements.

    Called with static shapes (under ``jax.jit`` they are Python ints), so the chunk is
    fixed at trace time and memory stays bounded however large K or M grows. ``budget``
    defaults to the module's ``CHUNK_BUDGET`` as it is when the kernel is traced.
    """
    budget = CHUNK_BUDGET if budget is None else budget
    if total <= 0:
        return 1
    return max(1, min(total, budget // max(int(index_elements), 1)))


def scatter_chunk_size(index_elements: int, total: int) -> int:
    """:func:`chunk_size` with the scatter budget (``SCATTER_BUDGET`` when traced)."""
    return chunk_size(index_elements, total, SCATTER_BUDGET)


def scan_chunks(step, init, steps: int):
    """``lax.scan(step, init, arange(steps))`` for the JAX templates; one chunk needs no loop.

    ``step(carry, chunk_number) -> (carry, block)``. With a single chunk (small inputs) the
    step is called directly, which saves the loop's fixed cost on every call.
    """
    import jax.numpy as jnp
    from jax import lax

    if steps == 1:
        carry, block = step(init, 0)
        return carry, None if block is None else block[None]
    return lax.scan(step, init, jnp.arange(steps))


def require_x64(kernel: str) -> None:
    """Fail clearly when JAX computes in float32 (autojax.jax enables x64 unless told not to)."""
    import jax

    if not jax.config.jax_enable_x64:
        raise TypeError(
            f"{kernel}: autojax.jax computes in float64, but JAX's x64 mode is off. "
            "Enable it with jax.config.update('jax_enable_x64', True) (autojax.jax does this "
            "on import unless AUTOJAX_JAX_ENABLE_X64=0 is set)."
        )


def jax_on_gpu() -> bool:
    """Whether JAX computes on an accelerator (its default backend is not the CPU)."""
    import jax

    return jax.default_backend() != "cpu"


def xp_on_gpu(array) -> bool:
    """Whether an array-API array lives on an accelerator (its device is not a CPU)."""
    from array_api_compat import device

    if array is None:
        return False
    text = str(device(array)).lower()
    return not ("cpu" in text or text in ("", "none"))
