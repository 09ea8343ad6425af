"""The Redis limiter against a real Redis server: window, in-flight slots, cooldown, FIFO, cost.

Two backends on one Redis stand for two processes (each has its own limiter,
queue and pump; they share only what is in Redis). Windows are scaled down to
tenths of a second; time assertions are lower bounds (a loaded machine can only
make them slower), or read the state in Redis directly.
"""

from __future__ import annotations

import asyncio
import math

import pytest
import redis.asyncio

from aura_async import Permit, RateLimit
from aura_async.redis import RedisBackend, RedisBackendError
from aura_async.redis._limit_scripts import HOLD_EPSILON
from aura_async.redis._scripts import credential_keys
from tests.redis.redis_support import redis_now, wait_until

ORIGIN = "https://api.neo4j.io"
CLIENT_ID = "client-one"


async def test_a_burst_of_the_whole_allowance_is_admitted_without_waiting(
    backend: RedisBackend,
) -> None:
    limiter = backend.limiter(RateLimit(20, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    permits = await asyncio.wait_for(asyncio.gather(*(limiter.acquire() for _ in range(20))), 5.0)
    assert len(permits) == 20


async def test_two_processes_share_one_window(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    per = 0.3
    rate = RateLimit(3, per=per)
    first = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    second = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    loop = asyncio.get_running_loop()
    permits = [await first.acquire() for _ in range(3)]
    released = loop.time()  # before the first release: the oldest slot frees per after it
    for permit in permits:
        permit.release()
    await asyncio.wait_for(second.acquire(), 5.0)
    assert loop.time() - released >= per


async def test_a_slot_in_flight_in_one_process_holds_the_other_back(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(1, per=0.05)
    first = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    second = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    permit = await first.acquire()
    waiting = asyncio.ensure_future(second.acquire())
    await asyncio.sleep(0.15)  # three windows: a slot counted from admission would be free
    assert not waiting.done()
    permit.release()
    (await asyncio.wait_for(waiting, 5.0)).release()


async def test_a_send_that_never_left_frees_its_slot_at_once(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    rate = RateLimit(1, per=60.0)
    first = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    second = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    (await first.acquire()).release(sent=False)
    permit = await asyncio.wait_for(second.acquire(), 5.0)
    permit.release()


@pytest.mark.parametrize(("answered", "extra"), [(True, 0.0), (False, 0.25)])
async def test_a_completion_counts_per_seconds_plus_the_margin_if_unanswered(
    backend: RedisBackend, side_redis: redis.asyncio.Redis, answered: bool, extra: float
) -> None:
    per = 1.0
    limiter = backend.limiter(
        RateLimit(5, per=per, margin=0.25), origin=ORIGIN, client_id=CLIENT_ID
    )
    (await limiter.acquire()).release(answered=answered)
    keys = credential_keys("aura_async", ORIGIN, CLIENT_ID)
    await wait_until(lambda: _score_settled(side_redis, keys.log))
    ((_, score),) = await side_redis.zrange(keys.log, 0, -1, withscores=True)
    held = score - await redis_now(side_redis)
    # The score is the Redis time until which the slot is held, before `per` more.
    assert extra - 0.2 < held <= extra + HOLD_EPSILON


async def _score_settled(side: redis.asyncio.Redis, key: str, count: int = 1) -> bool:
    """True once every member's score is no longer its lease (the releases landed)."""
    members = await side.zrange(key, 0, -1, withscores=True)
    now = await redis_now(side)
    return len(members) == count and all(score < now + 10 for _, score in members)


async def test_a_cooldown_reported_by_one_process_holds_back_the_other(
    backend: RedisBackend, other_backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    delay = 0.3
    rate = RateLimit(50, per=60.0)
    reporter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    other = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    loop = asyncio.get_running_loop()
    reported = loop.time()
    reporter.report_rejection(delay)
    keys = credential_keys("aura_async", ORIGIN, CLIENT_ID)
    await wait_until(lambda: side_redis.exists(keys.cooldown))
    (await asyncio.wait_for(other.acquire(), 5.0)).release()
    assert loop.time() - reported >= delay - 0.01  # Redis and loop clocks read apart


@pytest.mark.parametrize("delays", [(30.0, 10.0), (10.0, 30.0)], ids=["longer-first", "later"])
async def test_overlapping_cooldowns_end_at_the_later_one_not_the_sum(
    backend: RedisBackend, side_redis: redis.asyncio.Redis, delays: tuple[float, float]
) -> None:
    limiter = backend.limiter(RateLimit(5, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    for delay in delays:
        limiter.report_rejection(delay)
    await backend.aclose()  # sends the pending cooldowns
    keys = credential_keys("aura_async", ORIGIN, CLIENT_ID)
    remaining = float(await side_redis.get(keys.cooldown)) - await redis_now(side_redis)
    assert 29.0 < remaining <= 30.0


async def test_waiters_of_one_process_are_admitted_first_come_first_served(
    backend: RedisBackend,
) -> None:
    limiter = backend.limiter(RateLimit(3, per=0.05), origin=ORIGIN, client_id=CLIENT_ID)
    order: list[int] = []

    async def take(index: int) -> None:
        permit = await limiter.acquire()
        order.append(index)
        permit.release()

    tasks = []
    for index in range(12):
        tasks.append(asyncio.ensure_future(take(index)))
        await asyncio.sleep(0)  # each one queues before the next arrives
    await asyncio.wait_for(asyncio.gather(*tasks), 10.0)
    assert order == list(range(12))


async def test_a_cancelled_waiter_gives_its_place_to_the_next(
    backend: RedisBackend,
) -> None:
    limiter = backend.limiter(RateLimit(1, per=0.05), origin=ORIGIN, client_id=CLIENT_ID)
    held = await limiter.acquire()
    cancelled = asyncio.ensure_future(limiter.acquire())
    patient = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    cancelled.cancel()
    held.release()
    (await asyncio.wait_for(patient, 5.0)).release()
    assert cancelled.cancelled()


async def test_many_local_waiters_cost_a_few_redis_calls_not_one_each(
    backend: RedisBackend,
) -> None:
    waiters = 5_000
    limiter = backend.limiter(RateLimit(waiters, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    before = backend.redis_calls
    permits: list[Permit] = await asyncio.wait_for(
        asyncio.gather(*(limiter.acquire() for _ in range(waiters))), 30.0
    )
    assert len(permits) == waiters
    # One script call admits up to 256 queued waiters.
    assert backend.redis_calls - before <= math.ceil(waiters / 256) + 2


async def test_redis_losing_its_data_holds_every_process_back_one_window(
    backend: RedisBackend, other_backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    per = 0.3
    rate = RateLimit(3, per=per)
    limiter = backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    for _ in range(3):
        (await limiter.acquire()).release()
    keys = credential_keys("aura_async", ORIGIN, CLIENT_ID)
    await wait_until(lambda: _score_settled(side_redis, keys.log, count=3))
    await side_redis.flushall()  # what a restart without persistence does
    loop = asyncio.get_running_loop()
    lost = loop.time()
    (await asyncio.wait_for(limiter.acquire(), 5.0)).release()
    # The log that held three sends is gone: no process may trust an empty one.
    assert loop.time() - lost >= per
    other = other_backend.limiter(rate, origin=ORIGIN, client_id=CLIENT_ID)
    assert await side_redis.exists(keys.cooldown)
    (await asyncio.wait_for(other.acquire(), 5.0)).release()


async def test_every_key_is_namespaced_hashed_and_expires(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    limiter = backend.limiter(RateLimit(5, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    (await limiter.acquire()).release()
    limiter.report_rejection(5.0)
    await backend.aclose()
    keys = await side_redis.keys("*")
    assert sorted(key.rsplit(":", 1)[1] for key in keys) == ["cooldown", "log", "state"]
    for key in keys:
        assert key.startswith("aura_async:{api.neo4j.io:")
        assert CLIENT_ID not in key
        assert await side_redis.pttl(key) > 0


async def test_a_client_that_decodes_responses_works_too(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        limiter = RedisBackend(client).limiter(
            RateLimit(2, per=60.0), origin=ORIGIN, client_id=CLIENT_ID
        )
        (await asyncio.wait_for(limiter.acquire(), 5.0)).release()
    finally:
        await client.aclose()


async def test_a_closed_backend_refuses_new_waits(backend: RedisBackend) -> None:
    limiter = backend.limiter(RateLimit(2, per=60.0), origin=ORIGIN, client_id=CLIENT_ID)
    (await limiter.acquire()).release()
    await backend.aclose()
    with pytest.raises(RedisBackendError, match="closed"):
        await limiter.acquire()
