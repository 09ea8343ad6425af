"""The Redis backend on a Sentinel-managed master: one master, one Sentinel process.

The backend finds the master through the Sentinel (``redis+sentinel://``), names
the Sentinel service in its errors, serves a client end to end, and follows a
failover to a replica (the limiter's scripts write, so calls that succeed after
it ran on the new master).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from aura_async import RateLimit
from aura_async.redis import RedisBackend, RedisBackendError, RedisSetupError
from aura_async.redis._topology import RedisSentinelServers
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.conftest import make_client
from tests.redis.redis_dump import dump_server

PASSWORD = "sentinel-test-password"
LIMIT = 10
PER = 0.5


@pytest.fixture
def sentinel() -> Iterator[RedisSentinelServers]:
    """A master with a password, watched by one Sentinel."""
    with RedisSentinelServers("aura", password=PASSWORD) as servers:
        yield servers


async def test_a_sentinel_managed_master_serves_clients_end_to_end(
    sentinel: RedisSentinelServers,
) -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    rate = RateLimit(LIMIT, per=PER)
    async with (
        AuraEmulator(rate_limit=server) as emu,
        RedisBackend.from_url(sentinel.url) as first,
        RedisBackend.from_url(sentinel.url) as second,
        make_client(emu, rate_limit=rate, backend=first) as one,
        make_client(emu, rate_limit=rate, backend=second) as other,
    ):
        await first.ping()
        calls = [client.tenants.list() for client in (one, other) for _ in range(15)]
        await asyncio.wait_for(asyncio.gather(*calls), 20.0)
        await first.ping()
    assert emu.journal.count(path="/v1/tenants", status=200) == 30
    assert emu.journal.rate_limited_count() == 0
    assert emu.journal.max_in_window(PER, include_rejected=True) <= LIMIT
    assert emu.journal.token_requests() == 1
    # The keys are on the master the Sentinel named.
    assert any(key.endswith(":log") for key in await dump_server(sentinel.master.port, PASSWORD))


def test_the_repr_names_the_sentinels_and_the_service_not_the_password() -> None:
    backend = RedisBackend.from_url(
        "redis+sentinel://:hunter2-secret@s1.internal:26379,s2.internal/cache/2"
    )
    assert repr(backend) == (
        "<RedisBackend redis=s1.internal:26379,s2.internal:26379 "
        "(Sentinel service 'cache') prefix='aura_async'>"
    )


async def test_errors_name_the_sentinel_service_and_never_the_password(
    sentinel: RedisSentinelServers,
) -> None:
    async with RedisBackend.from_url(sentinel.url, timeout=0.5) as backend:
        await backend.ping()
        sentinel.close()
        with pytest.raises(RedisBackendError) as caught:
            await backend.ping()
    message = str(caught.value)
    assert f"127.0.0.1:{sentinel.sentinel.port} (Sentinel service 'aura')" in message
    assert "localhost:6379" not in message
    assert PASSWORD not in message + repr(caught.value.__cause__)


async def test_a_sentinel_given_as_a_data_server_fails_with_a_setup_error(
    sentinel: RedisSentinelServers,
) -> None:
    with pytest.raises(RedisSetupError, match=r"is a Sentinel, not a data server.*sentinel://"):
        async with RedisBackend.from_url(f"redis://127.0.0.1:{sentinel.sentinel.port}/0"):
            pass


async def test_after_a_sentinel_failover_clients_follow_the_new_master_and_keep_the_token() -> None:
    rate = RateLimit(LIMIT, per=PER)
    with RedisSentinelServers("aura", password=PASSWORD, replica=True) as servers:
        async with (
            AuraEmulator(rate_limit=None) as emu,
            RedisBackend.from_url(servers.url, timeout=0.5) as backend,
            make_client(emu, rate_limit=rate, backend=backend) as client,
        ):
            await client.tenants.list()
            new_master = await asyncio.to_thread(servers.fail_over)
            assert new_master == servers.replicas[0].port
            # Calls go on: at worst one fails (typed, within the timeout) while the
            # old master's connection breaks; then the client is on the new master.
            outcomes = []
            for _ in range(20):
                try:
                    await asyncio.wait_for(client.tenants.list(), 5.0)
                    outcomes.append("ok")
                except RedisBackendError:
                    outcomes.append("redis")
            await backend.ping()
        dumped = await dump_server(new_master, PASSWORD)
    assert outcomes.count("ok") >= 18
    assert outcomes[-10:] == ["ok"] * 10
    assert emu.journal.token_requests() == 1  # the token was replicated, sealed
    assert any(key.endswith(":token") for key in dumped)
