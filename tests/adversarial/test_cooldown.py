"""Every 429 starts the credential's cooldown, whether or not the call retries.

The call that got the 429 may give up at once (no retries, a Retry-After longer
than ``retry_after_max``, ``retry_rejected_posts=False``, its last retry used), but
the server has said the credential is over its limit: every other coroutine of the
credential waits the cooldown out before sending. Measured on the emulator's
journal (server receipt times): the next request arrives no sooner than the
cooldown after the 429 was answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aura_async import AuraClient, RateLimit, RateLimitError, RetryPolicy
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import INSTANCE_SPEC

COOLDOWN = 0.3
TENANTS = "/v1/tenants"
INSTANCES = "/v1/instances"


@pytest.fixture
async def emu() -> AsyncIterator[AuraEmulator]:
    """An emulator with no server rate limit (the 429s are injected)."""
    async with AuraEmulator(rate_limit=None) as emulator:
        yield emulator


async def _rejected(client: AuraClient, emu: AuraEmulator, method: str) -> None:
    """List (GET) or create (POST) instances: the call the injected 429 hits."""
    if method == "GET":
        await client.instances.list()
        return
    assert emu.tenant_id is not None
    await client.instances.create(name="x", tenant_id=emu.tenant_id, **INSTANCE_SPEC)


@pytest.mark.parametrize(
    ("method", "retry", "faults", "cooldown"),
    [
        pytest.param("GET", RetryPolicy(max_retries=0), 1, COOLDOWN, id="no-retries"),
        pytest.param(
            "GET",
            RetryPolicy(max_retries=3, retry_after_max=COOLDOWN),
            1,
            COOLDOWN,  # Retry-After 30 s is too long to wait: the cooldown is capped
            id="retry-after-too-long",
        ),
        pytest.param(
            "POST", RetryPolicy(retry_rejected_posts=False), 1, COOLDOWN, id="posts-not-retried"
        ),
        pytest.param(
            "GET",
            RetryPolicy(max_retries=1, backoff_base=0.001, backoff_cap=0.001),
            2,
            COOLDOWN,
            id="last-retry",
        ),
    ],
)
async def test_a_429_that_is_not_retried_still_pauses_every_other_call(
    emu: AuraEmulator, method: str, retry: RetryPolicy, faults: int, cooldown: float
) -> None:
    retry_after: float = 30.0 if retry.retry_after_max < 30 else COOLDOWN
    async with AuraClient(
        emu.client_id,
        emu.client_secret,
        base_url=emu.url,
        rate_limit=RateLimit(100, per=1.0),
        retry=retry,
    ) as client:
        await client.tenants.list()  # the token is cached: only the calls below remain
        emu.inject(Fault(method, INSTANCES, status=429, retry_after=retry_after, times=faults))
        with pytest.raises(RateLimitError):
            await _rejected(client, emu, method)
        # Other coroutines of the credential, right after the 429.
        await asyncio.wait_for(asyncio.gather(*(client.tenants.list() for _ in range(5))), 5.0)
    last_429 = emu.journal.select(status=429)[-1]
    after = [e for e in emu.journal.select(path=TENANTS) if e.time > last_429.time]
    assert len(after) == 5
    assert min(e.time for e in after) - last_429.time >= cooldown


async def test_a_429_from_another_client_of_the_credential_pauses_this_one(
    emu: AuraEmulator,
) -> None:
    rate = RateLimit(100, per=1.0)
    options = {"base_url": emu.url, "rate_limit": rate, "retry": RetryPolicy(max_retries=0)}
    async with (
        AuraClient(emu.client_id, emu.client_secret, **options) as first,  # type: ignore[arg-type]
        AuraClient(emu.client_id, emu.client_secret, **options) as second,  # type: ignore[arg-type]
    ):
        await first.tenants.list()
        emu.inject(Fault("GET", INSTANCES, status=429, retry_after=COOLDOWN))
        with pytest.raises(RateLimitError):
            await first.instances.list()
        await asyncio.wait_for(second.tenants.list(), 5.0)
    rejected = emu.journal.select(status=429)[0]
    later = emu.journal.select(path=TENANTS)[-1]
    assert later.time - rejected.time >= COOLDOWN
