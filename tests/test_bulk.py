"""bulk_map / bulk_as_completed: order, isolation, bounds, cancellation, laziness, and a
1,000-call run against the rate-limited emulator over loopback.

The unit tests use plain coroutine functions that yield to the loop (``sleep(0)``)
or wait on events, so they never sleep for real and do not depend on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from aura_async import (
    AuraError,
    AuraValidationError,
    ConflictError,
    NotFoundError,
    RateLimit,
)
from aura_async._bulk import BulkProgress, BulkResult, Err, Ok, bulk_as_completed, bulk_map
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.conftest import make_client

# Generous: a condition reached in a few loop turns gets thousands to get there.
MAX_TURNS = 5_000


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until ``condition()`` holds (bounded)."""
    for _ in range(MAX_TURNS):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def turns(count: int) -> None:
    """Yield to the loop ``count`` times."""
    for _ in range(count):
        await asyncio.sleep(0)


class Blocker:
    """A test fn that parks every call until released, counting what it sees."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: list[int] = []
        self.in_flight = 0
        self.cancelled = 0

    async def __call__(self, item: int) -> int:
        self.started.append(item)
        self.in_flight += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        return item


class CountingSource:
    """A lazy input that records how many items were pulled from it."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0

    def __iter__(self) -> Iterator[int]:
        for item in range(self.count):
            self.pulled += 1
            yield item


async def reverse_finisher(item: int, count: int = 20) -> int:
    """Finish later the smaller the item: item 0 yields ``count`` times, the last once."""
    await turns(count - item)
    return item * 10


# --- results, order, isolation --------------------------------------------------------


async def test_bulk_map_returns_results_in_input_order_though_they_finish_reversed() -> None:
    as_completed = bulk_as_completed(reverse_finisher, range(20), concurrency=20)
    finished = [r.item async for r in as_completed]
    assert finished == list(range(19, -1, -1))
    results = await bulk_map(reverse_finisher, range(20))
    assert [(r.index, r.item, r.value, r.error) for r in results] == [
        (i, i, i * 10, None) for i in range(20)
    ]


async def test_an_async_iterable_input_is_mapped_in_order() -> None:
    async def numbers() -> AsyncIterator[int]:
        for item in range(30):
            await asyncio.sleep(0)
            yield item

    results = await bulk_map(reverse_finisher, numbers(), concurrency=4)
    assert [r.value for r in results] == [i * 10 for i in range(30)]


