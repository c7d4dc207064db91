"""Griffe extension for the docs: Sphinx cross-reference roles in docstrings become code.

Our hand-written docstrings are plain prose with reST habits (``:class:`DataLoaded```,
``:mod:`autojax.reference```); rendered as Markdown the role names would show. This turns
``:role:`target``` into `` `target` `` (a leading ``~`` dropped) before rendering.
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|mod|func|meth|attr|data|obj|exc|const):`~?([^`]+)`")


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(r"`\1`", obj.docstring.value)
