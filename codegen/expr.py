"""Lowering of spec expressions to each backend's spelling.

Spec expressions are Python syntax over argument names, index names and a few functions
(``cos``, ``where``, ...). Loops (Numba) see indices as integers; vectorised backends see
them as broadcastable integer arrays, so a gather ``A[i, 1]`` reads the same in both and
only function names (and ``where``, a conditional expression in scalar code) change.
"""

from __future__ import annotations

import ast

_PREFIX = {"numba": "np", "jax": "jnp", "xp": "xp"}
_SCALAR_BUILTINS = {"abs": "abs", "minimum": "min", "maximum": "max"}


class _Lower(ast.NodeTransformer):
    def __init__(self, backend: str, rename: dict[str, str], floats=frozenset()):
        self.backend = backend
        self.rename = rename
        self.floats = floats
        self.depth = 0  # how many subscripts enclose the node being visited

    def visit_Subscript(self, node: ast.Subscript):
        node.value = self.visit(node.value)
        self.depth += 1
        node.slice = self.visit(node.slice)
        self.depth -= 1
        return node

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if self.backend == "numba":
            if name == "where":
                cond, a, b = node.args
                return ast.IfExp(test=cond, body=a, orelse=b)
            if name in ("real", "imag"):  # parts of a complex scalar: attributes
                return ast.Attribute(node.args[0], name, ast.Load())
            if name in _SCALAR_BUILTINS:
                node.func = ast.Name(_SCALAR_BUILTINS[name], ast.Load())
                return node
        if name is not None:
            node.func = ast.Attribute(ast.Name(_PREFIX[self.backend], ast.Load()), name, ast.Load())
        return node

    def visit_Name(self, node: ast.Name):
        if node.id == "pi":
            return ast.Attribute(ast.Name(_PREFIX[self.backend], ast.Load()), "pi", ast.Load())
        if node.id in self.rename:
            return ast.Name(self.rename[node.id], ast.Load())
        if node.id in self.floats and self.depth == 0:
            # an integer index array in arithmetic: the array API promotes neither a Python
            # float nor a float array with an integer array, so cast it (exact: small ints)
            xp = _PREFIX[self.backend]
            return ast.parse(f"{xp}.astype({node.id}, {xp}.float64)", mode="eval").body
        return node


def lower(
    node_or_text, backend: str, rename: dict[str, str] | None = None, floats=frozenset()
) -> str:
    """Source text of an expression for ``backend`` ("numba", "jax" or "xp").

    ``floats``: index names that are integer arrays at run time; outside subscripts they are
    cast to float64 (only for the array-API backend, whose strict namespaces do not promote
    integer arrays with floats; NumPy, Numba and JAX do it themselves).
    """
    node = (
        ast.parse(node_or_text, mode="eval").body if isinstance(node_or_text, str) else node_or_text
    )
    floats = frozenset(floats) if backend == "xp" else frozenset()
    node = _Lower(backend, rename or {}, floats).visit(ast.fix_missing_locations(_copy(node)))
    return ast.unparse(ast.fix_missing_locations(node))


def _copy(node):
    return ast.parse(ast.unparse(node), mode="eval").body


def names(text: str) -> set[str]:
    """Names an expression or statement mentions."""
    return {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}


def read_names(node: ast.AST) -> set[str]:
    """Names an expression reads, the names of the functions it calls left out."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - called_names(node)


def called_names(node: ast.AST) -> set[str]:
    """Names of the functions an expression calls (``cos`` in ``cos(x)``)."""
    return {
        n.func.id
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def tuple_source(items) -> str:
    """Python source of a tuple (the trailing comma only where one item needs it)."""
    items = list(items)
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
