"""The Redis backend on a local 3-node Redis Cluster built from the same ``redis-server``.

The nodes hold the slots split in three; a credential's keys share one hash tag,
so one slot and one node, and the scripts run there. The 4-process scenario runs
here at a small scale (120 calls at 40 per second, a few seconds); ``make soak``
runs it at the issue's (1,000 calls at 125 per 3 s).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from aura_async import RateLimit
from aura_async._auth import TokenGrant
from aura_async.redis import RedisBackend, RedisBackendError, RedisSetupError
from aura_async.redis._scripts import credential_keys
from aura_async.redis._topology import RedisClusterServers
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.redis.redis_dump import dump_servers
from tests.redis.redis_support import DOCUMENTED_ACL, DOCUMENTED_CLUSTER_ACL, run_workers

# make soak (AURA_REDIS_CALLS_EACH=250): the scale, 125 per 3 s, 1,000 calls.
SOAK_CALLS = os.environ.get("AURA_REDIS_CALLS_EACH")
REQUESTS = 125 if SOAK_CALLS else 40
PER = 3.0 if SOAK_CALLS else 1.0
CALLS_EACH = int(SOAK_CALLS) if SOAK_CALLS else 30
# Worker processes measure timing: never beside another multi-process run (make test).
pytestmark = pytest.mark.xdist_group("slow")
WORKERS = 4


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterServers]:
    """Three Cluster nodes for this module's tests."""
    with RedisClusterServers(3) as servers:
        yield servers


@pytest.fixture
async def cluster_url(cluster: RedisClusterServers) -> str:
    """The cluster's URL, every node flushed first."""
    for server in cluster.servers:
        node = redis.asyncio.Redis(port=server.port)
        try:
            await node.flushall()
        finally:
            await node.aclose()
    return cluster.url


@pytest.fixture
async def cluster_backend(cluster_url: str) -> AsyncIterator[RedisBackend]:
    """A backend on the cluster, through a ``redis+cluster://`` URL."""
    async with RedisBackend.from_url(cluster_url) as backend:
        yield backend


async def _never_fetch() -> TokenGrant:
    raise AssertionError("the token should have been read from Redis")


def test_every_key_of_a_credential_is_in_one_slot() -> None:
    keys = credential_keys("aura_async", "https://api.neo4j.io", "some-client-id")
    names = [keys.log, keys.cooldown, keys.state, keys.tombstones]
    names += [keys.token, keys.token_lock, keys.probe]
    assert len({key_slot(name.encode()) for name in names}) == 1


async def test_a_redis_cluster_client_is_accepted(
    cluster: RedisClusterServers, cluster_url: str
) -> None:
    client = RedisCluster(host="127.0.0.1", port=cluster.servers[0].port)
    async with RedisBackend(client) as backend:
        await backend.ping()
        limiter = backend.limiter(RateLimit(5, per=1.0), origin="https://x.test", client_id="a")
        permits = [await limiter.acquire() for _ in range(5)]
        for permit in permits:
            permit.release()
        await backend.ping()  # now also probes the credential's slot
        assert "(Cluster)" in repr(backend)
    await client.aclose()


