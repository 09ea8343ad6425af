"""Leases, compensations, loss detection and one configuration per credential, against real Redis.

Two backends on one Redis stand for two processes (a crash is a real process
killed with SIGKILL). Windows and heartbeats are scaled down to tenths of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio
import redis.exceptions

from aura_async import RateLimit
from aura_async.redis import RedisBackend, RedisBackendError
from aura_async.redis._limit_scripts import ACQUIRE, RECORD, script_head
from aura_async.redis._scripts import credential_keys
from aura_async.redis._server import RedisServer
from tests.redis.redis_support import redis_now, wait_until

ORIGIN = "https://api.neo4j.io"
CLIENT_ID = "client-one"
KEYS = credential_keys("aura_async", ORIGIN, CLIENT_ID)
HOLDER = Path(__file__).with_name("redis_holder.py")
# What a loaded machine may add to a measured time.
SLACK = 0.2


async def _scores(side: redis.asyncio.Redis) -> list[float]:
    return [score for _, score in await side.zrange(KEYS.log, 0, -1, withscores=True)]


async def test_a_send_in_flight_longer_than_its_heartbeat_keeps_its_slot(redis_url: str) -> None:
    heartbeat, per = 0.4, 0.1
    rate = RateLimit(1, per=per)
    async with (
        RedisBackend.from_url(redis_url, heartbeat=heartbeat) as first,
        RedisBackend.from_url(redis_url, heartbeat=heartbeat) as second,
    ):
        permit = await first.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID).acquire()
        waiting = asyncio.ensure_future(
            second.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID).acquire()
        )
        await asyncio.sleep(3 * (heartbeat + per))  # unrenewed, the slot would be free by now
        assert not waiting.done()
        permit.release()
        (await asyncio.wait_for(waiting, 5.0)).release()


@pytest.mark.slow
async def test_the_slots_of_a_killed_process_free_within_a_heartbeat_and_a_window(
    redis_url: str,
) -> None:
    heartbeat, per, slots = 0.5, 0.3, 3
    settings = {"url": redis_url, "origin": ORIGIN, "client_id": CLIENT_ID, "requests": slots}
    settings |= {"per": per, "heartbeat": heartbeat, "slots": slots}
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HOLDER),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "AURA_HOLDER": json.dumps(settings)},
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30.0) == b"held\n"
        await asyncio.sleep(2 * heartbeat)  # renewed meanwhile
        loop = asyncio.get_running_loop()
        killed = loop.time()
        holder.send_signal(signal.SIGKILL)
        async with RedisBackend.from_url(redis_url, heartbeat=heartbeat) as survivor:
            limiter = survivor.limiter(
                RateLimit(slots, per=per), origin=ORIGIN, client_id=CLIENT_ID
            )
            await asyncio.wait_for(asyncio.gather(*(limiter.acquire() for _ in range(slots))), 5)
            freed = loop.time() - killed
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()
    # Held while the process lived (renewed past its first heartbeat), free a
    # heartbeat and a window after it died (a loaded machine may add a little).
    assert per <= freed <= heartbeat + per + SLACK


async def test_a_blocked_event_loop_that_delays_the_heartbeat_is_logged(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    heartbeat = 0.04  # renewals due every 30 ms: the lease ends 10 ms after one is due
    async with RedisBackend.from_url(redis_url, heartbeat=heartbeat) as stalled:
        limiter = stalled.limiter(RateLimit(3, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
        permit = await limiter.acquire()
        assert "heartbeat ran" not in caplog.text
        _block_the_event_loop(heartbeat)  # past the renewal and its grace
        await wait_until(lambda: "heartbeat ran" in caplog.text)
        permit.release()


def _block_the_event_loop(seconds: float) -> None:
    """What a CPU-bound call in a coroutine does to the loop's other tasks."""
    time.sleep(seconds)


