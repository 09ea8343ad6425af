"""Lanes, the reserve, admission deadlines and statistics of the Redis limiter, against real Redis.

The issue's scenario runs across two worker processes (``redis_driver.py``): one
runs a ``client.map`` of eight windows' worth of reads (bulk), the other an
interactive call every half window. The reserve is kept by the admission script
in Redis, so a bulk process cannot take it from another process's interactive
calls. Two backends on one Redis stand for two processes in the smaller tests.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from aura_async import AdmissionTimeoutError, Lane, RateLimit
from aura_async.redis import RedisBackend
from aura_async.redis._server import RedisServer
from aura_async.testing import AuraEmulator, Fault, ServerRateLimit
from tests.redis.redis_support import finish_workers, start_workers, wait_until

ORIGIN = "https://api.neo4j.io"
CLIENT_ID = "client-lanes"

LIMIT = 100
PER = 2.0
SLOT = PER / LIMIT
WINDOWS = 8
# Two interactive calls per window hold at most three slots at once (each holds its
# slot for its flight and a window): a reserve of three always has one free.
RESERVE = 3
# Every call the emulator answers takes this long.
LATENCY = 0.05


def _worker(emu: AuraEmulator, redis_url: str, **settings: Any) -> dict[str, Any]:
    return {
        "url": emu.url,
        "client_id": emu.client_id,
        "redis_url": redis_url,
        "requests": LIMIT,
        "per": PER,
        "reserve": RESERVE,
        "timeout": 120.0,
        "authenticate": True,
        **settings,
    }


@pytest.mark.slow
async def test_across_processes_interactive_calls_never_wait_behind_a_bulk_backlog(
    redis_url: str,
) -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        item = f"/tenants/{emu.tenant_id}"
        emu.inject(Fault("GET", "/v1/tenants", latency=LATENCY, times=None))
        emu.inject(Fault("GET", "/v1" + item, latency=LATENCY, times=None))
        bulk = _worker(emu, redis_url, mode="map", calls=WINDOWS * LIMIT, path=item)
        seconds = (WINDOWS + 1) * PER  # the bulk job takes about eight windows and a bit
        interactive = _worker(emu, redis_url, mode="every", interval=PER / 2, seconds=seconds)
        outcomes = await finish_workers(await start_workers([bulk, interactive], emu.client_secret))
    assert [outcome["errors"] for outcome in outcomes if outcome] == [{}, {}], outcomes
    journal = emu.journal
    assert journal.rate_limited_count() == 0
    assert journal.max_in_window(PER, include_rejected=True) <= LIMIT
    bulk_times = sorted(e.time for e in journal.select(path="/v1" + item))
    assert len(bulk_times) == WINDOWS * LIMIT, len(bulk_times)
    in_windows = sum(1 for t in bulk_times if t < bulk_times[0] + WINDOWS * PER)
    share = in_windows / (WINDOWS * LIMIT)
    assert share >= 0.9, f"the bulk job used {share:.3f} of the allowance"
    # Each interactive call reached the server (admitted, then sent) within two
    # slots of its start, plus the emulator's latency as room for the send.
    starts = outcomes[1]["starts"] if outcomes[1] else []
    arrivals = sorted(e.time for e in journal.select(path="/v1/tenants"))
    assert len(arrivals) == len(starts), (arrivals, starts)
    during = [
        (arrived - started)
        for started, arrived in zip(starts, arrivals, strict=True)
        if bulk_times[0] <= started < bulk_times[-1]
    ]
    assert len(during) >= 2 * WINDOWS - 1, (starts, bulk_times[0], bulk_times[-1])
    worst = max(during)
    assert worst <= 2 * SLOT + LATENCY, f"an interactive call waited {worst:.3f}s"


async def test_a_bulk_process_leaves_the_reserve_to_another_process_interactive_calls(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(4, per=60.0, reserve=1)
    bulk = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    taken = [await asyncio.wait_for(bulk.acquire(lane=Lane.BULK), 5.0) for _ in range(3)]
    fourth_bulk = asyncio.ensure_future(bulk.acquire(lane=Lane.BULK))
    interactive = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    (await asyncio.wait_for(interactive.acquire(), 5.0)).release()  # the reserve was free
    await asyncio.sleep(0.2)
    assert not fourth_bulk.done()  # three sends count: the bulk share of the window is full
    fourth_bulk.cancel()
    for permit in taken:
        permit.release()
    await asyncio.gather(fourth_bulk, return_exceptions=True)


async def test_waiters_of_one_process_go_interactive_first_fifo_within_a_lane(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(2, per=0.3, reserve=0)
    filler = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    for permit in [await filler.acquire() for _ in range(2)]:
        permit.release()  # the window is full for 0.3 s
    limiter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    order: list[str] = []

    async def one(name: str, lane: Lane, priority: bool) -> None:
        (await limiter.acquire(lane=lane, priority=priority)).release()
        order.append(name)

    queued = [
        ("b1", Lane.BULK, False),
        ("i1", Lane.INTERACTIVE, False),
        ("b2", Lane.BULK, False),
        ("b-resend", Lane.BULK, True),
        ("i2", Lane.INTERACTIVE, False),
        ("i-resend", Lane.INTERACTIVE, True),
    ]
    tasks = [asyncio.ensure_future(one(*waiter)) for waiter in queued]
    await asyncio.wait_for(asyncio.gather(*tasks), 10.0)
    assert order == ["i-resend", "i1", "i2", "b-resend", "b1", "b2"]


async def test_a_call_that_cannot_be_admitted_before_its_deadline_fails_at_once(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(3, per=60.0)
    filler = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    for permit in [await filler.acquire() for _ in range(3)]:
        permit.release()  # another process filled the window for a minute
    limiter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    waiting = asyncio.ensure_future(limiter.acquire())  # learns the window from Redis
    await asyncio.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(AdmissionTimeoutError) as caught:
        await limiter.acquire(deadline=time.monotonic() + 1.0)
    assert time.monotonic() - started < 0.1
    assert 58.0 < caught.value.estimated_wait <= 60.1
    assert 0.0 < caught.value.deadline <= 1.0
    stats = await limiter.stats()
    assert (stats.queued_interactive, stats.admission_timeouts) == (1, 1)  # it took no place
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)


async def test_while_falling_back_a_call_that_cannot_make_its_deadline_fails_at_once(
    private_redis: RedisServer,
) -> None:
    rate = RateLimit(4, per=60.0)
    async with RedisBackend.from_url(private_redis.url, timeout=0.2, fallback_share=0.5) as ends:
        limiter = ends.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
        private_redis.stop()
        first = asyncio.ensure_future(limiter.acquire())  # falls back: a window's pause
        await wait_until(lambda: limiter.fallback is not None)
        with pytest.raises(AdmissionTimeoutError) as caught:
            await limiter.acquire(deadline=time.monotonic() + 1.0)
        assert 58.0 < caught.value.estimated_wait <= 60.1
        assert (await limiter.stats()).admission_timeouts == 1
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)


async def test_stats_report_the_shared_window_and_this_process_queues(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(3, per=60.0)
    filler = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    held = await filler.acquire()  # in flight: it counts
    (await filler.acquire()).release()
    limiter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    (await limiter.acquire()).release()
    queued = [asyncio.ensure_future(limiter.acquire(lane=lane)) for lane in (*Lane, Lane.BULK)]
    filler.report_rejection(30.0)  # another process's 429: a shared cooldown
    await asyncio.sleep(0.1)
    stats = await limiter.stats()
    assert (stats.queued_interactive, stats.queued_bulk) == (1, 2)
    assert (stats.sends_in_window, stats.limit, stats.per) == (3, 3, 60.0)
    assert 29.0 < stats.cooldown_remaining <= 30.0
    assert (stats.paced, stats.ramping, stats.rejections, stats.admission_timeouts) == (
        False,
        False,
        0,
        0,
    )
    for task in queued:
        task.cancel()
    await asyncio.gather(*queued, return_exceptions=True)
    held.release()


async def test_a_reserve_larger_than_the_strictest_limit_leaves_bulk_calls_one_slot(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    strict = other_backend.limiter(RateLimit(2, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    (await strict.acquire()).release(sent=False)  # in use now, and its slot given back
    loose = backend.limiter(RateLimit(10, per=60.0, reserve=3), origin=ORIGIN, client_id=CLIENT_ID)
    first = await asyncio.wait_for(loose.acquire(lane=Lane.BULK), 5.0)  # 3 of 2 is cut to 1
    second = asyncio.ensure_future(loose.acquire(lane=Lane.BULK))
    (await asyncio.wait_for(loose.acquire(), 5.0)).release()  # the reserve's one slot
    await asyncio.sleep(0.2)
    assert not second.done()
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    first.release()
