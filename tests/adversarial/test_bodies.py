"""A body limit on every answer, compressed or not (issue 15, break 6).

A hostile or broken server answering 100 MB, or a 200 KiB gzip bomb inflating to
200 MB, costs the client a few MiB and a typed error, fast.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from aura_async import (
    AuraClient,
    AuraConfigurationError,
    AuraError,
    OutcomeUnknownError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
)
from tests.adversarial.conftest import serve_app, token_route

MIB = 1024 * 1024
HUGE = 100 * MIB
DEFAULT_LIMIT = 4 * MIB
NO_RETRY = RetryPolicy(max_retries=0)
# 200 gzip members of 1 MiB of zeros each: ~200 KiB that inflate to 200 MB.
GZIP_BOMB = gzip.compress(b"\0" * MIB) * 200

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def streamed(status: int, *, declare_length: bool) -> Handler:
    """A handler answering 100 MB of JSON-ish bytes, 1 MiB at a time, until the client leaves."""

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        if declare_length:
            response.content_length = HUGE
        await response.prepare(request)
        chunk = b" " * MIB
        try:
            for _ in range(HUGE // MIB):
                await response.write(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client stopped reading: what it should do
        return response

    return handle


async def gzip_bomb(request: web.Request) -> web.Response:
    return web.Response(
        body=GZIP_BOMB, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )


async def _call(handler: Handler, method: str, **options: Any) -> tuple[BaseException, float, int]:
    """Send one call to a server using ``handler``; return the error, seconds and peak bytes."""
    app = web.Application()
    app.router.add_post("/oauth/token", token_route)
    app.router.add_route("*", "/v1/instances", handler)
    body = {} if method == "POST" else None
    async with (
        serve_app(app) as url,
        AuraClient("id", "secret", base_url=url, retry=NO_RETRY, **options) as client,
    ):
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(AuraError) as caught:
                await client.request(method, "/instances", json=body)
            return caught.value, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


TOO_LARGE = ResponseTooLargeError
CASES = [
    pytest.param(streamed(200, declare_length=True), "GET", TOO_LARGE, id="200-declared"),
    pytest.param(streamed(200, declare_length=False), "GET", TOO_LARGE, id="200-chunked"),
    pytest.param(streamed(500, declare_length=True), "GET", ServerError, id="500-declared"),
    pytest.param(streamed(500, declare_length=False), "GET", ServerError, id="500-chunked"),
    pytest.param(gzip_bomb, "GET", TOO_LARGE, id="gzip-bomb"),
    pytest.param(streamed(201, declare_length=False), "POST", OutcomeUnknownError, id="post-201"),
    pytest.param(gzip_bomb, "POST", OutcomeUnknownError, id="post-gzip-bomb"),
]


@pytest.mark.parametrize(("handler", "method", "cls"), CASES)
async def test_a_huge_answer_fails_fast_with_a_typed_error_and_bounded_memory(
    handler: Handler, method: str, cls: type[AuraError]
) -> None:
    error, seconds, peak = await _call(handler, method)
    assert type(error) is cls
    # Generous bounds for a loaded machine; reading it all takes 100-200 MB.
    assert peak < 6 * DEFAULT_LIMIT, f"peak {peak / MIB:.1f} MiB"
    assert seconds < 10.0
    if isinstance(error, OutcomeUnknownError):
        assert isinstance(error.__cause__, ResponseTooLargeError)
    if isinstance(error, ResponseTooLargeError):
        assert error.limit == DEFAULT_LIMIT
        assert "max_body_size" in str(error)


async def test_a_body_at_the_limit_is_read_and_one_byte_more_is_not() -> None:
    limit = 64 * 1024

    def answer(size: int) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            body = b'{"data": [], "pad": "' + b"x" * (size - 23) + b'"}'
            assert len(body) == size
            return web.Response(body=body, content_type="application/json")

        return handle

    for size, fails in ((limit, False), (limit + 1, True)):
        app = web.Application()
        app.router.add_post("/oauth/token", token_route)
        app.router.add_get("/v1/tenants", answer(size))
        async with (
            serve_app(app) as url,
            AuraClient("id", "secret", base_url=url, max_body_size=limit) as client,
        ):
            if fails:
                with pytest.raises(ResponseTooLargeError):
                    await client.tenants.list()
            else:
                assert await client.tenants.list() == ()


@pytest.mark.parametrize("value", [0, 1023, -1, 1.5e6, "4MiB", True, None])
def test_max_body_size_is_checked_at_construction(value: object) -> None:
    with pytest.raises(AuraConfigurationError, match="max_body_size"):
        AuraClient("id", "secret", max_body_size=value)  # type: ignore[arg-type]
