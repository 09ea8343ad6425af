"""One token for every coroutine: cold start, early refresh, rejection, bad credentials."""

from __future__ import annotations

import asyncio

import pytest

from aura_async import AuraClient, AuraTimeoutError, AuthenticationError
from aura_async._auth import TokenCache
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client


class FakeClock:
    """The token cache's clock, moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_thousand_concurrent_cold_calls_fetch_one_token(emu: AuraEmulator) -> None:
    async with make_client(emu) as client:
        await asyncio.wait_for(asyncio.gather(*(client.tenants.list() for _ in range(1000))), 60.0)
    assert emu.journal.token_requests() == 1
    assert emu.journal.count(path="/v1/tenants", status=200) == 1000


async def test_a_token_about_to_expire_is_refreshed_once_ahead_of_time(
    emu: AuraEmulator,
) -> None:
    clock = FakeClock()
    async with make_client(emu, token_provider=TokenCache(clock=clock)) as client:
        await client.tenants.list()
        clock.now += 3600 - 61  # just before the refresh lead
        await client.tenants.list()
        assert emu.journal.token_requests() == 1
        clock.now += 2  # inside the last minute: refresh, once, for everyone
        await asyncio.gather(*(client.tenants.list() for _ in range(100)))
    assert emu.journal.token_requests() == 2
    assert emu.journal.count(status=401) == 0


@pytest.mark.parametrize("status", [401, 403])
async def test_a_rejected_token_is_replaced_once_without_a_stampede(status: int) -> None:
    async with AuraEmulator(rate_limit=None, expired_token_status=status) as emu:
        async with make_client(emu) as client:
            await client.tenants.list()
            emu.expire_tokens()
            await asyncio.gather(*(client.tenants.list() for _ in range(50)))
        assert emu.journal.token_requests() == 2
        assert emu.journal.count(path="/v1/tenants", status=200) == 51


async def test_bad_credentials_raise_at_once_without_a_retry_loop(emu: AuraEmulator) -> None:
    async with AuraClient(
        emu.client_id, "not-the-secret", base_url=emu.url, rate_limit=None
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.tenants.list()
    assert caught.value.status == 401
    assert emu.journal.token_requests() == 1
    assert emu.journal.count(path="/v1/tenants") == 0


async def test_revoked_credentials_raise_authentication_error(emu: AuraEmulator) -> None:
    async with make_client(emu) as client:
        await client.tenants.list()
        emu.revoke(emu.client_id)
        with pytest.raises(AuthenticationError):
            await client.tenants.list()


# The token endpoint answers this late; the hurried view gives up long before.
TOKEN_LATENCY = 0.1
HURRIED_DEADLINE = 0.02


async def test_a_hurried_view_does_not_fail_the_token_fetch_others_wait_for() -> None:
    """The one token fetch in flight is shared: it must not end at its starter's deadline.

    Found by the soak: a call made through ``with_options(timeout=0.05)`` started the
    refresh after a token expiry, the fetch inherited that deadline, and every call
    waiting for the token (deadline 5 s) failed with AuraTimeoutError after 0.05 s.
    """
    async with AuraEmulator(rate_limit=None) as emu:
        emu.inject(Fault("POST", "/oauth/token", latency=TOKEN_LATENCY))
        async with AuraClient(
            emu.client_id, emu.client_secret, base_url=emu.url, rate_limit=None, timeout=10.0
        ) as client:
            hurried = client.with_options(timeout=HURRIED_DEADLINE)
            started = asyncio.create_task(hurried.tenants.list())
            await asyncio.sleep(0)  # the hurried call starts the fetch
            tenants = await asyncio.wait_for(client.tenants.list(), 10.0)
            with pytest.raises(AuraTimeoutError):
                await started
        assert [t.id for t in tenants] == [emu.tenant_id]
        assert emu.journal.token_requests() == 1
