"""What the demo proves, read from the emulator's journal (pure), and its summary table."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs
from rich import box
from rich.table import Table

from aura_async.testing import Journal, JournalEntry

__all__ = [
    "DemoSummary",
    "describe_fault",
    "fault_causes",
    "path_pattern",
    "summarize",
    "summary_table",
]

# Methods the client re-sends after a 5xx (the server did not act twice by re-sending).
_RESENT_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
_COLLECTIONS = frozenset({"instances", "snapshots", "tenants", "sessions", "customer-managed-keys"})
_NOT_IDS = frozenset({"", "sizing"})
_API_VERSION = re.compile(r"v\d+(?:beta\d+)?")


@attrs.frozen(kw_only=True)
class DemoSummary:
    """The demo's figures.

    Attributes:
        instances_created: Instances the emulator created.
        duplicates: Creations beyond the first under the same name (must be 0).
        requests: Requests the emulator received, token requests included.
        busiest_window: The most requests received in any window of ``per`` seconds.
        limit: The server's allowance per window.
        per: The window length in seconds.
        rate_limited: Requests the server rejected with 429 (must be 0).
        token_fetches: Requests to the token endpoint (must be 1).
        retries: Requests re-sent by the client after a failure it could safely retry.
        causes: What failed, what the client did about it, and how many times.
        reconciled: Creates that ended ambiguously and were found with ``instances.find``.
        elapsed: Seconds the demo took.
    """

    instances_created: int
    duplicates: int
    requests: int
    busiest_window: int
    limit: int
    per: float
    rate_limited: int
    token_fetches: int
    retries: int
    causes: tuple[tuple[str, str, int], ...]
    reconciled: int
    elapsed: float

    def as_json(self) -> dict[str, Any]:
        """Return the figures as JSON data (each cause as an object)."""
        data = attrs.asdict(self)
        data["causes"] = [
            {"what": what, "reaction": reaction, "count": count}
            for what, reaction, count in self.causes
        ]
        return data


def path_pattern(path: str) -> str:
    """Return a request path with its ids replaced by ``{id}``.

    Args:
        path: A concrete path, e.g. ``/v1/instances/2f49c2b3/snapshots``.

    Returns:
        The pattern without the API version, e.g. ``/instances/{id}/snapshots``.
    """
    parts = path.split("/")
    if len(parts) > 1 and _API_VERSION.fullmatch(parts[1]):
        del parts[1]
    return "/".join(
        "{id}" if index and parts[index - 1] in _COLLECTIONS and part not in _NOT_IDS else part
        for index, part in enumerate(parts)
    )


def describe_fault(entry: JournalEntry) -> tuple[str, str]:
    """Name what happened to a faulted request, and what the client did about it.

    Args:
        entry: A journal entry with a fault.

    Returns:
        ``(what, reaction)``, e.g. ``("503 on GET /instances/{id}", "retried")``.
    """
    status = "no answer" if entry.status is None else str(entry.status)
    where = f"{entry.method} {path_pattern(entry.path)}"
    if (entry.fault or "").endswith("after-apply"):
        return f"{status} after acting on {where}", "not re-sent: found with instances.find"
    return f"{status} on {where}", "retried" if entry.method in _RESENT_METHODS else "not re-sent"


def fault_causes(entries: list[JournalEntry]) -> tuple[tuple[str, str, int], ...]:
    """Count the injected faults by what they were and what the client did.

    Args:
        entries: Journal entries.

    Returns:
        ``(what, reaction, count)`` triples, most frequent first.
    """
    counts = Counter(describe_fault(entry) for entry in entries if entry.fault is not None)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple((what, reaction, count) for (what, reaction), count in ordered)


def _retried(entry: JournalEntry) -> bool:
    if entry.rate_limited:
        return True
    fault = entry.fault or ""
    return bool(fault) and not fault.endswith("after-apply") and entry.method in _RESENT_METHODS


def summarize(
    journal: Journal,
    *,
    names_created: Mapping[str, int],
    limit: int,
    per: float,
    reconciled: int,
    elapsed: float,
) -> DemoSummary:
    """Read the demo's figures from the emulator's journal.

    Args:
        journal: The emulator's journal of every request.
        names_created: How many instances were created under each name.
        limit: The server's allowance per window.
        per: The window length in seconds.
        reconciled: Ambiguous creates the demo reconciled.
        elapsed: Seconds the demo took.

    Returns:
        The summary.
    """
    entries = journal.entries
    return DemoSummary(
        instances_created=sum(names_created.values()),
        duplicates=sum(count - 1 for count in names_created.values() if count > 1),
        requests=len(entries),
        busiest_window=journal.max_in_window(per),
        limit=limit,
        per=per,
        rate_limited=journal.rate_limited_count(),
        token_fetches=journal.token_requests(),
        retries=sum(1 for entry in entries if _retried(entry)),
        causes=fault_causes(entries),
        reconciled=reconciled,
        elapsed=elapsed,
    )


def summary_table(summary: DemoSummary) -> Table:
    """Return the summary as a table: figure, value, what it means."""
    table = Table(title="Summary", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("figure", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("meaning")
    rows = [
        ("instances created", str(summary.instances_created), f"{summary.duplicates} duplicates"),
        ("requests sent", str(summary.requests), "token request included"),
        (
            f"most in any {summary.per:g} s window",
            f"{summary.busiest_window} / {summary.limit}",
            "the server's limit",
        ),
        ("429 responses", str(summary.rate_limited), "never rate limited"),
        ("token fetches", str(summary.token_fetches), "one token for every coroutine"),
        ("retries", str(summary.retries), "safe re-sends after the faults below"),
        *((f"  {what}", str(count), reaction) for what, reaction, count in summary.causes),
        ("ambiguous creates", str(summary.reconciled), "reconciled, no duplicate"),
        ("elapsed", f"{summary.elapsed:.1f} s", ""),
    ]
    for row in rows:
        table.add_row(*row)
    return table
