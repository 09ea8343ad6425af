"""A fleet of in-process "processes" calling through one Redis, and faults to inflict on Redis.

Each member of the fleet has its own ``RedisBackend`` (its own connections,
limiter, queue and ledger) and its own ``AuraClient``: as far as Redis can tell,
a separate process. They call the emulator until told to stop, so that its
journal shows every send of the fleet on one clock. A small TCP proxy stands for
a failover's moving address: switching it to a promoted replica drops every
connection, as a failover does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import redis.asyncio

from aura_async import AuraError, RateLimit, Timeout
from aura_async.redis import RedisBackend
from aura_async.testing import AuraEmulator
from tests.conftest import make_client
from tests.redis.redis_support import wait_until

# Bounds every caller's loop (the test stops it long before).
_MAX_CALLS = 2_000
_PIPE_CHUNK = 65_536


class Fleet:
    """Callers in several in-process "processes", each with its own backend and client.

    Args:
        emu: The emulator they call.
        url: The Redis URL every backend connects to.
        rates: One ``RateLimit`` per process.
        callers: Concurrent callers per process.
        call_timeout: Each call's total deadline.
        **options: ``RedisBackend.from_url`` options.

    Attributes:
        outcomes: ``(loop time at the end, "ok" or the AuraError)`` of every call.
    """

    def __init__(
        self,
        emu: AuraEmulator,
        url: str,
        rates: Sequence[RateLimit],
        *,
        callers: int = 4,
        call_timeout: float = 5.0,
        **options: Any,
    ) -> None:
        self.outcomes: list[tuple[float, Any]] = []
        self._emu, self._url, self._rates = emu, url, rates
        self._callers, self._timeout, self._options = callers, call_timeout, options
        self._stop = asyncio.Event()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Fleet]:
        """Run the fleet inside the block; stop it and close everything on the way out."""
        async with contextlib.AsyncExitStack() as stack:
            tasks = []
            for rate in self._rates:
                backend = await stack.enter_async_context(
                    RedisBackend.from_url(self._url, **self._options)
                )
                client = await stack.enter_async_context(
                    make_client(
                        self._emu,
                        rate_limit=rate,
                        backend=backend,
                        timeout=Timeout(total=self._timeout),
                    )
                )
                tasks += [asyncio.ensure_future(self._call(client)) for _ in range(self._callers)]
            try:
                yield self
            finally:
                self._stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks), self._timeout + 5.0)

    async def _call(self, client: Any) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(_MAX_CALLS):
            if self._stop.is_set():
                return
            outcome: Any = "ok"
            try:
                await client.tenants.list()
            except AuraError as exc:  # anything else fails the test
                outcome = exc
            self.outcomes.append((loop.time(), outcome))

    def oks(self, since: float = 0.0) -> int:
        """Calls that succeeded, ending after ``since`` (loop time)."""
        return sum(1 for at, outcome in self.outcomes if at > since and outcome == "ok")

    def errors(self) -> list[AuraError]:
        """Every call that failed."""
        return [outcome for _, outcome in self.outcomes if outcome != "ok"]

    async def wait_for_oks(self, count: int, *, since: float = 0.0, timeout: float = 15.0) -> None:
        """Wait until ``count`` calls ending after ``since`` succeeded."""
        await wait_until(lambda: self.oks(since) >= count, timeout=timeout, step=0.01)


class Proxy:
    """A TCP proxy on 127.0.0.1 to one Redis server at a time."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The URL clients connect to."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.switch(self.target)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def switch(self, target: int) -> None:
        """Send new connections to ``target``; drop every open one."""
        self.target = target
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_PIPE_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def redis_pid(url: str) -> int:
    """The process id of the Redis server at ``url``."""
    async with redis.asyncio.Redis.from_url(url) as side:
        return int((await side.info("server"))["process_id"])


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    """SIGSTOP the process ``pid`` inside the block (SIGCONT for sure on the way out)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
