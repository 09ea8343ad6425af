"""A user-style script: reads ``BulkResult.value`` after checking ``.ok``, without casts.

``make typecheck`` runs ``mypy --strict`` on it; ``assert_type`` fails the check if
``.ok`` ever stops narrowing (e.g. ``value`` typed ``Instance | None`` or ``Any``).
``tests/test_public_types.py`` runs it against the emulator.
"""

from __future__ import annotations

from typing import assert_type

from aura_async import AuraClient, BulkProgress, BulkResult, Err, Ok
from aura_async.models import Instance


async def names_of(client: AuraClient, instance_ids: list[str]) -> tuple[list[str], list[str]]:
    """Return the names of the instances found, and the ids that failed."""
    finished: list[str] = []

    def on_progress(progress: BulkProgress) -> None:
        finished.append(f"{progress.item} {'ok' if progress.result.ok else 'failed'}")

    results = await client.map(client.instances.get, instance_ids, on_progress=on_progress)
    names: list[str] = []
    failed: list[str] = []
    for result in results:
        assert_type(result, BulkResult[str, Instance])
        if result.ok:
            assert_type(result, Ok[str, Instance])
            names.append(result.value.name or result.value.id)
        else:
            assert_type(result, Err[str])
            assert_type(result.error, Exception)
            failed.append(result.item)
    assert len(finished) == len(instance_ids)
    return names, failed
