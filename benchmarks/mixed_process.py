"""A Numba likelihood step before and after a JAX NUFFT call in the same process (issue 16).

``python -m benchmarks.mixed_process`` runs, each in a fresh subprocess (so the order of
imports and the environment are those a user would have), the DataLoaded step
(``autojax.numba.log_evidence_via_w_compact_from``, M = 716, S = 641): median of warm calls
before any JAX work, then after one ``autojax.jax.dirty_image_nufft_from`` call (jax-finufft
under the hood) in the same process. Variants:

- ``autojax first``: ``import autojax`` before jax (autojax sets the OpenMP wait policy);
- ``jax first``: jax and jax_finufft imported and called before ``import autojax``;
- ``shell PASSIVE``: ``OMP_WAIT_POLICY=PASSIVE`` set in the environment.

Each row also lists the OpenMP and BLAS runtimes loaded in the process (from
``/proc/self/maps`` on Linux): wheels bundle their own copies of libgomp, each with its own
thread pool and its own reading of the wait policy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, statistics, sys, time
order = sys.argv[1]
repeat = int(sys.argv[2])
if order == "jax first":
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax_finufft  # noqa: F401
import numpy as np
import autojax  # noqa: F401
import autojax.numba as nk
import autojax.jax as jk
from autojax.datasets import DataLoaded

data = DataLoaded()
step = nk.log_evidence_via_w_compact_from
args = data.args_for(step)
nufft = jk.dirty_image_nufft_from
nargs = data.args_for(nufft)

def median(func):
    func()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)

if order == "jax first":
    np.asarray(nufft(*nargs))
before = median(lambda: step(*args))
np.asarray(nufft(*nargs))
after = median(lambda: step(*args))
libs = set()
try:
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if any(k in base for k in ("gomp", "libomp", "iomp", "openblas", "tbb")):
                libs.add(base)
except OSError:
    pass
print(json.dumps({"before": before, "after": after, "libs": sorted(libs)}))
"""

VARIANTS = {
    "autojax first": ("autojax first", {}),
    "jax first": ("jax first", {}),
    "shell PASSIVE": ("autojax first", {"OMP_WAIT_POLICY": "PASSIVE"}),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="warm calls per median")
    options = parser.parse_args(argv)
    print(
        "| variant | step before | step after a JAX NUFFT call | after / before | runtimes loaded |"
    )
    print("|---|---:|---:|---:|---|")
    for name, (order, extra) in VARIANTS.items():
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env.update(extra)
        result = subprocess.run(
            [sys.executable, "-c", CHILD, order, str(options.repeat)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            print(f"| {name} | failed: {result.stderr.strip().splitlines()[-1]} | | | |")
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        ratio = row["after"] / row["before"]
        print(
            f"| {name} | {row['before'] * 1e3:.2f} ms | {row['after'] * 1e3:.2f} ms "
            f"| {ratio:.2f} | {', '.join(row['libs'])} |"
        )


if __name__ == "__main__":
    main()
