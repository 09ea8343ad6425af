"""Every error class, provoked with DEBUG logging and the OpenTelemetry SDK on: no client
secret, token, Basic header or instance password in any span, event, metric or log record."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI

import aura_async
from aura_async import AuraClient, AuraError, RateLimit, RetryPolicy
from aura_async.fastapi import open_aura_client
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import INSTANCE_SPEC, create_instance, make_client
from tests.resources.scripted_api import TOKEN, scripted_api
from tests.telemetry.conftest import Otel

WRONG_SECRET = "wrong-secret-0b7f3c9e2d"
PASSWORD = "pw-scripted-8d1e0a"
Scenario = Callable[[AuraEmulator, list[str]], Awaitable[None]]


def basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def created(emu: AuraEmulator, client: AuraClient, found: list[str]) -> str:
    """Create an instance; keep its password among the secrets to look for."""
    instance = await create_instance(client, emu, "kept")
    assert instance.password
    found.append(instance.password)
    return instance.id


async def configuration(emu: AuraEmulator, found: list[str]) -> None:
    AuraClient(emu.client_id, emu.client_secret, base_url="ftp://127.0.0.1")


async def validation(emu: AuraEmulator, found: list[str]) -> None:
    async with make_client(emu) as client:
        await client.tenants.list()
        await client.instances.get("../tenants")


async def closed(emu: AuraEmulator, found: list[str]) -> None:
    client = make_client(emu)
    await client.tenants.list()
    await client.close()
    await client.tenants.list()


async def connection(emu: AuraEmulator, found: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    retry = RetryPolicy(max_retries=1, backoff_base=0.001)
    options: dict[str, Any] = {"base_url": url, "rate_limit": None, "retry": retry}
    async with AuraClient(emu.client_id, emu.client_secret, **options) as client:
        await client.tenants.list()


async def timeout(emu: AuraEmulator, found: list[str]) -> None:
    async with make_client(emu, timeout=0.2) as client:
        await client.tenants.list()
        emu.inject(Fault("GET", "/v1/tenants", latency=5.0, times=None))
        await client.tenants.list()


async def admission_timeout(emu: AuraEmulator, found: list[str]) -> None:
    # The token and the first call fill the window for a minute; the second call has 1 s.
    async with make_client(emu, rate_limit=RateLimit(2, per=60.0), timeout=1.0) as client:
        await client.tenants.list()
        await client.tenants.list()


async def app_client(emu: AuraEmulator, found: list[str]) -> None:
    app = FastAPI()
    async with open_aura_client(app, lambda: make_client(emu), check=True) as client:
        await client.tenants.list()
        async with open_aura_client(app, lambda: make_client(emu)):
            pass


async def outcome_unknown(emu: AuraEmulator, found: list[str]) -> None:
    async with make_client(emu) as client:
        await created(emu, client, found)
        emu.inject(Fault("POST", "/v1/instances", status=500, after_apply=True))
        await create_instance(client, emu, "ambiguous")


async def unreadable(emu: AuraEmulator, found: list[str]) -> None:
    found += [TOKEN["access_token"], basic("id", "secret"), PASSWORD]
    async with scripted_api() as (api, client):
        api.answer("POST", "/instances", b"<html>" + PASSWORD.encode() + b"</html>", status=202)
        await client.instances.create(name="x", tenant_id="t", **INSTANCE_SPEC)


async def invalid_response(emu: AuraEmulator, found: list[str]) -> None:
    found += [TOKEN["access_token"], basic("id", "secret"), PASSWORD]
    async with scripted_api() as (api, client):
        api.answer("GET", "/instances/abc", b'{"password": "' + PASSWORD.encode() + b'"')
        await client.instances.get("abc")


async def wait_timeout(emu: AuraEmulator, found: list[str]) -> None:
    emu.inject(Fault("GET", "/v1/instances/*", status=503, times=None))
    async with make_client(emu) as client:
        instance_id = await created(emu, client, found)
        await client.instances.wait(instance_id, until="running", timeout=0.1, interval=0.01)


async def operation_failed(emu: AuraEmulator, found: list[str]) -> None:
    async with make_client(emu) as client:
        instance_id = await created(emu, client, found)
        emu.settle()
        emu.state.instances[instance_id].status = "loading failed"
        await client.instances.wait(instance_id, until="running", timeout=5, interval=0.01)


async def bad_request(emu: AuraEmulator, found: list[str]) -> None:
    assert emu.tenant_id is not None
    spec = INSTANCE_SPEC | {"memory": "3TB"}
    async with make_client(emu) as client:
        await client.instances.create(name="x", tenant_id=emu.tenant_id, **spec)


async def authentication(emu: AuraEmulator, found: list[str]) -> None:
    found += [WRONG_SECRET, basic(emu.client_id, WRONG_SECRET)]
    async with AuraClient(emu.client_id, WRONG_SECRET, base_url=emu.url, rate_limit=None) as client:
        await client.tenants.list()


def answering(status: int, **options: Any) -> Scenario:
    async def scenario(emu: AuraEmulator, found: list[str]) -> None:
        async with make_client(emu) as client:
            instance_id = await created(emu, client, found)
            emu.inject(Fault("GET", "/v1/instances/*", status=status, times=None, **options))
            await client.instances.get(instance_id)

    return scenario


async def too_large(emu: AuraEmulator, found: list[str]) -> None:
    found += [TOKEN["access_token"], basic("id", "secret"), PASSWORD]
    padding = b"x" * (5 * 1024 * 1024)  # over the default 4 MiB limit
    body = b'{"data": {"id": "abc", "password": "' + PASSWORD.encode() + b'", "pad": "'
    async with scripted_api() as (api, client):
        api.answer("GET", "/instances/abc", body + padding + b'"}}')
        await client.instances.get("abc")


async def not_found(emu: AuraEmulator, found: list[str]) -> None:
    async with make_client(emu) as client:
        emu.expire_tokens()  # a refreshed token, too
        await client.instances.get("0123abcd")


SCENARIOS: dict[type[AuraError], Scenario] = {
    aura_async.AuraConfigurationError: configuration,
    aura_async.AuraValidationError: validation,
    aura_async.ClientClosedError: closed,
    aura_async.AppClientError: app_client,
    aura_async.AuraConnectionError: connection,
    aura_async.AuraTimeoutError: timeout,
    aura_async.AdmissionTimeoutError: admission_timeout,
    aura_async.OutcomeUnknownError: outcome_unknown,
    aura_async.UnreadableResultError: unreadable,
    aura_async.ResponseValidationError: invalid_response,
    aura_async.ResponseTooLargeError: too_large,
    aura_async.WaitTimeoutError: wait_timeout,
    aura_async.OperationFailedError: operation_failed,
    aura_async.BadRequestError: bad_request,
    aura_async.AuthenticationError: authentication,
    aura_async.PermissionDeniedError: answering(403),
    aura_async.NotFoundError: not_found,
    aura_async.ConflictError: answering(409),
    aura_async.RateLimitError: answering(429, retry_after=3600),
    aura_async.ServerError: answering(503, retry_after=0),
    aura_async.AuraAPIError: answering(418),
}


def test_every_error_class_has_a_scenario() -> None:
    """Every error ``aura_async`` exports (the Redis backend's own are tested with Redis)."""
    exported = {getattr(aura_async, name) for name in aura_async.__all__}
    errors = {e for e in exported if isinstance(e, type) and issubclass(e, AuraError)}
    assert set(SCENARIOS) == errors - {AuraError}


def everything_recorded(otel: Otel, caplog: pytest.LogCaptureFixture) -> str:
    texts: list[str] = []
    for span in otel.spans.get_finished_spans():
        texts += [span.name, repr(dict(span.attributes or {})), repr(span.status.description)]
        texts += [f"{e.name} {dict(e.attributes or {})!r}" for e in span.events]
    texts += [repr(sorted(map(repr, otel.points())))]
    formatter = logging.Formatter()
    for record in caplog.records:
        texts += [record.getMessage(), repr(vars(record))]
        if record.exc_info:
            texts.append(formatter.formatException(record.exc_info))
    return "\n".join(texts)


@pytest.mark.parametrize("cls", list(SCENARIOS), ids=lambda cls: cls.__name__)
async def test_no_secret_in_any_span_metric_or_log(
    cls: type[AuraError], emu: AuraEmulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    found = [emu.client_secret, basic(emu.client_id, emu.client_secret)]
    with pytest.raises(cls) as caught:
        await asyncio.wait_for(SCENARIOS[cls](emu, found), 20)
    assert type(caught.value) is cls
    found += list(emu.authority._tokens)  # every token still valid
    recorded = everything_recorded(otel, caplog)
    assert "aura " in recorded or cls is aura_async.AuraConfigurationError  # spans were made
    for secret in found:
        assert secret not in recorded
