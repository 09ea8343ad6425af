"""close() is an event, not a race: it ends every call of that client, at once.

Wherever a call waits (queued in the limiter, in a backoff, in a 429 cooldown, for
the token, in flight), ``close()`` ends it within 0.1 s with ``ClientClosedError``,
frees its limiter place (no pump task left behind), and leaves the calls of other
clients of the same credential alone. Every server here is the emulator, behind
a loopback proxy (``SlowProxy``) where the test needs to hold a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aura_async import AuraClient, ClientClosedError, RateLimit, RetryPolicy
from aura_async._ratelimit import LocalLimiter
from aura_async.testing import AuraEmulator, Fault
from tests.adversarial.lifecycle_support import (
    CLOSE_PROMPTLY,
    SlowProxy,
    close_and_check,
    limiter_pumps,
)
from tests.conftest import INSTANCE_SPEC

TENANTS = "/v1/tenants"
TOKEN = "/oauth/token"
# Retries would wait far longer than any test: a call still waiting was not ended.
PATIENT = RetryPolicy(max_retries=3, backoff_base=30.0, backoff_cap=30.0)


@pytest.fixture
async def emu() -> AsyncIterator[AuraEmulator]:
    """An emulator with no server rate limit."""
    async with AuraEmulator(rate_limit=None, transition_delay=0.01) as emulator:
        yield emulator


def _client(emu: AuraEmulator, url: str | None = None, **options: object) -> AuraClient:
    options.setdefault("retry", PATIENT)
    return AuraClient(
        emu.client_id,
        emu.client_secret,
        base_url=url or emu.url,
        **options,  # type: ignore[arg-type]
    )


def _start(count: int, client: AuraClient) -> list[asyncio.Task[object]]:
    return [asyncio.create_task(client.tenants.list()) for _ in range(count)]


async def _until(predicate: object, within: float = 5.0) -> None:
    """Poll ``predicate()`` every millisecond until true (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.001)


async def test_calls_in_flight_end_with_client_closed(emu: AuraEmulator) -> None:
    def hold_tenants(method: str, path: str, seen: int) -> float | None:
        return None if path == TENANTS else 0.0

    async with SlowProxy(emu.url, hold_tenants) as proxy:
        client = _client(emu, proxy.url)
        calls = _start(2, client)  # after the token, a cold client's ramp lets 2 go
        await proxy.wait_for("GET", TENANTS, 2)
        assert await close_and_check(client, calls) <= CLOSE_PROMPTLY


async def test_closing_a_client_ends_the_calls_of_its_views(emu: AuraEmulator) -> None:
    def hold_tenants(method: str, path: str, seen: int) -> float | None:
        return None if path == TENANTS else 0.0

    async with SlowProxy(emu.url, hold_tenants) as proxy:
        client = _client(emu, proxy.url)
        views = [client.with_options(timeout=60.0), client.with_options(retry=PATIENT)]
        # One call each: after the token, a cold client's ramp lets 2 go.
        calls = [call for view in views for call in _start(1, view)]
        await proxy.wait_for("GET", TENANTS, len(calls))
        await views[0].close()  # a view's close ends nothing
        await asyncio.sleep(0.01)
        assert not any(call.done() for call in calls)
        assert await close_and_check(client, calls) <= CLOSE_PROMPTLY
        assert all(view.closed for view in views)


async def test_a_post_in_flight_says_it_may_have_been_applied(emu: AuraEmulator) -> None:
    def hold_creates(method: str, path: str, seen: int) -> float | None:
        return None if method == "POST" and path == "/v1/instances" else 0.0

    async with SlowProxy(emu.url, hold_creates) as proxy:
        client = _client(emu, proxy.url)
        assert emu.tenant_id is not None
        call = asyncio.create_task(
            client.instances.create(name="x", tenant_id=emu.tenant_id, **INSTANCE_SPEC)
        )
        await proxy.wait_for("POST", "/v1/instances")
        await close_and_check(client, [call])  # type: ignore[list-item]
        assert "may or may not have applied" in str(call.exception())


async def test_calls_queued_in_the_limiter_end_and_free_their_places(emu: AuraEmulator) -> None:
    per = 0.3
    rate = RateLimit(2, per=per)  # the token request and one call fill the window
    async with _client(emu, rate_limit=rate) as other:
        client = _client(emu, rate_limit=rate)
        await client.tenants.list()
        queued = _start(16, client)
        others = _start(1, other)  # same credential: queued behind the 16
        await asyncio.sleep(0.01)
        assert not any(t.done() for t in queued + others)
        assert await close_and_check(client, queued) <= CLOSE_PROMPTLY
        # The other client's call now goes first, when the window frees.
        await asyncio.wait_for(asyncio.gather(*others), 3 * per)
        await _until(lambda: not limiter_pumps(), within=CLOSE_PROMPTLY)
    assert emu.journal.count("GET", TENANTS) == 2  # none of the 16 was sent


