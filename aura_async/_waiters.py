"""A FIFO queue of waiting futures, shared by the limiters' pumps."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["WaiterQueue"]

T = TypeVar("T")


class WaiterQueue(Generic[T]):
    """Waiters served first come, first served, with a lane at the head for priority.

    A waiter that leaves (its future is cancelled) is dropped lazily when it reaches
    the head, so leaving costs O(1) however long the queue is.

    Args:
        on_empty: Called when the last live waiter leaves or is served (e.g. to wake
            a pump so that it can stop).
    """

    def __init__(self, on_empty: Callable[[], None]) -> None:
        self._queue: collections.deque[asyncio.Future[T]] = collections.deque()
        self._live = 0
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
        if self._live == 0:
            self._on_empty()
