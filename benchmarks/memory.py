"""Memory: peak RSS and Python heap of a bulk job of 10,000 items vs 1,000.

An emulator runs in its own process (``--rate-limit off``), so its journal and
state stay out of the figures. Each measurement runs in a fresh interpreter
(``memory.py --child MODE RUNNER SIZE``) that warms its client up (imports,
token, connections) and then runs ``SIZE`` items, each one
``len(await client.tenants.list())``:

- runner ``bulk``: ``aura_async._bulk.bulk_map(fn, items, concurrency=16)``;
- runner ``gather``: ``asyncio.gather(*(fn(item) for item in items))``, the
  baseline a bulk helper replaces (one task per item, all created at once).

Mode ``rss`` reports the process's peak resident set size (``ru_maxrss``); mode
``heap`` reports the ``tracemalloc`` peak above the warmed-up baseline (its own
bookkeeping would inflate RSS, hence two processes per size).

Run: ``.venv/bin/python benchmarks/memory.py`` (about 40 s).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Awaitable, Callable

from _common import EmulatorProcess, Figure, emulator_process, main

from aura_async import AuraClient

BENCHMARK = "memory"
SIZES = (1_000, 10_000)
CONCURRENCY = 16
WARM_UP_CALLS = 50
RUNNERS = ("bulk", "gather")
MODES = ("rss", "heap")
_CHILD_TIMEOUT = 120.0

Runner = Callable[[Callable[[int], Awaitable[int]], list[int]], Awaitable[object]]


async def _run_bulk(fn: Callable[[int], Awaitable[int]], items: list[int]) -> object:
    from aura_async._bulk import bulk_map

    return await bulk_map(fn, items, concurrency=CONCURRENCY)


async def _run_gather(fn: Callable[[int], Awaitable[int]], items: list[int]) -> object:
    return await asyncio.gather(*(fn(item) for item in items))


async def child_measure(mode: str, runner: Runner, size: int) -> int:
    """Run ``size`` items with ``runner``; return the peak RSS or heap peak, in bytes."""
    async with AuraClient.from_env(rate_limit=None) as client:

        async def fn(_: int) -> int:
            return len(await client.tenants.list())

        await asyncio.gather(*(fn(0) for _ in range(WARM_UP_CALLS)))
        if mode == "heap":
            return await _heap_peak(runner, fn, size)
        await runner(fn, list(range(size)))
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def _heap_peak(runner: Runner, fn: Callable[[int], Awaitable[int]], size: int) -> int:
    """Return the ``tracemalloc`` peak of one run, above what was allocated before it."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await runner(fn, list(range(size)))
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


def child_main(mode: str, runner_name: str, size: int) -> None:
    """The child process: measure once and print the bytes as JSON."""
    runner = _run_bulk if runner_name == "bulk" else _run_gather
    print(json.dumps(asyncio.run(child_measure(mode, runner, size))))


def _measure_in_child(emulator: EmulatorProcess, mode: str, runner: str, size: int) -> int:
    env = {
        **os.environ,
        "AURA_BASE_URL": emulator.url,
        "AURA_CLIENT_ID": emulator.client_id,
        "AURA_CLIENT_SECRET": emulator.client_secret,
    }
    command = [sys.executable, *(f"-W{o}" for o in sys.warnoptions), __file__]
    completed = subprocess.run(
        [*command, "--child", mode, runner, str(size)],
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=_CHILD_TIMEOUT,
        check=True,
    )
    measured: int = json.loads(completed.stdout)
    return measured


def _figures(runner: str, sizes: dict[tuple[str, int], int]) -> list[Figure]:
    small, large = SIZES
    label = f"{runner} of {large:,} vs {small:,} items"
    rss_small, rss_large = sizes["rss", small], sizes["rss", large]
    heap_small, heap_large = sizes["heap", small], sizes["heap", large]
    return [
        Figure(
            BENCHMARK,
            f"{label}: peak RSS",
            f"{rss_large / rss_small:.2f}x ({rss_large / 2**20:.1f} vs "
            f"{rss_small / 2**20:.1f} MiB)",
        ),
        Figure(
            BENCHMARK,
            f"{label}: tracemalloc peak",
            f"{heap_large / heap_small:.2f}x ({heap_large / 2**20:.2f} vs "
            f"{heap_small / 2**20:.2f} MiB)",
        ),
        Figure(
            BENCHMARK,
            f"{runner}: heap bytes per extra item",
            f"{(heap_large - heap_small) / (large - small):.0f}",
        ),
    ]


def run() -> list[Figure]:
    """Measure every runner, mode and size in child processes; return the figures."""
    if importlib.util.find_spec("aura_async._bulk") is None:
        return [Figure(BENCHMARK, "bulk of 10,000 vs 1,000 items", "n/a (bulk not available)")]
    figures: list[Figure] = []
    with emulator_process("--rate-limit", "off", "--transition-delay", "none") as emulator:
        for runner in RUNNERS:
            sizes = {
                (mode, size): _measure_in_child(emulator, mode, runner, size)
                for mode in MODES
                for size in SIZES
            }
            figures += _figures(runner, sizes)
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main(run)
