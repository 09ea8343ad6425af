"""Where each item of a bulk command stands, for the report when it is interrupted.

An item is ``done`` (its operation returned), ``failed`` (it raised), ``sent`` (it
started: its requests may have reached the server, and may still take effect) or
``not sent`` (it never started: nothing was sent for it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import attrs

from aura_async._bulk import BulkResult

__all__ = ["DONE", "FAILED", "NOT_SENT", "SENT", "BulkTally", "State", "interrupted_lines"]

R = TypeVar("R")

State = Literal["done", "failed", "sent", "not sent"]
DONE: State = "done"
FAILED: State = "failed"
SENT: State = "sent"
NOT_SENT: State = "not sent"

_SENT_NOTE = "may still take effect on the server"


@attrs.define
class BulkTally:
    """Which ids of a bulk command started and which finished.

    Attributes:
        ids: Every id, in the order given (each once).
        started: The ids whose operation was called.
        results: The finished ids' results.
    """

    ids: Sequence[str]
    started: set[str] = attrs.field(factory=set)
    results: dict[str, BulkResult[str, Any]] = attrs.field(factory=dict)

    def track(self, fn: Callable[[str], Awaitable[R]]) -> Callable[[str], Awaitable[R]]:
        """Return ``fn``, noting each id as started when it is called."""

        async def tracked(item: str) -> R:
            self.started.add(item)
            return await fn(item)

        return tracked

    def finish(self, result: BulkResult[str, Any]) -> None:
        """Note a finished id's result."""
        self.results[result.item] = result

    def state(self, item: str) -> State:
        """Return where ``item`` stands."""
        result = self.results.get(item)
        if result is not None:
            return DONE if result.ok else FAILED
        return SENT if item in self.started else NOT_SENT

    def by_state(self) -> dict[State, list[str]]:
        """Return the ids in each state, in the order given (empty states included)."""
        grouped: dict[State, list[str]] = {DONE: [], FAILED: [], SENT: [], NOT_SENT: []}
        for item in self.ids:
            grouped[self.state(item)].append(item)
        return grouped


def interrupted_lines(tally: BulkTally) -> list[str]:
    """Return the report of an interrupted bulk command (pure).

    Args:
        tally: Where each id stands.

    Returns:
        A summary line, then one line per non-empty state listing its ids.
    """
    grouped = tally.by_state()
    counts = [f"{len(grouped[DONE])} done", f"{len(grouped[FAILED])} failed"]
    counts += [f"{len(grouped[SENT])} sent ({_SENT_NOTE})", f"{len(grouped[NOT_SENT])} not sent"]
    lines = [f"Interrupted after {len(tally.results)} of {len(tally.ids)}: {', '.join(counts)}."]
    lines += [f"  {state}: {' '.join(ids)}" for state, ids in grouped.items() if ids]
    return lines
