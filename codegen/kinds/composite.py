"""The ``composite`` kind: a few lines of array code over ``xp`` that may call other kernels.

``xp`` is NumPy for Numba, ``jax.numpy`` for JAX and the inputs' namespace for array-API;
calls to other kernels go to their implementations. Any kernel with a per-backend body
(``bodies``) renders as a composite in that backend. Templates:
``templates/<backend>/composite.py.j2``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..model import Kernel, impl_name


@dataclass
class Composite(Kernel):
    """A short body of array code over ``xp`` that may call other kernels.

    ``body``: Python statements ending in ``return``; names are arguments, ``xp`` and kernel
    names from ``calls``. ``bodies``: per-backend replacements for backends whose library
    offers something the others lack (JAX's sparse BCOO); prefer one ``body``.
    """

    body: str = ""

    kind = "composite"

    def __post_init__(self):
        super().__post_init__()
        if not self.body and any(b not in self.bodies for b in self.backends()):
            self.fail("body", "needs a body (or one per backend in 'bodies')")
        if self.body:
            try:
                tree = ast.parse(self.body)
            except SyntaxError as exc:
                self.fail("body", f"not valid Python ({exc.msg})")
            if not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
                self.fail("body", "must end in a return statement")

    def body_for(self, backend: str) -> str:
        return self.bodies.get(backend, self.body).strip("\n")


def view(k, backend: str) -> dict:
    body = k.body_for(backend)
    tree = ast.parse(body)

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in k.calls:
                return ast.copy_location(ast.Name(impl_name(node.id), node.ctx), node)
            return node

    tree = Rename().visit(tree)
    return {"body": ast.unparse(ast.fix_missing_locations(tree)).splitlines()}
