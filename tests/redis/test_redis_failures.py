"""Redis down, slow or restarted: calls end in time with a result or a typed error.

Each test has a Redis server of its own, which it stops, pauses or restarts.
Without a fallback a Redis failure is a ``RedisBackendError`` (an
``AuraConnectionError`` naming Redis); with ``fallback_share`` calls continue
under that share of the allowance, and the backend goes back to Redis by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
import redis.asyncio

from aura_async import AuraClient, AuraConnectionError, AuraError, RateLimit
from aura_async.redis import RedisBackend, RedisBackendError
from aura_async.redis._scripts import credential_keys
from aura_async.redis._server import RedisServer
from aura_async.testing import AuraEmulator, Fault
from aura_async.testing._journal import max_in_window
from tests.conftest import make_client
from tests.redis.redis_support import wait_until

CALL_DEADLINE = 3.0
# Slack for the event loop to notice a deadline on a loaded machine.
DEADLINE_SLACK = 0.5

Outcome = tuple[float, Any]


async def _call_repeatedly(
    client: AuraClient, outcomes: list[Outcome], stop: asyncio.Event, max_calls: int = 400
) -> None:
    """Call until told to stop; record (duration, "ok" or the AuraError) per call."""
    loop = asyncio.get_running_loop()
    for _ in range(max_calls):
        if stop.is_set():
            return
        started = loop.time()
        outcome: Any = "ok"
        try:
            await client.tenants.list()
        except AuraError as exc:  # anything else fails the test
            outcome = exc
        outcomes.append((loop.time() - started, outcome))


def _oks(outcomes: list[Outcome]) -> int:
    return sum(1 for _, outcome in outcomes if outcome == "ok")


def _errors(outcomes: list[Outcome]) -> list[AuraError]:
    return [outcome for _, outcome in outcomes if outcome != "ok"]


@pytest.fixture
async def slow_emu() -> Any:
    """An emulator whose calls take 5 ms, so that loops of calls take real time."""
    async with AuraEmulator(rate_limit=None) as emulator:
        emulator.inject(Fault("GET", "/v1/tenants", latency=0.005, times=None))
        yield emulator


async def test_a_limiter_failure_reaches_the_caller_typed(
    private_redis: RedisServer, emu: AuraEmulator
) -> None:
    async with RedisBackend.from_url(private_redis.url, timeout=0.3) as backend:
        limiter = backend.limiter(RateLimit(5, per=1.0), origin=emu.url, client_id=emu.client_id)
        async with make_client(emu, rate_limit=RateLimit(5, per=1.0), limiter=limiter) as client:
            await client.tenants.list()
            private_redis.stop()
            with pytest.raises(RedisBackendError) as caught:
                await client.tenants.list()
    # Not aiohttp's ClientOSError, nor a generic connection error after retries.
    assert type(caught.value) is RedisBackendError
    assert isinstance(caught.value, AuraConnectionError)
    assert f"Redis server at 127.0.0.1:{private_redis.port}" in str(caught.value)


async def test_errors_name_redis_but_never_its_password(emu: AuraEmulator) -> None:
    password = "redis-pass-that-must-not-leak"
    with RedisServer(password=password) as server:
        async with (
            RedisBackend.from_url(server.url, timeout=0.3) as backend,
            make_client(emu, rate_limit=RateLimit(5, per=1.0), backend=backend) as client,
        ):
            await client.tenants.list()
            server.stop()
            with pytest.raises(RedisBackendError) as caught:
                await client.tenants.list()
            assert password not in repr(backend)
    shown = f"{caught.value} {caught.value!r} {caught.value.__cause__!r}"
    assert "Redis server at 127.0.0.1" in shown
    assert password not in shown


async def test_redis_stopped_mid_run_every_call_ends_in_time_then_recovers(
    private_redis: RedisServer, slow_emu: AuraEmulator
) -> None:
    outcomes: list[Outcome] = []
    stop = asyncio.Event()
    async with (
        RedisBackend.from_url(private_redis.url, timeout=0.3) as backend,
        make_client(
            slow_emu, rate_limit=RateLimit(500, per=0.5), timeout=CALL_DEADLINE, backend=backend
        ) as client,
    ):
        workers = [
            asyncio.ensure_future(_call_repeatedly(client, outcomes, stop)) for _ in range(4)
        ]
        await wait_until(lambda: _oks(outcomes) >= 20)
        private_redis.stop()
        await wait_until(lambda: len(_errors(outcomes)) >= 8)
        private_redis.start()
        failed = len(outcomes)
        await wait_until(lambda: _oks(outcomes[failed:]) >= 8)  # recovered by itself
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 10.0)
    assert max(duration for duration, _ in outcomes) <= CALL_DEADLINE + DEADLINE_SLACK
    assert {type(error) for error in _errors(outcomes)} == {RedisBackendError}


async def test_slow_redis_fails_calls_within_the_redis_timeout(
    private_redis: RedisServer, emu: AuraEmulator
) -> None:
    pause_ms = 2000
    side = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        async with (
            RedisBackend.from_url(private_redis.url, timeout=0.2) as backend,
            make_client(emu, rate_limit=RateLimit(5, per=1.0), backend=backend) as client,
        ):
            await client.tenants.list()
            await side.execute_command("CLIENT", "PAUSE", pause_ms, "ALL")
            started = time.monotonic()
            with pytest.raises(RedisBackendError, match=r"no answer within 0\.2s"):
                await client.tenants.list()
            assert time.monotonic() - started < pause_ms / 1000 / 2
            await side.execute_command("CLIENT", "UNPAUSE")
    finally:
        await side.aclose()


async def test_with_a_fallback_calls_continue_under_the_share_and_redis_takes_over_again(
    private_redis: RedisServer, slow_emu: AuraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aura_async")
    limit, per, share = 20, 0.5, 0.5
    outcomes: list[Outcome] = []
    stop = asyncio.Event()
    keys = credential_keys("aura_async", slow_emu.url, slow_emu.client_id)
    side = redis.asyncio.Redis.from_url(private_redis.url)
    async with (
        RedisBackend.from_url(
            private_redis.url, timeout=0.3, fallback_share=share, probe_interval=0.05
        ) as backend,
        make_client(
            slow_emu, rate_limit=RateLimit(limit, per=per), timeout=CALL_DEADLINE, backend=backend
        ) as client,
    ):
        workers = [
            asyncio.ensure_future(_call_repeatedly(client, outcomes, stop)) for _ in range(4)
        ]
        await wait_until(lambda: _oks(outcomes) >= 20)
        private_redis.stop()
        stopped = time.monotonic()
        await wait_until(lambda: _oks(outcomes) >= 50)  # 30 more, without Redis
        private_redis.start()
        restarted = time.monotonic()
        await wait_until(lambda: side.exists(keys.log))  # sends go through Redis again
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 10.0)
    await side.aclose()

    assert _errors(outcomes) == []
    assert max(duration for duration, _ in outcomes) <= CALL_DEADLINE + DEADLINE_SLACK
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Redis server at 127.0.0.1" in warnings[0].getMessage()
    assert "answers again" in caplog.text
    entries = slow_emu.journal.entries
    falling_back = sorted(e.time for e in entries if stopped <= e.time <= restarted)
    # Nothing for one window after Redis went away (but what was already on its
    # way), then at most the share.
    assert [t for t in falling_back if stopped + 0.1 < t < stopped + per] == []
    assert len([t for t in falling_back if t >= stopped + per]) >= 20  # calls continued
    assert max_in_window(falling_back, per) <= limit * share
    assert slow_emu.journal.max_in_window(per) <= limit


async def test_ping_reports_whether_redis_answers(private_redis: RedisServer) -> None:
    async with RedisBackend.from_url(private_redis.url, timeout=0.3) as backend:
        await backend.ping()
        private_redis.stop()
        with pytest.raises(RedisBackendError, match=r"Redis server at 127\.0\.0\.1"):
            await backend.ping()
