"""CLI: ``python -m codegen [--check] [--specs DIR] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .load import SPEC_DIR, load_specs
from .model import SpecError
from .output import OUT_DIR, check, write
from .render import render_all


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail with a diff when generated/ is stale"
    )
    parser.add_argument(
        "--specs", type=Path, default=SPEC_DIR, help="spec folder (default: kernels_spec/)"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="output folder (default: generated/)"
    )
    args = parser.parse_args(argv)
    try:
        specs = load_specs(args.specs)
    except SpecError as exc:
        print(f"codegen: invalid spec: {exc}", file=sys.stderr)
        return 2
    try:
        files = render_all(specs)
    except RuntimeError as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 2
    n_kernels = sum(len(s.kernels) for s in specs)
    if args.check:
        diff = check(files, args.out)
        if diff:
            sys.stdout.write(diff)
            print(
                f"codegen: {args.out} is stale; run `nox -s generate` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(
            f"codegen: {len(files)} generated files from {n_kernels} kernels in {len(specs)} specs are up to date"
        )
        return 0
    changed = write(files, args.out)
    print(
        f"codegen: {n_kernels} kernels in {len(specs)} specs -> {len(files)} files, {len(changed)} changed"
    )
    for rel in changed:
        print(f"  {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
