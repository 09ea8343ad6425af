"""The in-process limiter, on its own: window, FIFO, cooldown, pacing, cancellation.

Rates are scaled down (windows of a few tenths of a second); assertions are lower
bounds on time (never "it was fast"), orders, and counts, so a loaded machine
can only make them slower, not wrong.
"""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from aura_async._config import RateLimit
from aura_async._lanes import Lane
from aura_async._ratelimit import LocalLimiter, Permit


async def _send_through(
    limiter: LocalLimiter, latency: float, log: list[tuple[float, float]]
) -> None:
    """Acquire, 'send' for ``latency`` seconds, release; record (admitted, completed)."""
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    admitted = loop.time()
    await asyncio.sleep(latency)
    permit.release()
    log.append((admitted, loop.time()))


def _receipts_in_worst_window(
    log: list[tuple[float, float]], per: float, rng: random.Random
) -> int:
    """Place each request's server receipt anywhere in its flight; count the fullest window."""
    receipts = sorted(rng.uniform(admitted, completed) for admitted, completed in log)
    most, start = 0, 0
    for end, t in enumerate(receipts):
        while receipts[start] <= t - per:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_burst_of_the_whole_allowance_is_admitted_without_waiting() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0), ramp=False)
    permits = [await asyncio.wait_for(limiter.acquire(), 1.0) for _ in range(20)]
    assert len(permits) == 20
    assert limiter.sends_in_window() == 20


async def test_the_next_send_waits_a_full_window_after_a_completion() -> None:
    per = 0.2
    limiter = LocalLimiter(RateLimit(3, per=per), ramp=False)
    loop = asyncio.get_running_loop()
    permits = [await limiter.acquire() for _ in range(3)]
    released = loop.time()  # before the first release: the oldest slot frees per after it
    for permit in permits:
        permit.release()
    await limiter.acquire()
    assert loop.time() - released >= per


async def test_an_in_flight_send_holds_its_slot_until_it_completes() -> None:
    limiter = LocalLimiter(RateLimit(1, per=0.05))
    first = await limiter.acquire()
    second = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.12)  # two windows: a time-based slot would have freed
    assert not second.done()
    first.release()
    (await asyncio.wait_for(second, 5.0)).release()


async def test_a_send_that_never_left_frees_its_slot_at_once() -> None:
    limiter = LocalLimiter(RateLimit(1, per=60.0))
    (await limiter.acquire()).release(sent=False)
    permit = await asyncio.wait_for(limiter.acquire(), 1.0)
    permit.release()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_no_window_ever_holds_more_than_the_allowance(seed: int) -> None:
    """Whatever the latencies, receipts placed anywhere in flight never overfill a window."""
    requests, per = 10, 0.15
    limiter = LocalLimiter(RateLimit(requests, per=per))
    rng = random.Random(seed)
    log: list[tuple[float, float]] = []
    latencies = [rng.choice([0.0, 0.001, 0.02, 0.08]) for _ in range(45)]
    await asyncio.wait_for(
        asyncio.gather(*(_send_through(limiter, lat, log) for lat in latencies)), 20.0
    )
    assert len(log) == 45
    for trial in range(20):
        assert _receipts_in_worst_window(log, per, random.Random(trial)) <= requests


async def test_waiters_are_admitted_in_arrival_order() -> None:
    limiter = LocalLimiter(RateLimit(2, per=0.05))
    order: list[int] = []

    async def take(i: int) -> None:
        (await limiter.acquire()).release()
        order.append(i)

    tasks = []
    for i in range(12):
        tasks.append(asyncio.ensure_future(take(i)))
        await asyncio.sleep(0)  # arrive one after another
    await asyncio.wait_for(asyncio.gather(*tasks), 10.0)
    assert order == list(range(12))


async def test_a_cancelled_waiter_frees_its_place_for_the_next() -> None:
    limiter = LocalLimiter(RateLimit(1, per=0.05))
    held = await limiter.acquire()
    doomed = asyncio.ensure_future(limiter.acquire())
    survivor = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    held.release()
    permit = await asyncio.wait_for(survivor, 5.0)
    assert doomed.cancelled()
    assert limiter.sends_in_window() == 1  # the survivor's slot and the expired one only
    permit.release()


