"""Lanes and admission deadlines through the client, against the emulator over loopback.

The issue's scenario, scaled: a bulk job of eight windows' worth of reads shares
one credential with an interactive call every half window. Windows are long
enough (4 s for 100 requests) that a loaded machine only delays answers (each
slot is held for its flight and a window, so slow answers cost a little of the
allowance), and the admission of an interactive call is immediate by
construction (the reserve is free whenever it arrives); the assertions are
counts from the emulator's journal and admission delays recorded around the real
limiter.
"""

from __future__ import annotations

import asyncio
import time

import attrs
import pytest

from aura_async import (
    AdmissionTimeoutError,
    AuraClient,
    AuraConfigurationError,
    Lane,
    Limiter,
    LimiterStats,
    Permit,
    RateLimit,
)
from aura_async._ratelimit import LocalLimiter
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.conftest import make_client

LIMIT = 100
PER = 4.0
SLOT = PER / LIMIT
WINDOWS = 8
# Two interactive calls per window hold at most three slots at once (each holds its
# slot for its flight and a window): a reserve of three always has one free.
RESERVE = 3


@attrs.define
class Admission:
    """One acquire: its lane, when it was asked for and when it returned (loop time)."""

    lane: Lane
    asked: float
    admitted: float


class AdmissionRecorder:
    """A :class:`~aura_async.Limiter` passing everything to ``inner``, timing each admission."""

    def __init__(self, inner: Limiter) -> None:
        self._inner = inner
        self.admissions: list[Admission] = []

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """See :meth:`aura_async.Limiter.acquire`."""
        asked = time.monotonic()
        permit = await self._inner.acquire(priority=priority, lane=lane, deadline=deadline)
        self.admissions.append(Admission(lane, asked, time.monotonic()))
        return permit

    def report_rejection(self, delay: float) -> None:
        """See :meth:`aura_async.Limiter.report_rejection`."""
        self._inner.report_rejection(delay)

    async def stats(self) -> LimiterStats:
        """See :meth:`aura_async.Limiter.stats`."""
        return await self._inner.stats()


async def _interactive_beside(client: AuraClient, bulk: asyncio.Task[object]) -> int:
    """Call ``tenants.list`` every half window (on a fixed schedule) until ``bulk`` ends."""
    calls: list[asyncio.Task[object]] = []
    start = time.monotonic()
    for tick in range(4 * WINDOWS):  # bounded: the bulk job takes about 9 windows
        if bulk.done():
            break
        calls.append(asyncio.create_task(client.tenants.list()))
        await asyncio.sleep(max(0.0, start + (tick + 1) * PER / 2 - time.monotonic()))
    await asyncio.gather(*calls)
    return len(calls)


# Its interactive admissions are timed to a slot (40 ms): a worker of its own, at
# normal priority beside the untimed tests (make test).
@pytest.mark.alone
async def test_interactive_calls_never_wait_behind_a_bulk_backlog() -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        rate = RateLimit(LIMIT, per=PER, reserve=RESERVE)
        recorder = AdmissionRecorder(LocalLimiter(rate))
        async with make_client(emu, rate_limit=rate, limiter=recorder) as c:
            await c.authenticate()
            tenant = emu.tenant_id
            assert tenant is not None
            items = range(WINDOWS * LIMIT)
            bulk_start = time.monotonic()
            job = c.map(lambda _: c.tenants.get(tenant), items, concurrency=len(items))
            bulk = asyncio.ensure_future(job)
            interactive_calls = await asyncio.wait_for(_interactive_beside(c, bulk), 120.0)
            results = await asyncio.wait_for(bulk, 120.0)
            bulk_end = time.monotonic()
    assert all(result.ok for result in results)
    journal = emu.journal
    assert journal.rate_limited_count() == 0
    assert journal.max_in_window(PER, include_rejected=True) <= LIMIT
    interactive = [a for a in recorder.admissions if a.lane is Lane.INTERACTIVE]
    during = [a for a in interactive if bulk_start <= a.asked < bulk_end]
    assert len(during) >= 2 * WINDOWS - 1
    assert interactive_calls >= 2 * WINDOWS
    worst = max(a.admitted - a.asked for a in during)
    assert worst <= 2 * SLOT, f"an interactive call waited {worst:.3f}s"
    bulk_times = sorted(e.time for e in journal.select(path="/v1/tenants/*"))
    assert len(bulk_times) == WINDOWS * LIMIT
    in_windows = sum(1 for t in bulk_times if t < bulk_times[0] + WINDOWS * PER)
    share = in_windows / (WINDOWS * LIMIT)
    assert share >= 0.9, f"the bulk job used {share:.3f} of the allowance"