async def test_calls_in_a_backoff_end_at_once(emu: AuraEmulator) -> None:
    emu.inject(Fault("GET", TENANTS, status=503, retry_after=30, times=None))
    client = _client(emu, rate_limit=RateLimit(50, per=1.0))
    calls = _start(3, client)
    await _until(lambda: emu.journal.count("GET", TENANTS, 503) == 3)
    await asyncio.sleep(0.01)  # the answers reach the client; its backoff begins
    assert await close_and_check(client, calls) <= CLOSE_PROMPTLY
    await _until(lambda: not limiter_pumps(), within=CLOSE_PROMPTLY)


async def test_calls_in_a_429_cooldown_end_at_once(emu: AuraEmulator) -> None:
    async with _client(emu, rate_limit=RateLimit(50, per=1.0)) as other:
        await other.tenants.list()  # the token is cached for both
        emu.inject(Fault("GET", TENANTS, status=429, retry_after=30))
        client = _client(emu, rate_limit=RateLimit(50, per=1.0))
        first = _start(1, client)
        await _until(lambda: emu.journal.count("GET", TENANTS, 429) == 1)
        await asyncio.sleep(0.01)
        waiting = _start(3, client)  # queued behind the cooldown
        assert await close_and_check(client, first + waiting) <= CLOSE_PROMPTLY
        await _until(lambda: not limiter_pumps(), within=CLOSE_PROMPTLY)


async def test_calls_waiting_for_the_token_end_and_another_client_still_gets_it(
    emu: AuraEmulator,
) -> None:
    """Client A's call starts the token fetch; B's call waits on it; A closes."""

    def hold_first_token(method: str, path: str, seen: int) -> float | None:
        return None if path == TOKEN and seen == 0 else 0.0

    async with SlowProxy(emu.url, hold_first_token) as proxy:
        first = _client(emu, proxy.url, rate_limit=RateLimit(50, per=1.0))
        async with _client(emu, proxy.url, rate_limit=RateLimit(50, per=1.0)) as second:
            mine = _start(3, first)
            await proxy.wait_for("POST", TOKEN)
            theirs = _start(3, second)
            await asyncio.sleep(0.01)
            assert await close_and_check(first, mine) <= CLOSE_PROMPTLY
            # Each ends with the tenants listed (gather would raise the first error).
            await asyncio.wait_for(asyncio.gather(*theirs), 5.0)
    assert proxy.seen("POST", TOKEN) == 2  # the second client fetched on its own session


async def test_a_call_after_close_fails_at_once_and_sends_nothing(emu: AuraEmulator) -> None:
    client = _client(emu)
    await client.tenants.list()
    await client.close()
    sent = len(emu.journal)
    with pytest.raises(ClientClosedError):
        await client.tenants.list()
    assert len(emu.journal) == sent


async def test_every_kind_of_waiting_call_at_once(emu: AuraEmulator) -> None:
    """In flight, in a backoff, queued: one close ends them all; the other client goes on."""

    def hold_instances(method: str, path: str, seen: int) -> float | None:
        return None if path == "/v1/instances" else 0.0

    emu.inject(Fault("GET", "/v1/tenants/*", status=503, retry_after=30, times=None))
    async with SlowProxy(emu.url, hold_instances) as proxy:
        # One limiter for both, as for any clients of one credential; without the
        # cold-start ramp, which would hold the backoff calls behind those in flight.
        limiter = LocalLimiter(RateLimit(6, per=0.5), ramp=False)
        async with _client(emu, proxy.url, limiter=limiter) as other:
            client = _client(emu, proxy.url, limiter=limiter)
            await client.tenants.list()  # the token request and this: two places
            in_flight = [asyncio.create_task(client.instances.list()) for _ in range(2)]
            assert emu.tenant_id is not None
            backoff = [asyncio.create_task(client.tenants.get(emu.tenant_id)) for _ in range(2)]
            await proxy.wait_for("GET", "/v1/instances", 2)
            await _until(lambda: emu.journal.count(path="/v1/tenants/*", status=503) == 2)
            queued = _start(16, client)  # the window is full: these queue
            theirs = _start(2, other)  # behind them
            await asyncio.sleep(0.01)
            calls: list[asyncio.Task[object]] = [*in_flight, *backoff, *queued]  # type: ignore[list-item]
            assert await close_and_check(client, calls) <= CLOSE_PROMPTLY
            # The 16 left the queue: the other client's calls go when the window frees.
            await asyncio.wait_for(asyncio.gather(*theirs), 3.0)
        await _until(lambda: not limiter_pumps(), within=CLOSE_PROMPTLY)
    assert emu.journal.count("GET", TENANTS) == 3  # one before, two of the other client
