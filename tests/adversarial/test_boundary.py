"""One boundary: every aiohttp, asyncio and OS failure becomes an AuraError, and no
error shows the request's headers (issue 15, break 3)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from aura_async import (
    AuraClient,
    AuraConnectionError,
    AuraError,
    AuthenticationError,
    OutcomeUnknownError,
    RetryPolicy,
)
from aura_async.testing import AuraEmulator
from tests.adversarial.conftest import (
    HOSTILE_TOKEN,
    assert_no_secret,
    exception_texts,
    raw_server,
    serve_app,
    token_then,
)
from tests.conftest import INSTANCE_SPEC, make_client

NO_RETRY = RetryPolicy(max_retries=0)


MALFORMED = {
    "status line": b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
    "header": b"HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 0\r\n\r\n",
    "content length": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
    "echoed header": (f"HTTP/1.1 200 OK\r\nAuthorization Bearer {HOSTILE_TOKEN}\r\n\r\n".encode()),
    "short body": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize(
    ("method", "cls"), [("GET", AuraConnectionError), ("POST", OutcomeUnknownError)]
)
async def test_a_malformed_answer_is_typed_and_never_shows_the_bearer_token(
    answer: bytes, method: str, cls: type[AuraError]
) -> None:
    async with (
        raw_server(token_then(answer)) as server,
        AuraClient("id", "secret", base_url=server.url, retry=NO_RETRY) as client,
    ):
        with pytest.raises(AuraError) as caught:
            await client.request(method, "/instances", json={} if method == "POST" else None)
    assert type(caught.value) is cls
    assert server.requests[-1].headers["authorization"] == f"Bearer {HOSTILE_TOKEN}"
    assert_no_secret(exception_texts(caught.value), [HOSTILE_TOKEN])
    assert_only_sanitised_links(caught.value)


async def test_a_token_endpoint_echoing_the_basic_header_does_not_leak_it() -> None:
    async def echo(request: web.Request) -> web.Response:
        echoed = request.headers["Authorization"]
        return web.json_response(
            {"error": f"invalid_client: {echoed} (Authorization: {echoed})"}, status=401
        )

    app = web.Application()
    app.router.add_post("/oauth/token", echo)
    basic = aiohttp.encode_basic_auth("the-id", "the-client-secret")
    async with (
        serve_app(app) as url,
        AuraClient("the-id", "the-client-secret", base_url=url) as client,
    ):
        with pytest.raises(AuthenticationError) as caught:
            await client.tenants.list()
    assert "invalid_client" in str(caught.value)
    secrets = [basic, basic.removeprefix("Basic "), "the-client-secret"]
    assert_no_secret(exception_texts(caught.value), secrets)


async def test_the_raw_answer_of_a_create_keeps_the_password_out_of_repr(
    emu: AuraEmulator,
) -> None:
    async with make_client(emu) as client:
        body = {"name": "app", "tenant_id": emu.tenant_id, **INSTANCE_SPEC}
        raw = await client.request("POST", "/instances", json=body)
    password = json.loads(raw.body)["data"]["password"]
    assert password
    assert password not in repr(raw)
    assert password not in str(raw)


async def test_a_refused_connection_chains_only_a_sanitised_cause() -> None:
    async with raw_server(lambda _request: b"") as server:
        url = server.url
    async with AuraClient("id", "secret", base_url=url, retry=NO_RETRY) as client:
        with pytest.raises(AuraConnectionError) as caught:
            await asyncio.wait_for(client.tenants.list(), 10.0)
    assert_only_sanitised_links(caught.value)
    assert "ClientConnectorError" in str(caught.value)


def assert_only_sanitised_links(error: BaseException) -> None:
    """Every link of the chain is ours or a header-free stand-in, never aiohttp's own."""
    pending = [error]
    while pending:
        link = pending.pop()
        assert not hasattr(link, "request_info"), repr(link)
        assert type(link).__module__.startswith("aura_async"), repr(link)
        pending += [e for e in (link.__cause__, link.__context__) if e is not None]
