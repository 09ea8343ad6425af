"""The shared rate limiter: at most ``requests`` sends in any window of ``per`` seconds.

Why a sliding log keyed on *completion* times: the server counts a request when it
receives it, which is some time between our admission and the moment its answer
(or failure) reaches us. A slot therefore stays occupied while its request is in
flight, and for ``per`` seconds after it completes. Then no ``requests + 1`` sends
can land in one server window, whatever the network jitter, and a long saturated
run still uses ``per / (per + latency)`` of the allowance. A request whose outcome
is unknown (timeout, reset, cancelled in flight) is counted longer, since its bytes
may still be on their way: by default as long again as it was in flight (for an
attempt that timed out, the attempt timeout), since a proxy that held it that long
can hold it as long again; ``RateLimit.margin`` set fixes that extra hold instead.

Waiters are served by one pump task, every interactive waiter before any bulk
one and FIFO within a lane; bulk calls leave ``RateLimit.effective_reserve``
slots of each window to interactive ones; only the pump ever waits on the
aiolimiter bucket used for paced sending, so admission stays O(1) however many
coroutines queue up (aiolimiter re-parks all its waiters on every wake-up).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Protocol

from aiolimiter import AsyncLimiter

from aura_async import _logging, _ramp
from aura_async._config import RateLimit
from aura_async._lanes import Lane, LimiterStats, estimate_wait, too_late
from aura_async._waiters import WaiterQueue

__all__ = ["Lane", "Limiter", "LimiterStats", "LocalLimiter", "Permit"]

_log = logging.getLogger("aura_async")

# Completion times are compared with a small tolerance, so that a send exactly
# ``per`` after a completion cannot fall in the same server window.
_EPSILON = 0.001
# The burst a limiter falls back to once the server proves stricter than a
# sliding window: a fraction of the allowance, at least 1.
_PACED_BURST_FRACTION = 25


class Permit(Protocol):
    """The right to send one request, returned by :meth:`Limiter.acquire`."""

    def release(self, *, sent: bool = True, answered: bool = True) -> None:
        """Report that the request finished.

        Args:
            sent: False when the request provably never left (a connect error):
                the slot is returned at once.
            answered: False when no complete answer arrived (timeout, reset):
                the slot is held for the limiter's safety margin longer.
        """


class Limiter(Protocol):
    """What the request pipeline needs from a limiter (local or shared)."""

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """Wait for a send slot.

        Args:
            priority: Go to the head of the call's lane (the call that got a 429
                goes first after the cooldown).
            lane: The call's lane: an interactive call is admitted before any
                queued bulk call, and bulk calls never take the window's reserve.
            deadline: When the call's time runs out, a ``time.monotonic()`` value
                (None: no deadline).

        Returns:
            A permit to release when the request has finished.

        Raises:
            AdmissionTimeoutError: The estimated wait exceeds the time left before
                ``deadline`` (raised at once; the call takes no slot).
        """

    def report_rejection(self, delay: float) -> None:
        """Report a 429: no send for ``delay`` seconds, for every coroutine."""

    async def stats(self) -> LimiterStats:
        """Return a snapshot of the queues, the window and the counters."""


class _LocalPermit:
    """A slot of a :class:`LocalLimiter`; released at most once."""

    __slots__ = ("_admitted", "_limiter", "_released")

    def __init__(self, limiter: LocalLimiter, admitted: float) -> None:
        self._limiter = limiter
        self._admitted = admitted
        self._released = False

    def release(self, *, sent: bool = True, answered: bool = True) -> None:
        """See :meth:`Permit.release`."""
        if not self._released:
            self._released = True
            self._limiter._complete(sent=sent, answered=answered, admitted=self._admitted)


class LocalLimiter:
    """An in-process limiter shared by every coroutine of one credential.

    Args:
        rate: The allowance. ``rate.burst`` set means paced sending from the start.
        loop: The event loop it belongs to (default: the running loop).
        ramp: Ramp up from one send in flight until the server's window is known
            (:mod:`aura_async._ramp`); off with ``rate.burst`` set.
    """

    def __init__(
        self,
        rate: RateLimit,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        ramp: bool = True,
    ) -> None:
        self.rate = rate
        self._loop = loop or asyncio.get_running_loop()
        self._margin = rate.effective_margin
        self._margin_from_flight = rate.margin is None
        self._bulk_limit = rate.requests - rate.effective_reserve
        self._rejection_count = 0
        self._resend_count = 0
        self._timeout_count = 0
        self._in_flight = 0
        self._completions: collections.deque[float] = collections.deque()
        self._rejections: collections.deque[float] = collections.deque()
        self._waiters: WaiterQueue[None] = WaiterQueue(on_empty=self._poke)
        self._pump_task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._cooldown_until = 0.0
        self._bucket: AsyncLimiter | None = None
        self._bucket_needs_fill = False
        self._bucket_slot_held = False
        if rate.burst is not None:
            self._bucket = AsyncLimiter(rate.burst, rate.burst * rate.per / rate.requests)
        self._ramp = _ramp.start(rate.requests) if ramp and rate.burst is None else None

    @property
    def paced(self) -> bool:
        """True once sends are paced by a small-burst bucket."""
        return self._bucket is not None

    @property
    def ramping(self) -> bool:
        """True until the server's window is known (see :mod:`aura_async._ramp`)."""
        return self._ramp is not None

    @property
    def waiting(self) -> int:
        """The calls waiting for a slot."""
        return len(self._waiters)

    def cooldown_left(self) -> float:
        """Seconds until the current 429 cooldown ends (0.0 when there is none)."""
        return max(0.0, self._cooldown_until - self._loop.time())

    def sends_in_window(self) -> int:
        """Return the sends that still occupy a slot (in flight or recently completed)."""
        self._prune(self._loop.time())
        return self._in_flight + len(self._completions)

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """See :meth:`Limiter.acquire`. Cancelling the wait frees the queue place."""
        if priority:
            self._resend_count += 1
        if self._waiters.ahead(lane, priority=priority) == 0 and self._ready_now(lane):
            await self._take_bucket_slot()  # never suspends: _ready_now saw capacity
            return self._admit()
        if deadline is not None:
            self._check_deadline(lane, priority, deadline)
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._enqueue(waiter, priority=priority, lane=lane)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Admitted in the same instant as cancelled: give the slot back.
                self._complete(sent=False, answered=True, admitted=self._loop.time())
            raise
        return _LocalPermit(self, self._loop.time())

    async def stats(self) -> LimiterStats:
        """See :meth:`Limiter.stats`."""
        return LimiterStats(
            queued_interactive=self._waiters.waiting(Lane.INTERACTIVE),
            queued_bulk=self._waiters.waiting(Lane.BULK),
            sends_in_window=self.sends_in_window(),
            limit=self.rate.requests,
            per=self.rate.per,
            cooldown_remaining=self.cooldown_left(),
            paced=self.paced,
            ramping=self.ramping,
            rejections=self._rejection_count,
            resends=self._resend_count,
            admission_timeouts=self._timeout_count,
        )

    def estimate(self, position: int, lane: Lane = Lane.INTERACTIVE) -> float:
        """Estimate the wait of a call queued behind ``position`` others in ``lane``."""
        now = self._loop.time()
        self._prune(now)
        bucket = self._bucket
        pace = (
            None if bucket is None else (int(bucket.max_rate), bucket.time_period / bucket.max_rate)
        )
        return estimate_wait(
            position=position,
            limit=self._limit(lane),
            per=self.rate.per,
            in_flight=self._in_flight,
            answered_at=self._completions,
            now=now,
            cooldown=self.cooldown_left(),
            pace=pace,
        )

    def _check_deadline(self, lane: Lane, priority: bool, deadline: float) -> None:
        """Raise at once if the call cannot be admitted before ``deadline``."""
        wait = self.estimate(self._waiters.ahead(lane, priority=priority), lane)
        if (error := too_late(wait, deadline)) is not None:
            self._timeout_count += 1
            raise error

    def report_rejection(self, delay: float) -> None:
        """See :meth:`Limiter.report_rejection`. Overlapping cooldowns end at the later one.

        A sliding-window server only rejects once ``requests`` sends were *accepted*
        in its window; if fewer could have been (our sends in the window, less the
        ones rejected), the server is stricter, and sends are paced from then on.
        """
        now = self._loop.time()
        self._rejection_count += 1
        self._cooldown_until = max(self._cooldown_until, now + max(0.0, delay))
        self._rejections.append(now)
        self._ramp = None
        if self._bucket is None and self._most_accepted(now) < self.rate.requests:
            self._switch_to_paced()
        self._poke()

    def _most_accepted(self, now: float) -> int:
        """The most sends the server can have accepted in the window ending ``now``."""
        horizon = now - self.rate.per
        while self._rejections and self._rejections[0] <= horizon:
            self._rejections.popleft()
        return self.sends_in_window() - len(self._rejections)

    def _switch_to_paced(self) -> None:
        burst = max(1, self.rate.requests // _PACED_BURST_FRACTION)
        self._bucket = AsyncLimiter(burst, burst * self.rate.per / self.rate.requests)
        # The server's own budget is exhausted right now: start with a full bucket.
        self._bucket_needs_fill = True
        _logging.paced(_log, self.rate.requests, self.rate.per, burst)

    def _limit(self, lane: Lane) -> int:
        """The slots of a window ``lane`` may fill: bulk calls leave the reserve."""
        return self.rate.requests if lane is Lane.INTERACTIVE else self._bulk_limit

    def _ready_now(self, lane: Lane) -> bool:
        if self._delay(self._loop.time(), lane) != 0.0:
            return False
        return self._bucket is None or (not self._bucket_needs_fill and self._bucket.has_capacity())

    async def _take_bucket_slot(self) -> None:
        """Consume one slot of the pacing bucket, if pacing (waits only in the pump)."""
        if self._bucket is None:
            return
        if self._bucket_needs_fill:
            self._bucket_needs_fill = False
            await self._bucket.acquire(self._bucket.max_rate)
        await self._bucket.acquire()

    def _delay(self, now: float, lane: Lane) -> float | None:
        """Seconds until the window (the slots ``lane`` may fill), cooldown and ramp allow a send.

        None: wait for a completion.
        """
        self._prune(now)
        limit = self._limit(lane)
        ramp_wait = self._ramp_wait(now, lane)
        if ramp_wait is None:
            return None
        wait = max(0.0, self._cooldown_until - now, ramp_wait)
        excess = self._in_flight + len(self._completions) - limit
        if excess < 0:
            return wait
        if excess >= len(self._completions):
            return None
        return max(wait, self._completions[excess] + self.rate.per - now)

    def _ramp_wait(self, now: float, lane: Lane) -> float | None:
        """Seconds until the ramp's wave has room (None: until an answer comes).

        Beside a bulk backlog, an interactive call may go beyond the wave by the
        window's reserve: otherwise it would wait for the bulk wave's answers. A
        burst of interactive calls alone ramps as before.
        """
        if self._ramp is not None:
            self._ramp = _ramp.unstall(self._ramp, now, limit=self.rate.requests)
        if self._ramp is None:
            return 0.0
        beside_bulk = lane is Lane.INTERACTIVE and self._waiters.waiting(Lane.BULK) > 0
        extra = self.rate.effective_reserve if beside_bulk else 0
        return _ramp.wait(self._ramp, now, extra)

    def _prune(self, now: float) -> None:
        horizon = now - self.rate.per
        completions = self._completions
        while completions and completions[0] <= horizon:
            completions.popleft()

    def _admit(self) -> _LocalPermit:
        self._in_flight += 1
        if self._ramp is not None:
            self._ramp = _ramp.admitted(self._ramp, self._loop.time())
        return _LocalPermit(self, self._loop.time())

    def _unanswered_margin(self, in_flight_for: float) -> float:
        """How much longer than ``per`` an unanswered send holds its slot."""
        if self._margin_from_flight:
            return max(self._margin, in_flight_for)
        return self._margin

    def _complete(self, *, sent: bool, answered: bool, admitted: float) -> None:
        if self._ramp is not None:
            self._ramp_past(sent and answered)
        if sent and not answered:
            extra = self._unanswered_margin(self._loop.time() - admitted)
            if extra > 0:
                # It may still be on its way: it stays in flight for the margin, then
                # completes, so the completion log stays in time order (a long hold
                # appended at its end would hold back every later entry).
                self._loop.call_later(extra, self._finish, True)
                return
        self._finish(sent)

    def _ramp_past(self, answered: bool) -> None:
        """Feed the ramp a send's outcome (an answer counts in the window from now)."""
        assert self._ramp is not None
        limit, now = self.rate.requests, self._loop.time()
        if not answered:
            # Its slot may stay held for a margin, but its wave place is free now.
            self._ramp = _ramp.lost(self._ramp, now, limit=limit)
            self._poke()
            return
        self._prune(now)
        in_window = len(self._completions) + 1
        self._ramp = _ramp.answered(self._ramp, now, in_window=in_window, limit=limit)

    def _finish(self, sent: bool) -> None:
        self._in_flight -= 1
        if sent:
            self._completions.append(self._loop.time() + _EPSILON)
        self._poke()

    def _enqueue(self, waiter: asyncio.Future[None], *, priority: bool, lane: Lane) -> None:
        self._waiters.push(waiter, priority=priority, lane=lane)
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = self._loop.create_task(self._pump(), name="aura_async-limiter")
        elif lane is Lane.INTERACTIVE or priority:
            # It may be the new head, with a shorter wait than the pump sleeps for.
            self._poke()

    def _poke(self) -> None:
        """Wake the pump to re-evaluate (a slot freed, a cooldown, a waiter left)."""
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _pump(self) -> None:
        while (head := self._waiters.peek()) is not None:
            waiter, lane = head
            delay = self._delay(self._loop.time(), lane)
            if delay != 0.0:
                await self._sleep(delay)
            elif self._bucket is not None and not self._bucket_slot_held:
                # Only the pump waits on the bucket, so aiolimiter never holds more
                # than one waiter; the window and cooldown are re-checked after.
                await self._take_bucket_slot()
                self._bucket_slot_held = True
            else:
                self._waiters.pop()
                self._bucket_slot_held = False
                self._admit()
                waiter.set_result(None)

    async def _sleep(self, delay: float | None) -> None:
        """Sleep for ``delay`` (None: until poked), returning early when poked."""
        self._wakeup = self._loop.create_future()
        handle = None if delay is None else self._loop.call_later(delay, self._poke)
        try:
            await self._wakeup
        finally:
            self._wakeup = None
            if handle is not None:
                handle.cancel()
