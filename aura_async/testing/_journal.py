"""The journal: one entry per request the emulator received, for assertions."""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN_PATH = "/oauth/token"

# The same tolerance as the rate limiter, so both agree on requests at a window edge.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request as the emulator saw it.

    Attributes:
        time: Receipt time on the emulator's monotonic clock.
        method: The HTTP method.
        path: The concrete request path (no query string).
        status: The answered status, or ``None`` if the connection was dropped.
        client_id: The credential the request was attributed to (the bearer token's
            client for API calls, the Basic-auth client id for ``/oauth/token``),
            or ``None`` if unauthenticated.
        request_id: The ``X-Request-Id`` of the answer.
        rate_limited: Whether the rate limit rejected it (429).
        fault: The kind of injected fault applied, if any (see ``Fault.kind``).
        operation: The name of the matched route (e.g. ``"post-instances"``), or
            ``None`` if no route matched.
    """

    time: float
    method: str
    path: str
    status: int | None
    client_id: str | None
    request_id: str
    rate_limited: bool = False
    fault: str | None = None
    operation: str | None = None


class Journal:
    """Every request received, in the order their answers completed.

    Args:
        max_entries: Keep only the most recent entries (``None``: keep all), so a
            long-running standalone server does not grow without bound.
    """

    def __init__(self, max_entries: int | None = None) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max_entries)

    def append(self, entry: JournalEntry) -> None:
        """Record ``entry``."""
        self._entries.append(entry)

    @property
    def entries(self) -> list[JournalEntry]:
        """A snapshot of the recorded entries."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def select(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        client_id: str | None = None,
        operation: str | None = None,
    ) -> list[JournalEntry]:
        """Return the entries matching every given filter.

        Args:
            method: The HTTP method (case-insensitive).
            path: The request path; ``*`` matches any run of characters, ``/`` included.
            status: The answered status.
            client_id: The credential.
            operation: The matched route's name.

        Returns:
            The matching entries, oldest first.
        """
        wanted_method = method.upper() if method is not None else None
        return [
            entry
            for entry in self._entries
            if (wanted_method is None or entry.method == wanted_method)
            and (path is None or fnmatch.fnmatchcase(entry.path, path))
            and (status is None or entry.status == status)
            and (client_id is None or entry.client_id == client_id)
            and (operation is None or entry.operation == operation)
        ]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        client_id: str | None = None,
        *,
        operation: str | None = None,
    ) -> int:
        """Return how many entries match every given filter (see :meth:`select`)."""
        return len(
            self.select(
                method=method, path=path, status=status, client_id=client_id, operation=operation
            )
        )

    def max_in_window(
        self,
        per: float,
        *,
        client_id: str | None = None,
        include_rejected: bool = False,
        include_token_requests: bool = True,
    ) -> int:
        """Return the most requests received within any window ``(t - per, t]``.

        Args:
            per: The window length in seconds.
            client_id: Count only this credential's requests (default: all).
            include_rejected: Also count requests the rate limit rejected.
            include_token_requests: Also count ``POST /oauth/token`` requests.

        Returns:
            The largest count; 0 for an empty journal.
        """
        times = sorted(
            entry.time
            for entry in self._entries
            if (client_id is None or entry.client_id == client_id)
            and (include_rejected or not entry.rate_limited)
            and (include_token_requests or entry.path != TOKEN_PATH)
        )
        return max_in_window(times, per)

    def rate_limited_count(self, client_id: str | None = None) -> int:
        """Return how many requests the rate limit rejected (of ``client_id``, if given)."""
        return sum(
            1
            for entry in self._entries
            if entry.rate_limited and (client_id is None or entry.client_id == client_id)
        )

    def token_requests(self, client_id: str | None = None) -> int:
        """Return how many requests reached ``POST /oauth/token`` (of ``client_id``)."""
        return self.count("POST", TOKEN_PATH, client_id=client_id)


def max_in_window(sorted_times: Iterable[float], per: float) -> int:
    """Return the most of ``sorted_times`` within any half-open window ``(t - per, t]``.

    Args:
        sorted_times: Receipt times in ascending order.
        per: The window length.

    Returns:
        The largest count.
    """
    window: deque[float] = deque()
    best = 0
    for time in sorted_times:
        window.append(time)
        while window[0] < time - per + _EPSILON:
            window.popleft()
        best = max(best, len(window))
    return best
