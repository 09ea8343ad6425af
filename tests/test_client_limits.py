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


async def _failures(client: AuraClient, calls: int) -> list[BaseException]:
    outcomes = await asyncio.gather(
        *(client.tenants.list() for _ in range(calls)), return_exceptions=True
    )
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]


# The cold-start ramp finds a stricter server after at most 5 429s while a round trip
# is shorter than the time the server takes to refill 2 tokens (2 * per / requests),
# and after at most 14 beyond that. Real Aura: 0.96 s. Here: 96 ms, so that a loaded
# machine's loopback round trips stay well under it.
STRICT_PER = 6.0


async def test_a_cold_burst_against_a_bucket_of_10_costs_at_most_10_429s_then_none() -> None:
    server = ServerRateLimit(
        "token-bucket", requests=LIMIT, per=STRICT_PER, capacity=10, retry_after="fractional"
    )
    async with AuraEmulator(rate_limit=server) as emu:
        async with make_client(emu, rate_limit=RateLimit(LIMIT, per=STRICT_PER)) as client:
            failed = await asyncio.wait_for(_failures(client, 40), 30.0)
            first_run = emu.journal.rate_limited_count()
            failed += await asyncio.wait_for(_failures(client, 10), 30.0)
        assert failed == []
        assert 0 < first_run <= 10  # a 429 found the stricter server, a few more came
        assert emu.journal.rate_limited_count() == first_run  # none once paced
        assert emu.journal.count(path="/v1/tenants", status=200) == 50


# Its count depends on the ramp's seven waves of round trips fitting in one window:
# it runs at normal priority beside the other timed tests.
@pytest.mark.slow(group="slow-waits")
async def test_the_ramp_leaves_the_first_window_of_a_sliding_log_full() -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        async with make_client(emu, rate_limit=RateLimit(LIMIT, per=PER)) as client:
            await asyncio.wait_for(_burst(client, LIMIT + 20), 30.0)
        first = emu.journal.entries[0].time
        in_first_window = [e for e in emu.journal.entries if e.time < first + PER]
        # The waves (1, 2, 4, ... 64) go out within the window: none of it is lost.
        assert len(in_first_window) == LIMIT
        assert emu.journal.rate_limited_count() == 0


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
