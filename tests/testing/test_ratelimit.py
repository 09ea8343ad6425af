"""The emulator's rate limit: the algorithms as pure units, then over loopback."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from aura_async.testing._app import build_app
from aura_async.testing._auth import TokenAuthority
from aura_async.testing._clock import ManualClock
from aura_async.testing._journal import Journal
from aura_async.testing._ratelimit import (
    FixedWindowLimiter,
    Limiter,
    RateLimiterRegistry,
    ServerRateLimit,
    SlidingLogLimiter,
    TokenBucketLimiter,
    format_retry_after,
    new_limiter,
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"algorithm": "fixed-window", "requests": 1, "per": 0.001},
        {"algorithm": "token-bucket", "capacity": 3},
        {"retry_after": "fractional", "count_token_requests": False},
    ],
)
def test_valid_settings_are_accepted(kwargs: dict[str, Any]) -> None:
    ServerRateLimit(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"algorithm": "leaky"}, "algorithm"),
        ({"requests": 0}, "requests"),
        ({"requests": 2.5}, "requests"),
        ({"requests": True}, "requests"),
        ({"per": 0}, "per"),
        ({"per": float("inf")}, "per"),
        ({"capacity": 5}, "token-bucket"),
        ({"algorithm": "token-bucket", "capacity": 0}, "capacity"),
        ({"retry_after": "http-date"}, "retry_after"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServerRateLimit(**kwargs)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ServerRateLimit().requests = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("seconds", "style", "expected"),
    [
        (0.0, "integer", "1"),
        (0.2, "integer", "1"),
        (1.0, "integer", "1"),
        (1.0000000001, "integer", "1"),
        (1.01, "integer", "2"),
        (59.5, "integer", "60"),
        (0.0, "fractional", "0.001"),
        (0.25, "fractional", "0.250"),
        (0.2501, "fractional", "0.251"),
        (0.3, "fractional", "0.300"),
        (12.0, "fractional", "12.000"),
    ],
)
def test_retry_after_rounds_up(seconds: float, style: Any, expected: str) -> None:
    assert format_retry_after(seconds, style) == expected


def _decisions(limiter: Limiter, times: list[float]) -> list[float | None]:
    return [limiter.try_acquire(t) for t in times]


# Each row: request receipt times, then the expected decision for each: None when
# allowed, else the seconds until a request would be allowed.
SLIDING_LOG_3_PER_10 = [
    ([0, 0, 0, 0], [None, None, None, 10]),
    ([0, 1, 2, 9.999], [None, None, None, 0.001]),
    ([0, 1, 2, 10], [None, None, None, None]),
    ([0, 1, 2, 10, 10.5, 11], [None, None, None, None, 0.5, None]),
    ([0, 5, 5, 6, 15], [None, None, None, 4, None]),
    ([0, 1, 2, 3, 3, 10, 10], [None, None, None, 7, 7, None, 1]),
]


@pytest.mark.parametrize(("times", "expected"), SLIDING_LOG_3_PER_10)
def test_sliding_log_allows_n_in_any_window(
    times: list[float], expected: list[float | None]
) -> None:
    decisions = _decisions(SlidingLogLimiter(3, 10.0), times)
    assert decisions == pytest.approx(expected)


FIXED_WINDOW_2_PER_10_FROM_100 = [
    ([100, 100, 100], [None, None, 10]),
    ([100, 109.999, 109.9999], [None, None, 0.0001]),
    ([109, 109, 110, 110, 110], [None, None, None, None, 10]),
    ([100, 105, 112, 119, 119.5, 120], [None, None, None, None, 0.5, None]),
    ([135, 135, 136], [None, None, 4]),
]


@pytest.mark.parametrize(("times", "expected"), FIXED_WINDOW_2_PER_10_FROM_100)
def test_fixed_window_counts_per_window_from_start(
    times: list[float], expected: list[float | None]
) -> None:
    decisions = _decisions(FixedWindowLimiter(2, 10.0, start=100.0), times)
    assert decisions == pytest.approx(expected)


# 2 tokens, refilled at 0.5 per second (one per 2 s).
TOKEN_BUCKET_2_AT_HALF_PER_S = [
    ([0, 0, 0], [None, None, 2]),
    ([0, 0, 1], [None, None, 1]),
    ([0, 0, 2, 2], [None, None, None, 2]),
    ([0, 0, 100, 100, 100], [None, None, None, None, 2]),
    ([0, 0, 0.5, 2], [None, None, 1.5, None]),
]


@pytest.mark.parametrize(("times", "expected"), TOKEN_BUCKET_2_AT_HALF_PER_S)
def test_token_bucket_refills_continuously(
    times: list[float], expected: list[float | None]
) -> None:
    decisions = _decisions(TokenBucketLimiter(2, 0.5, start=0.0), times)
    assert decisions == pytest.approx(expected)


def test_float_steps_do_not_flip_an_edge_decision() -> None:
    # 0.1 * 10 accumulates to 0.9999999999999999: still exactly one window later.
    limiter = SlidingLogLimiter(1, 1.0)
    now = 0.0
    assert limiter.try_acquire(now) is None
    for _ in range(10):
        now += 0.1
    assert limiter.try_acquire(now) is None


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        (ServerRateLimit(), SlidingLogLimiter),
        (ServerRateLimit(algorithm="fixed-window"), FixedWindowLimiter),
        (ServerRateLimit(algorithm="token-bucket"), TokenBucketLimiter),
    ],
)
def test_new_limiter_follows_the_algorithm(config: ServerRateLimit, kind: type) -> None:
    assert isinstance(new_limiter(config, 0.0), kind)


def test_token_bucket_capacity_defaults_to_requests() -> None:
    limiter = new_limiter(ServerRateLimit(algorithm="token-bucket", requests=4, per=1.0), 0.0)
    assert _decisions(limiter, [0] * 5)[-2:] == [None, pytest.approx(0.25)]


def test_each_credential_has_its_own_allowance(manual_clock: ManualClock) -> None:
    registry = RateLimiterRegistry(ServerRateLimit(requests=1, per=1.0), manual_clock)
    assert registry.check("alice") is None
    assert registry.check("bob") is None
    assert registry.check("alice") == "1"
    registry.reset("alice")
    assert registry.check("alice") is None
    assert registry.check("bob") == "1"


def test_check_decides_at_the_given_receipt_time(manual_clock: ManualClock) -> None:
    settings = ServerRateLimit(requests=1, per=1.0, retry_after="fractional")
    registry = RateLimiterRegistry(settings, manual_clock)
    assert registry.check("alice", 5.0) is None
    assert registry.check("alice", 5.75) == "0.250"
    assert registry.check("alice", 6.0) is None


# Over loopback: a manual clock drives the emulator, so edges are exact.

ALGORITHM_EDGES = [
    # (settings, clock steps before each request, expected statuses, and the most
    # allowed requests the journal then sees in any sliding window of `per`)
    (
        ServerRateLimit(requests=2, per=1.0, count_token_requests=False),
        [0, 0.5, 0.25, 0.25, 0, 0.5],
        [200, 200, 429, 200, 429, 200],
        2,
    ),
    (
        ServerRateLimit(algorithm="fixed-window", requests=2, per=1.0, count_token_requests=False),
        [0.5, 0.25, 0.24, 0.01, 0, 0],
        [200, 200, 429, 200, 200, 429],
        4,
    ),
    (
        ServerRateLimit(algorithm="token-bucket", requests=2, per=1.0, count_token_requests=False),
        [0, 0, 0, 0.25, 0.25, 0.5],
        [200, 200, 429, 429, 200, 200],
        3,
    ),
]


@pytest.mark.parametrize(("settings", "steps", "statuses", "sliding_max"), ALGORITHM_EDGES)
async def test_algorithm_over_loopback(
    settings: ServerRateLimit,
    steps: list[float],
    statuses: list[int],
    sliding_max: int,
    manual_clock: ManualClock,
    ping: Any,
    serve_app: Any,
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> None:
    authority = TokenAuthority({"alice": "s3cret"}, clock=manual_clock)
    journal = Journal()
    app = build_app(
        authority=authority,
        rate_limit=settings,
        journal=journal,
        clock=manual_clock,
        routes=False,
        setup=ping,
    )
    url = await serve_app(app)
    token = await fetch_token(http_session, url, "alice", "s3cret")
    seen = []
    for step in steps:
        manual_clock.advance(step)
        async with http_session.get(
            f"{url}/v1/ping", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            seen.append(response.status)
    assert seen == statuses
    assert journal.rate_limited_count("alice") == statuses.count(429)
    window_max = journal.max_in_window(settings.per, include_token_requests=False)
    assert window_max == sliding_max


async def test_rejection_is_a_gateway_429_with_retry_after(
    manual_clock: ManualClock,
    ping: Any,
    serve_app: Any,
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> None:
    authority = TokenAuthority({"alice": "s3cret"}, clock=manual_clock)
    settings = ServerRateLimit(requests=2, per=0.6, retry_after="fractional")
    app = build_app(
        authority=authority, rate_limit=settings, clock=manual_clock, routes=False, setup=ping
    )
    url = await serve_app(app)
    token = await fetch_token(http_session, url, "alice", "s3cret")  # counts: 1 of 2
    manual_clock.advance(0.2)
    headers = {"Authorization": f"Bearer {token}"}
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 200
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "0.400"
        assert await response.json() == {"error": "API rate limit exceeded"}
        assert "X-Request-Id" in response.headers
    manual_clock.advance(0.4)
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 200


async def test_token_requests_count_unless_told_otherwise(
    manual_clock: ManualClock,
    serve_app: Any,
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> None:
    authority = TokenAuthority({"alice": "s3cret"}, clock=manual_clock)
    counted = build_app(
        authority=authority,
        rate_limit=ServerRateLimit(requests=1, per=1.0),
        clock=manual_clock,
        routes=False,
    )
    url = await serve_app(counted)
    await fetch_token(http_session, url, "alice", "s3cret")
    form = {"grant_type": "client_credentials"}
    auth = {"Authorization": aiohttp.encode_basic_auth("alice", "s3cret")}
    async with http_session.post(f"{url}/oauth/token", data=form, headers=auth) as response:
        assert response.status == 429
    uncounted = build_app(
        authority=authority,
        rate_limit=ServerRateLimit(requests=1, per=1.0, count_token_requests=False),
        clock=manual_clock,
        routes=False,
    )
    url = await serve_app(uncounted)
    for _ in range(3):
        await fetch_token(http_session, url, "alice", "s3cret")
