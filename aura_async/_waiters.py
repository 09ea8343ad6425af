"""A FIFO queue of waiting futures, shared by the limiters' pumps."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["WaiterQueue"]

T = TypeVar("T")

# Below this many departures a rebuild is not worth it: the head drops them soon.
_PURGE_MIN = 64


class WaiterQueue(Generic[T]):
    """Waiters served first come, first served, with a lane at the head for priority.

    A waiter that leaves (its future is cancelled) is dropped when it reaches the
    head, or when those that left outnumber those waiting: then the queue is rebuilt
    without them. Each rebuild costs at most twice the departures since the last, so
    leaving costs amortised O(1), and a storm of cancellations frees its memory at
    once instead of when the head waiter is served.

    Args:
        on_empty: Called when the last live waiter leaves or is served (e.g. to wake
            a pump so that it can stop).
    """

    def __init__(self, on_empty: Callable[[], None]) -> None:
        self._queue: collections.deque[asyncio.Future[T]] = collections.deque()
        self._live = 0
        self._left_since_purge = 0
        self._on_empty = on_empty

    def __len__(self) -> int:
        """The number of waiters still waiting (or just served, not yet resumed)."""
        return self._live

    def push(self, waiter: asyncio.Future[T], *, priority: bool = False) -> None:
        """Queue ``waiter`` at the tail, or at the head with ``priority``."""
        if priority:
            self._queue.appendleft(waiter)
        else:
            self._queue.append(waiter)
        self._live += 1
        waiter.add_done_callback(self._left)

    def first(self) -> asyncio.Future[T] | None:
        """Return the first waiter still waiting, or None (dropping those that left)."""
        queue = self._queue
        while queue and queue[0].done():
            queue.popleft()
        return queue[0] if queue else None

    def pop(self) -> asyncio.Future[T] | None:
        """Remove and return the first waiter still waiting, or None."""
        head = self.first()
        if head is not None:
            self._queue.popleft()
        return head

    def _left(self, waiter: asyncio.Future[T]) -> None:
        self._live -= 1
        if waiter.cancelled():
            # Served waiters were popped before they were done; a cancelled one may
            # still be queued (or already dropped at the head: counted all the same).
            self._left_since_purge += 1
            if self._left_since_purge > _PURGE_MIN and 2 * self._left_since_purge > len(
                self._queue
            ):
                self._purge()
        if self._live == 0:
            self._on_empty()

    def _purge(self) -> None:
        self._queue = collections.deque(w for w in self._queue if not w.done())
        self._left_since_purge = 0