async def test_a_call_behind_a_minute_long_queue_with_1s_left_fails_at_once_unsent() -> None:
    # The real allowance: the token and 124 calls fill the window, 124 more queue
    # behind them (admitted in about 60 s); then a call with a 1 s deadline.
    server = ServerRateLimit("sliding-log", requests=125, per=60.0)
    async with AuraEmulator(rate_limit=server) as emu:
        client = make_client(emu, rate_limit=RateLimit(125, per=60.0))
        async with client:
            await asyncio.wait_for(asyncio.gather(*(client.tenants.list() for _ in range(124))), 30)
            queued = [asyncio.ensure_future(client.tenants.list()) for _ in range(124)]
            await asyncio.sleep(0.01)
            assert (await client.limiter_stats()) is not None
            hurried = client.with_options(timeout=1.0)
            started = time.monotonic()
            with pytest.raises(AdmissionTimeoutError) as caught:
                await hurried.instances.get("0dead000")
            took = time.monotonic() - started
            stats = await client.limiter_stats()
        await asyncio.gather(*queued, return_exceptions=True)
    assert took < 0.1
    # About a minute: the first of the 124 sends ages out of the window at 60 s, less
    # the seconds a loaded machine takes to send them all.
    assert caught.value.estimated_wait >= 50.0
    assert 0.9 <= caught.value.deadline <= 1.0
    assert caught.value.method == "GET"
    assert caught.value.url is not None
    assert caught.value.url.endswith("/v1/instances/0dead000")
    assert emu.journal.count(path="/v1/instances/*") == 0  # it never reached the server
    assert emu.journal.count(path="/v1/tenants") == 124
    assert stats is not None
    assert (stats.queued_interactive, stats.admission_timeouts) == (124, 1)


async def test_map_runs_in_the_bulk_lane_unless_the_client_has_a_lane(emu: AuraEmulator) -> None:
    rate = RateLimit(2, per=60.0, reserve=0)
    async with make_client(emu, rate_limit=rate, timeout=None) as client:
        await client.tenants.list()  # with the token: the window is full for a minute
        tenant = emu.tenant_id
        assert tenant is not None
        seen: dict[str, LimiterStats] = {}
        for name, view in (
            ("plain", client),
            ("interactive", client.with_options(lane="interactive")),
        ):
            job = asyncio.ensure_future(view.map(lambda _: client.tenants.get(tenant), range(3)))
            seen[name] = await _queued_stats(client, 3)
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
    assert (seen["plain"].queued_bulk, seen["plain"].queued_interactive) == (3, 0)
    assert (seen["interactive"].queued_bulk, seen["interactive"].queued_interactive) == (0, 3)


async def test_map_unordered_runs_in_the_bulk_lane_too(emu: AuraEmulator) -> None:
    rate = RateLimit(2, per=60.0, reserve=0)
    async with make_client(emu, rate_limit=rate, timeout=None) as client:
        await client.tenants.list()  # with the token: the window is full for a minute
        tenant = emu.tenant_id
        assert tenant is not None
        results = client.map_unordered(lambda _: client.tenants.get(tenant), range(3))
        first = asyncio.ensure_future(anext(results))
        stats = await _queued_stats(client, 3)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        await results.aclose()
    assert (stats.queued_bulk, stats.queued_interactive) == (3, 0)


async def test_a_view_in_the_bulk_lane_queues_behind_interactive_calls(emu: AuraEmulator) -> None:
    rate = RateLimit(2, per=60.0, reserve=0)
    async with make_client(emu, rate_limit=rate, timeout=None) as client:
        await client.tenants.list()
        bulk_view = client.with_options(lane=Lane.BULK)
        calls = [asyncio.ensure_future(bulk_view.tenants.list()) for _ in range(2)]
        calls.append(asyncio.ensure_future(client.tenants.list()))
        stats = await _queued_stats(client, 3)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
    assert (stats.queued_bulk, stats.queued_interactive) == (2, 1)


async def _queued_stats(client: AuraClient, queued: int) -> LimiterStats:
    """Wait (bounded) until ``queued`` calls wait in the limiter; return its stats."""
    for _ in range(500):
        stats = await client.limiter_stats()
        assert stats is not None
        if stats.queued_bulk + stats.queued_interactive >= queued:
            return stats
        await asyncio.sleep(0.005)
    raise AssertionError(f"the calls never queued: {stats}")


@pytest.mark.parametrize("lane", ["BULK", "background", 1, None])
def test_with_options_refuses_an_unknown_lane(emu: AuraEmulator, lane: object) -> None:
    client = make_client(emu)
    with pytest.raises(AuraConfigurationError, match="lane must be a Lane"):
        client.with_options(lane=lane)  # type: ignore[arg-type]


async def test_limiter_stats_is_none_without_rate_limiting(emu: AuraEmulator) -> None:
    async with make_client(emu, rate_limit=None) as client:
        assert await client.limiter_stats() is None