async def test_a_cooldown_holds_every_send_until_it_ends() -> None:
    limiter = LocalLimiter(RateLimit(100, per=0.01, burst=100))
    loop = asyncio.get_running_loop()
    start = loop.time()
    limiter.report_rejection(0.1)
    waiters = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    await asyncio.wait_for(asyncio.gather(*waiters), 5.0)
    assert loop.time() - start >= 0.1


async def test_overlapping_cooldowns_end_at_the_later_deadline_not_the_sum() -> None:
    limiter = LocalLimiter(RateLimit(100, per=0.01, burst=100))
    loop = asyncio.get_running_loop()
    start = loop.time()
    limiter.report_rejection(0.3)
    limiter.report_rejection(0.3)  # overlaps: the cooldown still ends 0.3 s from now
    limiter.report_rejection(0.1)  # ends earlier: changes nothing
    await asyncio.wait_for(limiter.acquire(), 5.0)
    elapsed = loop.time() - start
    assert elapsed >= 0.3
    assert elapsed < 0.7  # the sum would be 0.7; the margin absorbs a loaded machine's delay


async def test_the_rejected_call_goes_first_after_the_cooldown() -> None:
    limiter = LocalLimiter(RateLimit(100, per=0.01, burst=100))
    limiter.report_rejection(0.05)
    order: list[str] = []

    async def take(name: str, *, priority: bool = False) -> None:
        await limiter.acquire(priority=priority)
        order.append(name)

    waiting = [asyncio.ensure_future(take(f"w{i}")) for i in range(3)]
    await asyncio.sleep(0)
    retry = asyncio.ensure_future(take("rejected", priority=True))
    await asyncio.wait_for(asyncio.gather(*waiting, retry), 5.0)
    assert order[0] == "rejected"


async def test_a_429_below_the_allowance_switches_to_paced_sending() -> None:
    limiter = LocalLimiter(RateLimit(50, per=1.0))
    for _ in range(5):
        (await limiter.acquire()).release()
    assert not limiter.paced
    limiter.report_rejection(0.0)
    assert limiter.paced  # 5 sends < 50 allowed: the server is stricter than a sliding log


async def test_the_first_429_of_a_full_burst_switches_at_once() -> None:
    # A whole window's burst is in flight; its first answer is a 429. The server
    # cannot have accepted a full window yet: it is stricter than a sliding log.
    limiter = LocalLimiter(RateLimit(50, per=1.0), ramp=False)
    permits = [await limiter.acquire() for _ in range(50)]
    permits[0].release()
    limiter.report_rejection(0.0)
    assert limiter.paced


async def test_paced_sending_spaces_sends_by_the_average_interval() -> None:
    # burst 1 of 10 per 0.5 s: one send per 0.05 s at most.
    limiter = LocalLimiter(RateLimit(10, per=0.5, burst=1))
    loop = asyncio.get_running_loop()
    times = []
    for _ in range(4):
        (await asyncio.wait_for(limiter.acquire(), 5.0)).release(sent=False)
        times.append(loop.time())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.05 * 0.9 for gap in gaps), gaps


async def test_ten_thousand_waiters_all_get_through_in_order() -> None:
    limiter = LocalLimiter(RateLimit(1, per=60.0))  # one in flight at a time
    held = await limiter.acquire()
    order: list[int] = []

    async def take(i: int) -> None:
        (await limiter.acquire()).release(sent=False)
        order.append(i)

    tasks = [asyncio.ensure_future(take(i)) for i in range(10_000)]
    await asyncio.sleep(0)
    held.release(sent=False)
    await asyncio.wait_for(asyncio.gather(*tasks), 30.0)
    assert order == list(range(10_000))


async def test_an_unanswered_send_holds_its_slot_as_long_again_as_it_was_in_flight() -> None:
    """It may still reach the server: a proxy that held it that long can hold it as long again."""
    per, in_flight = 0.1, 0.15
    limiter = LocalLimiter(RateLimit(1, per=per))
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    await asyncio.sleep(in_flight)
    released = loop.time()
    permit.release(answered=False)
    (await asyncio.wait_for(limiter.acquire(), 5.0)).release()
    assert loop.time() - released >= per + in_flight


