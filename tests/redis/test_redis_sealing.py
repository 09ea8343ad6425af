"""The shared token at rest: sealed with a key derived from the client secret.

The sealing as tables (what opens, what does not), then against a real Redis:
everything Redis holds, read back with GET and HGETALL, shows no token, and
``share_token=False`` leaves no token in Redis at all.
"""

from __future__ import annotations

import base64
import logging

import pytest
import redis.asyncio

from aura_async import RateLimit
from aura_async._auth import TokenGrant
from aura_async.redis import RedisBackend
from aura_async.redis._scripts import credential_keys
from aura_async.redis._sealing import TokenSeal
from aura_async.redis._server import RedisServer
from aura_async.testing import AuraEmulator
from tests.conftest import make_client
from tests.redis.redis_dump import dump_server

SECRET = "client-secret-one"
CONTEXT = "aura_async:{api.neo4j.io:abc}:token"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.the-token"
SEALED = TokenSeal(SECRET, CONTEXT).seal(TOKEN)


def _flip_last_byte(sealed: str) -> str:
    version, _, text = sealed.partition(":")
    raw = bytearray(base64.b64decode(text))
    raw[-1] ^= 1
    return f"{version}:{base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize(
    ("secret", "context", "sealed", "opened"),
    [
        (SECRET, CONTEXT, SEALED, TOKEN),
        ("another-secret", CONTEXT, SEALED, None),  # another credential's secret
        (SECRET, CONTEXT.replace("abc", "xyz"), SEALED, None),  # copied to another key
        (SECRET, CONTEXT, _flip_last_byte(SEALED), None),  # altered
        (SECRET, CONTEXT, TOKEN, None),  # not sealed at all
        (SECRET, CONTEXT, "v1:not base64!", None),
        (SECRET, CONTEXT, "v1:", None),
        (SECRET, CONTEXT, "v2:" + SEALED[3:], None),  # a format this version does not know
    ],
    ids=["opens", "other-secret", "other-key", "altered", "plain", "garbage", "empty", "v2"],
)
def test_a_sealed_token_opens_only_with_its_secret_and_key(
    secret: str, context: str, sealed: str, opened: str | None
) -> None:
    assert TokenSeal(secret, context).open(sealed) == opened


def test_sealing_twice_gives_two_ciphertexts_and_one_fingerprint() -> None:
    seal = TokenSeal(SECRET, CONTEXT)
    assert seal.seal(TOKEN) != seal.seal(TOKEN)  # a fresh nonce each time
    assert seal.fingerprint(TOKEN) == TokenSeal(SECRET, CONTEXT).fingerprint(TOKEN)
    assert seal.fingerprint(TOKEN) != seal.fingerprint(TOKEN + "x")
    assert TOKEN not in seal.seal(TOKEN) + seal.fingerprint(TOKEN)
    assert repr(seal) == "<TokenSeal>"


async def test_nothing_redis_holds_shows_the_token_or_the_secret(
    redis_server: RedisServer, redis_url: str
) -> None:
    async with (
        AuraEmulator(rate_limit=None) as emu,
        RedisBackend.from_url(redis_url) as backend,
        make_client(emu, rate_limit=RateLimit(50, per=1.0), backend=backend) as client,
    ):
        await client.tenants.list()
        provider = backend.token_provider(
            origin=emu.url, client_id=emu.client_id, client_secret=emu.client_secret
        )
        token = await provider.token(_never)
        dumped = await dump_server(redis_server.port)
    assert {key.rsplit(":", 1)[1] for key in dumped} >= {"token", "log"}
    for key, value in dumped.items():
        assert token.value not in key + value
        assert emu.client_secret not in key + value


async def test_share_token_false_keeps_every_token_out_of_redis(
    redis_server: RedisServer, redis_url: str
) -> None:
    async with AuraEmulator(rate_limit=None) as emu:
        for _ in range(2):  # two processes
            async with (
                RedisBackend.from_url(redis_url, share_token=False) as backend,
                make_client(emu, rate_limit=RateLimit(50, per=1.0), backend=backend) as client,
            ):
                await client.tenants.list()
        dumped = await dump_server(redis_server.port)
    assert emu.journal.token_requests() == 2  # one each
    assert not any(key.endswith((":token", ":token-lock")) for key in dumped)
    assert any(key.endswith(":log") for key in dumped)  # the limiter is still shared


async def test_a_token_sealed_with_another_secret_is_replaced_with_one_warning(
    backend: RedisBackend, side_redis: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    origin, client_id = "https://api.neo4j.io", "client"
    keys = credential_keys("aura_async", origin, client_id)
    other = TokenSeal("old-secret", keys.token)
    await side_redis.hset(keys.token, mapping={"sealed": other.seal("old"), "lifetime": "3600"})
    await side_redis.expire(keys.token, 3600)
    provider = backend.token_provider(origin=origin, client_id=client_id, client_secret=SECRET)
    fetches: list[str] = []

    async def fetch() -> TokenGrant:
        fetches.append("new")
        return TokenGrant(value="new-token", lifetime=3600.0)

    caplog.set_level(logging.WARNING)
    assert (await provider.token(fetch)).value == "new-token"
    stored = await side_redis.hget(keys.token, "sealed")
    assert TokenSeal(SECRET, keys.token).open(stored) == "new-token"
    assert fetches == ["new"]
    assert caplog.text.count("does not open with this client secret") == 1


async def _never() -> TokenGrant:
    raise AssertionError("the token should have been read from Redis")
