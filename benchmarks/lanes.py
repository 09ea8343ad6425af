"""Lanes: how long an interactive call waits beside a bulk backlog, vs one FIFO queue.

A ``client.map`` of 8 windows' worth of reads (1,000 ``tenants.get`` calls, all
queued at once) runs through one client with ``RateLimit(125, per=1.2)`` (the real
125 per 60 s scaled down 50 times) against the emulator's sliding log at the same
limit, while the same client makes a ``tenants.list()`` call every half window.
A thin :class:`~aura_async.Limiter` around the client's own limiter times each
interactive call's admission: from asking for a slot to getting it. (The whole
call takes longer: client and emulator share one process here, and the bulk
sends of each new window, up to 119 at once, keep its event loop busy for tens of
milliseconds; that is the emulator's cost, not the limiter's.)

Two runs of the same scenario, one after the other:

- lanes: the defaults (the map's calls in the bulk lane, a reserve of 5 % = 6
  slots, the interactive calls in the interactive lane);
- FIFO baseline: one queue, as before lanes: ``RateLimit(reserve=0)`` and the
  interactive calls made through ``client.with_options(lane=Lane.BULK)``, so they
  queue behind the backlog like any other call.

Per run: the median and the worst admission wait of the interactive calls made
while the bulk job ran (target for lanes: the worst within two slots, 2 * 1.2 / 125
s), the share of the allowance the bulk job used over its first 8 windows, and the
429s.

Run: ``.venv/bin/python benchmarks/lanes.py`` (about 25 s).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import statistics
import time

from _common import Figure, main

from aura_async import AuraClient, Lane, Limiter, LimiterStats, Permit, RateLimit
from aura_async._ratelimit import LocalLimiter
from aura_async.testing import AuraEmulator, ServerRateLimit

BENCHMARK = "lanes"
REQUESTS = 125
PER = 1.2
SLOT = PER / REQUESTS
WINDOWS = 8
BULK_CALLS = WINDOWS * REQUESTS
# The target: an interactive call is admitted within two slots of its arrival.
TARGET_WORST = 2 * SLOT

# Set in the interactive calls' tasks: in the FIFO run their lane is bulk too.
_INTERACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("interactive", default=False)


class AdmissionTimer:
    """A :class:`~aura_async.Limiter` passing everything to ``inner``.

    Attributes:
        waits: Seconds each interactive call's acquire waited.
    """

    def __init__(self, inner: Limiter) -> None:
        self._inner = inner
        self.waits: list[float] = []

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """See :meth:`aura_async.Limiter.acquire`."""
        asked = time.monotonic()
        permit = await self._inner.acquire(priority=priority, lane=lane, deadline=deadline)
        if _INTERACTIVE.get():
            self.waits.append(time.monotonic() - asked)
        return permit

    def report_rejection(self, delay: float) -> None:
        """See :meth:`aura_async.Limiter.report_rejection`."""
        self._inner.report_rejection(delay)

    async def stats(self) -> LimiterStats:
        """See :meth:`aura_async.Limiter.stats`."""
        return await self._inner.stats()


@dataclasses.dataclass(frozen=True)
class RunResult:
    """One run, as measured.

    Attributes:
        interactive: Admission waits of the interactive calls made during the bulk
            job, in seconds.
        bulk_share: The share of the allowance the bulk job used over its first
            ``WINDOWS`` windows (from the emulator's receipt times).
        rejected: 429s.
    """

    interactive: list[float]
    bulk_share: float
    rejected: int


async def _interactive_call(client: AuraClient) -> None:
    _INTERACTIVE.set(True)  # in this task only
    await client.tenants.list()


async def _every_half_window(client: AuraClient, bulk: asyncio.Future[object]) -> None:
    """Call ``tenants.list`` every half window (a fixed schedule) until ``bulk`` ends."""
    calls: list[asyncio.Task[None]] = []
    start = time.monotonic()
    for tick in range(4 * WINDOWS):  # bounded: the bulk job takes about 9 windows
        if bulk.done():
            break
        calls.append(asyncio.create_task(_interactive_call(client)))
        await asyncio.sleep(max(0.0, start + (tick + 1) * PER / 2 - time.monotonic()))
    await asyncio.gather(*calls)


async def run_scenario(*, fifo: bool) -> RunResult:
    """Run the bulk job with interactive calls beside it; ``fifo``: all in one lane."""
    server = ServerRateLimit("sliding-log", requests=REQUESTS, per=PER, retry_after="fractional")
    rate = RateLimit(REQUESTS, per=PER, reserve=0 if fifo else None)
    async with AuraEmulator(rate_limit=server) as emu:
        timer = AdmissionTimer(LocalLimiter(rate))
        async with AuraClient(
            emu.client_id, emu.client_secret, base_url=emu.url, rate_limit=rate, limiter=timer
        ) as client:
            await client.authenticate()
            tenant = emu.tenant_id
            assert tenant is not None
            interactive = client.with_options(lane=Lane.BULK) if fifo else client
            job = client.map(
                lambda _: client.tenants.get(tenant), range(BULK_CALLS), concurrency=BULK_CALLS
            )
            bulk = asyncio.ensure_future(job)
            await _every_half_window(interactive, bulk)
            results = await bulk
        assert all(result.ok for result in results)
        bulk_times = sorted(e.time for e in emu.journal.select(path="/v1/tenants/*"))
        in_windows = sum(1 for t in bulk_times if t < bulk_times[0] + WINDOWS * PER)
        return RunResult(
            interactive=timer.waits,
            bulk_share=in_windows / BULK_CALLS,
            rejected=emu.journal.rate_limited_count(),
        )


def _ms(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.3f} ms" if seconds < 0.001 else f"{seconds * 1000:.1f} ms"


def _figures(label: str, result: RunResult, *, judged: bool) -> list[Figure]:
    times = result.interactive
    median, worst = statistics.median(times), max(times)
    name = f"{label}: interactive admission beside a {BULK_CALLS:,}-read backlog, median / worst"
    latency = Figure(BENCHMARK, name, f"{_ms(median)} / {_ms(worst)} ({len(times)} calls)")
    if judged:
        target = f"worst <= {_ms(TARGET_WORST)}"
        latency = dataclasses.replace(latency, target=target, met=worst <= TARGET_WORST)
    share = Figure(
        BENCHMARK, f"{label}: bulk job's share of the allowance", f"{result.bulk_share:.3f}"
    )
    rejected = Figure(BENCHMARK, f"{label}: 429s", str(result.rejected), "0", result.rejected == 0)
    return [latency, share, rejected]


async def measure() -> list[Figure]:
    """Run the scenario with lanes, then as one FIFO queue; return the figures."""
    lanes = await run_scenario(fifo=False)
    fifo = await run_scenario(fifo=True)
    figures = _figures("lanes", lanes, judged=True)
    figures += _figures("FIFO baseline (one lane, no reserve)", fifo, judged=False)
    return figures


def run() -> list[Figure]:
    """Run the benchmark; return its figures."""
    return asyncio.run(measure())


if __name__ == "__main__":
    main(run)
