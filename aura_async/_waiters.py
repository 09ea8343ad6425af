"""The queue of waiting futures in two lanes, shared by the limiters' pumps."""

from __future__ import annotations

import asyncio
import collections
import functools
from collections.abc import Callable
from typing import Generic, TypeVar

from aura_async._lanes import Lane

__all__ = ["WaiterQueue"]

T = TypeVar("T")

# Below this many departures a rebuild is not worth it: the head drops them soon.
_PURGE_MIN = 64


class WaiterQueue(Generic[T]):
    """Waiters in two lanes: every interactive one before any bulk one, FIFO within a lane.

    ``priority`` puts a waiter at the head of its own lane. A waiter that leaves
    (its future is cancelled) is dropped when it reaches the head, or when those
    that left outnumber those queued: then both lanes are rebuilt without them.
    Each rebuild costs at most twice the departures since the last, so leaving
    costs amortised O(1), and a storm of cancellations frees its memory at once
    instead of when the head waiter is served.

    Args:
        on_empty: Called when the last live waiter leaves or is served (e.g. to wake
            a pump so that it can stop).
    """

    def __init__(self, on_empty: Callable[[], None]) -> None:
        self._lanes: dict[Lane, collections.deque[asyncio.Future[T]]] = {
            lane: collections.deque() for lane in Lane
        }
        self._live = dict.fromkeys(Lane, 0)
        self._left_since_purge = 0
        self._on_empty = on_empty

    def __len__(self) -> int:
        """The number of waiters still waiting (or just served, not yet resumed)."""
        return self._live[Lane.INTERACTIVE] + self._live[Lane.BULK]

    def waiting(self, lane: Lane) -> int:
        """The number of waiters of ``lane`` still waiting (or just served)."""
        return self._live[lane]

    def ahead(self, lane: Lane, *, priority: bool = False) -> int:
        """How many waiters a new one of ``lane`` would queue behind (every interactive
        one, and for a bulk one the bulk ones too, unless it has ``priority``)."""
        interactive = 0 if priority and lane is Lane.INTERACTIVE else self._live[Lane.INTERACTIVE]
        if lane is Lane.INTERACTIVE or priority:
            return interactive
        return interactive + self._live[Lane.BULK]

    def push(
        self, waiter: asyncio.Future[T], *, priority: bool = False, lane: Lane = Lane.INTERACTIVE
    ) -> None:
        """Queue ``waiter`` at the tail of ``lane``, or at its head with ``priority``."""
        if priority:
            self._lanes[lane].appendleft(waiter)
        else:
            self._lanes[lane].append(waiter)
        self._live[lane] += 1
        waiter.add_done_callback(functools.partial(self._left, lane))

    def peek(self) -> tuple[asyncio.Future[T], Lane] | None:
        """Return the next waiter to serve and its lane, or None (dropping those that left)."""
        for lane in self._lanes:
            waiter = self._head(lane)
            if waiter is not None:
                return waiter, lane
        return None

    def _head(self, lane: Lane) -> asyncio.Future[T] | None:
        queue = self._lanes[lane]
        while queue and queue[0].done():
            queue.popleft()
        return queue[0] if queue else None

    def first(self) -> asyncio.Future[T] | None:
        """Return the next waiter to serve, or None (dropping those that left)."""
        head = self.peek()
        return None if head is None else head[0]

    def pop(self, lane: Lane | None = None) -> asyncio.Future[T] | None:
        """Remove and return the next waiter to serve (of ``lane`` only, if given), or None."""
        if lane is None:
            head = self.peek()
            if head is None:
                return None
            lane = head[1]
        elif self._head(lane) is None:
            return None
        return self._lanes[lane].popleft()

    def _left(self, lane: Lane, waiter: asyncio.Future[T]) -> None:
        self._live[lane] -= 1
        if waiter.cancelled():
            # Served waiters were popped before they were done; a cancelled one may
            # still be queued (or already dropped at the head: counted all the same).
            self._left_since_purge += 1
            queued = sum(len(queue) for queue in self._lanes.values())
            if self._left_since_purge > _PURGE_MIN and 2 * self._left_since_purge > queued:
                self._purge()
        if len(self) == 0:
            self._on_empty()

    def _purge(self) -> None:
        for lane, queue in self._lanes.items():
            self._lanes[lane] = collections.deque(w for w in queue if not w.done())
        self._left_since_purge = 0
