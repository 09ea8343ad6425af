"""What to do after :class:`OutcomeUnknownError`: the reconcile step of each operation.

A pure table from an operation (method and API path) to the call that tells whether
the ambiguous request took effect, so the error names the step that fits it.
"""

from __future__ import annotations

import re

from yarl import URL

__all__ = ["reconcile_step"]

_ID = r"[^/]+"
# (method, the path's tail below the API version, the step), most specific first.
_STEPS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern + r"\Z"), step)
    for method, pattern, step in (
        (
            "POST",
            rf"/instances/{_ID}/snapshots/{_ID}/restore",
            "call instances.get(instance_id): 'restoring' means the restore was accepted",
        ),
        (
            "POST",
            rf"/instances/{_ID}/snapshots",
            "call snapshots.list(instance_id) and look for a snapshot taken since the call",
        ),
        (
            "POST",
            rf"/instances/{_ID}/overwrite",
            "call instances.get(instance_id): 'overwriting' means the overwrite was accepted",
        ),
        (
            "POST",
            rf"/instances/{_ID}/upgrade",
            "call instances.get(instance_id) and compare its type and size with the upgrade",
        ),
        (
            "POST",
            rf"/instances/{_ID}/pause",
            "call instances.get(instance_id): 'pausing' or 'paused' means the pause was applied",
        ),
        (
            "POST",
            rf"/instances/{_ID}/resume",
            "call instances.get(instance_id): 'resuming' or 'running' means it was applied",
        ),
        (
            "PATCH",
            rf"/instances/{_ID}",
            "call instances.get(instance_id) and compare it with the change",
        ),
        (
            "POST",
            r"/instances",
            "call instances.find(name=...): an instance with the name means it was created",
        ),
        (
            "POST",
            r"/customer-managed-keys",
            "call customer_managed_keys.list() and look for the key's name",
        ),
        (
            "POST",
            r"/graph-analytics/sessions",
            "call graph_analytics.list() and look for the session's name",
        ),
    )
)
_FALLBACK = "read the resource (get or list) to see whether the request took effect"


def reconcile_step(method: str, url: str) -> str:
    """Return what to call to learn whether an ambiguous request took effect.

    Args:
        method: The request's HTTP method.
        url: The request's URL (absolute, or a path).

    Returns:
        A short instruction naming the call, e.g. ``call instances.find(name=...)
        ...`` for an instance create; a generic one for an unknown operation.
    """
    path = URL(url).path.rstrip("/")
    for step_method, pattern, step in _STEPS:
        if method.upper() == step_method and pattern.search(path):
            return step
    return _FALLBACK
