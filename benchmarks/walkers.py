"""Walker-batch throughput on the JAX backend: evidences per second against batch and devices.

``python -m benchmarks.walkers --preset mid --batches 1,8,32,64 --devices 1,2,4``

For each device count a fresh process starts with
``XLA_FLAGS=--xla_force_host_platform_device_count=D`` (CPU devices; on a GPU machine
``mesh="auto"`` takes every GPU whatever D says). It builds the science problem of the preset (``benchmarks.science.problem``),
precomputes its ``Likelihood(backend="jax")`` once, and for each batch size b times

- ``single``: b calls of ``jax.jit(Likelihood.log_evidence)``, one walker each, in a loop
  (what a sampler without batching does), and
- ``batch``: one ``Likelihood.log_evidence_batch`` of the b walkers (``mesh=None`` on one
  device, ``mesh="auto"`` on several),

each checked against the first walker's single value before it is timed (the batch to
1e-10 relative), then timed by :func:`benchmarks.harness.measure`. The table gives the
median seconds of a whole batch, evidences per second, and ``batch / single`` throughput.
Forced host devices share the machine's cores: on 2 cores, 4 devices cannot be faster than 2.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

from .harness import ROOT, Rounds, WrongAnswer, csv_list, machine_info, machine_line, measure


def _ints(text: str) -> list[int]:
    values = [int(v) for v in csv_list(text)]
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.walkers", description=__doc__)
    parser.add_argument("--preset", action="append", help="science preset(s) (default mid)")
    parser.add_argument("--batches", type=_ints, default=[1, 8, 32, 64])
    parser.add_argument("--devices", type=_ints, default=[1, 2, 4])
    parser.add_argument("--quick", action="store_true", help="one warm call per timing")
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _walkers(problem, count: int):
    """``count`` walkers: the problem's mapping with perturbed weights and coefficients."""
    rng = np.random.default_rng(count)
    weights = problem.pix_weights_for_sub_slim_index
    scale = 1 + 0.02 * rng.standard_normal((count, *weights.shape))
    pix = np.broadcast_to(problem.pix_indexes_for_sub_slim_index, (count, *weights.shape))
    return np.ascontiguousarray(pix), weights * scale, np.linspace(0.5, 2.0, count)


def worker(args: argparse.Namespace) -> list[dict]:
    """Runs in the process of one device count (``--worker D``)."""
    import jax

    from autojax import Likelihood, Observation

    from .science.problem import PRESETS, Problem

    devices = args.worker
    rounds = Rounds(target_s=1.0, min_rounds=3, max_rounds=20, slow_s=5.0, quick=args.quick)
    rows = []
    for name in args.preset:
        problem = Problem(PRESETS[name])
        like = Likelihood(Observation.from_dataset(problem), backend="jax", progress=False)
        like.precompute()
        step = jax.jit(Likelihood.log_evidence)
        for b in args.batches:
            rows.append(_row(name, problem, like, step, b, devices, rounds))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def _row(name, problem, like, step, b: int, devices: int, rounds: Rounds) -> dict:
    """Time b single calls against one batch of b walkers."""
    pix, weights, coefficient = _walkers(problem, b)
    graph = (problem.neighbors, problem.neighbors_sizes)
    mesh = None if devices == 1 else "auto"

    def single():
        return [
            step(like, pix[i], weights[i], *graph, coefficient[i]).block_until_ready()
            for i in range(b)
        ]

    def batch():
        return like.log_evidence_batch(pix, weights, *graph, coefficient, mesh=mesh)

    want = float(step(like, pix[0], weights[0], *graph, coefficient[0]))

    def check(values):
        error = abs(float(values[0]) - want) / abs(want)
        if not error <= 1e-10:
            raise WrongAnswer(f"{name} b={b} D={devices}: relative error {error:.2e}")
        return error

    one = measure(single, check, rounds)
    many = measure(batch, check, rounds)
    return {
        "preset": name,
        "devices": devices,
        "batch": b,
        "single_s": one.median_s,
        "batch_s": many.median_s,
        "batch_first_s": many.first_call_s,
        "single_per_s": b / one.median_s,
        "batch_per_s": b / many.median_s,
        "speedup": one.median_s / many.median_s,
    }


def main(argv=None) -> int:
    args = parse(argv)
    args.preset = args.preset or ["mid"]
    if args.worker is not None:
        print(json.dumps(worker(args)))
        return 0
    print(machine_line(machine_info()))
    rows = []
    for devices in args.devices:
        env = dict(os.environ)
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}"
        )
        command = [sys.executable, "-m", "benchmarks.walkers", "--worker", str(devices)]
        command += [f"--preset={p}" for p in args.preset]
        command += ["--batches", ",".join(map(str, args.batches))]
        command += ["--quick"] if args.quick else []
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            print(f"devices={devices}: the worker failed (exit {done.returncode})")
            return done.returncode
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    print(
        "| preset | devices | batch | single calls (s) | batch (s) | single evid/s "
        "| batch evid/s | batch / single |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['preset']} | {r['devices']} | {r['batch']} | {r['single_s']:.4f} | "
            f"{r['batch_s']:.4f} | {r['single_per_s']:.1f} | {r['batch_per_s']:.1f} | "
            f"{r['speedup']:.2f}x |"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
