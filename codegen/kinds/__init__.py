"""Every kernel kind, one module each, and the registry the generator reads.

A kind module holds the spec class (a :class:`codegen.model.Kernel` subclass with a
``kind`` name, validated on construction, using the base's public helpers and overriding
its hooks where it differs) and ``view(kernel, backend)``, the per-backend fields its
templates ``templates/<backend>/<kind>.py.j2`` render on top of ``Kernel.base_view``.
Adding a kind is one module here, its templates, and one entry in :data:`KINDS`.

Spec files import every kind from here: ``from codegen.kinds import IndexMap, Lattice``.

- :class:`IndexMap`: ``out[index...] = expr``, optionally summed over a reduction index.
- :class:`Contraction`: a sum over K that factors into (i, k) and (j, k) tables.
- :class:`Scatter`: ``out[targets...] += expr`` over nested loops with ragged rows.
- :class:`Composite`: a few lines of array code that may call other kernels.
- :class:`Dispatch`: one name choosing among method kernels at call time.
- :class:`Lattice`: ``T^T W T`` for a lattice-stationary W (convolution or FFTs).
- :class:`Nufft`: a 2-D non-uniform FFT (type 1 onto modes, or type 3 onto targets).
- :class:`Alias`: another public name for a kernel (no view of its own).
"""

from __future__ import annotations

from . import alias, composite, contraction, dispatch, index_map, lattice, nufft, scatter

IndexMap = index_map.IndexMap
Contraction = contraction.Contraction
Scatter = scatter.Scatter
Composite = composite.Composite
Dispatch = dispatch.Dispatch
Lattice = lattice.Lattice
Nufft = nufft.Nufft
Alias = alias.Alias

#: kind name -> (spec class, view function or None for an alias)
KINDS = {
    IndexMap.kind: (IndexMap, index_map.view),
    Contraction.kind: (Contraction, contraction.view),
    Scatter.kind: (Scatter, scatter.view),
    Composite.kind: (Composite, composite.view),
    Dispatch.kind: (Dispatch, dispatch.view),
    Lattice.kind: (Lattice, lattice.view),
    Nufft.kind: (Nufft, nufft.view),
    Alias.kind: (Alias, None),
}
#: kind name -> view function (what ``codegen.render`` looks up)
VIEWS = {name: view for name, (_, view) in KINDS.items() if view is not None}

__all__ = [
    "KINDS",
    "VIEWS",
    "Alias",
    "Composite",
    "Contraction",
    "Dispatch",
    "IndexMap",
    "Lattice",
    "Nufft",
    "Scatter",
]
