"""Lanes in the in-process limiter: order, reserve, deadlines, statistics.

Windows are scaled down; the orders and counts asserted cannot be changed by a
loaded machine, and times are only ever lower bounds.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from aura_async import AdmissionTimeoutError, AuraConfigurationError, Lane, LimiterStats
from aura_async._config import RateLimit
from aura_async._lanes import as_lane, estimate_wait
from aura_async._ratelimit import LocalLimiter

NOW = 100.0
PER = 10.0


@pytest.mark.parametrize(
    ("position", "limit", "in_flight", "answered", "extra", "wait"),
    [
        (0, 3, 0, [], {}, 0.0),  # an empty window admits at once
        (2, 3, 0, [], {}, 0.0),
        (3, 3, 0, [], {}, PER),  # the 4th waits for the 1st, a window after it
        (5, 3, 0, [], {}, PER),
        (6, 3, 0, [], {}, 2 * PER),
        (0, 3, 0, [95.0, 97.0, 99.0], {}, 5.0),  # the oldest answer frees first
        (2, 3, 0, [95.0, 97.0, 99.0], {}, 9.0),
        (3, 3, 0, [95.0, 97.0, 99.0], {}, 15.0),  # then its own slot, a window later
        (0, 3, 3, [], {}, PER),  # in flight: taken as answered now
        (0, 3, 1, [95.0], {}, 0.0),
        (1, 3, 1, [95.0], {}, 5.0),  # answered sends free before those in flight
        (2, 3, 1, [95.0], {}, PER),
        (5, 3, 0, [95.0], {}, PER + 5.0),
        (0, 2, 0, [95.0, 96.0], {}, 5.0),  # a bulk call's limit leaves the reserve
        (0, 3, 0, [89.5], {}, 0.0),  # an answer older than a window frees at once
        (0, 3, 0, [], {"cooldown": 30.0}, 30.0),
        (3, 3, 0, [], {"cooldown": 4.0}, PER),  # the longer of cooldown and window
        (1, 3, 0, [], {"pace": (2, 0.5)}, 0.0),  # paced: a burst of 2, then 1 per 0.5 s
        (2, 3, 0, [], {"pace": (2, 0.5)}, 0.5),
        (5, 9, 0, [], {"pace": (2, 0.5)}, 2.0),
    ],
)
def test_estimate_wait(
    position: int,
    limit: int,
    in_flight: int,
    answered: list[float],
    extra: dict[str, object],
    wait: float,
) -> None:
    estimated = estimate_wait(
        position=position,
        limit=limit,
        per=PER,
        in_flight=in_flight,
        answered_at=answered,
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )
    assert estimated == pytest.approx(wait)


@pytest.mark.parametrize(
    ("value", "lane"),
    [(Lane.BULK, Lane.BULK), ("bulk", Lane.BULK), ("interactive", Lane.INTERACTIVE)],
)
def test_as_lane_takes_a_member_or_its_value(value: object, lane: Lane) -> None:
    assert as_lane(value) is lane


@pytest.mark.parametrize("value", ["BULK", "batch", None, 1])
def test_as_lane_refuses_anything_else(value: object) -> None:
    with pytest.raises(AuraConfigurationError, match="lane must be a Lane"):
        as_lane(value)


async def _full(limiter: LocalLimiter, slots: int, lane: Lane = Lane.INTERACTIVE) -> None:
    """Fill ``slots`` slots with sends answered now (they free one window later).

    One at a time: a cold limiter's ramp would hold a burst back.
    """
    for _ in range(slots):
        (await limiter.acquire(lane=lane)).release()


async def _admission_order(
    limiter: LocalLimiter,
    queued: list[tuple[str, Lane, bool]],
    cancel: frozenset[str] = frozenset(),
) -> list[str]:
    """Queue the named acquires in this order (cancelling some); return the admission order."""
    order: list[str] = []

    async def one(name: str, lane: Lane, priority: bool) -> None:
        (await limiter.acquire(lane=lane, priority=priority)).release()
        order.append(name)

    tasks = {name: asyncio.ensure_future(one(name, lane, prio)) for name, lane, prio in queued}
    await asyncio.sleep(0)  # every one queued, in this order
    for name in cancel:
        tasks[name].cancel()
    await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), 10.0)
    return order


async def test_interactive_waiters_go_first_fifo_within_each_lane_priority_at_its_head() -> None:
    limiter = LocalLimiter(RateLimit(2, per=0.1, reserve=0))
    await _full(limiter, 2)
    queued = [
        ("b1", Lane.BULK, False),
        ("i1", Lane.INTERACTIVE, False),
        ("b2", Lane.BULK, False),
        ("b-resend", Lane.BULK, True),
        ("i2", Lane.INTERACTIVE, False),
        ("i-resend", Lane.INTERACTIVE, True),
    ]
    order = await _admission_order(limiter, queued)
    assert order == ["i-resend", "i1", "i2", "b-resend", "b1", "b2"]


async def test_cancelled_waiters_of_both_lanes_free_their_places() -> None:
    limiter = LocalLimiter(RateLimit(1, per=0.1))
    await _full(limiter, 1)
    queued = [(f"{lane}{n}", lane, False) for lane in Lane for n in range(3)]
    cancel = frozenset({"interactive0", "bulk1"})
    order = await _admission_order(limiter, queued, cancel)
    assert order == ["interactive1", "interactive2", "bulk0", "bulk2"]
    assert limiter.waiting == 0


async def test_bulk_calls_leave_the_reserve_to_interactive_ones() -> None:
    per = 0.3
    limiter = LocalLimiter(RateLimit(4, per=per, reserve=1))
    loop = asyncio.get_running_loop()
    await _full(limiter, 3, Lane.BULK)
    answered = loop.time()
    fourth_bulk = asyncio.ensure_future(limiter.acquire(lane=Lane.BULK))
    interactive = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    assert interactive.done()  # admitted at once: the reserve was free
    assert not fourth_bulk.done()
    (await interactive).release()
    (await asyncio.wait_for(fourth_bulk, 5.0)).release()
    assert loop.time() >= answered + per  # it waited for the window to roll


async def test_a_call_that_cannot_be_admitted_before_its_deadline_fails_at_once() -> None:
    limiter = LocalLimiter(RateLimit(2, per=60.0))
    await _full(limiter, 2)
    started = time.monotonic()
    with pytest.raises(AdmissionTimeoutError) as caught:
        await limiter.acquire(deadline=time.monotonic() + 1.0)
    assert 59.0 < caught.value.estimated_wait <= 60.01
    assert 0.0 < caught.value.deadline <= 1.0
    assert "estimated wait of 60" in str(caught.value) or "estimated wait of 59" in str(
        caught.value
    )
    assert limiter.waiting == 0  # it took no place
    patient = asyncio.ensure_future(limiter.acquire(deadline=time.monotonic() + 120.0))
    await asyncio.sleep(0)
    assert not patient.done()  # a long enough deadline queues
    assert limiter.waiting == 1
    patient.cancel()
    assert (await limiter.stats()).admission_timeouts == 1
    assert time.monotonic() - started < 5.0


async def test_stats_report_the_queues_window_and_counters() -> None:
    limiter = LocalLimiter(RateLimit(3, per=60.0))
    await _full(limiter, 3)
    queued = [asyncio.ensure_future(limiter.acquire(lane=lane)) for lane in (*Lane, Lane.BULK)]
    resend = asyncio.ensure_future(limiter.acquire(priority=True))
    limiter.report_rejection(30.0)
    with pytest.raises(AdmissionTimeoutError):
        await limiter.acquire(deadline=time.monotonic() + 1.0)
    await asyncio.sleep(0)
    stats = await limiter.stats()
    assert 29.0 < stats.cooldown_remaining <= 30.0
    expected = LimiterStats(
        queued_interactive=2,
        queued_bulk=2,
        sends_in_window=3,
        limit=3,
        per=60.0,
        cooldown_remaining=stats.cooldown_remaining,
        paced=True,  # a 429 with room left in the window: the server is stricter
        ramping=False,
        rejections=1,
        resends=1,
        admission_timeouts=1,
    )
    assert stats == expected
    for task in [*queued, resend]:
        task.cancel()
    await asyncio.gather(*queued, resend, return_exceptions=True)
    assert ((await limiter.stats()).queued_interactive, (await limiter.stats()).queued_bulk) == (
        0,
        0,
    )
