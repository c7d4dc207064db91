"""Kernel kinds beyond the four of :mod:`codegen.model`, one module each.

A kind module holds the spec class (a :class:`codegen.model.Kernel` subclass with a
``kind`` name, validated on construction) and ``view(kernel, backend, private)``, the
per-backend dictionary its templates ``templates/<backend>/<kind>.py.j2`` render. This
package registers each view under its kind's name, so :mod:`codegen.render` only looks
the kind up, and adding a kind is one module plus its templates.

Kinds may also define ``resolve(everything)``, called once every spec is loaded with all
kernels by name, to check references to other kernels (a dispatcher's methods).
"""

from __future__ import annotations

from . import dispatch, lattice, nufft

#: kind name -> view function
VIEWS = {
    dispatch.Dispatch.kind: dispatch.view,
    lattice.Lattice.kind: lattice.view,
    nufft.Nufft.kind: nufft.view,
}

Dispatch = dispatch.Dispatch
Lattice = lattice.Lattice
Nufft = nufft.Nufft

__all__ = ["VIEWS", "Dispatch", "Lattice", "Nufft"]
