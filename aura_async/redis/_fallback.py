"""The local limiter a Redis limiter falls back to while Redis is unreachable.

It takes a stated share of the allowance, and starts only after a quarantine of
one window: the sends of the last window (of every process) are recorded in the
unreachable Redis, so sending at once could exceed the allowance. It remembers
its own sends, so that when Redis returns they are copied into the shared log
before this process sends through Redis again.
"""

from __future__ import annotations

import asyncio
import collections
import math

from aura_async._config import RateLimit
from aura_async._lanes import Lane
from aura_async._ratelimit import LocalLimiter, Permit
from aura_async.redis._ledger import Ledger
from aura_async.redis._limit_scripts import HOLD_EPSILON, completion_offset
from aura_async.redis._scripts import seconds

__all__ = ["Fallback", "local_share"]


def local_share(rate: RateLimit, share: float) -> RateLimit:
    """Return ``share`` of ``rate``'s allowance (at least one request per window)."""
    requests = max(1, math.floor(rate.requests * share))
    burst = None if rate.burst is None else min(rate.burst, requests)
    return RateLimit(requests, per=rate.per, burst=burst, margin=rate.margin)


class _FallbackPermit:
    """A slot of the fallback limiter."""

    __slots__ = ("_fallback", "_local", "_released", "member")

    def __init__(self, fallback: Fallback, local: Permit, member: str) -> None:
        self._fallback = fallback
        self._local = local
        self._released = False
        self.member = member

    def release(self, *, sent: bool = True, answered: bool = True) -> None:
        """See :meth:`aura_async.Permit.release`."""
        if not self._released:
            self._released = True
            self._local.release(sent=sent, answered=answered)
            self._fallback.completed(self.member, sent=sent, answered=answered)


class Fallback:
    """A :class:`LocalLimiter` with a share of the allowance, after a quarantine.

    Args:
        rate: The credential's whole allowance.
        share: The fraction of it this process may use (0 < share <= 1).
        loop: The event loop.
        ledger: Writes to the shared log (used once Redis is back).
    """

    def __init__(
        self,
        rate: RateLimit,
        share: float,
        loop: asyncio.AbstractEventLoop,
        *,
        ledger: Ledger,
    ) -> None:
        self.rate = local_share(rate, share)
        # No cold-start ramp: it stands in for the Redis limiter, which has none.
        self.local = LocalLimiter(self.rate, loop=loop, ramp=False)
        self.retired = False
        self._loop = loop
        self._ledger = ledger
        self._margin = rate.effective_margin
        self.quarantine_until = loop.time() + rate.per + self._margin
        self._in_flight: set[str] = set()
        # (local time until which the send counts, member), oldest first.
        self._held: collections.deque[tuple[float, str]] = collections.deque()

    def extend_quarantine(self, completed_at: float) -> None:
        """Hold off until one window after a send this process made through Redis."""
        until = completed_at + self.rate.per + self._margin
        self.quarantine_until = max(self.quarantine_until, until)

    async def acquire(
        self, member: str, *, priority: bool, lane: Lane, deadline: float | None
    ) -> Permit:
        """Wait for a slot of the local share; return a permit named ``member``.

        Raises:
            AdmissionTimeoutError: The local share cannot admit it before ``deadline``.
        """
        local = await self.local.acquire(priority=priority, lane=lane, deadline=deadline)
        permit = _FallbackPermit(self, local, member)
        self._in_flight.add(member)
        if self.retired:
            # Redis came back while this caller waited: its send counts there too.
            self._ledger.lease(member)
        return permit

    def completed(self, member: str, *, sent: bool, answered: bool) -> None:
        """Note a finished send (and record it in Redis if Redis is back)."""
        self._in_flight.discard(member)
        if sent:
            extra = HOLD_EPSILON + (0.0 if answered else self._margin)
            self._held.append((self._loop.time() + extra, member))
            self._forget_old(self._loop.time())
        if self.retired:
            action = completion_offset(sent=sent, answered=answered, margin=self._margin)
            self._ledger.record(member, action)

    async def retire(self) -> None:
        """Stop, and copy every send that still occupies a slot into the shared log.

        Sends still in flight get a lease (renewed until they end); finished ones
        keep what is left of their window.

        Raises:
            RedisBackendError: Redis did not take them (the fallback carries on).
        """
        self.retired = True
        now = self._loop.time()
        self._forget_old(now)
        lease = "+" + seconds(self._ledger.lease_seconds)
        seeds = [(member, lease) for member in self._in_flight]
        seeds += [(member, "+" + seconds(held - now)) for held, member in self._held]
        try:
            await self._ledger.write(seeds)
        except BaseException:
            self.retired = False
            raise
        for member in self._in_flight:
            self._ledger.hold(member)

    def _forget_old(self, now: float) -> None:
        """Drop sends whose window has passed (they no longer occupy a slot)."""
        horizon = now - self.rate.per
        while self._held and self._held[0][0] <= horizon:
            self._held.popleft()
