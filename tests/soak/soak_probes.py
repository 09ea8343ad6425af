"""Probes the soak puts around the client: cooldown recording, loop lag, leaks.

None of them changes what it observes: the recorder passes every call to the
real limiter, the monitor only sleeps, and the leak probes read the garbage
collector's objects and the kernel's socket table.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from pathlib import Path

import aiohttp

from aura_async import Lane, Limiter, LimiterStats, Permit
from tests.soak.soak_checks import Cooldown, LoopLag

# The client's sockets close one loop iteration after the session does.
_CLOSE_POLLS = 400
_CLOSE_POLL_INTERVAL = 0.005
# The loop-lag monitor's sampling period, and its bound (an hour of samples).
_LAG_INTERVAL = 0.005
_LAG_MAX_SAMPLES = int(3600 / _LAG_INTERVAL)


class CooldownRecorder:
    """A :class:`~aura_async.Limiter` that passes everything to ``inner``, noting cooldowns.

    The pipeline reports each 429 to its limiter; wrapping the real limiter is how
    the soak learns when, on the client's clock, each cooldown began.

    Args:
        inner: The limiter that does the work.
    """

    def __init__(self, inner: Limiter) -> None:
        self._inner = inner
        self.cooldowns: list[Cooldown] = []

    async def acquire(
        self,
        *,
        priority: bool = False,
        lane: Lane = Lane.INTERACTIVE,
        deadline: float | None = None,
    ) -> Permit:
        """See :meth:`aura_async.Limiter.acquire`."""
        return await self._inner.acquire(priority=priority, lane=lane, deadline=deadline)

    async def stats(self) -> LimiterStats:
        """See :meth:`aura_async.Limiter.stats`."""
        return await self._inner.stats()

    def report_rejection(self, delay: float) -> None:
        """Note the cooldown on the journal's clock, then report it to ``inner``."""
        self.cooldowns.append(Cooldown(time.monotonic(), delay))
        self._inner.report_rejection(delay)


class LoopLagMonitor:
    """Samples the event loop's lateness every few milliseconds, while in ``async with``.

    A stall (a garbage collection, the process waiting for a CPU) holds up every
    request in flight; the cooldown check excuses arrivals delayed by one.
    """

    def __init__(self) -> None:
        self.lags: list[LoopLag] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopLagMonitor:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self) -> None:
        while len(self.lags) < _LAG_MAX_SAMPLES:
            due = time.monotonic() + _LAG_INTERVAL
            await asyncio.sleep(_LAG_INTERVAL)
            self.lags.append(LoopLag(due, max(0.0, time.monotonic() - due)))


def unclosed_http_objects() -> set[int]:
    """Return the ids of the aiohttp sessions and connectors alive and not closed."""
    gc.collect()
    kinds = (aiohttp.ClientSession, aiohttp.BaseConnector)
    return {id(o) for o in gc.get_objects() if isinstance(o, kinds) and not o.closed}


def sockets_to(port: int) -> int | None:
    """Count this host's TCP sockets connected to ``127.0.0.1:port`` (None without /proc)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    remote = f"0100007F:{port:04X}"
    # 01 ESTABLISHED, 08 CLOSE_WAIT: the socket is still open on our side.
    return sum(1 for line in lines if line.split()[2:4] in ([remote, "01"], [remote, "08"]))


async def leaked(before: set[int], port: int) -> list[str]:
    """Return what the closed clients left open: sessions, connectors, sockets."""
    for _ in range(_CLOSE_POLLS):
        if not sockets_to(port):
            break
        await asyncio.sleep(_CLOSE_POLL_INTERVAL)
    new = unclosed_http_objects() - before
    leaks = [f"{len(new)} unclosed aiohttp session(s)/connector(s)"] if new else []
    if sockets := sockets_to(port):
        leaks.append(f"{sockets} socket(s) still connected to the emulator")
    return leaks