@pytest.mark.slow
async def test_four_processes_on_a_cluster_share_one_allowance_and_one_token(
    cluster: RedisClusterServers, cluster_url: str
) -> None:
    server = ServerRateLimit("sliding-log", requests=REQUESTS, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        settings: dict[str, Any] = {
            "url": emu.url,
            "client_id": emu.client_id,
            "redis_url": cluster_url,
            "requests": REQUESTS,
            "per": PER,
            "calls": CALLS_EACH,
            "mode": "burst",
            "timeout": 60.0,
        }
        _, outcomes = await run_workers([settings] * WORKERS, emu.client_secret)
        async with RedisBackend.from_url(cluster_url) as backend:
            provider = backend.token_provider(
                origin=emu.url, client_id=emu.client_id, client_secret=emu.client_secret
            )
            shared = await provider.token(_never_fetch)

    assert [outcome["ok"] for outcome in outcomes] == [CALLS_EACH] * WORKERS
    journal = emu.journal
    assert journal.count(path="/v1/tenants", status=200) == WORKERS * CALLS_EACH
    assert journal.rate_limited_count() == 0
    assert journal.max_in_window(PER, include_rejected=True) <= REQUESTS
    assert journal.token_requests() == 1
    # What every node holds (GET, HGETALL, ZRANGE of each key) shows no token.
    dumped = await dump_servers([s.port for s in cluster.servers])
    assert any(key.endswith(":token") for key in dumped)
    assert all(shared.value not in key + value for key, value in dumped.items())
    assert all(emu.client_secret not in key + value for key, value in dumped.items())


def _not_owning(cluster: RedisClusterServers, key: str) -> int:
    owner = cluster.owner(key_slot(key.encode()))
    return next(s.port for s in cluster.servers if s is not owner)


async def test_a_plain_client_on_a_cluster_node_fails_the_readiness_check(
    cluster: RedisClusterServers, cluster_url: str
) -> None:
    url = f"redis://127.0.0.1:{cluster.servers[0].port}/0"
    expected = "is a Redis Cluster node: .*redis\\+cluster://"
    with pytest.raises(RedisSetupError, match=expected):
        async with RedisBackend.from_url(url):
            pass  # recognised on entering already
    backend = RedisBackend.from_url(url)
    try:
        with pytest.raises(RedisSetupError, match=expected):
            await backend.ping()
    finally:
        await backend.aclose()


async def test_moved_fails_the_readiness_check_where_info_is_denied(
    cluster: RedisClusterServers, cluster_url: str
) -> None:
    keys = credential_keys("aura_async", "https://api.neo4j.io", "client")
    port = _not_owning(cluster, keys.probe)
    admin = redis.asyncio.Redis(port=port)
    await admin.acl_setuser(
        "noinfo", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-info"]
    )
    try:
        async with RedisBackend.from_url(f"redis://noinfo:pw@127.0.0.1:{port}/0") as backend:
            backend.token_provider(
                origin="https://api.neo4j.io", client_id="client", client_secret="s"
            )
            with pytest.raises(
                RedisSetupError, match=r"Cluster node that does not serve.*MovedError"
            ):
                await backend.ping()
    finally:
        await admin.acl_deluser("noinfo")
        await admin.aclose()


async def test_a_dead_node_ends_calls_in_a_typed_error_in_time() -> None:
    timeout = 0.5
    bound = timeout + 1.5  # slack for a loaded machine; a hang would be unbounded
    with RedisClusterServers(3) as servers:
        async with RedisBackend.from_url(servers.url, timeout=timeout) as backend:
            rate = RateLimit(5, per=1.0)
            limiter = backend.limiter(rate, origin="https://x.test", client_id="c")
            (await limiter.acquire()).release()
            keys = credential_keys("aura_async", "https://x.test", "c")
            servers.owner(key_slot(keys.log.encode())).stop()
            loop = asyncio.get_running_loop()
            for call in (backend.ping, limiter.acquire):
                started = loop.time()
                with pytest.raises(RedisBackendError, match=r"\(Cluster\) failed"):
                    await asyncio.wait_for(call(), 10.0)
                assert loop.time() - started < bound


async def test_the_documented_acl_works_on_a_cluster(
    cluster: RedisClusterServers, cluster_url: str
) -> None:
    rules = f"{DOCUMENTED_ACL} {DOCUMENTED_CLUSTER_ACL}".split()
    admins = [redis.asyncio.Redis(port=server.port) for server in cluster.servers]
    try:
        for admin in admins:
            await admin.execute_command("ACL", "SETUSER", "app", "reset", *rules)
        url = cluster_url.replace("redis+cluster://", "redis+cluster://app:app-password@")
        async with RedisBackend.from_url(url) as backend:
            limiter = backend.limiter(RateLimit(3, per=1.0), origin="https://x.test", client_id="c")
            (await limiter.acquire()).release()
            provider = backend.token_provider(
                origin="https://x.test", client_id="c", client_secret="s"
            )
            assert (await provider.token(_fetch)).value == "token-value"
            await backend.ping()
    finally:
        for admin in admins:
            await admin.acl_deluser("app")
            await admin.aclose()


async def _fetch() -> TokenGrant:
    return TokenGrant(value="token-value", lifetime=3600.0)
