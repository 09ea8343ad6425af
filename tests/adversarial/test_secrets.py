"""No secret in any error, under DEBUG logging, across every error class.

For each class of the error tree, a call provokes it (against the emulator with
faults, or a hostile server) while every logger records at DEBUG. The client
secret, the Basic header, the bearer token and the instance password must be
absent from the error's str, repr and formatted traceback, from every link of its
``__cause__``/``__context__`` chain (``request_info`` included), and from every
log record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import attrs
import pytest
from aiohttp import web

from aura_async import (
    AdmissionTimeoutError,
    AppClientError,
    AuraAPIError,
    AuraClient,
    AuraConfigurationError,
    AuraConnectionError,
    AuraError,
    AuraTimeoutError,
    AuraValidationError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    NotFoundError,
    OperationFailedError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    ResponseTooLargeError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    Timeout,
    Token,
    UnreadableResultError,
    WaitTimeoutError,
)
from aura_async._auth import TokenCache, TokenFetch
from aura_async.testing import AuraEmulator, Fault
from tests.adversarial.conftest import (
    HOSTILE_TOKEN,
    HOSTILE_TOKEN_ANSWER,
    RawRequest,
    assert_no_secret,
    exception_texts,
    http_answer,
    log_texts,
    raw_server,
    serve_app,
    token_route,
)
from tests.conftest import FAST_RETRY, INSTANCE_SPEC, make_client

HOSTILE_PASSWORD = "hostile-instance-password-9c1f"
HOSTILE_ID = "abcd1234"


class RecordingTokens:
    """A token provider (the public protocol) that remembers the tokens it handed out."""

    def __init__(self) -> None:
        self._cache = TokenCache()
        self.values: set[str] = set()

    async def token(self, fetch: TokenFetch) -> Token:
        token = await self._cache.token(fetch)
        self.values.add(token.value)
        return token

    def invalidate(self, token: Token) -> None:
        self._cache.invalidate(token)


@attrs.define
class Scene:
    """What a scenario may use: the emulator, a client of it, a hostile server's URL."""

    emu: AuraEmulator
    client: AuraClient
    hostile_url: str
    instance_id: str
    password: str
    secrets: list[str]

    def hostile_client(self, **options: object) -> AuraClient:
        return AuraClient(
            "hostile-id", "hostile-client-secret", base_url=self.hostile_url, **options
        )  # type: ignore[arg-type]


Scenario = Callable[[Scene], Awaitable[object]]


async def _config(scene: Scene) -> object:
    return AuraClient(scene.emu.client_id, scene.emu.client_secret, base_url="https://h:99999")


async def _closed(scene: Scene) -> object:
    client = make_client(scene.emu)
    await client.close()
    return await client.tenants.list()


async def _faulted(scene: Scene, fault: Fault, **options: object) -> object:
    scene.emu.inject(fault)
    view = scene.client.with_options(**options) if options else scene.client  # type: ignore[arg-type]
    return await view.tenants.list()


async def _wrong_secret(scene: Scene) -> object:
    wrong_secret = "not-the-secret-5e2a"
    basic = aiohttp.encode_basic_auth(scene.emu.client_id, wrong_secret)
    scene.secrets += [wrong_secret, basic.removeprefix("Basic ")]
    wrong = AuraClient(scene.emu.client_id, wrong_secret, base_url=scene.emu.url, rate_limit=None)
    async with wrong:
        return await wrong.tenants.list()


async def _app_client(scene: Scene) -> object:
    from fastapi import FastAPI

    from aura_async.fastapi import STATE_ATTRIBUTE, open_aura_client

    app = FastAPI()
    setattr(app.state, STATE_ATTRIBUTE, scene.client)  # already serving a client
    async with open_aura_client(app, client_factory=lambda: scene.client):
        return None


async def _no_answer(scene: Scene) -> object:
    async def answer(request: RawRequest) -> bytes:
        if request.path == "/oauth/token":
            return http_answer(200, HOSTILE_TOKEN_ANSWER)
        await asyncio.sleep(30)  # until the server is closed
        return b""

    async with (
        raw_server(answer) as server,
        AuraClient("hostile-id", "hostile-client-secret", base_url=server.url, timeout=QUICK) as c,
    ):
        return await c.tenants.list()


async def _admission_timeout(scene: Scene) -> object:
    # The first call fills a one-minute window (the token is cached); the next has 1 s.
    async with make_client(scene.emu, rate_limit=RateLimit(1, per=60.0), timeout=1.0) as client:
        await client.tenants.list()
        return await client.tenants.list()


async def _hostile(scene: Scene, call: Callable[[AuraClient], Awaitable[object]]) -> object:
    async with scene.hostile_client(max_body_size=1024, retry=RetryPolicy(max_retries=0)) as c:
        return await call(c)


