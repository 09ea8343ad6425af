"""The Redis backend's pure pieces, as tables: options, key names, offsets, the fallback share."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pytest
import redis.asyncio

from aura_async import AuraConfigurationError, AuraConnectionError, RateLimit
from aura_async.redis import RedisBackend, RedisBackendError
from aura_async.redis._fallback import local_share
from aura_async.redis._limit_scripts import completion_offset
from aura_async.redis._scripts import credential_keys


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("timeout", 0),
        ("timeout", -1.0),
        ("timeout", math.nan),
        ("timeout", math.inf),
        ("timeout", True),
        ("timeout", "1"),
        ("heartbeat", 0),
        ("heartbeat", math.inf),
        ("probe_interval", -0.5),
        ("lock_timeout", None),
        ("token_wait", 0.0),
        ("fallback_share", 0),
        ("fallback_share", 1.5),
        ("fallback_share", "half"),
        ("prefix", ""),
        ("prefix", None),
    ],
)
def test_bad_options_are_refused_at_construction(option: str, value: Any) -> None:
    with pytest.raises(AuraConfigurationError, match=option):
        RedisBackend(redis.asyncio.Redis(), **{option: value})


def test_the_heartbeat_and_its_old_name_together_are_refused() -> None:
    with (
        pytest.warns(DeprecationWarning, match="lease"),
        pytest.raises(AuraConfigurationError, match="not both"),
    ):
        RedisBackend(redis.asyncio.Redis(), heartbeat=1.0, lease=2.0)


@pytest.mark.parametrize("share", [None, 0.25, 1])
def test_good_fallback_shares_are_kept(share: float | None) -> None:
    assert RedisBackend(redis.asyncio.Redis(), fallback_share=share).fallback_share == share


def test_a_url_that_is_not_redis_is_a_configuration_error() -> None:
    with pytest.raises(AuraConfigurationError, match="Redis URL"):
        RedisBackend.from_url("http://localhost:6379")


def test_the_repr_names_the_server_but_not_the_password() -> None:
    backend = RedisBackend.from_url("redis://:hunter2-secret@cache.internal:6380/2")
    assert repr(backend) == "<RedisBackend redis=cache.internal:6380 prefix='aura_async'>"


def test_the_error_is_a_typed_connection_error() -> None:
    assert issubclass(RedisBackendError, AuraConnectionError)
    assert issubclass(RedisBackendError, ConnectionError)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://api.neo4j.io", "api.neo4j.io"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://[::1]:9000", "[::1]:9000"),
    ],
)
def test_keys_name_the_api_host_and_a_hash_of_the_client_id(origin: str, host: str) -> None:
    keys = credential_keys("ns", origin, "my-client")
    digest = hashlib.sha256(b"my-client").hexdigest()[:32]
    base = f"ns:{{{host}:{digest}}}"
    names = (keys.log, keys.cooldown, keys.state, keys.tombstones, keys.token, keys.token_lock)
    assert names == (
        f"{base}:log",
        f"{base}:cooldown",
        f"{base}:state",
        f"{base}:tombstones",
        f"{base}:token",
        f"{base}:token-lock",
    )


def test_credentials_at_other_hosts_or_ids_get_other_keys() -> None:
    one = credential_keys("ns", "https://api.neo4j.io", "a")
    assert credential_keys("ns", "https://api.neo4j.io", "b").log != one.log
    assert credential_keys("ns", "https://staging.example", "a").log != one.log


@pytest.mark.parametrize(
    ("sent", "answered", "offset"),
    [
        (False, True, "-"),
        (False, False, "-"),
        (True, True, "+0.005000"),
        (True, False, "+0.255000"),
    ],
)
def test_a_finished_send_is_recorded_with_its_hold(sent: bool, answered: bool, offset: str) -> None:
    assert completion_offset(sent=sent, answered=answered, margin=0.25) == offset


@pytest.mark.parametrize(
    ("rate", "share", "expected"),
    [
        (RateLimit(125, per=60.0), 0.25, RateLimit(31, per=60.0)),
        (RateLimit(125, per=60.0), 1, RateLimit(125, per=60.0)),
        (RateLimit(3, per=1.0), 0.1, RateLimit(1, per=1.0)),
        (RateLimit(100, per=60.0, burst=50), 0.2, RateLimit(20, per=60.0, burst=20)),
        (RateLimit(100, per=60.0, margin=0.5), 0.5, RateLimit(50, per=60.0, margin=0.5)),
    ],
)
def test_the_fallback_takes_its_share_of_the_allowance(
    rate: RateLimit, share: float, expected: RateLimit
) -> None:
    assert local_share(rate, share) == expected
