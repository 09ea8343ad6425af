"""The shared token against a real Redis server: one fetch, early refresh, lock, invalidation.

Two backends on one Redis stand for two processes. The fetch function stands for
the client's POST to the token endpoint and counts its calls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from aura_async import AuraConnectionError, Token
from aura_async._auth import TokenGrant
from aura_async.redis import RedisBackend
from aura_async.redis._scripts import credential_keys
from aura_async.redis._sealing import TokenSeal
from aura_async.testing import AuraEmulator
from tests.adversarial.lifecycle_support import (
    CLOSE_PROMPTLY,
    SlowProxy,
    client_of,
    close_and_check,
)
from tests.redis.redis_support import wait_until

ORIGIN = "https://api.neo4j.io"
CLIENT_ID = "client-one"
SECRET = "the-client-secret"
KEYS = credential_keys("aura_async", ORIGIN, CLIENT_ID)
SEAL = TokenSeal(SECRET, KEYS.token)


class CountingFetch:
    """Grants tokens ``token-1``, ``token-2``, ... and counts the fetches."""

    def __init__(self, lifetime: float = 3600.0, delay: float = 0.0) -> None:
        self.calls = 0
        self.lifetime = lifetime
        self.delay = delay

    async def __call__(self) -> TokenGrant:
        self.calls += 1
        value = f"token-{self.calls}"
        if self.delay:
            await asyncio.sleep(self.delay)
        return TokenGrant(value=value, lifetime=self.lifetime)


@pytest.fixture
async def other_backend(redis_url: str) -> AsyncIterator[RedisBackend]:
    """A second backend on the same Redis: another process."""
    async with RedisBackend.from_url(redis_url) as shared:
        yield shared


async def _store(side: redis.asyncio.Redis, value: str, lifetime: float, remaining: float) -> None:
    mapping = {"sealed": SEAL.seal(value), "lifetime": str(lifetime), "id": SEAL.fingerprint(value)}
    await side.hset(KEYS.token, mapping=mapping)
    await side.pexpire(KEYS.token, int(remaining * 1000))


async def test_concurrent_callers_in_two_processes_cause_one_fetch(
    backend: RedisBackend, other_backend: RedisBackend
) -> None:
    fetch = CountingFetch(delay=0.02)
    providers = [
        b.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
        for b in (backend, other_backend)
    ]
    tokens = await asyncio.wait_for(
        asyncio.gather(*(p.token(fetch) for p in providers for _ in range(100))), 10.0
    )
    assert fetch.calls == 1
    assert {token.value for token in tokens} == {"token-1"}


async def test_the_token_is_stored_with_a_ttl_of_its_remaining_lifetime(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    provider = backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    before = time.monotonic()
    token = await provider.token(CountingFetch(lifetime=600.0))
    ttl_ms = await side_redis.pttl(KEYS.token)
    assert 590_000 < ttl_ms <= 600_000
    stored = await side_redis.hgetall(KEYS.token)
    assert (stored["lifetime"], SEAL.open(stored["sealed"])) == ("600.000000", "token-1")
    assert before + 590 < token.expires_at <= time.monotonic() + 600
    assert token.lifetime == 600.0


async def test_a_token_read_back_expires_with_its_key(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    await _store(side_redis, "stored", lifetime=3600.0, remaining=1200.0)
    fetch = CountingFetch()
    before = time.monotonic()
    token = await backend.token_provider(
        origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET
    ).token(fetch)
    assert fetch.calls == 0
    assert token.value == "stored"
    assert before + 1190 < token.expires_at <= time.monotonic() + 1200


async def test_a_token_due_for_refresh_is_replaced_once_for_everyone(
    backend: RedisBackend, other_backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    # 30 s left of an hour: within the 60 s refresh lead.
    await _store(side_redis, "old", lifetime=3600.0, remaining=30.0)
    fetch = CountingFetch(delay=0.02)
    providers = [
        b.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
        for b in (backend, other_backend)
    ]
    tokens = await asyncio.wait_for(
        asyncio.gather(*(p.token(fetch) for p in providers for _ in range(20))), 10.0
    )
    assert fetch.calls == 1
    # Callers that found the lock taken kept using the still-valid old token.
    assert {token.value for token in tokens} <= {"old", "token-1"}
    assert SEAL.open(await side_redis.hget(KEYS.token, "sealed")) == "token-1"
    later = await providers[1].token(fetch)
    assert later.value == "token-1"


async def test_while_another_process_refreshes_the_current_token_is_used_at_once(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    await _store(side_redis, "current", lifetime=3600.0, remaining=30.0)
    await side_redis.set(KEYS.token_lock, "someone-else", px=10_000)
    fetch = CountingFetch()
    token = await asyncio.wait_for(
        backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET).token(
            fetch
        ),
        1.0,
    )
    assert (token.value, fetch.calls) == ("current", 0)


async def test_a_lock_left_by_a_crashed_process_expires_and_another_fetches(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    await side_redis.set(KEYS.token_lock, "crashed", px=150)
    fetch = CountingFetch()
    loop = asyncio.get_running_loop()
    started = loop.time()
    provider = backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    token = await asyncio.wait_for(provider.token(fetch), 5.0)
    assert (token.value, fetch.calls) == ("token-1", 1)
    assert loop.time() - started >= 0.1
    assert not await side_redis.exists(KEYS.token_lock)  # released after the fetch


async def test_invalidating_the_stored_token_makes_every_process_fetch_one_new(
    backend: RedisBackend, other_backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    fetch = CountingFetch()
    first = backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    second = other_backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    rejected = await first.token(fetch)
    first.invalidate(rejected)
    await wait_until(lambda: _missing(side_redis, KEYS.token))
    renewed = await asyncio.wait_for(asyncio.gather(first.token(fetch), second.token(fetch)), 5.0)
    assert [token.value for token in renewed] == ["token-2", "token-2"]
    assert fetch.calls == 2


async def _missing(side: redis.asyncio.Redis, key: str) -> bool:
    return not await side.exists(key)


async def test_invalidating_an_old_token_keeps_the_newer_one(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    provider = backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    await _store(side_redis, "newer", lifetime=3600.0, remaining=3000.0)
    stale = Token(value="older", expires_at=time.monotonic() + 100, lifetime=3600.0)
    provider.invalidate(stale)
    fetch = CountingFetch()
    assert (await provider.token(fetch)).value == "newer"
    assert fetch.calls == 0


async def test_a_failed_refresh_keeps_using_the_valid_token(
    backend: RedisBackend, side_redis: redis.asyncio.Redis
) -> None:
    await _store(side_redis, "current", lifetime=3600.0, remaining=30.0)

    async def failing() -> TokenGrant:
        raise AuraConnectionError("the token endpoint is unreachable")

    token = await backend.token_provider(
        origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET
    ).token(failing)
    assert token.value == "current"


async def test_the_token_never_reaches_the_logs_or_reprs(
    backend: RedisBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = backend.token_provider(origin=ORIGIN, client_id=CLIENT_ID, client_secret=SECRET)
    token = await provider.token(CountingFetch())
    provider.invalidate(token)
    await provider.token(CountingFetch())
    shown = caplog.text + repr(provider) + repr(backend) + repr(token)
    assert "token-1" not in shown


async def test_a_fetch_whose_client_closes_leaves_the_other_clients_waiting_unharmed(
    backend: RedisBackend,
) -> None:
    """Client A's call starts the shared fetch; B's call waits on it; A closes."""

    def hold_first_token(method: str, path: str, seen: int) -> float | None:
        return None if path == "/oauth/token" and seen == 0 else 0.0

    async with (
        AuraEmulator(rate_limit=None) as emu,
        SlowProxy(emu.url, hold_first_token) as proxy,
    ):
        first = client_of(proxy.url, emu.client_id, emu.client_secret, backend=backend)
        async with client_of(
            proxy.url, emu.client_id, emu.client_secret, backend=backend
        ) as second:
            mine = [asyncio.create_task(first.tenants.list()) for _ in range(3)]
            await proxy.wait_for("POST", "/oauth/token")
            theirs = [asyncio.create_task(second.tenants.list()) for _ in range(3)]
            await asyncio.sleep(0.01)
            assert await close_and_check(first, mine) <= CLOSE_PROMPTLY  # type: ignore[arg-type]
            await asyncio.wait_for(asyncio.gather(*theirs), 5.0)
    assert proxy.seen("POST", "/oauth/token") == 2  # the second client fetched on its own session
