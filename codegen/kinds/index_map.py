"""The ``index_map`` kind: ``out[index...] = expr`` over an index space, optionally summed.

The sum runs over a reduction index (the visibilities, K). Loops in Numba; broadcasting
over index arrays, with ``lax.scan`` over chunks of K, in JAX; the same, chunked in
Python, in array-API. Templates: ``templates/<backend>/index_map.py.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import expr as ex
from ..expr import tuple_source
from ..model import Kernel


@dataclass
class IndexMap(Kernel):
    """``out[index...] = expr``, or ``sum over reduce`` of it.

    ``index``: ordered output indices -> extents (size symbols, scalar arguments or small
    expressions of them). ``reduce``: ``(name, extent)`` of a summed index, or None.
    ``lets``: scalar values computed once before the loops. ``symmetric``: the first two
    output indices may be swapped (loops compute one triangle and mirror it).
    """

    index: dict[str, str] = field(default_factory=dict)
    expr: str = ""
    reduce: tuple[str, str] | None = None
    lets: dict[str, str] = field(default_factory=dict)
    symmetric: bool = False

    kind = "index_map"

    def __post_init__(self):
        super().__post_init__()
        if not self.index:
            self.fail("index", "needs at least one output index")
        if not self.out_decl.is_array or len(self.out_decl.shape) != len(self.index):
            self.fail("returns", f"must be an array with {len(self.index)} axes, one per index")
        known = self.known_names()
        known = self.check_lets(self.lets, known)
        for idx, extent in self.index.items():
            self.check_name(f"index.{idx}", idx)
            self.check_extent(f"index.{idx}", extent, known)
        indices = set(self.index)
        if self.reduce is not None:
            if not (isinstance(self.reduce, tuple) and len(self.reduce) == 2):
                self.fail("reduce", "must be a (name, extent) pair")
            self.check_name("reduce", self.reduce[0])
            self.check_extent("reduce", self.reduce[1], known)
            indices.add(self.reduce[0])
        self.check_expr("expr", self.expr, known | indices)
        if self.symmetric and (len(self.index) < 2 or len(set(list(self.index.values())[:2])) != 1):
            self.fail("symmetric", "needs two leading output indices of the same extent")
        self.out_dtype = self.out_decl.dtype

    @property
    def index_names(self) -> list[str]:
        return list(self.index)

    @property
    def extents(self) -> list[str]:
        return list(self.index.values())


def view(k, backend: str) -> dict:
    names = k.index_names
    extents = k.extents
    texts = [*extents, k.expr, *k.lets.values()] + ([k.reduce[1]] if k.reduce else [])
    lets = [f"{n} = {ex.lower(t, backend)}" for n, t in k.lets.items()]
    indices = names + ([k.reduce[0]] if k.reduce else [])
    view = {
        "sizes": k.size_lines_for(*texts),
        "lets": lets,
        "index": list(zip(names, extents)),
        "shape": tuple_source(extents),
        "dtype": {"f8": "float64", "b1": "bool_"}[k.out_dtype]
        if backend == "numba"
        else {"f8": "float64", "b1": "bool"}[k.out_dtype],
        "expr": ex.lower(k.expr, backend, floats=indices),
        "reduce": k.reduce,
        "symmetric": k.symmetric,
        "ndim": len(names),
    }
    if backend != "numba":
        # vectorised: every index becomes an integer array on its own axis
        axes = names + ([k.reduce[0]] if k.reduce else [])
        view["iotas"] = [
            (n, e, "(" + ", ".join(e if j == i else "1" for j in range(len(axes))) + ")")
            for i, (n, e) in enumerate(zip(axes, extents + ([k.reduce[1]] if k.reduce else [])))
        ]
        view["out_size"] = " * ".join(f"({e})" for e in extents)
    return view
