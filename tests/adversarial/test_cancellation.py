"""Cancellation from every side: storms of random cancels, cancelled waiters, token waiters.

- 5,000 calls queued in the limiter and cancelled are let go at once, not kept
  until the call at the head of the queue is served.
- Random cancellation over several seeds (queued, in flight, in a backoff) loses
  no limiter slot and never lets more than the limit reach the server in any window.
- 1,000 cold calls with every other one cancelled (the one that started the token
  fetch among them) still make exactly one token request.
"""

from __future__ import annotations

import asyncio
import gc
import random

import pytest

from aura_async import AuraClient, RateLimit, RetryPolicy
from aura_async.testing import AuraEmulator, Fault, ServerRateLimit

FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.005)


def _client(emu: AuraEmulator, **options: object) -> AuraClient:
    options.setdefault("retry", FAST)
    return AuraClient(
        emu.client_id,
        emu.client_secret,
        base_url=emu.url,
        **options,  # type: ignore[arg-type]
    )


def _live_futures() -> int:
    """Futures (not tasks) still referenced by anything: a leak shows here."""
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, asyncio.Future) and not isinstance(o, asyncio.Task)
    )


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_five_thousand_cancelled_waiters_are_let_go_at_once() -> None:
    async with (
        AuraEmulator(rate_limit=None) as emu,
        _client(emu, rate_limit=RateLimit(2, per=60.0)) as client,
    ):
        await client.tenants.list()  # with the token request: the window is full
        head = asyncio.create_task(client.tenants.list())  # waits a whole minute
        await _settle()
        before = _live_futures()
        crowd = [asyncio.create_task(client.tenants.list()) for _ in range(5000)]
        await _settle()
        for task in crowd:
            task.cancel()
        await asyncio.gather(*crowd, return_exceptions=True)
        await _settle()
        del crowd
        assert _live_futures() - before < 100  # not 5,000 until the head is served
        assert not head.done()
        head.cancel()
        await asyncio.gather(head, return_exceptions=True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
async def test_a_cancellation_storm_loses_no_slot_and_never_exceeds_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    limit, per = 10, 0.3
    server = ServerRateLimit("sliding-log", requests=limit, per=per, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        # Some requests are slow (cancelled in flight), some answered 503 (cancelled in a backoff).
        emu.inject(
            Fault("GET", "/v1/tenants", latency=0.05, probability=0.3, seed=seed, times=None)
        )
        emu.inject(Fault("GET", "/v1/tenants", status=503, probability=0.1, seed=seed, times=None))
        # Retried enough that a run of 503s never fails a call outright.
        retry = RetryPolicy(max_retries=8, backoff_base=0.001, backoff_cap=0.005)
        async with _client(emu, rate_limit=RateLimit(limit, per=per), retry=retry) as client:
            calls = [asyncio.create_task(client.tenants.list()) for _ in range(60)]
            loop = asyncio.get_running_loop()
            for task in rng.sample(calls, 30):
                loop.call_later(rng.uniform(0.0, 1.0), task.cancel)
            results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 30.0)
            cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
            failed = [r for r in results if isinstance(r, Exception)]
            assert not failed
            assert 0 < cancelled <= 30
            emu.clear_faults()
            # No slot is lost: once every hold has passed, a whole window's worth is
            # admitted at once (a lost slot would keep the last one waiting forever).
            await asyncio.sleep(2 * per)
            loop_start = loop.time()
            await asyncio.wait_for(
                asyncio.gather(*(client.tenants.list() for _ in range(limit))), 5.0
            )
            assert loop.time() - loop_start < per
        assert emu.journal.rate_limited_count() == 0
        assert emu.journal.max_in_window(per, include_rejected=True) <= limit


async def test_one_token_fetch_for_a_thousand_cold_calls_with_half_cancelled() -> None:
    async with AuraEmulator(rate_limit=None) as emu:
        emu.inject(Fault("POST", "/oauth/token", latency=0.05))
        async with _client(emu, rate_limit=RateLimit(2000, per=60.0)) as client:
            calls = [asyncio.create_task(client.tenants.list()) for _ in range(1000)]
            await asyncio.sleep(0.01)  # every call now waits for the one fetch
            for task in calls[::2]:  # the one that started the fetch among them
                task.cancel()
            results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 30.0)
        assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 500
        assert all(r is not None and not isinstance(r, Exception) for r in results[1::2])
        assert emu.journal.token_requests() == 1
        assert emu.journal.count("GET", "/v1/tenants") == 500
