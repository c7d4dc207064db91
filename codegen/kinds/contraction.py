"""The ``contraction`` kind: a reduction over K whose summand factors into (i, k) and (j, k).

Per chunk of K the factor tables are built (loops in Numba, broadcasting elsewhere) and
multiplied: a matrix product instead of I x J x K summand evaluations. Templates:
``templates/<backend>/contraction.py.j2``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from autojax._runtime import DEFAULT_CHUNK_BUDGET

from .. import expr as ex
from ..expr import tuple_source
from ..model import Kernel


@dataclass
class Contraction(Kernel):
    """``out[i, j] = sum over k of weight[k] * sum_t left_t[i, k] * right_t[j, k]``.

    A reduction whose summand factors into a part that depends on (i, k) and a part that
    depends on (j, k), as ``cos(a - b) = cos a cos b + sin a sin b`` makes of a phase
    difference: the backends build the factor tables for a chunk of k and multiply them
    (a matrix product per chunk), so the summand is evaluated (I + J) K times instead of
    I J K times and the products run in BLAS.

    ``index``: the two output indices -> extents. ``reduce``: ``(name, extent)``. ``terms``:
    ``(left, right)`` expression pairs; left may use the first index and k, right the second
    index and k. ``weight``: an expression of k (default 1). ``lets``: scalars computed first.

    ``symmetric``: right is left with the indices swapped (both indices have the same extent
    and the terms give ``right`` as None); one table is built and the result is mirrored so
    it is exactly symmetric.

    With a single output index the right factors depend on k alone and each chunk adds a
    matrix-vector product: ``out[i] = sum_k weight[k] * sum_t left_t[i, k] * right_t[k]``.
    """

    index: dict[str, str] = field(default_factory=dict)
    reduce: tuple[str, str] | None = None
    terms: list[tuple[str, str | None]] = field(default_factory=list)
    weight: str = "1.0"
    lets: dict[str, str] = field(default_factory=dict)
    symmetric: bool = False

    kind = "contraction"

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.index, dict) or len(self.index) not in (1, 2):
            self.fail("index", "needs one output index (i) or two (i, j)")
        if not self.out_decl.is_array or len(self.out_decl.shape) != len(self.index):
            self.fail("returns", f"must be a {len(self.index)}-d array, one axis per index")
        known = self.known_names()
        known = self.check_lets(self.lets, known)
        (i, ei), (j, ej) = [*self.index.items(), (None, None)][:2]
        if self.vector and self.symmetric:
            self.fail("symmetric", "needs two output indices")
        for idx, extent in self.index.items():
            self.check_name(f"index.{idx}", idx)
            self.check_extent(f"index.{idx}", extent, known)
        if not (isinstance(self.reduce, tuple) and len(self.reduce) == 2):
            self.fail("reduce", "must be a (name, extent) pair")
        k = self.reduce[0]
        self.check_name("reduce", k)
        self.check_extent("reduce", self.reduce[1], known)
        if self.symmetric and ei != ej:
            self.fail("symmetric", "needs both indices to have the same extent")
        self.check_expr("weight", self.weight, known | {k})
        if not self.terms:
            self.fail("terms", "needs at least one (left, right) pair")
        for n, term in enumerate(self.terms):
            if not (isinstance(term, tuple) and len(term) == 2):
                self.fail(f"terms[{n}]", "must be a (left, right) pair")
            left, right = term
            self.check_expr(f"terms[{n}].left", left, known | {i, k})
            if self.symmetric:
                if right is not None:
                    self.fail(f"terms[{n}].right", "must be None when symmetric")
            else:
                self.check_expr(f"terms[{n}].right", right, known | {k} | ({j} if j else set()))

    @property
    def vector(self) -> bool:
        """One output index: each chunk adds a matrix-vector product."""
        return len(self.index) == 1

    def right_terms(self) -> list[str]:
        """Right factors; for a symmetric contraction, the left ones with i renamed j."""
        if not self.symmetric:
            return [r for _, r in self.terms]
        (i, _), (j, _) = self.index.items()

        class Swap(ast.NodeTransformer):
            def visit_Name(self, node):
                return ast.Name(j, ast.Load()) if node.id == i else node

        return [ast.unparse(Swap().visit(ast.parse(left, mode="eval"))) for left, _ in self.terms]


def view(k, backend: str) -> dict:
    (i, ei), (j, ej) = [*k.index.items(), (None, "1")][:2]
    kname, kext = k.reduce
    lefts = [left for left, _ in k.terms]
    rights = k.right_terms()
    texts = [ei, ej, kext, k.weight, *lefts, *rights, *k.lets.values()]
    view = {
        "sizes": k.size_lines_for(*texts),
        "lets": [f"{n} = {ex.lower(t, backend)}" for n, t in k.lets.items()],
        "i": (i, ei),
        "j": (j, ej),
        "k_": (kname, kext),
        "weight": ex.lower(k.weight, backend, floats=(kname,)),
        "lefts": [ex.lower(t, backend, floats=(i, j, kname)) for t in lefts],
        "rights": [ex.lower(t, backend, floats=(i, j, kname)) for t in rights],
        "nterms": len(k.terms),
        "symmetric": k.symmetric,
        # one output index: the right factors are vectors over k (a GEMV per chunk)
        "vector": k.vector,
        "shape": tuple_source([ei] if k.vector else [ei, ej]),
        # elements of the factor tables per step of k (the chunk budget divides this)
        "table_size": f"{len(k.terms)} * (({ei}) + ({ej}))",
        # the default of a Numba contraction's _budget argument (the wrapper passes the
        # run-time value); a constant, so generation does not depend on the environment
        "default_budget": DEFAULT_CHUNK_BUDGET,
    }
    if backend == "numba":  # the loops take the budget the public function reads at call time
        view["impl_args"] = ", ".join([*k.args, "_runtime.CHUNK_BUDGET"])
    return view
