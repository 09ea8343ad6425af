"""``AuraClient(..., backend=RedisBackend...)`` against the emulator and a real Redis.

Two backends on one Redis stand for two processes; their clients share one
allowance and one token.
"""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from aura_async import AuraClient, RateLimit
from aura_async._auth import TokenCache
from aura_async.redis import RedisBackend
from aura_async.redis._scripts import credential_keys
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.conftest import make_client

PER = 0.5
LIMIT = 20


async def _calls(client: AuraClient, count: int) -> None:
    await asyncio.gather(*(client.tenants.list() for _ in range(count)))


async def test_clients_of_two_processes_share_one_allowance_and_one_token(redis_url: str) -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    rate = RateLimit(LIMIT, per=PER)
    async with (
        AuraEmulator(rate_limit=server) as emu,
        RedisBackend.from_url(redis_url) as first,
        RedisBackend.from_url(redis_url) as second,
        make_client(emu, rate_limit=rate, backend=first) as one,
        make_client(emu, rate_limit=rate, backend=second) as other,
    ):
        await asyncio.wait_for(asyncio.gather(_calls(one, 30), _calls(other, 30)), 20.0)
    assert emu.journal.count(path="/v1/tenants", status=200) == 60
    assert emu.journal.rate_limited_count() == 0
    assert emu.journal.max_in_window(PER, include_rejected=True) <= LIMIT
    assert emu.journal.token_requests() == 1


def test_a_backend_makes_one_limiter_and_token_provider_per_credential(
    backend: RedisBackend, caplog: pytest.LogCaptureFixture
) -> None:
    rate = RateLimit(LIMIT, per=PER)
    origin = "https://api.neo4j.io"
    limiter = backend.limiter(rate, origin=origin, client_id="a")
    assert backend.limiter(rate, origin=origin, client_id="a") is limiter
    assert backend.limiter(rate, origin=origin, client_id="b") is not limiter
    tokens = backend.token_provider(origin=origin, client_id="a", client_secret="s")
    assert backend.token_provider(origin=origin, client_id="a", client_secret="s") is tokens
    assert backend.limiter(RateLimit(5, per=PER), origin=origin, client_id="a") is limiter
    assert "sharing its limiter" in caplog.text


async def test_a_rejected_token_is_replaced_once_for_every_process(redis_url: str) -> None:
    async with (
        AuraEmulator(rate_limit=None) as emu,
        RedisBackend.from_url(redis_url) as first,
        RedisBackend.from_url(redis_url) as second,
        make_client(emu, backend=first) as one,
        make_client(emu, backend=second) as other,
    ):
        await one.tenants.list()
        await other.tenants.list()
        emu.expire_tokens()
        await one.tenants.list()  # 401, compare-and-delete in Redis, one new token
        await other.tenants.list()  # reads the new token: no 401
    assert emu.journal.token_requests() == 2
    assert emu.journal.count(status=401) == 1


async def test_without_a_rate_limit_only_the_token_is_shared(
    backend: RedisBackend, emu: AuraEmulator, side_redis: redis.asyncio.Redis
) -> None:
    async with make_client(emu, rate_limit=None, backend=backend) as client:
        await client.tenants.list()
    keys = credential_keys("aura_async", emu.url, emu.client_id)
    assert await side_redis.exists(keys.token)
    assert not await side_redis.exists(keys.log)


async def test_an_explicit_token_provider_takes_precedence(
    backend: RedisBackend, emu: AuraEmulator, side_redis: redis.asyncio.Redis
) -> None:
    tokens = TokenCache()
    rate = RateLimit(LIMIT, per=PER)
    async with make_client(emu, rate_limit=rate, backend=backend, token_provider=tokens) as client:
        await client.tenants.list()
    keys = credential_keys("aura_async", emu.url, emu.client_id)
    assert tokens.fetches == 1
    assert not await side_redis.exists(keys.token)
    assert await side_redis.exists(keys.log)


async def test_keys_name_the_host_and_a_hash_never_the_id_or_secret_and_all_expire(
    backend: RedisBackend, emu: AuraEmulator, side_redis: redis.asyncio.Redis
) -> None:
    async with make_client(emu, rate_limit=RateLimit(LIMIT, per=PER), backend=backend) as client:
        await client.tenants.list()
    await backend.aclose()
    keys = await side_redis.keys("*")
    host = emu.url.removeprefix("http://")
    assert sorted(key.rsplit(":", 1)[1] for key in keys) == ["log", "state", "token"]
    for key in keys:
        assert key.startswith(f"aura_async:{{{host}:")
        assert emu.client_id not in key
        assert emu.client_secret not in key
        assert await side_redis.pttl(key) > 0


@pytest.mark.parametrize("prefix", ["tenant-a", "tenant-b"])
async def test_the_prefix_namespaces_the_keys(
    redis_url: str, emu: AuraEmulator, side_redis: redis.asyncio.Redis, prefix: str
) -> None:
    async with (
        RedisBackend.from_url(redis_url, prefix=prefix) as backend,
        make_client(emu, rate_limit=RateLimit(LIMIT, per=PER), backend=backend) as client,
    ):
        await client.tenants.list()
    keys = await side_redis.keys("*")
    assert keys
    assert all(key.startswith(f"{prefix}:{{") for key in keys)
