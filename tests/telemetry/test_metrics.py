"""Metrics, read with the SDK's in-memory reader, equal what the emulator's journal saw."""

from __future__ import annotations

import asyncio
from collections import Counter

from aura_async import RateLimit, ServerError
from aura_async._telemetry import credential_label
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client
from tests.telemetry.conftest import Otel, delta


async def test_counters_equal_the_journal(emu: AuraEmulator, otel: Otel) -> None:
    assert emu.tenant_id is not None
    emu.inject(Fault("GET", "/v1/tenants/*", status=503, times=3))
    emu.inject(Fault("GET", "/v1/tenants", status=429, retry_after=0.01, times=2))
    emu.inject(Fault("GET", "/v1/instances", status=500, times=None))
    before = otel.points()
    async with make_client(emu, rate_limit=RateLimit(1000, per=1.0)) as client:
        for _ in range(4):
            await client.tenants.get(emu.tenant_id)
        for _ in range(3):
            await client.tenants.list()
        results = await client.map(lambda _: client.instances.list(), range(2))
    assert all(isinstance(r.error, ServerError) for r in results)
    after = otel.points()

    journal = emu.journal.entries

    def grew(name: str, **labels: str) -> float:
        return delta(before, after, name, {f"aura.{k}": v for k, v in labels.items()})

    paths = {
        "tenants.get": f"/v1/tenants/{emu.tenant_id}",
        "tenants.list": "/v1/tenants",
        "instances.list": "/v1/instances",
        "oauth.token": "/oauth/token",
    }
    calls = {"tenants.get": 4, "tenants.list": 3, "instances.list": 2, "oauth.token": 1}
    for operation, count in calls.items():
        assert grew("aura.client.calls", operation=operation) == count
        assert grew("aura.client.call.duration", operation=operation) == count
        sent = sum(1 for e in journal if e.path == paths[operation])
        assert grew("aura.client.resends", operation=operation) == sent - count
    assert grew("aura.client.calls", outcome="ServerError") == 2
    assert grew("aura.client.calls", outcome="retried") == 2  # the first get, the first list
    assert grew("aura.client.rate_limited") == Counter(e.status for e in journal)[429] == 2
    assert grew("aura.client.resends") == len(journal) - sum(calls.values())
    assert grew("aura.client.token_fetches") == emu.journal.token_requests() == 1
    assert grew("aura.client.limiter.wait") == len(journal)


async def test_gauges_show_the_queue_and_the_window_per_hashed_credential(
    emu: AuraEmulator, otel: Otel
) -> None:
    async with make_client(emu, rate_limit=RateLimit(3, per=0.5)) as client:
        await client.tenants.list()  # the token and one call: two sends in the window
        queued = [asyncio.create_task(client.tenants.list()) for _ in range(4)]
        await asyncio.sleep(0.02)
        label = {"aura.credential": credential_label(emu.client_id)}
        points = otel.points()
        await asyncio.gather(*queued)
    window = points[("aura.client.limiter.window_sends", frozenset(label.items()))]
    queue = points[("aura.client.limiter.queue_length", frozenset(label.items()))]
    assert window == 3
    assert queue == 3
    assert all(emu.client_id not in str(attrs) for _, attrs in points)
