"""The shared limiter: one sliding-window log in Redis for every process of a credential.

The log is a sorted set: one member per send slot, scored with the Redis time
from which it counts ``per`` more seconds. A slot is taken at admission with the
score ``now + heartbeat``, renewed by this process's heartbeat while the request
is in flight (so a crashed process's slots free within a heartbeat and a window),
and rescored on release to the completion time, so that it counts ``per`` seconds
after the answer arrived, exactly like :class:`~aura_async._ratelimit.LocalLimiter`.
Only the Redis server's clock is read. The writes after admission (completions,
give-backs, renewals, restores after a loss) go through the :class:`Ledger`.

In each process, waiters queue in two lanes (every interactive waiter before any
bulk one, FIFO within a lane) and one pump task talks to Redis: each admission
attempt is one script call, which admits as many queued waiters as the window
has room for, bulk ones only while ``RateLimit.effective_reserve`` slots stay
free; so the reserve holds across processes. 10,000 local waiters cost no more
Redis calls per admission than ten. Deadlines are checked against an estimate
from the last script's view of the log (see :mod:`aura_async.redis._window`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from aura_async._config import RateLimit
from aura_async._errors import AdmissionTimeoutError
from aura_async._lanes import Lane, LimiterStats, too_late
from aura_async._ratelimit import Permit
from aura_async._waiters import WaiterQueue
from aura_async.redis._calls import RedisBackendError, RedisCalls, as_text
from aura_async.redis._doze import Doze
from aura_async.redis._fallback import Fallback
from aura_async.redis._ledger import Ledger, LogView
from aura_async.redis._limit_scripts import HOLD_EPSILON, completion_offset
from aura_async.redis._scripts import CredentialKeys, seconds
from aura_async.redis._window import Snapshot, admission, bulk_limit

__all__ = ["RedisLimiter"]

_log = logging.getLogger("aura_async")

# Most waiters admitted by one script call.
_ADMIT_BATCH = 256
# While the slot that frees next is held by a request in flight, its end is
# unknown: ask again after this long.
_POLL = 0.05
# Even a known wait is re-checked this often: another process may give back a
# slot it never used.
_MAX_SLEEP = 1.0
# On close, queued releases are sent for at most this many Redis timeouts.
_CLOSE_TIMEOUTS = 3


class _RedisPermit:
    """A slot in the Redis log; released at most once."""

    __slots__ = ("_limiter", "_released", "member")

    def __init__(self, limiter: RedisLimiter, member: str) -> None:
        self._limiter = limiter
        self._released = False
        self.member = member

    def release(self, *, sent: bool = True, answered: bool = True) -> None:
        """See :meth:`aura_async.Permit.release`."""
        if not self._released:
            self._released = True
            self._limiter._completed(self.member, sent=sent, answered=answered)


class RedisLimiter:
    """A :class:`~aura_async.Limiter` shared through Redis by every process of a credential.

    Build it with :meth:`aura_async.redis.RedisBackend.limiter`.

    Args:
        calls: Bounded calls to the Redis server.
        keys: The credential's keys.
        rate: The credential's allowance (if another process uses a stricter
            one, the strictest applies).
        heartbeat: Seconds a slot in flight counts without a renewal (renewed
            every three quarters of it while this process lives).
        fallback_share: None: a Redis failure fails the waiting calls with
            :class:`RedisBackendError`. A fraction: fall back to a local limiter
            with that share of the allowance until Redis is back.
        probe_interval: While falling back, how often Redis is tried again.

    Attributes:
        rate: The allowance.
        fallback: The local limiter in use while Redis is unreachable, else None.
        admissions: Slots granted through Redis so far (for measurements).
    """

    def __init__(
        self,
        calls: RedisCalls,
        keys: CredentialKeys,
        rate: RateLimit,
        *,
        heartbeat: float,
        fallback_share: float | None,
        probe_interval: float,
    ) -> None:
        self.rate = rate
        self.fallback: Fallback | None = None
        self.admissions = 0
        self._calls = calls
        self._keys = keys
        self._share = fallback_share
        self._probe_interval = probe_interval
        self._margin = rate.effective_margin
        self._view = LogView(rate, heartbeat)
        self._ledger: Ledger | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: WaiterQueue[Any] = WaiterQueue(on_empty=self._poke)
        self._doze = Doze()
        self._cooldown_until = 0.0
        self._names = itertools.count()
        self._process = uuid.uuid4().hex[:16]
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cooldown_writes: set[asyncio.Task[None]] = set()
        self._closed = False
        self._rejections = 0
        self._resends = 0
        self._timeouts = 0
        self._reserve = rate.effective_reserve
        self._snapshot = Snapshot()
        self._shared_cooldown_until = 0.0

    def __repr__(self) -> str:
        mode = "falling back" if self.fallback is not None else "shared"
        return f"<RedisLimiter {self.rate!r} at {self._calls.where}, {mode}>"

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """See :meth:`aura_async.Limiter.acquire`.

        This process's waiters are served interactive first, FIFO within a lane;
        bulk ones never take the shared window's reserve.

        Raises:
            AdmissionTimeoutError: The estimated wait exceeds the time left
                before ``deadline`` (at once; nothing is sent).
            RedisBackendError: Redis failed, and no fallback is configured.
        """
        if self._closed:
            raise RedisBackendError(f"the Redis backend for {self._calls.where} is closed")
        if priority:
            self._resends += 1
        try:
            return await self._wait(priority, lane, deadline)
        except AdmissionTimeoutError:
            self._timeouts += 1
            raise

    async def _wait(self, priority: bool, lane: Lane, deadline: float | None) -> Permit:
        if deadline is not None:
            self._check_deadline(lane, priority, deadline)
        waiter: asyncio.Future[Any] = self._bind_loop().create_future()
        self._waiters.push(waiter, priority=priority, lane=lane)
        self._ensure_task("pump", self._pump)
        if lane is Lane.INTERACTIVE or priority:
            self._poke()  # the pump may sleep for a bulk head's longer wait
        try:
            granted = await waiter
        except asyncio.CancelledError:
            _give_back(waiter)
            raise
        if isinstance(granted, Fallback):
            member = self._new_member()
            return await granted.acquire(member, priority=priority, lane=lane, deadline=deadline)
        return granted  # type: ignore[no-any-return]

    async def stats(self) -> LimiterStats:
        """See :meth:`aura_async.Limiter.stats`.

        The queues and counters are this process's; ``sends_in_window``,
        ``limit``, ``per`` and ``cooldown_remaining`` are the credential's, read
        from Redis (one read-only script; when Redis fails, as the last script
        saw them, or the fallback's while falling back). ``rejections``,
        ``resends`` and ``admission_timeouts`` count this process's calls.
        """
        now = self._bind_loop().time()
        sends, cooldown = await self._shared_window(now)
        return LimiterStats(
            queued_interactive=self._waiters.waiting(Lane.INTERACTIVE),
            queued_bulk=self._waiters.waiting(Lane.BULK),
            sends_in_window=sends,
            limit=self._view.requests,
            per=self._view.per,
            cooldown_remaining=max(cooldown, self._cooldown_left(now)),
            paced=False,
            ramping=False,
            rejections=self._rejections,
            resends=self._resends,
            admission_timeouts=self._timeouts,
        )

    async def _shared_window(self, now: float) -> tuple[int, float]:
        """Return (slots counting, cooldown seconds left) of the shared log."""
        if self.fallback is not None:
            return self.fallback.local.sends_in_window(), 0.0
        try:
            reply = await self._calls.script(
                "peek", [self._keys.log, self._keys.cooldown], [seconds(self._view.per)]
            )
        except RedisBackendError:
            return self._snapshot.sends_in_window(now, self._view.per), 0.0
        return int(reply[0]), float(as_text(reply[1]))

    def _cooldown_left(self, now: float) -> float:
        return max(0.0, max(self._cooldown_until, self._shared_cooldown_until) - now)

    def _check_deadline(self, lane: Lane, priority: bool, deadline: float) -> None:
        """Raise at once if the call cannot be admitted before ``deadline``."""
        now = self._bind_loop().time()
        position = self._waiters.ahead(lane, priority=priority)
        if (fallback := self.fallback) is not None:
            local = fallback.local.estimate(position, lane)
            wait = max(fallback.quarantine_until - now, self._cooldown_left(now), local)
        else:
            wait = self._snapshot.estimate(
                position=position,
                limit=self._lane_limit(lane),
                per=self._view.per,
                now=now,
                cooldown=self._cooldown_left(now),
            )
        if (error := too_late(wait, deadline)) is not None:
            raise error

    def _lane_limit(self, lane: Lane) -> int:
        requests = self._view.requests
        return requests if lane is Lane.INTERACTIVE else bulk_limit(requests, self._reserve)

    def report_rejection(self, delay: float) -> None:
        """See :meth:`aura_async.Limiter.report_rejection`: the cooldown is shared in Redis."""
        loop = self._bind_loop()
        self._rejections += 1
        self._cooldown_until = max(self._cooldown_until, loop.time() + max(0.0, delay))
        if self.fallback is not None:
            self.fallback.local.report_rejection(delay)
        if not self._closed:
            task = loop.create_task(self._share_cooldown(delay))
            self._cooldown_writes.add(task)
            task.add_done_callback(self._cooldown_writes.discard)
        self._poke()

    async def aclose(self) -> None:
        """Send the pending releases and cooldowns (within a few Redis timeouts), then stop."""
        self._closed = True
        bound = self._calls.timeout * _CLOSE_TIMEOUTS
        if self._cooldown_writes:
            await asyncio.wait(self._cooldown_writes, timeout=bound)
        if self._ledger is not None:
            await self._ledger.aclose(bound)
        tasks = [*self._tasks.values(), *self._cooldown_writes]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        closed = RedisBackendError(f"the Redis backend for {self._calls.where} was closed")
        while (waiter := self._waiters.pop()) is not None:
            waiter.set_exception(_copy_error(closed))

    # -- the queue and the pump ------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def ledger(self) -> Ledger:
        """The writer of this process's completions, give-backs and renewals."""
        if self._ledger is None:
            loop = self._bind_loop()
            self._ledger = Ledger(self._calls, self._keys, self._view, loop, self._poke)
        return self._ledger

    def _new_member(self) -> str:
        return f"{self._process}:{next(self._names)}"

    def _ensure_task(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = self._tasks.get(name)
        if task is None or task.done():
            loop = self._bind_loop()
            self._tasks[name] = loop.create_task(run(), name=f"aura_async-redis-{name}")

    def _poke(self) -> None:
        self._doze.wake()

    async def _pump(self) -> None:
        loop = self._bind_loop()
        while self._waiters.first() is not None:
            if self.fallback is not None:
                await self._serve_fallback(self.fallback)
            elif self._cooldown_until > loop.time():
                await self._doze.sleep(self._cooldown_until - loop.time())
            else:
                await self._admit_batch()

    async def _admit_batch(self) -> None:
        members = [self._new_member() for _ in range(min(len(self._waiters), _ADMIT_BATCH))]
        interactive = min(self._waiters.waiting(Lane.INTERACTIVE), len(members))
        try:
            admitted, wait = await self._try_admit(members, interactive)
        except RedisBackendError as exc:
            for member in members:
                # Redis may run the script after all, late: give the slots back, and
                # tombstone them so that a late run cannot take them.
                self.ledger.record(member, "-")
            self.ledger.failed()
            self._redis_failed(exc)
            return
        for index, member in enumerate(members[:admitted]):
            # A slot admitted for an interactive member may lie in the reserve.
            waiter = self._waiters.pop(Lane.INTERACTIVE if index < interactive else None)
            if waiter is None:
                self.ledger.record(member, "-")  # the waiters it was for left meanwhile
            else:
                self.admissions += 1
                self.ledger.hold(member)
                waiter.set_result(_RedisPermit(self, member))
        if admitted == 0:
            await self._doze.sleep(_POLL if wait is None else min(wait, _MAX_SLEEP))
        else:
            await asyncio.sleep(0)  # the served waiters leave the queue's counts

    async def _try_admit(self, members: list[str], interactive: int) -> tuple[int, float | None]:
        """Run the acquire script (the first ``interactive`` members are interactive).

        Returns:
            (admitted, wait or None if unknown).
        """
        keys = self._keys
        threshold = seconds(HOLD_EPSILON + self._margin)
        reply = await self._calls.script(
            "acquire",
            [keys.log, keys.cooldown, keys.state, keys.tombstones],
            [*self._view.head(), threshold, self._reserve, interactive, *members],
        )
        now = self._bind_loop().time()
        seen = self._view.absorb(reply, now)
        self.ledger.absorbed(seen)
        answer = admission(reply, taken=now, redis_now=seen.now)
        self._snapshot = answer.snapshot
        if answer.cooling and answer.wait is not None:
            self._shared_cooldown_until = now + answer.wait
        return answer.admitted, answer.wait

    # -- releases and cooldowns --------------------------------------------------

    def _completed(self, member: str, *, sent: bool, answered: bool) -> None:
        action = completion_offset(sent=sent, answered=answered, margin=self._margin)
        self.ledger.record(member, action)
        if sent and self.fallback is not None and self._loop is not None:
            self.fallback.extend_quarantine(self._loop.time())

    async def _share_cooldown(self, delay: float) -> None:
        try:
            await self._calls.script("cooldown", [self._keys.cooldown], [seconds(delay)])
        except RedisBackendError:
            _log.debug("could not share a cooldown through Redis; it holds in this process")

    # -- Redis failures ---------------------------------------------------------

    def _redis_failed(self, error: RedisBackendError) -> None:
        if self._share is None:
            while (waiter := self._waiters.pop()) is not None:
                waiter.set_exception(_copy_error(error))
            return
        loop = self._bind_loop()
        self.fallback = Fallback(self.rate, self._share, loop, ledger=self.ledger)
        self._calls.note_outage(error)
        self._ensure_task("probe", self._probe)

    async def _serve_fallback(self, fallback: Fallback) -> None:
        """Hand the queued waiters to the fallback once its quarantine is over."""
        loop = self._bind_loop()
        wait = max(fallback.quarantine_until, self._cooldown_until) - loop.time()
        if wait > 0:
            await self._doze.sleep(wait)
            return
        while (waiter := self._waiters.pop()) is not None:
            waiter.set_result(fallback)

    async def _probe(self) -> None:
        """While falling back, try Redis now and then; switch back when it answers."""
        while (fallback := self.fallback) is not None:
            await asyncio.sleep(self._probe_interval)
            try:
                await self._try_admit([], 0)  # also notices if Redis lost the log
                await fallback.retire()
            except RedisBackendError:
                continue
            self.fallback = None
            self._calls.note_recovery()
            self._poke()


def _give_back(waiter: asyncio.Future[Any]) -> None:
    """A waiter cancelled just as it was admitted returns its unused slot."""
    if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
        granted = waiter.result()
        if isinstance(granted, _RedisPermit):
            granted.release(sent=False)


def _copy_error(error: RedisBackendError) -> RedisBackendError:
    """One error object per waiter, so that their tracebacks do not mix."""
    copy = RedisBackendError(error.message)
    copy.__cause__ = error.__cause__
    return copy
