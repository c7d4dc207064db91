"""A cost model: rough time and memory of a row before it runs, to skip what cannot fit.

Operations per method (exact compact ~ (3N) K sin/cos pairs + 4 N (2N-1) K flops; two-pass
~ M^2 B; 4-loop ~ (M B)^2; FFT ~ 5 S (2N)^2 log (2N)^2; upstream preload ~ 4 N^2 K cos on
one core; dense W-tilde M^2 memory; ...) at rates measured on a 2-core machine, scaled by
the usable cores. A W3 row (a Likelihood step or the seed-argument likelihood) costs its F
plus two S^3 factorisations; the K-sized sums of the seed-argument likelihood are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..harness import usable_cores
from .problem import Preset
from .rows import Row

#: operations per second per core, fitted on the 2-core development machine (preset mid,
#: and ~20 s for numba exact at alma); parallel backends scale them by the usable cores
RATES = {
    "trig": 1.25e7,  # a cos, sin pair computed in a loop over (offset, visibility)
    "flop": 1.5e10,  # BLAS matrix products
    "lapack": 4.75e9,  # Cholesky, solves (the S³ part of a likelihood step)
    "loop": 1.3e8,  # a gather-multiply-scatter step of a compiled loop (two-pass W T)
    "direct": 7.0e7,  # a step of numba's 4-loop (F scatter)
    "jax_scatter": 5.0e7,  # a step of JAX's element-wise scatter-add (4-loop)
    "serial_trig": 2.0e7,  # original's scalar cos in its preload loop (one core)
    "serial_loop": 2.0e8,  # original's 4-loop over the preload (one core)
    "fft": 5.0e8,  # the 5 n log2 n flops of a real-to-complex FFT pair
    "conv_column": 6.0e7,  # conv's per (pixel, source column) work, outside the AXPYs
}
#: a backend's time for the same W1 work relative to numba's (measured at mid)
W1_BACKEND_FACTOR = {"numba": 1.0, "jax": 1.0, "xp": 1.8}
MIB = 2**20


@dataclass
class Prediction:
    seconds: float
    bytes: float
    formula: str  # what the time was predicted from
    memory: str = "working arrays"  # what the bytes were predicted from


def predict(row: Row, p: Preset, M: int) -> Prediction:
    """Rough time and memory of one call of ``row`` at preset ``p`` (a cost model).

    Operation counts per method, divided by :data:`RATES`; memory from the arrays each
    method builds (dense W-tilde M², W T M S, ...), measured at mid.
    """
    cores = usable_cores()
    rate = {k: v * (1 if k.startswith("serial") else cores) for k, v in RATES.items()}
    N, K, S, B = p.N, p.K, p.S, p.B
    if row.workload == "W1":
        return _predict_compact(row, N, K, rate)
    pred = _predict_curvature(row, N, M, S, B, rate)
    if row.workload == "W3":
        solves = (2 / 3) * S**3 * 2  # Cholesky (or LU) of F + H and of H
        pred = Prediction(
            pred.seconds + solves / rate["lapack"],
            pred.bytes + 6 * S * S * 8 + (M * S * 8 if row.backend == "original" else 0),
            pred.formula + " + 4/3 S³ factorisations",
            pred.memory + " + S x S matrices",
        )
        calls = {"grad": 3, "vmap": 8, "calls": 8}.get(row.variant, 1)
        if calls > 1:
            pred = Prediction(
                calls * pred.seconds,
                pred.bytes + (M * S * 8 if row.variant == "grad" else 0),
                f"{calls} x ({pred.formula})",
                pred.memory,
            )
    return pred


def _predict_compact(row: Row, N: int, K: int, rate: dict) -> Prediction:
    if row.backend == "original":
        ops = 4 * N * N * K
        return Prediction(ops / rate["serial_trig"], 4 * N * N * 8, "4 N² K cos, one core")
    if row.method.startswith("nufft") or row.backend == "library":
        fft = 5 * (4 * N) ** 2 * math.log2((4 * N) ** 2)  # the upsampled (4N)² grid
        return Prediction(
            30 * K / rate["loop"] + fft / rate["fft"],
            128 * MIB + 64 * K,
            "~30 K spreading steps + a (4N)² FFT",
        )
    trig = (3 * N - 1) * K
    flops = 4 * N * (2 * N - 1) * K
    factor = W1_BACKEND_FACTOR.get(row.backend, 2.0)
    return Prediction(
        factor * (trig / rate["trig"] + flops / rate["flop"]),
        128 * MIB + 3 * N * (2 * N - 1) * 8,
        "(3N-1) K sin/cos pairs + 4 N (2N-1) K flops",
    )


def _predict_curvature(row: Row, N: int, M: int, S: int, B: int, rate: dict) -> Prediction:
    b, method = row.backend, row.method
    if method == "default":  # a likelihood without METHODS: assume its two-pass F
        method = "two_pass"
    if method == "auto" and b == "jax":  # the sampler rows: JAX's rule (fft on a GPU)
        from autojax import _runtime

        method = "fft" if _runtime.jax_on_gpu() else "conv"
    if b == "original":
        ops = (M * B) ** 2 / 2
        return Prediction(ops / rate["serial_loop"], 3 * S * S * 8, "(M B)²/2 steps, one core")
    if method == "direct":
        ops = (M * B) ** 2
        r = rate["jax_scatter"] if b == "jax" else rate["direct"]
        return Prediction(ops / r, 16 * MIB + 2 * S * S * 8, "(M B)² steps (4-loop)")
    if method == "BCOO":
        ops = M * M * (B + 1)
        return Prediction(
            ops / rate["loop"],
            3.5 * M * M * 8,
            "M² (B+1) steps",
            "3.5 x 8 M² bytes: the dense M x M W-tilde and its products",
        )
    if method == "fft":
        ops = S * 5 * (2 * N) ** 2 * math.log2((2 * N) ** 2)
        return Prediction(
            ops / rate["fft"] + M * B * S / rate["loop"],
            1.2 * S * (2 * N) ** 2 * 16 + 2 * M * S * 8,
            "S FFTs of (2N)²",
            "1.2 x 16 S (2N)² bytes: all S columns' spectra at once",
        )
    if b == "xp" and method == "two_pass":  # expands W-tilde, then a dense product
        return Prediction(
            M * M / rate["loop"] + 2 * M * M * S / rate["flop"],
            5 * M * M * 8,
            "dense M x M W-tilde, 2 M² S flops",
            "5 x 8 M² bytes: the dense M x M W-tilde and its index arrays",
        )
    # two_pass, conv and any other method: the M² B products of W T, then T^T
    ops = M * M * B + M * B * S
    if method == "conv":  # contiguous AXPYs along image rows vectorise (fitted: mid, alma_high)
        return Prediction(
            M * S / rate["conv_column"] + ops / (36 * rate["loop"]),
            16 * MIB + M * S * 8,
            "M S column steps + M² B AXPY steps",
            "W T",
        )
    return Prediction(
        ops / rate["loop"], 16 * MIB + 3 * M * S * 8, "M² B steps (W T)", "3 x 8 M S bytes: W T"
    )
