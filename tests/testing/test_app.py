"""The emulator app's middlewares: error rendering, request ids, journal, order."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import aiohttp
import pytest

from aura_async.testing import AuraEmulator
from aura_async.testing._app import (
    AUTHORITY_KEY,
    FAULTS_KEY,
    JOURNAL_KEY,
    LIMITER_KEY,
    STATE_KEY,
    build_app,
)
from aura_async.testing._auth import TokenAuthority
from aura_async.testing._clock import ManualClock
from aura_async.testing._faults import Fault, FaultScript
from aura_async.testing._journal import Journal
from aura_async.testing._ratelimit import ServerRateLimit


class Served:
    """A served app with ping routes and a token of ``alice``."""

    def __init__(self, url: str, token: str, journal: Journal, faults: FaultScript) -> None:
        self.url, self.journal, self.faults = url, journal, faults
        self.headers = {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def served(
    manual_clock: ManualClock,
    ping: Any,
    serve_app: Any,
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> Served:
    journal, faults = Journal(), FaultScript()
    app = build_app(
        authority=TokenAuthority({"alice": "pw"}, clock=manual_clock),
        rate_limit=ServerRateLimit(requests=3, per=1.0),
        journal=journal,
        faults=faults,
        clock=manual_clock,
        routes=False,
        setup=ping,
    )
    url = await serve_app(app)
    token = await fetch_token(http_session, url, "alice", "pw")
    return Served(url, token, journal, faults)


ERROR_ANSWERS = [
    # (method, path, extra request kwargs, status, reason in the error body if ours)
    ("GET", "/v1/nothing-here", {}, 404, "not-found"),
    ("DELETE", "/v1/ping", {}, 405, "method-not-allowed"),
    ("POST", "/v1/ping", {"data": "x", "headers": {"Content-Type": "text/plain"}}, 415, None),
    ("POST", "/v1/ping", {"data": "{", "headers": {"Content-Type": "application/json"}}, 400, None),
    ("GET", "/v1/boom", {}, 500, "internal-error"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "reason"), ERROR_ANSWERS)
async def test_errors_are_json_never_html(
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    reason: str | None,
    served: Served,
    http_session: aiohttp.ClientSession,
) -> None:
    headers = {**served.headers, **kwargs.pop("headers", {})}
    async with http_session.request(
        method, served.url + path, headers=headers, **kwargs
    ) as response:
        assert response.status == status
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["errors"][0]["message"]
    assert body["errors"][0]["reason"]  # the spec's Error shape requires one
    if reason is not None:
        assert body["errors"][0]["reason"] == reason


async def test_405_names_the_allowed_methods(
    served: Served, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.put(f"{served.url}/v1/ping", headers=served.headers) as response:
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) >= {"GET", "POST"}


async def test_unexpected_exception_is_logged_without_leaking(
    served: Served, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="aura_async.testing"):
        async with http_session.get(f"{served.url}/v1/boom", headers=served.headers) as response:
            text = await response.text()
    assert "unexpected" not in text
    assert "RuntimeError" not in text
    assert [record.exc_info is not None for record in caplog.records] == [True]


async def test_every_answer_carries_a_fresh_request_id(
    served: Served, http_session: aiohttp.ClientSession
) -> None:
    served.faults.inject(Fault("GET", "/v1/ping", status=503))
    requests = [
        ("GET", "/v1/ping", served.headers),  # fault 503
        ("GET", "/v1/ping", served.headers),  # 200
        ("GET", "/v1/ping", {}),  # 401
        ("GET", "/elsewhere", {}),  # 404
        ("GET", "/v1/ping", served.headers),  # 429 (token + 2 pings used 3 of 3)
        ("POST", "/oauth/token", {}),  # 401
    ]
    ids = []
    for method, path, headers in requests:
        async with http_session.request(method, served.url + path, headers=headers) as response:
            ids.append(response.headers["X-Request-Id"])
    assert [str(uuid.UUID(request_id)) for request_id in ids] == ids
    assert len(set(ids)) == len(ids)
    assert [entry.request_id for entry in served.journal.entries[1:]] == ids
    statuses = [entry.status for entry in served.journal.entries[1:]]
    assert statuses == [503, 200, 401, 404, 429, 401]


async def test_journal_records_attribution_and_operation(
    served: Served, http_session: aiohttp.ClientSession
) -> None:
    for path, headers in [("/v1/ping", served.headers), ("/v1/boom", served.headers)]:
        async with http_session.get(served.url + path, headers=headers):
            pass
    async with http_session.get(f"{served.url}/v1/ping"):
        pass
    token, ping, boom, anonymous = served.journal.entries
    assert (token.operation, token.client_id, token.status) == ("post-oauth-token", "alice", 200)
    assert (ping.operation, ping.client_id, ping.method) == ("get-ping", "alice", "GET")
    assert boom.operation == "GET /v1/boom"
    assert (anonymous.client_id, anonymous.status) == (None, 401)
    assert token.time == ping.time == 1000.0


async def test_rate_limit_is_decided_before_faults(
    served: Served, manual_clock: ManualClock, http_session: aiohttp.ClientSession
) -> None:
    for _ in range(2):
        async with http_session.get(f"{served.url}/v1/ping", headers=served.headers):
            pass
    fault = served.faults.inject(Fault(status=500))
    async with http_session.get(f"{served.url}/v1/ping", headers=served.headers) as response:
        assert response.status == 429
    assert served.faults.pending == [fault]
    manual_clock.advance(1.0)
    async with http_session.get(f"{served.url}/v1/ping", headers=served.headers) as response:
        assert response.status == 500
    assert served.journal.select(status=429)[0].fault is None


async def test_unauthenticated_requests_take_no_allowance(
    served: Served, http_session: aiohttp.ClientSession
) -> None:
    for _ in range(5):
        async with http_session.get(f"{served.url}/v1/ping") as response:
            assert response.status == 401
    async with http_session.get(f"{served.url}/v1/ping", headers=served.headers) as response:
        assert response.status == 200


def test_parts_are_reachable_from_the_app(manual_clock: ManualClock) -> None:
    authority, journal = TokenAuthority(clock=manual_clock), Journal()
    app = build_app(authority=authority, journal=journal, clock=manual_clock, routes=False)
    assert app[AUTHORITY_KEY] is authority
    assert app[JOURNAL_KEY] is journal
    assert isinstance(app[FAULTS_KEY], FaultScript)
    assert app[LIMITER_KEY].config == ServerRateLimit()
    assert app[STATE_KEY] is None
    assert LIMITER_KEY not in build_app(rate_limit=None, routes=False)


async def test_a_client_leaving_mid_body_is_not_logged_as_an_emulator_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with AuraEmulator(rate_limit=None) as emu:
        host, port = emu.url.removeprefix("http://").split(":")
        _reader, writer = await asyncio.open_connection(host, int(port))
        basic = aiohttp.encode_basic_auth(emu.client_id, emu.client_secret).encode()
        writer.write(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\ngrant_type="
        )
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.transport.abort()
        for _ in range(50):  # bounded: until the emulator has seen the request end
            if emu.journal.entries:
                break
            await asyncio.sleep(0.01)
    assert [e.status for e in emu.journal.entries] == [None]  # journaled as dropped
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
