"""The readiness check and the server check: ACLs, versions, kinds of server.

``ping()`` runs a script like the backend's own (``TIME``, then a write to a key
of the credential), so what would fail the backend fails it, with a
``RedisSetupError`` that says what to change; a Redis that is down is a plain
``RedisBackendError``. The ACL the README documents is tested here as written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from aura_async import RateLimit
from aura_async._auth import TokenGrant
from aura_async.redis import RedisBackend, RedisBackendError, RedisSetupError
from aura_async.redis._inspect import server_problem
from tests.redis.redis_support import DOCUMENTED_ACL

DOCUMENTED_RULES = DOCUMENTED_ACL.split()
ORIGIN = "https://api.neo4j.io"


async def _fetch() -> TokenGrant:
    return TokenGrant(value="token-value", lifetime=3600.0)


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """The default (all-powerful) user of the session server; removes the test's users."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.acl_deluser("app")
        await client.aclose()


def _app_url(redis_url: str) -> str:
    return redis_url.replace("redis://", "redis://app:app-password@")


async def _set_user(admin: redis.asyncio.Redis, rules: list[str]) -> None:
    await admin.execute_command("ACL", "SETUSER", "app", "reset", *rules)


async def test_the_documented_acl_is_enough_for_everything(
    admin: redis.asyncio.Redis, redis_url: str
) -> None:
    await _set_user(admin, DOCUMENTED_RULES)
    async with RedisBackend.from_url(_app_url(redis_url)) as backend:
        await backend.ping()
        limiter = backend.limiter(RateLimit(3, per=1.0), origin=ORIGIN, client_id="c")
        permit = await limiter.acquire()
        permit.release()
        provider = backend.token_provider(origin=ORIGIN, client_id="c", client_secret="s")
        token = await provider.token(_fetch)
        provider.invalidate(token)
        assert (await provider.token(_fetch)).value == "token-value"
        await backend.ping()


@pytest.mark.parametrize(
    ("replace", "by", "refusal"),
    [
        ("~aura_async:*", "~other:*", "no permissions to access one of the keys"),
        ("+@scripting", "-evalsha", "no permissions to run the 'evalsha' command"),
        ("+time", "-time", "can't run this command"),  # called inside the script
    ],
    ids=["key-prefix", "scripts", "time-in-script"],
)
async def test_an_acl_that_denies_what_the_backend_needs_fails_the_readiness_check(
    admin: redis.asyncio.Redis, redis_url: str, replace: str, by: str, refusal: str
) -> None:
    await _set_user(admin, [by if rule == replace else rule for rule in DOCUMENTED_RULES])
    async with RedisBackend.from_url(_app_url(redis_url)) as backend:
        with pytest.raises(RedisSetupError, match=f"refused: .*{refusal}"):
            await backend.ping()


async def test_a_wrong_password_is_a_setup_error_that_does_not_show_it(redis_url: str) -> None:
    url = redis_url.replace("redis://", "redis://nobody:wrong-password-1234@")
    with pytest.raises(RedisSetupError, match="refused") as caught:
        async with RedisBackend.from_url(url):
            pass
    assert "wrong-password-1234" not in str(caught.value)


@pytest.mark.parametrize(
    ("info", "cluster_client", "problem"),
    [
        ({"redis_version": "7.2.4", "redis_mode": "standalone"}, False, None),
        ({"redis_version": "6.0.0", "redis_mode": "standalone"}, False, None),
        ({"redis_version": "6.2.14", "redis_mode": "cluster"}, True, None),
        ({}, False, None),  # INFO denied: nothing known to be wrong
        ({"redis_version": "5.0.14"}, False, "runs Redis 5.0.14; the Redis backend needs"),
        ({"redis_version": "4.0.9-rc1"}, False, "runs Redis 4.0.9-rc1"),
        ({"redis_version": "7.0.0", "redis_mode": "cluster"}, False, "is a Redis Cluster node"),
        ({"redis_version": "7.0.0", "redis_mode": "sentinel"}, False, "is a Sentinel"),
        ({"redis_version": "7.0.0", "redis_mode": "sentinel"}, True, "is a Sentinel"),
    ],
)
def test_the_server_check_as_a_table(
    info: dict[str, str], cluster_client: bool, problem: str | None
) -> None:
    found = server_problem(info, cluster_client=cluster_client)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem)


async def test_a_server_that_is_down_is_a_backend_error_not_a_setup_error(
    private_redis: object,
) -> None:
    from aura_async.redis._server import RedisServer

    assert isinstance(private_redis, RedisServer)
    url = private_redis.url
    private_redis.stop()
    async with RedisBackend.from_url(url, timeout=0.3) as backend:  # entering does not fail
        with pytest.raises(RedisBackendError) as caught:
            await backend.ping()
    assert type(caught.value) is RedisBackendError


async def _read_command(reader: asyncio.StreamReader) -> list[bytes]:
    """Read one RESP array of bulk strings (what redis-py sends)."""
    header = await reader.readline()
    if not header.startswith(b"*"):
        return []
    parts = []
    for _ in range(int(header[1:])):
        length = int((await reader.readline())[1:])
        parts.append((await reader.readexactly(length + 2))[:-2])
    return parts


def _old_server_answer(command: list[bytes]) -> bytes:
    """Answer as a Redis 5.0 would: no HELLO, INFO with its version."""
    name = command[0].upper() if command else b""
    if name == b"INFO":
        info = b"# Server\r\nredis_version:5.0.14\r\nredis_mode:standalone\r\n"
        return b"$%d\r\n%s\r\n" % (len(info), info)
    return b"-ERR unknown command '%s'\r\n" % name.lower()


async def test_an_old_server_fails_at_connect_with_a_setup_error() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(20):  # bounded: a handful of commands per connection
            command = await _read_command(reader)
            if not command:
                break
            writer.write(_old_server_answer(command))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(RedisSetupError, match=r"runs Redis 5\.0\.14; .* needs Redis 6\.0"):
            async with RedisBackend.from_url(f"redis://127.0.0.1:{port}/0"):
                pass
    finally:
        server.close()
        await server.wait_closed()