async def test_the_old_lease_keyword_still_sets_the_heartbeat_and_warns(
    redis_url: str, side_redis: redis.asyncio.Redis
) -> None:
    with pytest.warns(DeprecationWarning, match=r"heartbeat=\.\.\."):
        old = RedisBackend.from_url(redis_url, lease=2.5)
    async with old:
        rate = RateLimit(3, per=60.0)
        (await old.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID).acquire()).release()
    # The configuration stored with the credential's keys carries the heartbeat.
    assert "c:3:60.000000:2.500000" in await side_redis.hgetall(KEYS.state)


@contextlib.asynccontextmanager
async def _stopped(side: redis.asyncio.Redis, seconds: float) -> AsyncIterator[None]:
    """SIGSTOP the Redis server for ``seconds`` (SIGCONT for sure on the way out)."""
    pid = int((await side.info("server"))["process_id"])
    loop = asyncio.get_running_loop()
    os.kill(pid, signal.SIGSTOP)
    resume = loop.call_later(seconds, os.kill, pid, signal.SIGCONT)
    try:
        yield
    finally:
        resume.cancel()
        os.kill(pid, signal.SIGCONT)


async def test_a_late_admission_for_a_caller_that_gave_up_takes_no_slot(
    private_redis: RedisServer,
) -> None:
    rate = RateLimit(3, per=60.0)
    side = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        async with (
            RedisBackend.from_url(private_redis.url, timeout=0.2) as first,
            RedisBackend.from_url(private_redis.url, timeout=0.2) as second,
        ):
            async with _stopped(side, 1.0):
                with pytest.raises(RedisBackendError, match="no answer"):
                    await first.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID).acquire()
                # Redis runs that admission when it resumes, after its caller gave
                # up; the give-back, retried meanwhile, lands too, in either order.
                await wait_until(lambda: _exists(side, KEYS.tombstones), timeout=10.0)
            limiter = second.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
            permits = [await asyncio.wait_for(limiter.acquire(), 5.0) for _ in range(3)]
            assert len(permits) == 3
    finally:
        await side.aclose()


async def _exists(side: redis.asyncio.Redis, key: str) -> bool:
    try:
        return bool(await asyncio.wait_for(side.exists(key), 0.5))
    except (TimeoutError, redis.exceptions.ConnectionError):
        return False


