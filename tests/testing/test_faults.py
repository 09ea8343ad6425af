"""Fault injection: validation, matching, and each kind seen from a real client."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from aura_async.testing._app import build_app
from aura_async.testing._auth import TokenAuthority
from aura_async.testing._faults import Fault, FaultScript
from aura_async.testing._journal import Journal


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a status, drop=True or a latency"),
        ({"method": "FETCH", "status": 500}, "method"),
        ({"path": "v1/instances", "status": 500}, "path"),
        ({"status": 200}, "400-599"),
        ({"status": 600}, "400-599"),
        ({"status": 500, "drop": True}, "not both"),
        ({"latency": -1}, "latency"),
        ({"latency": float("inf")}, "latency"),
        ({"html": True, "latency": 0.1}, "need a status"),
        ({"retry_after": 1, "drop": True}, "need a status"),
        ({"after_apply": True, "latency": 0.1}, "after_apply"),
        ({"status": 503, "retry_after": -1}, "retry_after"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "probability": 0}, "probability"),
        ({"status": 500, "probability": 1.5}, "probability"),
        ({"status": 500, "seed": 3}, "seed needs a probability"),
    ],
)
def test_invalid_faults_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault(status=503), "status"),
        (Fault(status=502, html=True, latency=0.1), "status"),
        (Fault(drop=True), "drop"),
        (Fault(latency=0.1), "latency"),
        (Fault(status=500, after_apply=True), "status-after-apply"),
        (Fault(drop=True, after_apply=True), "drop-after-apply"),
    ],
)
def test_kind(fault: Fault, kind: str) -> None:
    assert fault.kind == kind


def test_method_is_normalised_and_fault_is_frozen() -> None:
    fault = Fault("post", "/v1/instances", status=500)
    assert fault.method == "POST"
    with pytest.raises(AttributeError):
        fault.status = 502  # type: ignore[misc]


@pytest.mark.parametrize(
    ("method", "pattern", "request_method", "path", "hit"),
    [
        ("*", "*", "GET", "/v1/tenants", True),
        ("POST", "/v1/instances", "POST", "/v1/instances", True),
        ("POST", "/v1/instances", "GET", "/v1/instances", False),
        ("POST", "/v1/instances", "POST", "/v1/instances/abc", False),
        ("*", "/v1/instances/*", "POST", "/v1/instances/abc/pause", True),
        ("*", "/v1/instances/*", "GET", "/v1/instances", False),
        ("*", "/v1/instances/*/pause", "POST", "/v1/instances/abc/pause", True),
        ("*", "/v1/instances/*/pause", "POST", "/v1/instances/abc/resume", False),
        ("DELETE", "*", "DELETE", "/oauth/token", True),
        ("*", "/v1/instances/[ab]*", "GET", "/v1/instances/b2", True),
    ],
)
def test_matching(method: str, pattern: str, request_method: str, path: str, hit: bool) -> None:
    script = FaultScript()
    script.inject(Fault(method, pattern, status=500))
    assert (script.pick(request_method, path) is not None) == hit


def test_times_counts_hits_then_the_fault_is_gone() -> None:
    script = FaultScript()
    fault = script.inject(Fault(status=500, times=2))
    assert [script.pick("GET", "/x") for _ in range(3)] == [fault, fault, None]
    assert script.pending == []


def test_unlimited_fault_stays_until_cleared() -> None:
    script = FaultScript()
    fault = script.inject(Fault(status=500, times=None))
    assert all(script.pick("GET", "/x") is fault for _ in range(100))
    script.clear()
    assert script.pick("GET", "/x") is None


def test_earliest_injected_fault_wins_and_others_wait() -> None:
    script = FaultScript()
    first = script.inject(Fault("GET", "*", status=500))
    second = script.inject(Fault("*", "*", status=503))
    assert script.pick("POST", "/x") is second
    assert script.pick("GET", "/x") is first
    assert script.pick("GET", "/x") is None


def test_probability_is_reproducible_with_a_seed() -> None:
    def hits(seed: int) -> list[bool]:
        script = FaultScript()
        script.inject(Fault(status=500, times=None, probability=0.3, seed=seed))
        return [script.pick("GET", "/x") is not None for _ in range(200)]

    assert hits(7) == hits(7)
    assert hits(7) != hits(8)
    assert 30 <= sum(hits(7)) <= 90


def test_probabilistic_misses_do_not_use_up_times() -> None:
    script = FaultScript()
    script.inject(Fault(status=500, times=3, probability=0.5, seed=1))
    assert sum(script.pick("GET", "/x") is not None for _ in range(200)) == 3


# Over loopback.


class Rig:
    """A served app with ping routes, one token and a fault script."""

    def __init__(self, url: str, token: str, faults: FaultScript, journal: Journal, ping: Any):
        self.url, self.token, self.faults, self.journal, self.ping = (
            url,
            token,
            faults,
            journal,
            ping,
        )
        self.headers = {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def rig(
    ping: Any, serve_app: Any, fetch_token: Any, http_session: aiohttp.ClientSession
) -> Rig:
    faults, journal = FaultScript(), Journal()
    authority = TokenAuthority({"alice": "pw"})
    app = build_app(
        authority=authority,
        rate_limit=None,
        journal=journal,
        faults=faults,
        routes=False,
        setup=ping,
    )
    url = await serve_app(app)
    token = await fetch_token(http_session, url, "alice", "pw")
    return Rig(url, token, faults, journal, ping)


async def test_status_fault_with_retry_after(rig: Rig, http_session: aiohttp.ClientSession) -> None:
    rig.faults.inject(Fault("GET", "/v1/ping", status=503, retry_after=2))
    async with http_session.get(f"{rig.url}/v1/ping", headers=rig.headers) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "2"
        assert response.content_type == "application/json"
        body = await response.json()
        assert body["errors"][0]["reason"] == "injected-fault"
        assert "X-Request-Id" in response.headers
    async with http_session.get(f"{rig.url}/v1/ping", headers=rig.headers) as response:
        assert response.status == 200
    assert [entry.fault for entry in rig.journal.select(path="/v1/ping")] == ["status", None]


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (None, None),
        (0.25, "0.25"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ],
)
async def test_retry_after_rendering(
    retry_after: Any, header: str | None, rig: Rig, http_session: aiohttp.ClientSession
) -> None:
    rig.faults.inject(Fault(status=429, retry_after=retry_after))
    async with http_session.get(f"{rig.url}/v1/ping", headers=rig.headers) as response:
        assert response.status == 429
        assert response.headers.get("Retry-After") == header
        assert await response.json() == {"error": "API rate limit exceeded"}


async def test_html_proxy_page(rig: Rig, http_session: aiohttp.ClientSession) -> None:
    rig.faults.inject(Fault(status=502, html=True))
    async with http_session.get(f"{rig.url}/v1/ping", headers=rig.headers) as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "<h1>502 Bad Gateway</h1>" in await response.text()


async def test_latency_delays_then_answers(rig: Rig, http_session: aiohttp.ClientSession) -> None:
    rig.faults.inject(Fault("GET", "/v1/ping", latency=0.05))
    started = time.monotonic()
    async with http_session.get(f"{rig.url}/v1/ping", headers=rig.headers) as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.045
    assert rig.journal.select(path="/v1/ping")[0].fault == "latency"


async def test_drop_closes_the_connection(rig: Rig, http_session: aiohttp.ClientSession) -> None:
    rig.faults.inject(Fault("POST", "/v1/ping", drop=True))
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        async with http_session.post(f"{rig.url}/v1/ping", json={}, headers=rig.headers):
            pass
    assert rig.ping.applied == 0
    entry = rig.journal.select(path="/v1/ping")[0]
    assert (entry.status, entry.fault, entry.client_id) == (None, "drop", "alice")
    async with http_session.post(f"{rig.url}/v1/ping", json={}, headers=rig.headers) as response:
        assert response.status == 202


async def test_status_after_apply_changes_state_but_answers_an_error(
    rig: Rig, http_session: aiohttp.ClientSession
) -> None:
    rig.faults.inject(Fault("POST", "/v1/ping", status=500, after_apply=True))
    async with http_session.post(f"{rig.url}/v1/ping", json={}, headers=rig.headers) as response:
        assert response.status == 500
    assert rig.ping.applied == 1
    assert rig.journal.select(path="/v1/ping")[0].fault == "status-after-apply"


async def test_drop_after_apply_changes_state_but_the_client_sees_a_disconnect(
    rig: Rig, http_session: aiohttp.ClientSession
) -> None:
    rig.faults.inject(Fault("POST", "/v1/ping", drop=True, after_apply=True))
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        async with http_session.post(f"{rig.url}/v1/ping", json={}, headers=rig.headers):
            pass
    assert rig.ping.applied == 1
    assert rig.journal.select(path="/v1/ping")[0].status is None


async def test_after_apply_still_fails_when_the_handler_rejects(
    rig: Rig, http_session: aiohttp.ClientSession
) -> None:
    rig.faults.inject(Fault("POST", "/v1/ping", status=503, after_apply=True))
    headers = {**rig.headers, "Content-Type": "text/plain"}
    async with http_session.post(f"{rig.url}/v1/ping", data="x", headers=headers) as response:
        assert response.status == 503
    assert rig.ping.applied == 0


async def test_faults_apply_after_authentication(
    rig: Rig, http_session: aiohttp.ClientSession
) -> None:
    fault = rig.faults.inject(Fault(status=500))
    async with http_session.get(f"{rig.url}/v1/ping") as response:
        assert response.status == 401
    assert rig.faults.pending == [fault]