GET = "/v1/tenants"
QUICK = Timeout(total=0.2)
SCENARIOS: list[tuple[str, type[AuraError], Scenario]] = [
    ("configuration", AuraConfigurationError, _config),
    ("validation", AuraValidationError, lambda s: s.client.instances.get("a/b")),
    ("closed", ClientClosedError, _closed),
    ("app client", AppClientError, _app_client),
    (
        "connection",
        AuraConnectionError,
        lambda s: _faulted(s, Fault("GET", GET, drop=True, times=None)),
    ),
    (
        "timeout",
        AuraTimeoutError,
        _no_answer,
    ),
    ("admission timeout", AdmissionTimeoutError, _admission_timeout),
    (
        "outcome unknown",
        OutcomeUnknownError,
        lambda s: (
            s.emu.inject(Fault("POST", "/v1/instances", status=503, after_apply=True)),
            s.client.instances.create(name="again", tenant_id=s.emu.tenant_id, **INSTANCE_SPEC),
        )[1],
    ),
    ("too large", ResponseTooLargeError, lambda s: _hostile(s, lambda c: c.tenants.get("big"))),
    ("not json", ResponseValidationError, lambda s: _hostile(s, lambda c: c.tenants.list())),
    (
        "unreadable create",
        UnreadableResultError,
        lambda s: _hostile(
            s,
            lambda c: c.instances.create(name="x", tenant_id="t", **INSTANCE_SPEC),
        ),
    ),
    (
        "wait timeout",
        WaitTimeoutError,
        lambda s: s.client.instances.wait(
            s.instance_id, until="paused", timeout=0.05, interval=0.01
        ),
    ),
    (
        "operation failed",
        OperationFailedError,
        lambda s: _hostile(
            s,
            lambda c: c.instances.wait(HOSTILE_ID, until="running", timeout=5, interval=0.01),
        ),
    ),
    ("api error", AuraAPIError, lambda s: _faulted(s, Fault("GET", GET, status=405))),
    ("bad request", BadRequestError, lambda s: _faulted(s, Fault("GET", GET, status=400))),
    ("authentication", AuthenticationError, _wrong_secret),
    ("permission", PermissionDeniedError, lambda s: _faulted(s, Fault("GET", GET, status=403))),
    ("not found", NotFoundError, lambda s: s.client.instances.get("deadbeef")),
    ("conflict", ConflictError, lambda s: _faulted(s, Fault("GET", GET, status=409))),
    (
        "rate limit",
        RateLimitError,
        lambda s: _faulted(s, Fault("GET", GET, status=429, retry_after=3600)),
    ),
    ("server", ServerError, lambda s: _faulted(s, Fault("GET", GET, status=500, times=None))),
]


def _hostile_app() -> web.Application:
    async def tenant(request: web.Request) -> web.Response:
        return web.json_response({"data": {"id": "big", "name": "x" * 4096}})

    async def not_json(request: web.Request) -> web.Response:
        return web.Response(text=f"Authorization: Bearer {HOSTILE_TOKEN}", status=200)

    async def unreadable_create(request: web.Request) -> web.Response:
        body = {"data": {"password": HOSTILE_PASSWORD, "name": 5, "id": 7}}
        return web.json_response(body, status=202)

    async def failed_instance(request: web.Request) -> web.Response:
        data = {"id": HOSTILE_ID, "name": "x", "status": "loading failed"}
        return web.json_response({"data": data})

    app = web.Application()
    app.router.add_post("/oauth/token", token_route)
    app.router.add_get("/v1/tenants/big", tenant)
    app.router.add_get("/v1/tenants", not_json)
    app.router.add_post("/v1/instances", unreadable_create)
    app.router.add_get(f"/v1/instances/{HOSTILE_ID}", failed_instance)
    return app


@asynccontextmanager
async def _scene(emu: AuraEmulator) -> AsyncIterator[Scene]:
    tokens = RecordingTokens()
    async with (
        serve_app(_hostile_app()) as hostile_url,
        make_client(emu, token_provider=tokens, retry=FAST_RETRY) as client,
    ):
        created = await client.instances.create(
            name="app", tenant_id=emu.tenant_id, **INSTANCE_SPEC
        )
        secret = emu.client_secret
        basic = aiohttp.encode_basic_auth(emu.client_id, secret)
        scene = Scene(emu, client, hostile_url, created.id, created.password or "", [])
        scene.secrets += [secret, basic, basic.removeprefix("Basic "), created.password or ""]
        scene.secrets += [HOSTILE_TOKEN, HOSTILE_PASSWORD, "hostile-client-secret"]
        yield scene
        scene.secrets += sorted(tokens.values)


@pytest.mark.parametrize(
    ("cls", "scenario"), [p[1:] for p in SCENARIOS], ids=[p[0] for p in SCENARIOS]
)
async def test_no_secret_in_any_error_or_log_under_debug(
    emu: AuraEmulator,
    caplog: pytest.LogCaptureFixture,
    cls: type[AuraError],
    scenario: Scenario,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with _scene(emu) as scene:
        with pytest.raises(AuraError) as caught:
            await scenario(scene)
    assert isinstance(caught.value, cls)
    assert scene.password
    assert len(scene.secrets) >= 8
    assert_no_secret(exception_texts(caught.value), scene.secrets)
    assert_no_secret(log_texts(caplog.records), scene.secrets)
    assert caplog.records, "DEBUG logging recorded nothing"


def test_every_error_class_has_a_scenario() -> None:
    import aura_async

    tree = {
        cls
        for name in aura_async.__all__
        if isinstance(cls := getattr(aura_async, name), type) and issubclass(cls, AuraError)
    }
    covered = {cls for _name, cls, _scenario in SCENARIOS}
    # The base class is never raised as such; the redis backend's errors have their suite.
    missing = {cls.__name__ for cls in tree - covered if cls is not AuraError}
    assert not missing, missing
