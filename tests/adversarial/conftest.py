"""The adversarial suite's harness: loose-end checks, hostile servers, secret scans.

Every test here fails if it leaves a task pending or makes the event loop report
anything (a task or future "exception was never retrieved", an unclosed session
or connector, a callback that raised). ``make test`` runs this directory under
``PYTHONASYNCIODEBUG=1 python -X dev -W error``.

Hostile servers are real servers on loopback: :func:`raw_server` writes whatever
bytes a test gives it (aiohttp cannot emit a malformed status line), and
:func:`serve_app` runs a small ``aiohttp.web`` application.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import attrs
import pytest
from aiohttp import web

# The token every hostile server below hands out: a secret the client must never show.
HOSTILE_TOKEN = "hostile-bearer-token-0b5e7d"
HOSTILE_TOKEN_ANSWER = json.dumps(
    {"access_token": HOSTILE_TOKEN, "expires_in": 3600, "token_type": "bearer"}
).encode()


@pytest.fixture(scope="session", autouse=True)
def _freeze_what_came_before() -> None:
    """Leave everything alive before the first test out of every later collection.

    Imports and collection leave a large heap that ``gc.collect()`` would walk after
    every test (a tenth of a second in development mode); what the loose-end check
    looks for is created by the tests, after this.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
async def _no_loose_ends() -> AsyncIterator[None]:
    """Fail the test if it leaves a pending task or the loop reported a problem."""
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(_describe(context)))
    try:
        yield
        pending = await _settle_and_list_pending()
        left = [f"pending task left behind: {task!r} at {_where(task)}" for task in pending]
    finally:
        loop.set_exception_handler(previous)
    await _cancel(pending)
    problems = reported + left
    if problems:
        pytest.fail("loose ends:\n" + "\n".join(problems), pytrace=False)


async def _settle_and_list_pending() -> list[asyncio.Task[Any]]:
    """Let finished work run its callbacks, collect garbage, and list the tasks left."""
    for _ in range(3):
        await asyncio.sleep(0)
    # "Never retrieved" and "unclosed" are reported when the object is collected.
    gc.collect()
    await asyncio.sleep(0)
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if pending:
        # A server's handler cancelled at shutdown may need a few more loop turns.
        await asyncio.wait(pending, timeout=0.5)
    return [task for task in pending if not task.done()]


def _where(task: asyncio.Task[Any]) -> str:
    """Name the innermost frame a pending task waits in."""
    frames = task.get_stack()
    if not frames:
        return "?"
    code = frames[-1].f_code
    request = frames[-1].f_locals.get("request")  # an aiohttp server's handler
    serving = f" serving {request.method} {request.path}" if request is not None else ""
    return f"{code.co_filename}:{frames[-1].f_lineno} ({code.co_name}){serving}"


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=1.0)


def _describe(context: dict[str, Any]) -> str:
    exception = context.get("exception")
    detail = f" ({type(exception).__name__}: {exception})" if exception is not None else ""
    return f"event loop reported: {context.get('message')}{detail}"


@attrs.define
class RawRequest:
    """One request a hostile server received: request line, headers, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[RawRequest], Awaitable[bytes] | bytes]


@attrs.define
class RawServer:
    """A loopback server answering each request with the bytes ``answer`` returns.

    Attributes:
        url: ``http://127.0.0.1:<port>``.
        requests: Every request received, in order.
    """

    url: str
    requests: list[RawRequest] = attrs.Factory(list)


@contextlib.asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[RawServer]:
    """Run a server that writes ``answer(request)`` verbatim, then closes the connection."""
    connections: set[asyncio.Task[Any]] = set()
    server_state: list[RawServer] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            request = await _read_request(reader)
            if request is not None:
                server_state[0].requests.append(request)
                reply = answer(request)
                writer.write(await reply if isinstance(reply, Awaitable) else reply)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up first: nothing to answer
        except asyncio.CancelledError:
            # Closing the server cancels an answer still waiting; ending quietly keeps
            # asyncio's stream callback from reporting the cancellation.
            pass
        finally:
            writer.close()
            connections.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server_state.append(RawServer(f"http://127.0.0.1:{port}"))
    try:
        yield server_state[0]
    finally:
        server.close()
        await _cancel(list(connections))
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> RawRequest | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return RawRequest(method, path, headers, body)


def http_answer(
    status: int,
    body: bytes = b"",
    *,
    headers: Iterable[tuple[str, str]] = (),
    reason: str = "Whatever",
) -> bytes:
    """Return a well-formed HTTP/1.1 answer that closes the connection."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def token_then(api_answer: bytes) -> Answer:
    """An answer function: a good token for ``/oauth/token``, ``api_answer`` otherwise."""

    def answer(request: RawRequest) -> bytes:
        if request.path == "/oauth/token":
            return http_answer(200, HOSTILE_TOKEN_ANSWER, headers=[("Content-Type", "json")])
        return api_answer

    return answer


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Run an ``aiohttp.web`` application on a free loopback port; yield its URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def token_route(request: web.Request) -> web.Response:
    """An ``aiohttp.web`` handler granting :data:`HOSTILE_TOKEN`."""
    return web.Response(body=HOSTILE_TOKEN_ANSWER, content_type="application/json")


def exception_texts(error: BaseException) -> Iterator[str]:
    """Yield every text an error shows: str, repr and formatted traceback, down its chain.

    Follows ``__cause__`` and ``__context__`` recursively, and shows each link's
    ``args`` and ``request_info`` (with the request's headers). Attributes kept on
    purpose out of ``repr`` (``UnreadableResultError.body``) are not texts it shows.
    """
    yield "".join(traceback.format_exception(error))
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        link = pending.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield str(link)
        yield repr(link)
        yield repr(getattr(link, "request_info", None))
        yield repr(link.args)
        pending += [e for e in (link.__cause__, link.__context__) if e is not None]


def log_texts(records: Iterable[logging.LogRecord]) -> Iterator[str]:
    """Yield each record's message, arguments and formatted exception."""
    formatter = logging.Formatter()
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        if record.exc_info:
            yield formatter.formatException(record.exc_info)


def assert_no_secret(texts: Iterable[str], secrets: Iterable[str]) -> None:
    """Fail if any of ``secrets`` (non-empty) appears in any of ``texts``."""
    wanted = [secret for secret in secrets if secret]
    assert wanted, "no secrets to look for"
    for text in texts:
        for secret in wanted:
            assert secret not in text, f"secret {secret[:4]}... shown in: {text[:300]}"
