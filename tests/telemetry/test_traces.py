"""One span per SDK call, against the emulator, read with the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from yarl import URL

from aura_async import AuraClient, NotFoundError, OutcomeUnknownError, RateLimit
from aura_async._ratelimit import LocalLimiter
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import create_instance, make_client
from tests.telemetry.conftest import Otel


def attempts(span: ReadableSpan) -> list[dict[str, object]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == "attempt"]


def only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in spans if s.name == name]
    assert len(matching) == 1, [s.name for s in spans]
    return matching[0]


async def test_a_retried_get_is_one_span_with_two_attempts(
    emu: AuraEmulator, client: AuraClient, otel: Otel
) -> None:
    emu.inject(Fault("GET", "/v1/tenants/*", status=503))
    assert emu.tenant_id is not None
    await client.tenants.get(emu.tenant_id)
    span = only(otel.finished(), "aura tenants.get")
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.template": "/tenants/{tenantId}",
        "server.address": "127.0.0.1",
        "server.port": URL(emu.url).port,
        "http.response.status_code": 200,
        "aura.operation": "tenants.get",
        "aura.operation_id": "get-project-id",
        "aura.resource_id": emu.tenant_id,
        "aura.attempts": 2,
        "aura.limiter_wait": 0.0,
        "aura.cooldown_wait": 0.0,
        "aura.outcome": "retried",
    }
    assert [(a["http.response.status_code"], a["aura.retry_decision"]) for a in attempts(span)] == [
        (503, "retry"),
        (200, "return"),
    ]
    assert emu.journal.count("GET", f"/v1/tenants/{emu.tenant_id}") == 2
    assert span.status.status_code is StatusCode.UNSET


async def test_a_429_cooldown_shows_its_wait(emu: AuraEmulator, otel: Otel) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=429, retry_after=0.05))
    async with make_client(emu, rate_limit=RateLimit(1000, per=1.0)) as client:
        await client.tenants.list()
    span = only(otel.finished(), "aura tenants.list")
    attributes = dict(span.attributes or {})
    assert attributes["aura.cooldown_wait"] >= 0.04  # type: ignore[operator]
    assert attributes["aura.outcome"] == "retried"
    decisions = [a["aura.retry_decision"] for a in attempts(span)]
    assert decisions == ["cooldown", "return"]
    assert attempts(span)[0]["aura.retry_delay"] == pytest.approx(0.05)


async def test_an_ambiguous_create_shows_outcome_unknown(
    emu: AuraEmulator, client: AuraClient, otel: Otel
) -> None:
    emu.inject(Fault("POST", "/v1/instances", status=500, after_apply=True))
    with pytest.raises(OutcomeUnknownError):
        await create_instance(client, emu, "ambiguous")
    span = only(otel.finished(), "aura instances.create")
    attributes = dict(span.attributes or {})
    assert attributes["aura.outcome"] == "outcome_unknown"
    assert attributes["error.type"] == "OutcomeUnknownError"
    assert attributes["http.response.status_code"] == 500
    assert attributes["aura.attempts"] == 1
    assert span.status.status_code is StatusCode.ERROR
    assert [a["aura.retry_decision"] for a in attempts(span)] == ["outcome_unknown"]


async def test_an_api_error_names_its_class(
    emu: AuraEmulator, client: AuraClient, otel: Otel
) -> None:
    with pytest.raises(NotFoundError):
        await client.instances.get("0123abcd")
    span = only(otel.finished(), "aura instances.get")
    assert dict(span.attributes or {})["aura.outcome"] == "NotFoundError"
    assert dict(span.attributes or {})["aura.resource_id"] == "0123abcd"


async def test_a_bulk_map_nests_one_span_per_call_under_the_callers_span(
    emu: AuraEmulator, client: AuraClient, otel: Otel
) -> None:
    assert emu.tenant_id is not None
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("job") as job:
        results = await client.map(client.tenants.get, [emu.tenant_id] * 50, concurrency=8)
    assert all(r.ok for r in results)
    parent = job.get_span_context()
    calls = otel.finished("aura tenants.get")
    assert len(calls) == 50
    assert {s.parent.span_id for s in calls if s.parent is not None} == {parent.span_id}
    assert {s.context.trace_id for s in calls} == {parent.trace_id}
    token = only(otel.finished(), "aura oauth.token")  # fetched once, inside one call
    assert token.parent is not None
    assert token.parent.span_id in {s.context.span_id for s in calls}


async def test_a_cancelled_call_still_ends_its_span(
    emu: AuraEmulator, client: AuraClient, otel: Otel
) -> None:
    emu.inject(Fault("GET", "/v1/tenants", latency=5.0))
    task = asyncio.create_task(client.tenants.list())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    span = only(otel.finished(), "aura tenants.list")
    assert dict(span.attributes or {})["aura.outcome"] == "CancelledError"


async def test_a_call_caught_in_another_calls_cooldown_shows_it_as_cooldown(
    emu: AuraEmulator, otel: Otel
) -> None:
    assert emu.tenant_id is not None
    limiter = LocalLimiter(RateLimit(1000, per=1.0))
    async with make_client(emu, limiter=limiter) as client:
        await client.tenants.list()  # the token
        emu.inject(Fault("GET", "/v1/tenants", status=429, retry_after=0.3))
        rejected = asyncio.create_task(client.tenants.list())
        for _ in range(400):  # at most 2 s for the 429 to arrive
            if limiter.cooldown_left() > 0:
                break
            await asyncio.sleep(0.005)
        await client.tenants.get(emu.tenant_id)
        await rejected
    caught = dict(only(otel.finished(), "aura tenants.get").attributes or {})
    assert caught["aura.attempts"] == 1
    assert caught["aura.cooldown_wait"] >= 0.1  # type: ignore[operator]
    assert caught["aura.limiter_wait"] < 0.05  # type: ignore[operator]