async def test_empty_input_gives_no_results_and_no_progress() -> None:
    progress: list[BulkProgress] = []
    assert await bulk_map(reverse_finisher, [], on_progress=progress.append) == []
    nothing: list[int] = []
    assert [r async for r in bulk_as_completed(reverse_finisher, iter(nothing))] == []
    assert progress == []


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError("gone", status=404),
        ConflictError("busy", status=409),
        AuraValidationError("bad id"),
        AuraError("any"),
        KeyError("a bug in fn"),
        ZeroDivisionError("another bug"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_one_failure_is_recorded_and_its_neighbours_carry_on(error: Exception) -> None:
    async def fn(item: int) -> int:
        await asyncio.sleep(0)
        if item % 3 == 1:
            raise error
        return item

    results = await bulk_map(fn, range(9), concurrency=2)
    assert [r.ok for r in results] == [i % 3 != 1 for i in range(9)]
    assert [r.error for r in results if not r.ok] == [error] * 3
    assert [r.value for r in results if r.ok] == [0, 2, 3, 5, 6, 8]
    assert all(r.value is None for r in results if not r.ok)


@pytest.mark.parametrize(
    ("result", "ok", "unwrapped"),
    [
        (Ok(item="a", index=0, value=5), True, 5),
        (Ok(item="a", index=0, value=None), True, None),
        (Err(item="a", index=0, error=NotFoundError("x", status=404)), False, None),
        (Err(item="a", index=0, error=ValueError("bug")), False, None),
    ],
)
async def test_ok_and_unwrap(
    result: BulkResult[str, int | None], ok: bool, unwrapped: int | None
) -> None:
    assert result.ok is ok
    if result.ok:
        assert result.error is None
        assert result.unwrap() == unwrapped
    else:
        assert result.value is None
        with pytest.raises(type(result.error)) as caught:
            result.unwrap()
        assert caught.value is result.error


async def test_results_are_ok_or_err_instances() -> None:
    async def fn(item: int) -> int:
        if item == 1:
            raise KeyError(item)
        return item

    results = await bulk_map(fn, range(3))
    assert [type(r) for r in results] == [Ok, Err, Ok]


# --- bounds and laziness --------------------------------------------------------------


@pytest.mark.parametrize(("concurrency", "items", "peak"), [(1, 20, 1), (3, 20, 3), (16, 50, 16)])
async def test_concurrency_is_never_exceeded_and_is_used(
    concurrency: int, items: int, peak: int
) -> None:
    in_flight, seen = 0, [0]

    async def fn(item: int) -> int:
        nonlocal in_flight
        in_flight += 1
        seen.append(in_flight)
        await turns(3 + item % 4)
        in_flight -= 1
        return item

    results = await bulk_map(fn, range(items), concurrency=concurrency)
    assert max(seen) == peak
    assert len(results) == items


async def test_ten_thousand_items_never_hold_more_than_concurrency_tasks() -> None:
    baseline = len(asyncio.all_tasks())
    source = CountingSource(10_000)
    task_counts: list[int] = []

    async def fn(item: int) -> int:
        task_counts.append(len(asyncio.all_tasks()))
        await asyncio.sleep(0)
        return item

    results = await bulk_map(fn, source, concurrency=8)
    assert max(task_counts) <= baseline + 8
    assert source.pulled == 10_000
    assert [r.value for r in results] == list(range(10_000))


async def test_a_generator_is_not_read_ahead_of_the_workers() -> None:
    source, blocker = CountingSource(1_000), Blocker()
    run = asyncio.create_task(bulk_map(blocker, source, concurrency=5))
    await until(lambda: blocker.in_flight == 5)
    await turns(20)
    assert source.pulled == 5
    blocker.release.set()
    assert len(await run) == 1_000


async def test_a_slow_consumer_holds_the_workers_back() -> None:
    source = CountingSource(1_000)

    async def fn(item: int) -> int:
        await asyncio.sleep(0)
        return item

    async with contextlib.aclosing(bulk_as_completed(fn, source, concurrency=4)) as results:
        await anext(results)
        await turns(200)
        # 4 results queued, 4 workers each holding one, one with the consumer.
        assert source.pulled <= 2 * 4 + 1


# --- progress -------------------------------------------------------------------------


@pytest.mark.parametrize(("as_list", "total"), [(True, 6), (False, None)])
async def test_progress_is_reported_after_each_item(as_list: bool, total: int | None) -> None:
    async def fn(item: int) -> int:
        await turns(item)
        if item in (1, 4):
            raise NotFoundError("gone", status=404)
        return item

    progress: list[BulkProgress] = []
    items = list(range(6)) if as_list else iter(range(6))
    await bulk_map(fn, items, concurrency=1, on_progress=progress.append)
    assert [(p.done, p.failed, p.total) for p in progress] == [
        (done, failed, total) for done, failed in [(1, 0), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2)]
    ]
    # Each report names the item that just finished, and how it ended.
    assert [(p.item, p.index, p.result.ok) for p in progress] == [
        (i, i, i not in (1, 4)) for i in range(6)
    ]
    assert isinstance(progress[1].result.error, NotFoundError)


# --- stopping: cancellation, early close, failures of the call itself -----------------


async def test_cancelling_bulk_map_cancels_in_flight_starts_no_more_leaves_no_tasks() -> None:
    baseline = asyncio.all_tasks()
    source, blocker = CountingSource(100), Blocker()
    run = asyncio.create_task(bulk_map(blocker, source, concurrency=4))
    await until(lambda: blocker.in_flight == 4)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert asyncio.all_tasks() == baseline
    assert (blocker.cancelled, blocker.in_flight, len(blocker.started)) == (4, 0, 4)
    assert source.pulled == 4


async def test_aclose_cancels_in_flight_and_leaves_no_tasks() -> None:
    baseline = asyncio.all_tasks()
    blocker = Blocker()

    async def first_done(item: int) -> int:
        return item if item == 0 else await blocker(item)

    results = bulk_as_completed(first_done, CountingSource(100), concurrency=3)
    assert (await anext(results)).item == 0
    await until(lambda: blocker.in_flight == 3)
    await results.aclose()
    assert asyncio.all_tasks() == baseline
    assert (blocker.cancelled, len(blocker.started)) == (3, 3)


async def test_cancelling_the_consumer_of_as_completed_leaves_no_tasks() -> None:
    baseline = asyncio.all_tasks()
    blocker = Blocker()
    results = bulk_as_completed(blocker, CountingSource(100), concurrency=3)
    pending = asyncio.ensure_future(anext(results))
    await until(lambda: blocker.in_flight == 3)
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    assert asyncio.all_tasks() == baseline
    assert (blocker.cancelled, len(blocker.started)) == (3, 3)
    await results.aclose()


