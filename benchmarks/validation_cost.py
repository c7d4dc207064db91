"""Cost of the input checks on the DataLoaded likelihood, per backend (docs/bad-input.md).

``python benchmarks/validation_cost.py`` prints, per backend, the median time of one
``log_likelihood_function_via_w_compact_from`` call with checks, of the unchecked function
(``__wrapped__``), and of the checks alone (the kernel's checker on the same arguments,
eager path), and the checks as a share of the call.
"""

from __future__ import annotations

import statistics
import time

from autojax import backends
from autojax.datasets import DataLoaded

KERNEL = "log_likelihood_function_via_w_compact_from"


def _median(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        getattr(out, "block_until_ready", lambda: None)()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    data = DataLoaded()
    for name, reason in backends.available().items():
        if reason is not None:
            print(f"{name:8s} skipped: {reason}")
            continue
        func = getattr(backends.load(name), KERNEL)
        args = data.args_for(func)
        func(*args)  # compile
        func.__wrapped__(*args)
        call = _median(lambda f=func, a=args: f(*a), 50)
        unchecked = _median(lambda f=func, a=args: f.__wrapped__(*a), 50)
        checks = _median(lambda f=func, a=args: f.__autojax_check__(a, {}), 2000)
        print(
            f"{name:8s} call {call * 1e3:7.2f} ms  unchecked {unchecked * 1e3:7.2f} ms  "
            f"checks {checks * 1e6:6.1f} us = {100 * checks / call:.2f} % of the call"
        )


if __name__ == "__main__":
    main()
