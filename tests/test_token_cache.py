"""The token cache on its own: single flight, early refresh, compare-and-invalidate."""

from __future__ import annotations

import asyncio

import pytest

from aura_async._auth import Token, TokenCache, TokenGrant, refresh_lead
from aura_async._errors import AuraConnectionError


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFetch:
    """A token endpoint stand-in: counts calls, can be slowed or made to fail."""

    def __init__(self, clock: FakeClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def __call__(self) -> TokenGrant:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise AuraConnectionError("token endpoint down")
        return TokenGrant(value=f"token-{self.calls}", lifetime=self.lifetime)


@pytest.mark.parametrize(
    ("lifetime", "lead"),
    [(3600.0, 60.0), (600.0, 60.0), (300.0, 30.0), (10.0, 1.0)],
)
def test_refresh_lead_is_a_minute_or_a_tenth_of_short_lifetimes(
    lifetime: float, lead: float
) -> None:
    assert refresh_lead(lifetime) == lead


def test_the_token_value_is_not_in_repr() -> None:
    token = Token(value="s3cr3t-token-value", expires_at=1.0, lifetime=1.0)
    assert "s3cr3t" not in repr(token)
    assert "s3cr3t" not in repr(TokenGrant(value="s3cr3t-token-value", lifetime=1.0))
    assert "s3cr3t" not in repr(TokenCache())


async def test_a_thousand_cold_callers_cause_one_fetch() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock)
    fetch.gate = asyncio.Event()
    cache = TokenCache(clock=clock)
    callers = [asyncio.ensure_future(cache.token(fetch)) for _ in range(1000)]
    await asyncio.sleep(0)
    fetch.gate.set()
    tokens = await asyncio.wait_for(asyncio.gather(*callers), 10.0)
    assert fetch.calls == 1
    assert {t.value for t in tokens} == {"token-1"}


async def test_a_token_is_reused_until_its_refresh_time_then_refreshed_once() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock, lifetime=3600.0)
    cache = TokenCache(clock=clock)
    first = await cache.token(fetch)
    clock.now += 3600.0 - 60.0 - 1.0
    assert await cache.token(fetch) is first
    clock.now += 2.0  # inside the refresh lead, not yet expired
    refreshed = await asyncio.gather(*(cache.token(fetch) for _ in range(50)))
    assert fetch.calls == 2
    assert {t.value for t in refreshed} == {"token-2"}


async def test_a_failed_early_refresh_keeps_the_still_valid_token() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock, lifetime=100.0)
    cache = TokenCache(clock=clock)
    first = await cache.token(fetch)
    clock.now += 95.0  # due for refresh (lead 10 s), still valid
    fetch.fail = True
    assert await cache.token(fetch) is first


async def test_a_failed_fetch_without_a_usable_token_raises_to_every_waiter() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock)
    fetch.fail = True
    cache = TokenCache(clock=clock)
    results = await asyncio.gather(*(cache.token(fetch) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, AuraConnectionError) for r in results)
    assert fetch.calls == 1


async def test_invalidate_drops_only_the_token_that_failed() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock)
    cache = TokenCache(clock=clock)
    old = await cache.token(fetch)
    cache.invalidate(old)
    new = await cache.token(fetch)
    cache.invalidate(old)  # a late report about the old token: the new one stays
    assert await cache.token(fetch) is new
    assert fetch.calls == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch() -> None:
    clock = FakeClock()
    fetch = CountingFetch(clock)
    fetch.gate = asyncio.Event()
    cache = TokenCache(clock=clock)
    impatient = asyncio.ensure_future(cache.token(fetch))
    patient = asyncio.ensure_future(cache.token(fetch))
    await asyncio.sleep(0)
    impatient.cancel()
    fetch.gate.set()
    token = await asyncio.wait_for(patient, 5.0)
    assert token.value == "token-1"
    assert fetch.calls == 1
