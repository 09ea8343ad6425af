"""In an app instrumented with opentelemetry-instrumentation-fastapi, the client's spans
nest under the request's span: one trace from the HTTP request to the Aura calls."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import SpanKind

from aura_async.fastapi import AuraClientDep, aura_lifespan
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client
from tests.telemetry.conftest import Otel
from tests.test_fastapi import serve


async def test_aura_spans_nest_under_the_request_span(emu: AuraEmulator, otel: Otel) -> None:
    app = FastAPI(lifespan=aura_lifespan(lambda: make_client(emu)))

    @app.get("/tenants/{tenant_id}")
    async def tenant(tenant_id: str, aura: AuraClientDep) -> dict[str, str]:
        found = await aura.tenants.get(tenant_id)
        await aura.instances.list(tenant_id=tenant_id)
        return {"id": found.id}

    FastAPIInstrumentor.instrument_app(app, tracer_provider=otel.tracer_provider)
    emu.inject(Fault("GET", "/v1/instances", status=503))
    async with serve(app) as http:
        answer = await http.get(f"/tenants/{emu.tenant_id}")
    assert answer.status_code == 200

    (request,) = [s for s in otel.finished("") if s.kind is SpanKind.SERVER]
    assert request.name == "GET /tenants/{tenant_id}"
    calls = [s for s in otel.finished() if s.name != "aura oauth.token"]
    assert [s.name for s in calls] == ["aura tenants.get", "aura instances.list"]
    for call in calls:
        assert call.parent is not None
        assert call.parent.span_id == request.context.span_id
        assert call.context.trace_id == request.context.trace_id
    assert calls[1].attributes is not None
    assert calls[1].attributes["aura.attempts"] == 2
