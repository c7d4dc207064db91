"""The ``alias`` kind: another public name for a kernel (same arguments, same result).

An alias has no view of its own: each backend module binds the name to its target.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import SpecError


@dataclass
class Alias:
    """Another public name for ``target`` (same arguments, same result)."""

    name: str
    target: str
    doc: str = ""
    spec_file: str = ""

    kind = "alias"

    def __post_init__(self):
        if not self.name.isidentifier() or not self.target.isidentifier():
            raise SpecError(f"alias {self.name!r} -> {self.target!r}: both must be identifiers")

    # the hooks of codegen.model.Kernel, answered by the target
    def resolve(self, kernels: dict) -> None:
        """The target must be a kernel of some spec."""
        target = kernels.get(self.target)
        if target is None:
            raise SpecError(f"alias '{self.name}', field 'target': no kernel '{self.target}'")
        if isinstance(target, Alias):
            raise SpecError(
                f"alias '{self.name}', field 'target': '{self.target}' is an alias; name its kernel"
            )
        self.target_kernel = target

    def backends(self) -> list[str]:
        return self.target_kernel.backends()

    def methods_for(self, backend: str) -> list[str] | None:
        return self.target_kernel.methods_for(backend)

    def method_target(self, kernels: dict):
        return self.target_kernel.method_target(kernels)

    def capability(self) -> dict:
        return {**self.target_kernel.capability(), "alias_of": self.target}