async def test_break_in_async_for_cancels_in_flight_and_leaves_no_tasks() -> None:
    baseline = asyncio.all_tasks()
    blocker = Blocker()

    async def first_done(item: int) -> int:
        return item if item == 0 else await blocker(item)

    async for result in bulk_as_completed(first_done, CountingSource(100), concurrency=4):
        assert result.item == 0
        break
    # The loop finalises the abandoned generator (aclose) on a later turn.
    await until(lambda: asyncio.all_tasks() == baseline)
    assert blocker.in_flight == 0
    assert blocker.cancelled == len(blocker.started) <= 4


async def test_a_failing_input_stops_the_call_and_is_raised() -> None:
    baseline = asyncio.all_tasks()
    blocker = Blocker()

    def items() -> Iterator[int]:
        yield from range(3)
        raise OSError("the input broke")

    with pytest.raises(OSError, match="the input broke"):
        await bulk_map(blocker, items(), concurrency=8)
    assert asyncio.all_tasks() == baseline
    assert blocker.cancelled == 3


async def test_a_failing_progress_callback_stops_the_call_and_is_raised() -> None:
    baseline = asyncio.all_tasks()

    def on_progress(progress: BulkProgress) -> None:
        if progress.done == 2:
            raise RuntimeError("callback bug")

    with pytest.raises(RuntimeError, match="callback bug"):
        await bulk_map(reverse_finisher, range(20), concurrency=4, on_progress=on_progress)
    assert asyncio.all_tasks() == baseline


async def test_a_cancelled_error_escaping_fn_is_not_swallowed() -> None:
    baseline = asyncio.all_tasks()

    async def fn(item: int) -> int:
        await asyncio.sleep(0)
        if item == 5:
            raise asyncio.CancelledError
        return item

    with pytest.raises(asyncio.CancelledError):
        await bulk_map(fn, range(20), concurrency=3)
    assert asyncio.all_tasks() == baseline


@pytest.mark.parametrize("concurrency", [0, -1, True, False, 2.0, "4", None])
async def test_a_bad_concurrency_is_rejected_before_anything_starts(concurrency: object) -> None:
    source, calls = CountingSource(5), []

    async def fn(item: int) -> int:
        calls.append(item)
        return item

    with pytest.raises(AuraValidationError, match="concurrency"):
        await bulk_map(fn, source, concurrency=concurrency)  # type: ignore[arg-type]
    with pytest.raises(AuraValidationError, match="concurrency"):
        bulk_as_completed(fn, source, concurrency=concurrency)  # type: ignore[arg-type]
    assert (source.pulled, calls) == (0, [])


async def test_a_non_callable_fn_is_rejected() -> None:
    with pytest.raises(AuraValidationError, match="fn"):
        await bulk_map("not a function", range(3))  # type: ignore[arg-type]


# --- against the emulator, over loopback ----------------------------------------------

ALLOWANCE = 500  # per second on both sides: 1,000 calls in about two windows


def _operation(index: int, existing: list[str]) -> tuple[str, str]:
    """Item ``index`` of the run: mostly gets, some of a missing id, some conflicts."""
    if index % 50 == 7:
        return "get", f"gone{index:04d}"  # not hex: never an emulator id
    if index % 50 == 13:
        return "pause", existing[0]  # still creating: 409
    return "get", existing[index % len(existing)]


async def test_a_thousand_calls_through_the_shared_limiter_draw_no_429() -> None:
    server = ServerRateLimit("sliding-log", requests=ALLOWANCE, per=1.0, retry_after="fractional")
    async with (
        AuraEmulator(rate_limit=server, transition_delay=None) as emu,
        make_client(emu, rate_limit=RateLimit(ALLOWANCE, per=1.0)) as client,
    ):
        assert emu.tenant_id is not None
        created = [
            await client.instances.create(
                name=f"bulk-{n}",
                tenant_id=emu.tenant_id,
                cloud_provider="gcp",
                region="europe-west1",
                type="enterprise-db",
                version="5",
                memory="8GB",
            )
            for n in range(3)
        ]
        existing = [instance.id for instance in created]
        operations = [_operation(index, existing) for index in range(1_000)]

        async def call(operation: tuple[str, str]) -> str:
            kind, instance_id = operation
            if kind == "pause":
                return (await client.instances.pause(instance_id)).id
            return (await client.instances.get(instance_id)).id

        results = await asyncio.wait_for(bulk_map(call, operations, concurrency=32), 30.0)

    assert emu.journal.rate_limited_count() == 0
    assert [r.item for r in results] == operations
    for index, result in enumerate(results):
        if index % 50 == 7:
            assert isinstance(result.error, NotFoundError)
        elif index % 50 == 13:
            assert isinstance(result.error, ConflictError)
        else:
            assert result.value == operations[index][1]
    assert sum(not r.ok for r in results) == 40
    assert emu.journal.count("GET", "/v1/instances/*") == 980
    assert emu.journal.count("POST", "/v1/instances/*/pause", status=409) == 20
