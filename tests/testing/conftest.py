"""Shared fixtures of the emulator's tests: a manual clock, loopback serving, tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from aura_async.testing._clock import ManualClock
from aura_async.testing._http import data_response, read_json_object

ServeApp = Callable[[web.Application], Awaitable[str]]
FetchToken = Callable[[aiohttp.ClientSession, str, str, str], Awaitable[str]]


class PingRoutes:
    """Tiny ``/v1/ping`` routes to test the middlewares without the API's routes.

    ``GET`` answers ``{"data": "pong"}``; ``POST`` (a JSON object body) counts its
    calls in :attr:`applied` and answers 202, like a create; ``GET /v1/boom`` raises
    an unexpected exception.
    """

    def __init__(self) -> None:
        self.applied = 0

    def __call__(self, app: web.Application) -> None:
        app.router.add_get("/v1/ping", self.get, name="get-ping")
        app.router.add_post("/v1/ping", self.post, name="post-ping")
        app.router.add_get("/v1/boom", self.boom)

    async def get(self, request: web.Request) -> web.Response:
        return data_response("pong")

    async def post(self, request: web.Request) -> web.Response:
        await read_json_object(request)
        self.applied += 1
        return data_response({"applied": self.applied}, status=202)

    async def boom(self, request: web.Request) -> web.Response:
        raise RuntimeError("unexpected")


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock the test steps by hand."""
    return ManualClock()


@pytest.fixture
def ping() -> PingRoutes:
    """Fresh ``/v1/ping`` routes; pass as ``build_app(..., setup=ping)``."""
    return PingRoutes()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def serve_app() -> AsyncIterator[ServeApp]:
    """Serve apps on 127.0.0.1, a free port each; return their base URLs."""
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in reversed(runners):
        await runner.cleanup()


def basic_auth(client_id: str, client_secret: str) -> dict[str, str]:
    """Return the Authorization header of a token request."""
    return {"Authorization": aiohttp.encode_basic_auth(client_id, client_secret)}


TOKEN_FORM = {"grant_type": "client_credentials"}


@pytest.fixture
def fetch_token() -> FetchToken:
    """Return a coroutine function fetching an access token (asserting a 200)."""

    async def fetch(
        session: aiohttp.ClientSession, base_url: str, client_id: str, client_secret: str
    ) -> str:
        async with session.post(
            f"{base_url}/oauth/token", data=TOKEN_FORM, headers=basic_auth(client_id, client_secret)
        ) as response:
            assert response.status == 200, await response.text()
            token: str = (await response.json())["access_token"]
            return token

    return fetch
