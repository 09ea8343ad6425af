"""The shared limiter against the emulator's server-side limits, over loopback.

Scales: 125 requests per 1.0 s on both sides. The limiter accounts for each
request from admission until its answer arrives, so no network or scheduling
jitter can push two sends into one server window: the guarantee does not depend
on a timing margin, and these tests hold on a loaded machine.
"""

from __future__ import annotations

import asyncio

import pytest

from aura_async import AuraClient, RateLimit
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.conftest import make_client

PER = 1.0
LIMIT = 125


async def _burst(client: AuraClient, calls: int) -> None:
    await asyncio.gather(*(client.tenants.list() for _ in range(calls)))


@pytest.mark.parametrize(
    "server",
    [
        ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional"),
        ServerRateLimit("fixed-window", requests=LIMIT, per=PER, retry_after="fractional"),
        ServerRateLimit(
            "token-bucket", requests=LIMIT, per=PER, capacity=LIMIT, retry_after="fractional"
        ),
    ],
    ids=["sliding-log", "fixed-window", "token-bucket-125"],
)
async def test_concurrent_calls_never_draw_a_429(server: ServerRateLimit) -> None:
    async with AuraEmulator(rate_limit=server) as emu:
        async with make_client(emu, rate_limit=RateLimit(LIMIT, per=PER)) as client:
            await asyncio.wait_for(_burst(client, 300), 30.0)
        assert emu.journal.rate_limited_count() == 0
        assert emu.journal.max_in_window(PER, include_rejected=True) <= LIMIT
        assert emu.journal.count(path="/v1/tenants") == 300


async def test_a_stricter_token_bucket_costs_a_few_429s_then_pacing_gets_none() -> None:
    server = ServerRateLimit(
        "token-bucket", requests=LIMIT, per=PER, capacity=10, retry_after="fractional"
    )
    async with AuraEmulator(rate_limit=server) as emu:
        async with make_client(emu, rate_limit=RateLimit(LIMIT, per=PER)) as client:
            await asyncio.wait_for(_burst(client, 60), 30.0)
            first_run = emu.journal.rate_limited_count()
            await asyncio.wait_for(_burst(client, 60), 30.0)
        assert 0 < first_run <= 60
        assert emu.journal.rate_limited_count() == first_run  # none once paced


async def test_clients_of_one_credential_in_one_loop_share_one_limiter() -> None:
    server = ServerRateLimit("sliding-log", requests=20, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        rate = RateLimit(20, per=PER)
        async with (
            make_client(emu, rate_limit=rate) as one,
            make_client(emu, rate_limit=rate) as two,
        ):
            await asyncio.wait_for(asyncio.gather(_burst(one, 30), _burst(two, 30)), 30.0)
        assert emu.journal.rate_limited_count() == 0
        assert emu.journal.max_in_window(PER, include_rejected=True) <= 20


async def test_a_429_from_elsewhere_pauses_every_coroutine_for_retry_after() -> None:
    """Another, unlimited client spends the allowance; ours must wait it out, all at once."""
    server = ServerRateLimit("sliding-log", requests=20, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        async with make_client(emu) as greedy:
            await _burst(greedy, 19)  # with its token request: the whole window
        async with make_client(emu, rate_limit=RateLimit(20, per=PER)) as ours:
            await asyncio.wait_for(_burst(ours, 10), 30.0)
        entries = emu.journal.entries
        ours_entries = entries[20:]
        first_429 = next(e for e in ours_entries if e.rate_limited)
        successes = [e for e in ours_entries if e.status == 200 and e.path == "/v1/tenants"]
        assert len(successes) == 10
        # The window frees when the greedy client's first request is PER old.
        frees_at = entries[0].time + PER
        # Requests already in flight when the first 429 arrived may land just after
        # it; nothing else may be sent until the cooldown ends.
        quiet_from, quiet_to = first_429.time + 0.2, frees_at - 0.02
        assert quiet_to > quiet_from
        assert not [e for e in ours_entries if quiet_from < e.time < quiet_to]
