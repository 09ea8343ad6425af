"""The emulator's token endpoint and bearer-token checks."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aura_async.testing._app import build_app
from aura_async.testing._auth import TokenAuthority, parse_basic_auth
from aura_async.testing._clock import ManualClock
from aura_async.testing._http import ApiError, json_response
from aura_async.testing._keys import CLIENT_ID_KEY

FORM = {"grant_type": "client_credentials"}


def _basic(client_id: str, client_secret: str) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(client_id, client_secret)}


def _raw_basic(decoded: bytes) -> str:
    return "Basic " + base64.b64encode(decoded).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (_raw_basic(b"alice:s3cret"), ("alice", "s3cret")),
        (_raw_basic(b"alice:se:cr:et"), ("alice", "se:cr:et")),
        (_raw_basic(b"alice:"), ("alice", "")),
        ("basic " + base64.b64encode(b"a:b").decode(), ("a", "b")),
        (_raw_basic("jos\u00e9:\u00fc".encode()), ("jos\u00e9", "\u00fc")),
        (_raw_basic(b"no-colon"), None),
        (_raw_basic(b":secret-without-id"), None),
        (_raw_basic(b"\xff\xfe:x"), None),
        ("Basic not-base64!", None),
        ("Bearer abc", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_basic_auth(header: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_basic_auth(header) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"credentials": {}}, "at least one"),
        ({"token_lifetime": 0}, "token_lifetime"),
        ({"token_lifetime": float("nan")}, "token_lifetime"),
        ({"expired_token_status": 400}, "401 or 403"),
        ({"credentials": {"a:b": "secret"}}, "':'"),
    ],
)
def test_invalid_authority_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TokenAuthority(**kwargs)


def test_default_credentials_are_one_random_pair() -> None:
    first, second = TokenAuthority(), TokenAuthority()
    assert len(first.client_ids) == 1
    assert first.client_ids != second.client_ids
    assert first.secret_of(first.client_ids[0]) != second.secret_of(second.client_ids[0])


def test_repr_shows_no_secret_or_token() -> None:
    authority = TokenAuthority({"alice": "s3cret-value"})
    token = authority.issue("alice", "s3cret-value")
    assert "s3cret-value" not in repr(authority)
    assert token not in repr(authority)
    assert "alice" in repr(authority)


@pytest.mark.parametrize(
    ("header", "status", "message"),
    [
        (None, 401, "Authorization header is missing or is not a Bearer token"),
        ("Basic abc", 401, "Authorization header is missing or is not a Bearer token"),
        ("Bearer ", 401, "Authorization header is missing or is not a Bearer token"),
        ("Bearer unknown-token", 401, "Access token is invalid"),
    ],
)
def test_bad_bearer_headers(header: str | None, status: int, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        TokenAuthority().authenticate(header)
    assert (caught.value.status, caught.value.body()) == (status, {"error": message})


@pytest.mark.parametrize("expired_status", [401, 403])
def test_token_expires_after_its_lifetime(expired_status: int, manual_clock: ManualClock) -> None:
    authority = TokenAuthority(
        {"alice": "pw"}, token_lifetime=10, expired_token_status=expired_status, clock=manual_clock
    )
    token = authority.issue("alice", "pw")
    manual_clock.advance(9.999)
    assert authority.authenticate(f"Bearer {token}") == "alice"
    manual_clock.advance(0.001)
    with pytest.raises(ApiError) as caught:
        authority.authenticate(f"Bearer {token}")
    assert caught.value.status == expired_status
    assert caught.value.body() == {"error": "Token has expired"}


def test_expire_tokens_of_one_client(manual_clock: ManualClock) -> None:
    authority = TokenAuthority({"alice": "a", "bob": "b"}, clock=manual_clock)
    alice, bob = authority.issue("alice", "a"), authority.issue("bob", "b")
    authority.expire_tokens("alice")
    with pytest.raises(ApiError, match="expired"):
        authority.authenticate(f"Bearer {alice}")
    assert authority.authenticate(f"Bearer {bob}") == "bob"
    fresh = authority.issue("alice", "a")
    assert authority.authenticate(f"Bearer {fresh}") == "alice"
    authority.expire_tokens()
    with pytest.raises(ApiError, match="expired"):
        authority.authenticate(f"Bearer {bob}")


def test_expired_tokens_are_forgotten_eventually(manual_clock: ManualClock) -> None:
    authority = TokenAuthority({"alice": "a"}, token_lifetime=1.0, clock=manual_clock)
    old = authority.issue("alice", "a")
    manual_clock.advance(100)
    for _ in range(2048):
        authority.issue("alice", "a")
    with pytest.raises(ApiError, match="invalid"):
        authority.authenticate(f"Bearer {old}")


def test_revoke_rejects_credentials_and_tokens() -> None:
    authority = TokenAuthority({"alice": "a", "bob": "b"})
    token = authority.issue("alice", "a")
    authority.revoke("alice")
    assert authority.client_ids == ["bob"]
    with pytest.raises(ApiError, match="Invalid client credentials"):
        authority.issue("alice", "a")
    with pytest.raises(ApiError, match="invalid"):
        authority.authenticate(f"Bearer {token}")


def test_add_credentials_generates_missing_parts() -> None:
    authority = TokenAuthority({"alice": "a"})
    client_id, secret = authority.add_credentials()
    assert client_id not in ("", "alice")
    assert len(secret) >= 32
    assert authority.add_credentials("carol") == ("carol", authority.secret_of("carol"))
    assert authority.issue(client_id, secret)


# Over loopback.


@pytest.fixture
async def auth_server(
    manual_clock: ManualClock, ping: Any, serve_app: Any
) -> tuple[str, TokenAuthority]:
    authority = TokenAuthority({"alice": "s3cret"}, token_lifetime=60, clock=manual_clock)
    app = build_app(
        authority=authority, rate_limit=None, clock=manual_clock, routes=False, setup=ping
    )
    return await serve_app(app), authority


async def test_token_endpoint_issues_a_bearer_token(
    auth_server: tuple[str, TokenAuthority], http_session: aiohttp.ClientSession
) -> None:
    url, _ = auth_server
    async with http_session.post(
        f"{url}/oauth/token", data=FORM, headers=_basic("alice", "s3cret")
    ) as response:
        assert response.status == 200
        assert "X-Request-Id" in response.headers
        body = await response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 60
    assert body["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 200
        assert await response.json() == {"data": "pong"}


async def test_fractional_lifetime_is_reported_as_is(
    serve_app: Any, http_session: aiohttp.ClientSession
) -> None:
    authority = TokenAuthority({"alice": "pw"}, token_lifetime=0.5)
    url = await serve_app(build_app(authority=authority, rate_limit=None, routes=False))
    async with http_session.post(
        f"{url}/oauth/token", data=FORM, headers=_basic("alice", "pw")
    ) as response:
        assert (await response.json())["expires_in"] == 0.5


TOKEN_REQUEST_ERRORS = [
    # (headers, form body or raw body, status, error message)
    (_basic("alice", "wrong"), FORM, 401, "Invalid client credentials"),
    (_basic("mallory", "s3cret"), FORM, 401, "Invalid client credentials"),
    ({}, FORM, 401, "Invalid client credentials"),
    ({"Authorization": "Basic %%%"}, FORM, 401, "Invalid client credentials"),
    (_basic("alice", "s3cret"), {"grant_type": "password"}, 400, "grant_type"),
    (_basic("alice", "s3cret"), {}, 400, "grant_type"),
    (
        {**_basic("alice", "s3cret"), "Content-Type": "application/json"},
        b'{"grant_type": "client_credentials"}',
        400,
        "Content-Type",
    ),
]


@pytest.mark.parametrize(("headers", "body", "status", "message"), TOKEN_REQUEST_ERRORS)
async def test_token_endpoint_errors(
    headers: dict[str, str],
    body: Any,
    status: int,
    message: str,
    auth_server: tuple[str, TokenAuthority],
    http_session: aiohttp.ClientSession,
) -> None:
    url, _ = auth_server
    async with http_session.post(f"{url}/oauth/token", data=body, headers=headers) as response:
        assert response.status == status
        error = (await response.json())["error"]
    assert message in error
    assert "s3cret" not in error


async def test_expired_token_over_loopback(
    auth_server: tuple[str, TokenAuthority],
    manual_clock: ManualClock,
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> None:
    url, _ = auth_server
    token = await fetch_token(http_session, url, "alice", "s3cret")
    manual_clock.advance(60)
    headers = {"Authorization": f"Bearer {token}"}
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 401
        assert await response.json() == {"error": "Token has expired"}


async def test_revoked_credentials_over_loopback(
    auth_server: tuple[str, TokenAuthority],
    fetch_token: Any,
    http_session: aiohttp.ClientSession,
) -> None:
    url, authority = auth_server
    token = await fetch_token(http_session, url, "alice", "s3cret")
    authority.revoke("alice")
    headers = {"Authorization": f"Bearer {token}"}
    async with http_session.get(f"{url}/v1/ping", headers=headers) as response:
        assert response.status == 401
        assert await response.json() == {"error": "Access token is invalid"}
    async with http_session.post(
        f"{url}/oauth/token", data=FORM, headers=_basic("alice", "s3cret")
    ) as response:
        assert response.status == 401


async def test_paths_outside_the_api_need_no_token(
    auth_server: tuple[str, TokenAuthority], http_session: aiohttp.ClientSession
) -> None:
    url, _ = auth_server
    async with http_session.get(f"{url}/elsewhere") as response:
        assert response.status == 404
    async with http_session.get(f"{url}/v1/no-such-thing") as response:
        assert response.status == 401


async def test_handlers_read_the_caller_under_both_keys(
    serve_app: Any, fetch_token: Any, http_session: aiohttp.ClientSession
) -> None:
    async def whoami(request: web.Request) -> web.Response:
        return json_response(
            {"string": request.get("aura_client_id"), "typed": request[CLIENT_ID_KEY]}
        )

    def add_whoami(app: web.Application) -> None:
        app.router.add_get("/v1/whoami", whoami)

    authority = TokenAuthority({"alice": "pw"})
    url = await serve_app(build_app(authority=authority, routes=False, setup=add_whoami))
    token = await fetch_token(http_session, url, "alice", "pw")
    headers = {"Authorization": f"Bearer {token}"}
    async with http_session.get(f"{url}/v1/whoami", headers=headers) as response:
        assert await response.json() == {"string": "alice", "typed": "alice"}
