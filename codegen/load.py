"""Loading the specs: import each ``kernels_spec/*.py``, validate, resolve references.

Errors are :class:`codegen.model.SpecError` naming the file, the kernel and the field.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from .kinds import Alias
from .model import Kernel, SpecError

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "kernels_spec"


@dataclass
class Spec:
    path: Path
    kernels: list  # Kernel and Alias objects
    stem: str = field(init=False)  # the spec's name: generated/<backend>/<stem>.py

    def __post_init__(self):
        self.stem = self.path.stem


def load_spec(path: Path) -> Spec:
    """Import one spec file and validate its ``KERNELS`` list; errors name the file."""
    module_name = f"_autojax_spec_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None
    except Exception as exc:
        raise SpecError(f"{path.name}: could not be loaded: {type(exc).__name__}: {exc}") from exc
    kernels = getattr(module, "KERNELS", None)
    if not isinstance(kernels, list) or not kernels:
        raise SpecError(f"{path.name}: field 'KERNELS' must be a non-empty list of kernels")
    for item in kernels:
        if not isinstance(item, (Kernel, Alias)):
            raise SpecError(
                f"{path.name}: field 'KERNELS' holds {type(item).__name__}, not a kernel"
            )
        item.spec_file = path.name
    return Spec(path, kernels)


def load_specs(spec_dir: Path = SPEC_DIR) -> list[Spec]:
    """Every spec of ``spec_dir`` (files starting with ``_`` skipped), names unique, each
    kernel's and alias's ``resolve`` hook run with all of them by name."""
    specs = [load_spec(p) for p in sorted(spec_dir.glob("*.py")) if not p.name.startswith("_")]
    seen: dict[str, str] = {}
    for spec in specs:
        for item in spec.kernels:
            if item.name in seen:
                raise SpecError(
                    f"{spec.path.name}: kernel '{item.name}' is also defined in {seen[item.name]}"
                )
            seen[item.name] = spec.path.name
    everything = {k.name: k for s in specs for k in s.kernels}
    for spec in specs:
        for item in spec.kernels:
            try:
                item.resolve(everything)
            except SpecError as exc:
                raise SpecError(f"{spec.path.name}: {exc}") from None
    return specs