async def _admitted_now(limiter: LocalLimiter, tasks: list[asyncio.Future[Permit]]) -> int:
    """Let the pump run; return how many of ``tasks`` hold a permit."""
    for _ in range(5):
        await asyncio.sleep(0)
    return sum(task.done() for task in tasks)


async def test_a_cold_limiter_ramps_up_in_doubling_waves_as_answers_arrive() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0))
    tasks = [asyncio.ensure_future(limiter.acquire()) for _ in range(12)]
    released = 0
    for wave in (1, 2, 4):
        assert await _admitted_now(limiter, tasks) == released + wave
        assert (await limiter.stats()).ramping
        for task in tasks[released : released + wave]:
            task.result().release()
        released += wave
    assert await _admitted_now(limiter, tasks) == 12  # the wave of 8 takes the last 5
    for task in tasks[released:]:
        task.result().release()


async def test_one_call_at_a_time_never_waits_for_the_ramp() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0))
    for _ in range(15):
        acquiring = asyncio.ensure_future(limiter.acquire())
        assert await _admitted_now(limiter, [acquiring]) == 1
        acquiring.result().release()
    assert limiter.ramping  # no evidence of the window yet: a burst still ramps
    held = await limiter.acquire()
    assert await _admitted_now(limiter, [asyncio.ensure_future(limiter.acquire())]) == 1
    assert await _admitted_now(limiter, [asyncio.ensure_future(limiter.acquire())]) == 0
    held.release()


async def test_beside_a_bulk_backlog_an_interactive_call_takes_the_reserve_not_the_wave() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0, reserve=2))  # the first wave: 1 send
    bulk = [asyncio.ensure_future(limiter.acquire(lane=Lane.BULK)) for _ in range(5)]
    assert await _admitted_now(limiter, bulk) == 1
    interactive = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    # Two go at once (the reserve), without waiting for the bulk wave's answer.
    assert await _admitted_now(limiter, interactive) == 2
    assert limiter.ramping
    for task in [*bulk[:1], *interactive[:2]]:
        task.result().release()
    # The wave grows by the sends it accepted, the interactive ones included.
    assert await _admitted_now(limiter, interactive) == 3
    for task in [*bulk, *interactive[2:]]:
        (await asyncio.wait_for(task, 1.0)).release()


async def test_a_burst_of_interactive_calls_alone_ramps_as_before() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0, reserve=2))
    tasks = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    assert await _admitted_now(limiter, tasks) == 1  # no bulk backlog: no reserve taken
    for task in tasks:
        (await asyncio.wait_for(task, 1.0)).release()


@pytest.mark.parametrize("outcome", ["not sent", "no answer"])
async def test_a_send_that_got_no_answer_gives_its_wave_place_back(outcome: str) -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0))
    first = await limiter.acquire()
    second = asyncio.ensure_future(limiter.acquire())
    assert await _admitted_now(limiter, [second]) == 0
    first.release(sent=outcome != "not sent", answered=False)
    assert await _admitted_now(limiter, [second]) == 1
    assert limiter.ramping  # and proves nothing: the wave is still 1 wide
    third = asyncio.ensure_future(limiter.acquire())
    assert await _admitted_now(limiter, [third]) == 0
    second.result().release()
    (await asyncio.wait_for(third, 1.0)).release()


async def test_a_429_or_a_full_window_accepted_ends_the_ramp() -> None:
    rejected = LocalLimiter(RateLimit(20, per=30.0))
    (await rejected.acquire()).release()
    rejected.report_rejection(0.0)
    assert not rejected.ramping
    full = LocalLimiter(RateLimit(3, per=30.0))
    for _ in range(3):
        assert full.ramping
        (await asyncio.wait_for(full.acquire(), 1.0)).release()
    assert not full.ramping
    assert not (await full.stats()).ramping
    assert not LocalLimiter(RateLimit(20, per=30.0, burst=2)).ramping  # paced from the start


async def test_a_straggler_does_not_hold_the_ramp_until_it_ends() -> None:
    limiter = LocalLimiter(RateLimit(20, per=30.0))
    (await limiter.acquire()).release()
    straggler, other = await limiter.acquire(), await limiter.acquire()  # the wave of 2
    third = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.02)
    other.release()
    # As long again as the wave took (0.02 s), then the next wave, the straggler in it.
    (await asyncio.wait_for(third, 5.0)).release()
    assert limiter.ramping
    straggler.release()