async def test_a_completion_redis_does_not_take_at_once_is_kept_until_it_does(
    private_redis: RedisServer,
) -> None:
    side = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        async with RedisBackend.from_url(private_redis.url, timeout=0.1) as backend:
            limiter = backend.limiter(RateLimit(3, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
            permit = await limiter.acquire()
            async with _stopped(side, 1.5):
                permit.release()  # tried for 1.5 s: far more than a few attempts
                await asyncio.sleep(1.0)
            await wait_until(lambda: _all_completed(side), timeout=10.0)
    finally:
        await side.aclose()


async def _all_completed(side: redis.asyncio.Redis) -> bool:
    now = await redis_now(side)
    scores = await _scores(side)
    return bool(scores) and all(score < now for score in scores)


async def test_the_strictest_of_two_configurations_applies_and_the_looser_warns_once(
    backend: RedisBackend, other_backend: RedisBackend, caplog: pytest.LogCaptureFixture
) -> None:
    strict = backend.limiter(RateLimit(3, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    loose = other_backend.limiter(RateLimit(6, per=30.0), origin=ORIGIN, client_id=CLIENT_ID)
    (await strict.acquire()).release()
    taken = [await asyncio.wait_for(loose.acquire(), 5.0) for _ in range(2)]
    extra = asyncio.ensure_future(loose.acquire())
    await asyncio.sleep(0.3)
    assert not extra.done()  # three in the window: the strict limit, not six
    extra.cancel()
    for permit in taken:
        permit.release()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "limits it to 3 requests per 60s" in warnings[0]


async def test_the_log_expires_after_its_newest_entry_not_a_callers_ttl(
    redis_url: str, side_redis: redis.asyncio.Redis
) -> None:
    rate = RateLimit(5, per=2.0)
    async with (
        RedisBackend.from_url(redis_url, heartbeat=30.0) as long_lease,
        RedisBackend.from_url(redis_url, heartbeat=0.1) as short_lease,
    ):
        await long_lease.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID).acquire()  # in flight
        limiter = short_lease.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
        (await limiter.acquire()).release()
        await wait_until(lambda: _one_completed(side_redis))
        for key in (KEYS.log, KEYS.state):
            # The in-flight entry counts for its heartbeat and a window: so long at least.
            assert await side_redis.pttl(key) > (30.0 + 2.0 - 1.0) * 1000


async def _one_completed(side: redis.asyncio.Redis) -> bool:
    now = await redis_now(side)
    return any(score < now for score in await _scores(side))


async def test_a_lost_log_whose_state_survived_holds_everyone_until_it_stops_counting(
    backend: RedisBackend, other_backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    per = 0.5
    rate = RateLimit(3, per=per)
    limiter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    for _ in range(3):
        (await limiter.acquire()).release()
    await wait_until(lambda: _completed_count(side_redis, 3))
    until = float(await side_redis.hget(KEYS.state, "until"))
    await side_redis.delete(KEYS.log)  # what volatile-ttl eviction does to it
    other = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    (await asyncio.wait_for(other.acquire(), 5.0)).release()
    # The other process never saw those sends, yet waited for them to stop counting.
    assert await redis_now(side_redis) >= until


async def _completed_count(side: redis.asyncio.Redis, count: int) -> bool:
    now = await redis_now(side)
    scores = await _scores(side)
    return len(scores) == count and all(score < now for score in scores)


async def test_a_log_older_than_a_process_knows_pauses_everyone_and_gets_its_sends_back(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    per = 0.5
    limiter = backend.limiter(RateLimit(5, per=per), origin=ORIGIN, client_id=CLIENT_ID)
    for _ in range(2):
        (await limiter.acquire()).release()
    await wait_until(lambda: _completed_count(side_redis, 2))
    members = await side_redis.zrange(KEYS.log, 0, -1)
    await side_redis.zrem(KEYS.log, *members)  # a promoted replica that missed them
    await side_redis.zadd(KEYS.log, {"another-process:1": await redis_now(side_redis)})
    lost = await redis_now(side_redis)
    waiting = asyncio.ensure_future(limiter.acquire())
    await wait_until(lambda: _present(side_redis, members))  # re-added at once
    (await asyncio.wait_for(waiting, 5.0)).release()
    assert await redis_now(side_redis) - lost >= per  # everyone waited one window


async def _present(side: redis.asyncio.Redis, members: list[str]) -> bool:
    return set(members) <= set(await side.zrange(KEYS.log, 0, -1))


async def test_a_state_that_went_back_in_time_pauses_everyone_one_window(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    per = 0.5
    limiter = backend.limiter(RateLimit(5, per=per), origin=ORIGIN, client_id=CLIENT_ID)
    for _ in range(2):
        (await limiter.acquire()).release()
    await wait_until(lambda: _completed_count(side_redis, 2))
    # An older copy of the state: every send is still there, but fewer scripts ran.
    await side_redis.hincrby(KEYS.state, "seq", -2)
    went_back = await redis_now(side_redis)
    (await asyncio.wait_for(limiter.acquire(), 5.0)).release()
    assert await redis_now(side_redis) - went_back >= per


async def test_an_admission_that_runs_after_its_give_back_takes_no_slot(
    side_redis: redis.asyncio.Redis,
) -> None:
    # The order a SIGSTOP cannot force: the give-back lands before the late admission.
    keys = [KEYS.log, KEYS.cooldown, KEYS.state, KEYS.tombstones]
    head = script_head(
        requests=3,
        per=60.0,
        lease=10.0,
        margin=0.05,
        known_id="",
        new_id="log-id",
        known_until=0.0,
        witness=None,
        known_seq=0,
    )
    record = side_redis.register_script(RECORD)
    acquire = side_redis.register_script(ACQUIRE)
    await record(keys=keys, args=[*head, "process:1", "-"])
    late = await acquire(keys=keys, args=[*head, "0.055", "0", "0", "process:1"])
    assert (late[0], await side_redis.zcard(KEYS.log)) == (0, 0)
    fresh = await acquire(keys=keys, args=[*head, "0.055", "0", "0", "process:2"])
    assert fresh[0] == 1
