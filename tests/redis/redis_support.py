"""Helpers of the Redis backend's tests: worker processes, bounded polling, utilisation."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import redis.asyncio

from aura_async.testing import JournalEntry

DRIVER = Path(__file__).with_name("redis_driver.py")
# Starting a worker (a fresh interpreter importing aiohttp and redis) may take a
# few seconds on a loaded machine; a run is bounded by the test's timeout too.
_READY_TIMEOUT = 30.0
_RUN_TIMEOUT = 50.0


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float = 5.0, step: float = 0.005
) -> None:
    """Poll ``condition()`` (plain or async) until it is true; bounded in time.

    Raises:
        AssertionError: It did not become true within ``timeout`` seconds.
    """
    for _ in range(int(timeout / step)):
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


async def redis_now(side: redis.asyncio.Redis) -> float:
    """The Redis server's clock, in seconds."""
    seconds, micros = await side.time()
    return float(seconds) + micros / 1e6


async def _start(settings: dict[str, Any], secret: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "AURA_DRIVER": json.dumps(settings), "AURA_CLIENT_SECRET": secret}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(DRIVER),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def _ready(process: asyncio.subprocess.Process) -> float:
    """Wait for the worker's ``ready <wall clock>`` line; return its wall clock."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), _READY_TIMEOUT)
    if not line.startswith(b"ready "):
        assert process.stderr is not None
        problem = await asyncio.wait_for(process.stderr.read(), _READY_TIMEOUT)
        raise AssertionError(f"worker failed to start: {problem.decode()[-2000:]}")
    return float(line.split()[1])


async def _finish(process: asyncio.subprocess.Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(process.communicate(), _RUN_TIMEOUT)
    if process.returncode != 0:
        raise AssertionError(f"worker failed: {err.decode()[-2000:]}")
    outcome: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return outcome


async def run_workers(
    workers: Sequence[dict[str, Any]], secret: str
) -> tuple[list[float], list[dict[str, Any]]]:
    """Run one worker process per settings dict, started together.

    Returns:
        Each worker's wall-clock offset from this process's (seconds), and its outcome.
    """
    processes: list[asyncio.subprocess.Process] = []
    try:
        for settings in workers:
            processes.append(await _start(settings, secret))
        offsets = [await _ready(process) - time.time() for process in processes]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        return offsets, [await _finish(process) for process in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def start_workers(
    workers: Sequence[dict[str, Any]], secret: str
) -> list[asyncio.subprocess.Process]:
    """Start one worker process per settings dict, wait until each is ready, then start them.

    The caller owns the processes: :func:`finish_workers` collects them.
    """
    processes: list[asyncio.subprocess.Process] = []
    try:
        for settings in workers:
            processes.append(await _start(settings, secret))
        for process in processes:
            await _ready(process)
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
    except BaseException:
        await finish_workers(processes)
        raise
    return processes


async def finish_workers(
    processes: Sequence[asyncio.subprocess.Process],
) -> list[dict[str, Any] | None]:
    """Collect each worker's outcome (None for one that was killed); kill any left over."""
    outcomes: list[dict[str, Any] | None] = []
    try:
        for process in processes:
            if process.returncode is not None and process.returncode < 0:
                outcomes.append(None)
            else:
                outcomes.append(await _finish(process))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    return outcomes


def utilisation(entries: Sequence[JournalEntry], requests: int, per: float) -> float:
    """Return how much of the allowance a saturated run used, from the server's receipts.

    A sliding window of ``requests`` per ``per`` lets sends go in bursts of
    ``requests`` every ``per`` seconds at best: the ``i``-th send (from 0) cannot
    be received earlier than ``(i // requests) * per`` after the first, so ``N``
    sends need at least ``((N - 1) // requests) * per`` seconds from the first
    receipt to the last (1,001 sends at 125 per 3 s: 8 windows, 24 s). Utilisation
    is that shortest span over the observed one; 1.0 is the best a sliding window
    allows, and every late window edge lowers it.
    """
    times = sorted(entry.time for entry in entries)
    shortest_span = (len(times) - 1) // requests * per
    return shortest_span / (times[-1] - times[0])


# The ACL the README documents for the backend's user (default prefix), as written there.
DOCUMENTED_ACL = (
    "on >app-password resetkeys ~aura_async:* resetchannels -@all "
    "+@read +@write +@scripting +@connection +time -@dangerous +info"
)
# What a Redis Cluster client needs besides: the topology (COMMAND is in @connection).
DOCUMENTED_CLUSTER_ACL = "+cluster|slots"
