"""Limiter scaling: CPU per admission with 1k, 10k and 100k coroutines waiting.

For each size N, the limiter's whole allowance is taken first, then N coroutines
are started and queue up while the event loop's clock is stopped (a virtual clock:
otherwise the limiter would admit some of them while the others are still being
started). Then the clock runs again and the figure is ``time.process_time()`` for
draining all N admissions, divided by N. The rate is scaled (1,000 per 5 ms) so
that the drain is CPU-bound, not waiting for the window; time spent idle costs no
CPU and does not count. The garbage collector is paused
while measuring (as ``timeit`` does), so that its full collections of the 100k
parked tasks do not blur the limiter's own cost. Each figure is the median of
repeats (100 of 1k, 10 of 10k, 3 of 100k).

``aura_async._ratelimit.LocalLimiter`` (each waiter: acquire, then release at once)
is compared with ``aiolimiter.AsyncLimiter`` alone (each waiter: acquire) at the
same rate. Target: LocalLimiter at 100k <= 1.5x its cost at 1k.

Run: ``.venv/bin/python benchmarks/limiter_scaling.py`` (about 35 s).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable

from _common import Figure, main
from aiolimiter import AsyncLimiter

from aura_async import RateLimit
from aura_async._ratelimit import LocalLimiter

BENCHMARK = "limiter scaling"
SIZES = (1_000, 10_000, 100_000)
# Repeats of each size: at least this many, and enough for this many admissions.
MIN_REPEATS = 3
ADMISSIONS_PER_SIZE = 100_000
REQUESTS = 1_000
PER = 0.005
TARGET_GROWTH = 1.5

# Fills the limiter, returns the coroutine function each waiter runs, and the
# function that lets the queue move once the clock is running.
Setup = Callable[[], Awaitable[tuple[Callable[[], Awaitable[None]], Callable[[], None]]]]


async def _local_setup() -> tuple[Callable[[], Awaitable[None]], Callable[[], None]]:
    limiter = LocalLimiter(RateLimit(REQUESTS, per=PER))
    for _ in range(REQUESTS):
        (await limiter.acquire()).release()  # the window is full until PER from now

    async def wait_turn() -> None:
        permit = await limiter.acquire()
        permit.release()

    return wait_turn, lambda: None


async def _aiolimiter_setup() -> tuple[Callable[[], Awaitable[None]], Callable[[], None]]:
    limiter = AsyncLimiter(REQUESTS, PER)
    for _ in range(REQUESTS):
        await limiter.acquire()
    # The bucket leaks on its own; the waiters are parked before it has room.
    return limiter.acquire, lambda: None


class PausableClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock can be stopped, so that queues build up in no time."""

    def __init__(self) -> None:
        super().__init__()
        self._paused_at: float | None = None
        self._offset = 0.0

    def time(self) -> float:
        """The loop's monotonic clock, minus the time it spent paused."""
        if self._paused_at is not None:
            return self._paused_at
        return super().time() - self._offset

    def pause_clock(self) -> None:
        """Stop the clock: no timer fires and no limiter refills until resumed."""
        self._paused_at = self.time()

    def resume_clock(self) -> None:
        """Let the clock run again from where it stopped."""
        if self._paused_at is not None:
            self._offset = super().time() - self._paused_at
            self._paused_at = None


async def cpu_per_admission(setup: Setup, waiters: int) -> float:
    """Return the CPU seconds per admission of ``waiters`` queued coroutines.

    Must run in a :class:`PausableClockLoop`.
    """
    loop = asyncio.get_running_loop()
    assert isinstance(loop, PausableClockLoop)
    loop.pause_clock()
    wait_turn, start = await setup()
    tasks = [asyncio.ensure_future(wait_turn()) for _ in range(waiters)]
    for _ in range(2):  # every task runs up to its wait and parks; so does the pump
        await asyncio.sleep(0)
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        loop.resume_clock()
        start()
        await asyncio.gather(*tasks)
        elapsed = time.process_time() - started
    finally:
        gc.enable()
    return elapsed / waiters


async def median_cost(setup: Setup, waiters: int) -> float:
    """Return the median of repeated measurements of :func:`cpu_per_admission`."""
    repeats = max(MIN_REPEATS, ADMISSIONS_PER_SIZE // waiters)
    costs = [await cpu_per_admission(setup, waiters) for _ in range(repeats)]
    return statistics.median(costs)


def _figures(label: str, costs: dict[int, float], target: bool) -> list[Figure]:
    figures = [
        Figure(BENCHMARK, f"{label}: us per admission, {size:,} waiting", f"{cost * 1e6:.1f}")
        for size, cost in costs.items()
    ]
    growth = costs[SIZES[-1]] / costs[SIZES[0]]
    figures.append(
        Figure(
            BENCHMARK,
            f"{label}: cost at {SIZES[-1]:,} / at {SIZES[0]:,} waiting",
            f"{growth:.2f}x",
            f"<= {TARGET_GROWTH}x" if target else "",
            growth <= TARGET_GROWTH if target else None,
        )
    )
    return figures


async def measure() -> list[Figure]:
    """Measure both limiters at every size; return the figures."""
    local = {size: await median_cost(_local_setup, size) for size in SIZES}
    baseline = {size: await median_cost(_aiolimiter_setup, size) for size in SIZES}
    largest = SIZES[-1]
    return [
        *_figures("LocalLimiter", local, target=True),
        *_figures("aiolimiter.AsyncLimiter", baseline, target=False),
        Figure(
            BENCHMARK,
            f"LocalLimiter / AsyncLimiter cost at {largest:,} waiting",
            f"{local[largest] / baseline[largest]:.2f}x",
        ),
    ]


def run() -> list[Figure]:
    """Run the benchmark; return its figures."""
    with asyncio.Runner(loop_factory=PausableClockLoop) as runner:
        return runner.run(measure())


if __name__ == "__main__":
    main(run)
