"""Shared pieces of the lifecycle attacks: a slow proxy on loopback, and checks.

:class:`SlowProxy` stands between the client and the emulator, as a real proxy or
gateway would: it forwards every request, and can hold chosen ones for a while
(or until the test ends) before forwarding them. So a test knows when a request
has left the client, and can make one reach the server late. The emulator's
journal then records when the server really received it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType

import aiohttp
from aiohttp import web

from aura_async import AuraClient, ClientClosedError

# Hold a request this long, or None to hold it until the proxy closes (never forwarded).
Hold = Callable[[str, str, int], float | None]
_FORWARDED_HEADERS = ("Authorization", "Content-Type", "User-Agent")
LIMITER_TASK = "aura_async-limiter"
# close() must end every call of the client this fast.
CLOSE_PROMPTLY = 0.1


def _no_hold(method: str, path: str, seen: int) -> float | None:
    return 0.0


class SlowProxy:
    """A reverse proxy on a free loopback port, in front of ``upstream``.

    Args:
        upstream: The origin to forward to (the emulator's URL).
        hold: Called with the method, the path and how many earlier requests had
            that method and path; returns seconds to hold the request before
            forwarding it, or None to hold it until the proxy closes.
    """

    def __init__(self, upstream: str, hold: Hold = _no_hold) -> None:
        self.upstream = upstream
        self.hold = hold
        self.arrivals: list[tuple[str, str]] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> SlowProxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        assert self._runner is not None
        assert self._session is not None
        await self._runner.cleanup()
        await self._session.close()

    def seen(self, method: str, path: str) -> int:
        """Return how many requests with ``method`` and ``path`` have arrived."""
        return self.arrivals.count((method, path))

    async def wait_for(self, method: str, path: str, count: int = 1, within: float = 5.0) -> None:
        """Wait until ``count`` such requests have arrived (polled every millisecond)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.seen(method, path) < count:
            assert loop.time() < deadline, f"{count} x {method} {path} never arrived"
            await asyncio.sleep(0.001)

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        key = (request.method, request.path)
        delay = self.hold(request.method, request.path, self.arrivals.count(key))
        self.arrivals.append(key)
        body = await request.read()
        if delay is None or delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        if self._closing.is_set():
            return web.Response(status=502, text="proxy closing")
        assert self._session is not None
        headers = {h: request.headers[h] for h in _FORWARDED_HEADERS if h in request.headers}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            kept = {
                h: answer.headers[h] for h in ("Content-Type", "Retry-After") if h in answer.headers
            }
            return web.Response(status=answer.status, body=payload, headers=kept)


def client_of(url: str, client_id: str, client_secret: str, **options: object) -> AuraClient:
    """Return a client of the given credential at ``url`` (the proxy or the emulator)."""
    return AuraClient(client_id, client_secret, base_url=url, **options)  # type: ignore[arg-type]


def limiter_pumps() -> list[asyncio.Task[object]]:
    """Return the limiter pump tasks still alive in this event loop."""
    return [t for t in asyncio.all_tasks() if t.get_name() == LIMITER_TASK and not t.done()]


async def close_and_check(client: AuraClient, calls: list[asyncio.Task[object]]) -> float:
    """Close ``client``; return how long until every one of ``calls`` had ended.

    Each call must end with ``ClientClosedError``; a call still running after
    ``CLOSE_PROMPTLY`` seconds is cancelled (so that the test can clean up) and fails it.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.close()
    done, pending = await asyncio.wait(
        calls, timeout=max(0.0, started + CLOSE_PROMPTLY - loop.time())
    )
    elapsed = loop.time() - started
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    assert not pending, f"{len(pending)} of {len(calls)} calls still running after close()"
    wrong = [repr(t.exception()) for t in done if not isinstance(t.exception(), ClientClosedError)]
    assert not wrong, f"calls ended with {wrong[:3]}, not ClientClosedError"
    return elapsed
