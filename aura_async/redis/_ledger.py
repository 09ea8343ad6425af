"""What one process writes to the shared log, kept until Redis has acknowledged it.

Completions and give-backs are queued (bounded) and retried until Redis takes
them: a lost completion would hold its slot a heartbeat longer, a lost give-back
a heartbeat and a window. While sends are in flight, the heartbeat renews them:
each renewal scores a slot "in flight until now + heartbeat" (a lease of one
heartbeat), and renewals run every three quarters of a heartbeat, so a renewal
may run a quarter heartbeat late before a lease ends. A process that dies at
``t`` renewed last at or before ``t``: its slots stop counting by ``t +
heartbeat + per``. This process's recent sends are remembered, and re-added to
the log (idempotently) after a Redis failure or when a script finds that the
log lost data.

One task does all of it, in order, so that a renewal never overtakes a completion.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import uuid
from collections.abc import Callable, Sequence

from aura_async._config import RateLimit
from aura_async.redis._calls import RedisBackendError, RedisCalls, as_text
from aura_async.redis._doze import Doze
from aura_async.redis._limit_scripts import Observed, observed, script_head
from aura_async.redis._scripts import CredentialKeys, seconds

__all__ = ["Ledger", "LogView"]

_log = logging.getLogger("aura_async")

# Most actions sent in one script call.
_BATCH = 512
# Most actions waiting for Redis, and most recent sends remembered: beyond these the
# oldest are dropped, which only holds their slots longer (a heartbeat and a window).
_MAX_PENDING = 10_000
_MAX_RECENT = 10_000
# Retries of a write Redis did not take back off from this to the cap.
_BACKOFF = 0.05
_BACKOFF_CAP = 1.0
# Renewals run this often, in heartbeats: the rest of a heartbeat is the grace a
# busy event loop (or a slow Redis) has before a renewed lease ends.
RENEWAL = 0.75

Item = tuple[str, str]


class LogView:
    """What this process knows of its credential's shared log, from the last script reply.

    Args:
        rate: This process's configured allowance.
        heartbeat: Seconds a send in flight counts without a renewal (its lease).
    """

    def __init__(self, rate: RateLimit, heartbeat: float) -> None:
        self.rate = rate
        self.heartbeat = heartbeat
        self.margin = rate.effective_margin
        self.epoch = ""
        self.until = 0.0
        self.requests = rate.requests
        self.per = rate.per
        self.witness: tuple[str, float] | None = None
        self.seq = 0
        self.now = 0.0
        self._offset = 0.0
        self._warned = False

    def head(self) -> list[object]:
        """Return the arguments every limiter script starts with."""
        return script_head(
            requests=self.rate.requests,
            per=self.rate.per,
            lease=self.heartbeat,
            margin=self.margin,
            known_id=self.epoch,
            new_id=uuid.uuid4().hex,
            known_until=self.until,
            witness=self.witness,
            known_seq=self.seq,
        )

    def absorb(self, reply: Sequence[object], local_now: float) -> Observed:
        """Take in a script's reply (its last seven values); warn once about a stricter limit."""
        seen = observed([as_text(value) for value in reply[-7:]])
        fresh = seen.lost or seen.epoch != self.epoch
        self.seq = seen.seq if fresh else max(self.seq, seen.seq)
        self.epoch, self.until, self.per, self.now = seen.epoch, seen.until, seen.per, seen.now
        self.requests = seen.requests
        self._offset = seen.now - local_now
        if seen.lost:
            self.witness = None  # it is missing: the restore re-adds it
        if (seen.requests, seen.per) != (self.rate.requests, self.rate.per) and not self._warned:
            self._warned = True
            _log.warning(
                "another process of this credential limits it to %d requests per %gs; "
                "every process applies the strictest limit in use, not this one's %r",
                seen.requests,
                seen.per,
                self.rate,
            )
        return seen

    def redis_time(self, local_now: float) -> float:
        """Estimate the Redis clock from the loop's clock (as of the last reply)."""
        return local_now + self._offset


