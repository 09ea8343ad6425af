"""A griffe extension of ``make docs``: Sphinx roles in docstrings become cross-references.

The docstrings write references as Sphinx does (``:class:`~aura_async.AuraClient```);
mkdocstrings reads Markdown, where a reference is ``[`AuraClient`][aura_async.AuraClient]``.
A reference that resolves to nothing fails the strict build, so they stay correct.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):`(~?)([\w.]+)`")


def _reference(match: re.Match[str]) -> str:
    """Return the Markdown cross-reference for one Sphinx role."""
    short, path = match.groups()
    title = path.rsplit(".", 1)[-1] if short else path
    return f"[`{title}`][{path}]"


class SphinxRoles(griffe.Extension):
    """Rewrite every docstring's Sphinx roles as Markdown cross-references."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_reference, obj.docstring.value)
