"""aura_async.fastapi and the example app, in process: the ASGI lifespan runs, and the
app's client talks to an emulator over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import math
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import aura_async.fastapi
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
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    WaitTimeoutError,
)
from aura_async._errors import error_from_response
from aura_async.fastapi import (
    ERROR_STATUSES,
    STATE_ATTRIBUTE,
    AuraClientDep,
    aura_lifespan,
    error_answer,
    install_exception_handlers,
    limiter_health,
    merged_statuses,
    open_aura_client,
    status_for,
)
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import INSTANCE_SPEC, make_client

EXAMPLE_PATH = Path(__file__).resolve().parent.parent / "examples" / "fastapi_app.py"
LIFESPAN_STEP_TIMEOUT = 10.0
SUBPROCESS_TIMEOUT = 30.0


def load_example() -> ModuleType:
    """Import ``examples/fastapi_app.py`` by path, as a fresh module."""
    spec = importlib.util.spec_from_file_location("aura_fastapi_example", EXAMPLE_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


@contextlib.asynccontextmanager
async def asgi_lifespan(app: Any) -> AsyncIterator[None]:
    """Drive ``app``'s lifespan over the ASGI protocol, as a server does."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))

    async def step(message: str) -> None:
        await inbox.put({"type": f"lifespan.{message}"})
        answer = await asyncio.wait_for(outbox.get(), LIFESPAN_STEP_TIMEOUT)
        if answer["type"] != f"lifespan.{message}.complete":
            await asyncio.wait_for(task, LIFESPAN_STEP_TIMEOUT)  # raises the app's error
            raise AssertionError(answer)

    await step("startup")
    try:
        yield
    finally:
        await step("shutdown")
        await asyncio.wait_for(task, LIFESPAN_STEP_TIMEOUT)


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` and yield an HTTP client calling it in process."""
    async with asgi_lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
            yield http


def new_instance(emu: AuraEmulator, name: str) -> dict[str, str]:
    assert emu.tenant_id is not None
    return {"name": name, "tenant_id": emu.tenant_id, **INSTANCE_SPEC}


# -- pure mapping -------------------------------------------------------------------


def api_error_of(status: int, **extra: Any) -> AuraError:
    """The error the SDK raises for an API answer of ``status``."""
    return error_from_response(
        status=status,
        body=b'{"errors": [{"message": "upstream says no"}]}',
        content_type="application/json",
        method="GET",
        url="u",
        request_id="req-1",
        **extra,
    )


@pytest.mark.parametrize(
    ("error", "status", "headers", "request_id"),
    [
        (api_error_of(400), 400, {}, "req-1"),
        (AuraValidationError("upstream says no: name must be short"), 422, {}, None),
        (api_error_of(404), 404, {}, "req-1"),
        (api_error_of(409), 409, {}, "req-1"),
        (AuraTimeoutError("upstream says no", method="GET", url="u"), 504, {}, None),
        (WaitTimeoutError("upstream says no", last=None), 504, {}, None),
        (
            AdmissionTimeoutError("upstream says no", estimated_wait=58.2, deadline=1.0),
            503,
            {"Retry-After": "59"},
            None,
        ),
        (
            AdmissionTimeoutError("upstream says no", estimated_wait=3.0, deadline=0.0),
            503,
            {"Retry-After": "3"},
            None,
        ),
        (api_error_of(429, retry_after=2.2), 503, {"Retry-After": "3"}, "req-1"),
        (api_error_of(429, retry_after=0.0), 503, {"Retry-After": "0"}, "req-1"),
        (api_error_of(429, retry_after=math.inf), 503, {}, "req-1"),
        (api_error_of(429), 503, {}, "req-1"),
        (api_error_of(401), 502, {}, "req-1"),
        (api_error_of(403), 502, {}, "req-1"),
        (api_error_of(503, retry_after=5.0), 502, {}, "req-1"),
        (api_error_of(418), 502, {}, "req-1"),
        (
            OutcomeUnknownError("upstream says no", method="POST", url="u", request_id="r"),
            502,
            {},
            "r",
        ),
        (AuraConnectionError("upstream says no"), 502, {}, None),
        (ResponseValidationError("upstream says no", request_id="r"), 502, {}, "r"),
        (AuraConfigurationError("upstream says no"), 502, {}, None),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, AuraError) else None,
)
def test_error_answer_maps_each_error(
    error: AuraError, status: int, headers: dict[str, str], request_id: str | None
) -> None:
    answer = error_answer(error)
    assert answer.status == status
    assert answer.headers == headers
    assert answer.body == {"detail": answer.detail, "request_id": request_id}
    assert "upstream says no" in answer.detail


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (
            OutcomeUnknownError("HTTP 500", method="POST", url="u"),
            "The operation may or may not have happened",
        ),
        (api_error_of(401), "The service's Aura API credential was rejected."),
        (api_error_of(403), "The service's Aura API credential may not do this."),
    ],
)
def test_the_answer_says_what_to_do_and_whose_fault_it_is(error: AuraError, hint: str) -> None:
    assert error_answer(error).detail.startswith(hint)


class _FutureError(RateLimitError):
    """A subclass with no entry of its own (as new error classes will be)."""


@pytest.mark.parametrize(
    ("error", "statuses", "status"),
    [
        (api_error_of(409), ERROR_STATUSES, 409),
        (_FutureError("x", status=429, retry_after=1.0), ERROR_STATUSES, 503),
        (_FutureError("x", status=429), {**ERROR_STATUSES, _FutureError: 429}, 429),
        (api_error_of(409), {**ERROR_STATUSES, ConflictError: 423}, 423),
        (api_error_of(409), {AuraAPIError: 500}, 500),
        (api_error_of(409), {}, 502),
    ],
)
def test_status_for_takes_the_nearest_class(
    error: AuraError, statuses: dict[type[AuraError], int], status: int
) -> None:
    assert status_for(error, statuses) == status


def test_a_subclass_without_an_entry_keeps_its_bases_retry_after() -> None:
    answer = error_answer(_FutureError("x", status=429, retry_after=1.5))
    assert (answer.status, answer.headers) == (503, {"Retry-After": "2"})


def test_overrides_replace_entries_and_keep_the_rest() -> None:
    merged = merged_statuses({ConflictError: 423, AuraConfigurationError: 500})
    assert merged[ConflictError] == 423
    assert merged[AuraConfigurationError] == 500
    assert {
        k: v for k, v in merged.items() if k not in (ConflictError, AuraConfigurationError)
    } == {k: v for k, v in ERROR_STATUSES.items() if k is not ConflictError}
    assert merged_statuses(None) == ERROR_STATUSES


@pytest.mark.parametrize(
    "overrides",
    [{ValueError: 400}, {"ConflictError": 409}, {ConflictError: 200}, {ConflictError: "409"}],
)
def test_a_bad_override_is_a_configuration_error(overrides: dict[Any, Any]) -> None:
    with pytest.raises(AuraConfigurationError, match="statuses"):
        install_exception_handlers(FastAPI(), statuses=overrides)


def test_the_mapping_needs_no_web_framework() -> None:
    code = (
        "import sys, aura_async._http_errors\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=SUBPROCESS_TIMEOUT)


@pytest.mark.parametrize(
    ("environ", "requests"),
    [
        ({}, 125),
        ({"AURA_WORKERS": "1"}, 125),
        ({"AURA_WORKERS": "2"}, 62),
        ({"WEB_CONCURRENCY": "4"}, 31),
        ({"AURA_WORKERS": "5", "WEB_CONCURRENCY": "2"}, 25),
        ({"AURA_WORKERS": "125"}, 1),
    ],
)
def test_each_worker_takes_its_share_of_the_allowance(
    example: ModuleType, environ: dict[str, str], requests: int
) -> None:
    assert example.worker_rate_limit(environ) == RateLimit(requests, per=60.0)


@pytest.mark.parametrize("workers", ["0", "-2", "two", "1.5", "126"])
def test_a_bad_worker_count_is_a_configuration_error(example: ModuleType, workers: str) -> None:
    with pytest.raises(AuraConfigurationError, match=r"workers|AURA_WORKERS"):
        example.worker_rate_limit({"AURA_WORKERS": workers})


def test_a_factory_and_client_options_together_are_refused() -> None:
    with pytest.raises(AuraConfigurationError, match="either"):
        aura_lifespan(lambda: AuraClient("id", "secret"), rate_limit=None)


def test_a_factory_and_a_backend_together_are_refused() -> None:
    with pytest.raises(AuraConfigurationError, match="backend"):
        aura_lifespan(lambda: AuraClient("id", "secret"), backend=contextlib.nullcontext)  # type: ignore[arg-type]


def test_the_core_package_never_imports_fastapi() -> None:
    code = (
        "import sys, aura_async, aura_async.models, aura_async.testing\n"
        "aura_async.AuraClient('id', 'secret')\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=SUBPROCESS_TIMEOUT)


def test_the_public_names_are_pinned() -> None:
    expected = """ERROR_STATUSES STATE_ATTRIBUTE AuraClientDep ClientFactory ErrorAnswer
    ErrorStatuses aura_lifespan error_answer get_aura_client install_exception_handlers
    limiter_health merged_statuses open_aura_client status_for"""
    assert sorted(aura_async.fastapi.__all__) == sorted(expected.split())


# -- lifespan and dependency ----------------------------------------------------------


async def test_the_example_app_builds_its_client_from_env_at_startup_and_closes_it(
    emu: AuraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AURA_CLIENT_ID", emu.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", emu.client_secret)
    monkeypatch.setenv("AURA_BASE_URL", emu.url)
    monkeypatch.setenv("AURA_WORKERS", "2")
    app = load_example().app
    assert not hasattr(app.state, STATE_ATTRIBUTE)  # importing built no client
    async with serve(app) as http:
        client = getattr(app.state, STATE_ATTRIBUTE)
        assert (client.client_id, client.base_url) == (emu.client_id, emu.url)
        answers = await asyncio.gather(*(http.get("/instances") for _ in range(20)))
    assert [answer.status_code for answer in answers] == [200] * 20
    assert emu.journal.token_requests() == 1
    assert client.closed
    assert not hasattr(app.state, STATE_ATTRIBUTE)


async def test_the_apps_own_lifespan_runs_inside_with_the_client_open(emu: AuraEmulator) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        client = getattr(app.state, STATE_ATTRIBUTE)
        events.append(f"start with {len(await client.tenants.list())} project")
        yield {"greeting": "hello"}
        events.append(f"stop, client closed: {client.closed}")

    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu), lifespan=own))
    async with app.router.lifespan_context(app) as state:
        assert state == {"greeting": "hello"}
        client = getattr(app.state, STATE_ATTRIBUTE)
    assert events == ["start with 1 project", "stop, client closed: False"]
    assert client.closed


async def test_a_failed_app_startup_still_closes_the_client(emu: AuraEmulator) -> None:
    built: list[AuraClient] = []

    def factory() -> AuraClient:
        built.append(make_client(emu))
        return built[-1]

    @contextlib.asynccontextmanager
    async def broken(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("the app's own startup failed")
        yield

    app = FastAPI(lifespan=aura_lifespan(factory, lifespan=broken))
    with pytest.raises(RuntimeError, match="own startup failed"):
        async with asgi_lifespan(app):
            pass
    assert len(built) == 1
    assert built[0].closed
    assert not hasattr(app.state, STATE_ATTRIBUTE)


async def test_open_aura_client_nests_in_a_lifespan_with_an_async_factory(
    emu: AuraEmulator,
) -> None:
    async def factory() -> AuraClient:
        return make_client(emu)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_aura_client(app, factory) as aura:
            assert getattr(app.state, STATE_ATTRIBUTE) is aura
            with pytest.raises(AppClientError, match="already set") as raised:
                async with open_aura_client(app, factory):
                    pass
            assert isinstance(raised.value, RuntimeError)  # as before 0.1.0
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/client-id")
    async def client_id(aura: AuraClientDep) -> str:
        return aura.client_id

    async with serve(app) as http:
        assert (await http.get("/client-id")).json() == emu.client_id


async def test_a_factory_must_return_a_client() -> None:
    app = FastAPI(lifespan=aura_lifespan(lambda: "not a client"))  # type: ignore[arg-type,return-value]
    with pytest.raises(AuraConfigurationError, match="must return an AuraClient, got str"):
        async with asgi_lifespan(app):
            pass


async def test_the_dependency_explains_a_missing_lifespan() -> None:
    app = FastAPI()

    @app.get("/")
    async def root(aura: AuraClientDep) -> str:
        return aura.client_id

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
        with pytest.raises(AppClientError, match="aura_lifespan") as raised:
            await http.get("/")
    assert isinstance(raised.value, RuntimeError)  # as before 0.1.0


# -- the example's endpoints ----------------------------------------------------------


async def test_create_get_list_pause_resume_and_bulk_pause(
    manual_emu: AuraEmulator, example: ModuleType
) -> None:
    emu = manual_emu
    async with serve(example.create_app(lambda: make_client(emu))) as http:
        created = await http.post("/instances", json=new_instance(emu, "orders"))
        assert created.status_code == 202
        instance_id = created.json()["id"]
        assert created.headers["Location"] == f"http://app.test/instances/{instance_id}"
        assert "password" not in created.json()
        assert (await http.get(created.headers["Location"])).json()["status"] == "creating"
        listed = await http.get("/instances", params={"tenant_id": emu.tenant_id})
        assert [row["id"] for row in listed.json()] == [instance_id]
        emu.settle()
        paused = await http.post(f"/instances/{instance_id}/pause")
        assert (paused.status_code, paused.json()["status"]) == (202, "pausing")
        emu.settle()
        resumed = await http.post(f"/instances/{instance_id}/resume")
        assert (resumed.status_code, resumed.json()["status"]) == (202, "resuming")
        emu.settle()
        bulk = await http.post("/instances/pause", json={"instance_ids": [instance_id, "0dead"]})
    rows = bulk.json()
    assert rows[0] == {"instance_id": instance_id, "status": 202, "instance_status": "pausing"}
    assert (rows[1]["instance_id"], rows[1]["status"]) == ("0dead", 404)
    assert rows[1]["detail"]
    assert emu.state.instance(instance_id).status == "pausing"


async def test_the_example_serves_the_limiter_health(
    emu: AuraEmulator, example: ModuleType
) -> None:
    factory = lambda: make_client(emu, rate_limit=RateLimit(125, per=60.0))  # noqa: E731
    async with serve(example.create_app(factory)) as http:
        await http.get("/instances/0dead")
        health = (await http.get("/health/aura")).json()
    # The startup check's token fetch and the get.
    assert (health["rate_limited"], health["sends_in_window"], health["limit"]) == (True, 2, 125)


async def test_a_missing_instance_is_404_with_the_request_id(
    emu: AuraEmulator, example: ModuleType
) -> None:
    async with serve(example.create_app(lambda: make_client(emu))) as http:
        answer = await http.get("/instances/0dead")
    assert answer.status_code == 404
    assert set(answer.json()) == {"detail", "request_id"}
    assert answer.json()["request_id"] == emu.journal.entries[-1].request_id


async def test_an_invalid_argument_is_422_and_nothing_is_sent(
    emu: AuraEmulator, example: ModuleType
) -> None:
    async with serve(example.create_app(lambda: make_client(emu))) as http:
        answer = await http.post("/instances", json=new_instance(emu, "n" * 31))
    assert answer.status_code == 422
    assert answer.json() == {"detail": answer.json()["detail"], "request_id": None}
    assert "name" in answer.json()["detail"]
    assert emu.journal.count(method="POST", path="/v1/instances") == 0


async def test_a_rate_limited_call_is_503_with_retry_after(
    emu: AuraEmulator, example: ModuleType
) -> None:
    emu.inject(Fault("GET", "/v1/instances", status=429, retry_after=7))
    factory = lambda: make_client(emu, retry=RetryPolicy(max_retries=0))  # noqa: E731
    async with serve(example.create_app(factory)) as http:
        answer = await http.get("/instances")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "7"


async def test_a_call_the_limiter_cannot_admit_in_time_is_503_with_its_estimate(
    emu: AuraEmulator, example: ModuleType
) -> None:
    # The token and one call fill a one-minute window; the next call has 2 s left.
    factory = lambda: make_client(emu, rate_limit=RateLimit(2, per=60.0), timeout=2.0)  # noqa: E731
    async with serve(example.create_app(factory)) as http:
        assert (await http.get("/instances")).status_code == 200
        answer = await http.get("/instances")
    assert answer.status_code == 503
    assert 58 <= int(answer.headers["Retry-After"]) <= 60
    assert "estimated wait" in answer.json()["detail"]
    assert emu.journal.count(method="GET", path="/v1/instances") == 1


async def test_the_limiter_health_endpoint_shows_the_shared_limiter(emu: AuraEmulator) -> None:
    app = FastAPI(
        lifespan=aura_lifespan(lambda: make_client(emu, rate_limit=RateLimit(5, per=60.0)))
    )
    app.add_api_route("/health/aura", limiter_health)
    plain = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu, rate_limit=None)))
    plain.add_api_route("/health/aura", limiter_health)
    async with serve(app) as http:
        before = (await http.get("/health/aura")).json()
        async with serve(plain) as other:
            off = (await other.get("/health/aura")).json()
    assert before == {
        "rate_limited": True,
        "queued_interactive": 0,
        "queued_bulk": 0,
        "sends_in_window": 0,
        "limit": 5,
        "per": 60.0,
        "cooldown_remaining": 0.0,
        "paced": False,
        "ramping": True,  # a cold limiter: nothing sent yet, the server's window unknown
        "rejections": 0,
        "resends": 0,
        "admission_timeouts": 0,
    }
    assert off == {"rate_limited": False}
    assert len(emu.journal) == 0  # nothing was sent


async def test_an_ambiguous_create_is_502_saying_it_may_have_happened(
    emu: AuraEmulator, example: ModuleType
) -> None:
    emu.inject(Fault("POST", "/v1/instances", status=500, after_apply=True))
    async with serve(example.create_app(lambda: make_client(emu))) as http:
        answer = await http.post("/instances", json=new_instance(emu, "maybe"))
        listed = await http.get("/instances")
    assert answer.status_code == 502
    assert "may or may not have happened" in answer.json()["detail"]
    assert [row["name"] for row in listed.json()] == ["maybe"]  # it did happen
    assert emu.journal.count(method="POST", path="/v1/instances") == 1


async def test_no_secret_reaches_any_answer(emu: AuraEmulator, example: ModuleType) -> None:
    sent_authorizations: set[str] = set()

    async def on_headers_sent(_: Any, __: Any, params: Any) -> None:
        sent_authorizations.add(params.headers.get("Authorization", ""))

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers_sent)
    emu.inject(Fault("GET", "/v1/instances", status=503, times=None))
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        serve(example.create_app(lambda: make_client(emu, session=session))) as http,
    ):
        answers = [
            await http.post("/instances", json=new_instance(emu, "secretive")),
            await http.post("/instances", json=new_instance(emu, " padded")),
            await http.get("/instances"),
            await http.get("/instances/0dead"),
            await http.post("/instances/pause", json={"instance_ids": ["0dead", "0beef"]}),
        ]
    secrets = {emu.client_secret} | {auth.split(" ", 1)[1] for auth in sent_authorizations}
    assert len(secrets) == 3  # the secret, its Basic header and one bearer token
    assert [answer.status_code for answer in answers] == [202, 422, 502, 404, 200]
    for answer in answers:
        shown = answer.text + repr(answer.headers)
        assert not [secret for secret in secrets if secret in shown]


async def test_a_handler_for_a_narrower_error_class_takes_precedence(emu: AuraEmulator) -> None:
    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu)))
    install_exception_handlers(app)

    async def gone(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse({"gone": True}, status_code=410)

    app.add_exception_handler(NotFoundError, gone)

    @app.get("/instances/{instance_id}")
    async def get_instance(instance_id: str, aura: AuraClientDep) -> str:
        return (await aura.instances.get(instance_id)).name

    @app.get("/tenants/{tenant_id}")
    async def get_tenant(tenant_id: str, aura: AuraClientDep) -> str:
        return (await aura.tenants.get(tenant_id)).name

    emu.inject(Fault("GET", "/v1/tenants/*", status=500, times=None))
    async with serve(app) as http:
        assert (await http.get("/instances/0dead")).status_code == 410
        assert (await http.get(f"/tenants/{emu.tenant_id}")).status_code == 502


# -- statuses a service would choose, over HTTP; the startup check -------------------


async def test_auras_400_and_409_reach_the_caller_as_400_and_409(
    manual_emu: AuraEmulator, example: ModuleType
) -> None:
    emu = manual_emu
    async with serve(example.create_app(lambda: make_client(emu))) as http:
        bad_region = new_instance(emu, "orders") | {"region": "moon-south1"}
        refused = await http.post("/instances", json=bad_region)
        created = (await http.post("/instances", json=new_instance(emu, "orders"))).json()
        busy = await http.post(f"/instances/{created['id']}/pause")  # still creating
    assert (refused.status_code, busy.status_code) == (400, 409)
    assert refused.json()["request_id"] is not None
    assert busy.json()["request_id"] is not None


async def test_a_waiter_timeout_is_504_and_a_rejected_credential_502(emu: AuraEmulator) -> None:
    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu)))
    install_exception_handlers(app)

    @app.get("/wait/{instance_id}")
    async def wait(instance_id: str, aura: AuraClientDep) -> str:
        instance = await aura.instances.wait(
            instance_id, until="paused", timeout=0.05, interval=0.01
        )
        return instance.id

    @app.get("/projects")
    async def projects(aura: AuraClientDep) -> int:
        return len(await aura.tenants.list())

    async with serve(app) as http:
        assert (await http.get("/projects")).status_code == 200
        async with make_client(emu) as other:
            instance = await other.instances.create(**new_instance(emu, "slow"))
        timed_out = await http.get(f"/wait/{instance.id}")
        emu.revoke(emu.client_id)
        rejected = await http.get("/projects")
    assert timed_out.status_code == 504
    assert rejected.status_code == 502
    assert rejected.json()["detail"].startswith("The service's Aura API credential was rejected")


async def test_overridden_statuses_answer_over_http(manual_emu: AuraEmulator) -> None:
    emu = manual_emu
    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu)))
    install_exception_handlers(app, statuses={ConflictError: 423, NotFoundError: 410})

    @app.post("/pause/{instance_id}")
    async def pause(instance_id: str, aura: AuraClientDep) -> str:
        return (await aura.instances.pause(instance_id)).id

    async with serve(app) as http:
        client = getattr(app.state, STATE_ATTRIBUTE)
        instance = await client.instances.create(**new_instance(emu, "busy"))
        busy = await http.post(f"/pause/{instance.id}")
        missing = await http.post("/pause/0dead")
    assert (busy.status_code, missing.status_code) == (423, 410)


async def test_check_fetches_the_token_at_startup_and_the_calls_reuse_it(
    emu: AuraEmulator,
) -> None:
    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu), check=True))

    @app.get("/projects")
    async def projects(aura: AuraClientDep) -> int:
        return len(await aura.tenants.list())

    async with asgi_lifespan(app):
        assert emu.journal.token_requests() == 1
        assert len(emu.journal.entries) == 1  # the token request, and nothing else
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
            assert (await http.get("/projects")).json() == 1
    assert emu.journal.token_requests() == 1


async def test_check_fails_the_startup_on_a_wrong_secret_and_closes_the_client(
    emu: AuraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AURA_CLIENT_ID", emu.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", "wrong-secret-7f3a9c")
    monkeypatch.setenv("AURA_BASE_URL", emu.url)
    app = FastAPI(lifespan=aura_lifespan(check=True, rate_limit=None))
    with pytest.raises(AuthenticationError) as raised:
        async with asgi_lifespan(app):
            pass
    assert raised.value.status == 401
    assert "wrong-secret-7f3a9c" not in f"{raised.value!s}{raised.value!r}"
    assert not hasattr(app.state, STATE_ATTRIBUTE)
    assert emu.journal.token_requests() == 1


async def test_without_check_a_wrong_secret_waits_for_the_first_call(emu: AuraEmulator) -> None:
    app = FastAPI(
        lifespan=aura_lifespan(lambda: AuraClient(emu.client_id, "wrong", base_url=emu.url))
    )
    async with asgi_lifespan(app):
        assert emu.journal.token_requests() == 0