class Ledger:
    """Sends this process's completions, give-backs, lease renewals and restores.

    Args:
        calls: Bounded calls to Redis.
        keys: The credential's keys.
        view: What this process knows of the log (shared with its limiter).
        loop: The event loop.
        on_freed: Called when a given-back slot reached Redis (the pump may admit).
    """

    def __init__(
        self,
        calls: RedisCalls,
        keys: CredentialKeys,
        view: LogView,
        loop: asyncio.AbstractEventLoop,
        on_freed: Callable[[], None],
    ) -> None:
        self._calls = calls
        self._keys = [keys.log, keys.cooldown, keys.state, keys.tombstones]
        self._view = view
        self._loop = loop
        self._on_freed = on_freed
        self._pending: collections.deque[Item] = collections.deque()
        self._leased: set[str] = set()
        self._recent: dict[str, float] = {}
        self._restore = False
        self._next_renewal = 0.0
        self._troubled = False
        self._closing = False
        self._doze = Doze()
        self._task: asyncio.Task[None] | None = None

    def hold(self, member: str) -> None:
        """Note a slot admitted in Redis and in flight: renew its lease until it completes."""
        self._view.witness = (member, self._view.now + self._view.heartbeat)
        self._renew(member)

    def _renew(self, member: str) -> None:
        if not self._leased:
            self._next_renewal = self._loop.time() + self._view.heartbeat * RENEWAL
        self._leased.add(member)
        self._wake()

    @property
    def lease_seconds(self) -> float:
        """Seconds a send in flight counts without a renewal (one heartbeat)."""
        return self._view.heartbeat

    def lease(self, member: str) -> None:
        """Write a lease for ``member`` (a send not yet in Redis) soon, then renew it."""
        self.record(member, self._lease_action())
        self._renew(member)

    async def write(self, items: list[Item]) -> None:
        """Write ``items`` now (e.g. a fallback's sends, before sharing through Redis again).

        Raises:
            RedisBackendError: Redis did not take them.
        """
        await self._send(items)

    def record(self, member: str, action: str) -> None:
        """Queue a completion (``+seconds``) or a give-back (``-``) of ``member``."""
        self._leased.discard(member)
        if action == "-":
            self._recent.pop(member, None)
            if self._view.witness is not None and self._view.witness[0] == member:
                self._view.witness = None  # it leaves the log
        if self._closing:
            return  # a slot released after close stays held until its lease ends
        if len(self._pending) >= _MAX_PENDING:
            _log.debug("dropped an unsent release of %s: too many waiting", member)
            self._pending.popleft()
        self._pending.append((member, action))
        self._wake()

    def failed(self) -> None:
        """Note that a call to Redis failed: re-add this process's sends once it answers."""
        self._restore = True
        self._wake()

    def absorbed(self, seen: Observed) -> None:
        """Take in what a script found: after a loss, re-add this process's sends."""
        if seen.lost:
            self.failed()

    async def aclose(self, timeout: float) -> None:
        """Send what is queued (for at most ``timeout`` seconds), then stop."""
        self._closing = True
        self._leased.clear()
        self._wake()
        task = self._task
        if task is not None:
            await asyncio.wait([task], timeout=timeout)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- the writer task --------------------------------------------------------

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._run(), name="aura_async-redis-ledger")
        else:
            self._doze.wake()

    async def _run(self) -> None:
        backoff = _BACKOFF
        while True:
            step = self._next_batch()
            if step is None:
                if self._closing or not self._leased:
                    return
                await self._doze.sleep(self._next_renewal - self._loop.time())
                continue
            kind, batch = step
            try:
                await self._send(batch)
            except RedisBackendError:
                self._restore = True  # after a reconnect, re-add this process's sends
                self._troubled = True  # a late renewal is then Redis's doing, reported so
                if kind == "pending":
                    self._pending.extendleft(reversed(batch))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_CAP)
                continue
            backoff = _BACKOFF

    def _next_batch(self) -> tuple[str, list[Item]] | None:
        """Return what to send next: a restore, queued releases, or due renewals."""
        if self._restore and not self._closing:
            self._restore = False
            restore = self._restore_items()
            if restore:
                return "restore", restore
        if self._pending:
            count = min(len(self._pending), _BATCH)
            return "pending", [self._pending.popleft() for _ in range(count)]
        now = self._loop.time()
        if self._leased and now >= self._next_renewal and not self._closing:
            self._check_late(now - self._next_renewal)
            self._next_renewal = now + self._view.heartbeat * RENEWAL
            return "renewal", [(member, self._lease_action()) for member in self._leased]
        return None

    def _check_late(self, late: float) -> None:
        """Warn when the event loop ran a renewal after the leases it renews ended."""
        grace = self._view.heartbeat * (1 - RENEWAL)
        if late > grace and not self._troubled:
            _log.warning(
                "the Redis limiter's heartbeat ran %.2fs late (a blocked event loop or a "
                "slow Redis): the leases of this process's sends in flight ended before "
                "it, and their slots free %gs after that, even if a request is still on "
                "its way to the API",
                late,
                self._view.per,
            )
        self._troubled = False

    def _lease_action(self) -> str:
        return "+" + seconds(self.lease_seconds)

    def _restore_items(self) -> list[Item]:
        """This process's sends that still count: completed ones at their score, others leased."""
        horizon = self._view.redis_time(self._loop.time()) - self._view.per
        items = [(m, "@" + seconds(score)) for m, score in self._recent.items() if score > horizon]
        return items + [(member, self._lease_action()) for member in self._leased]

    async def _send(self, batch: list[Item]) -> None:
        for start in range(0, len(batch), _BATCH):
            chunk = batch[start : start + _BATCH]
            args = self._view.head()
            for member, action in chunk:
                args += [member, action]
            reply = await self._calls.script("record", self._keys, args)
            self._acked(chunk, self._view.absorb(reply, self._loop.time()))

    def _acked(self, chunk: list[Item], seen: Observed) -> None:
        self.absorbed(seen)
        freed = False
        for member, action in chunk:
            if action == "-":
                freed = True
            elif action[0] == "+" and member not in self._leased:
                score = seen.now + float(action[1:])
                self._recent[member] = score
                self._view.witness = (member, score)
        self._forget_old(seen.now)
        if freed:
            self._on_freed()

    def _forget_old(self, redis_now: float) -> None:
        horizon = redis_now - self._view.per
        for member in [m for m, score in self._recent.items() if score <= horizon]:
            del self._recent[member]
        while len(self._recent) > _MAX_RECENT:
            del self._recent[next(iter(self._recent))]
