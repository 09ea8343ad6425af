"""client.graph_analytics against the emulator: get-or-create, waiter, retries, filters."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async import (
    AuraClient,
    AuraValidationError,
    ConflictError,
    NotFoundError,
    OperationFailedError,
    WaitTimeoutError,
)
from aura_async.models import CreatedGraphAnalyticsSession, GraphAnalyticsSession, SessionStatus
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client
from tests.resources.conftest import read_back, readable

POLL = 0.005
SESSIONS = "/v1/graph-analytics/sessions"
STANDALONE = {"memory": "8GB", "cloud_provider": "gcp", "region": "europe-west1"}


async def _create(
    client: AuraClient, emu: AuraEmulator, name: str = "s1", **settings: Any
) -> CreatedGraphAnalyticsSession:
    assert emu.tenant_id is not None
    arguments = {**STANDALONE, **settings}
    return await client.graph_analytics.create(name=name, tenant_id=emu.tenant_id, **arguments)


async def _running_instance(client: AuraClient, emu: AuraEmulator) -> str:
    assert emu.tenant_id is not None
    created = await client.instances.create(
        name="db",
        tenant_id=emu.tenant_id,
        cloud_provider="gcp",
        region="europe-west1",
        type="enterprise-db",
        version="5",
        memory="8GB",
    )
    emu.settle()
    return created.id


async def test_create_then_get_or_create_returns_the_same_session(
    emu: AuraEmulator, client: AuraClient
) -> None:
    first = await _create(client, emu, ttl="30m")
    assert first.created is True
    read_back(emu, first.name, "s1")
    assert first.status == SessionStatus.CREATING
    ready = await client.graph_analytics.wait(first.id, timeout=10, interval=POLL)
    assert ready.status == SessionStatus.READY
    again = await _create(client, emu)
    assert again.created is False
    assert again.id == first.id
    assert [e.status for e in emu.journal.select(method="POST", path=SESSIONS)] == [202, 200]


async def test_the_same_name_with_other_settings_is_a_conflict(
    emu: AuraEmulator, client: AuraClient
) -> None:
    await _create(client, emu)
    with pytest.raises(ConflictError) as caught:
        await _create(client, emu, memory="16GB")
    assert caught.value.status == 409


async def test_create_is_retried_like_a_get_after_a_server_error(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("POST", SESSIONS, status=503, after_apply=True))
    result = await _create(client, emu)
    # The first attempt created it; the retry found it: one session, not two.
    assert result.created is False
    assert [e.status for e in emu.journal.select(method="POST", path=SESSIONS)] == [503, 200]
    assert [s.id for s in await client.graph_analytics.list()] == [result.id]


async def test_list_filters_by_instance_tenant_and_organization(
    emu: AuraEmulator, client: AuraClient
) -> None:
    instance_id = await _running_instance(client, emu)
    standalone = await _create(client, emu, "alone")
    attached = await _create(client, emu, "attached", instance_id=instance_id)
    read_back(emu, attached.instance_id, instance_id)

    def ids(sessions: tuple[GraphAnalyticsSession, ...]) -> set[str]:
        return {session.id for session in sessions}

    assert ids(await client.graph_analytics.list()) == {standalone.id, attached.id}
    assert ids(await client.graph_analytics.list(instance_id=instance_id)) == {attached.id}
    by_tenant = await client.graph_analytics.list(tenant_id=emu.tenant_id)
    assert ids(by_tenant) == {standalone.id, attached.id}
    org = emu.state.organization_id
    assert len(await client.graph_analytics.list(organization_id=org)) == 2
    assert await client.graph_analytics.list(organization_id="another-org") == ()


async def test_get_and_delete(emu: AuraEmulator, client: AuraClient) -> None:
    session = await _create(client, emu)
    read_back(emu, (await client.graph_analytics.get(session.id)).name, "s1")
    assert await client.graph_analytics.delete(session.id) is None
    assert emu.journal.count("DELETE", f"{SESSIONS}/{session.id}", status=202) == 1
    with pytest.raises(NotFoundError):
        await client.graph_analytics.get(session.id)
    with pytest.raises(NotFoundError):
        await client.graph_analytics.delete(session.id)


async def test_a_retried_delete_that_finds_the_session_gone_returns_normally(
    emu: AuraEmulator, client: AuraClient
) -> None:
    session = await _create(client, emu)
    path = f"{SESSIONS}/{session.id}"
    emu.inject(Fault("DELETE", path, status=502, after_apply=True))
    assert await client.graph_analytics.delete(session.id) is None
    assert [e.status for e in emu.journal.select(method="DELETE", path=path)] == [502, 404]


async def test_estimate_size_is_retried_after_a_server_error(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("POST", SESSIONS + "/sizing", status=503))
    estimate = await client.graph_analytics.estimate_size(
        node_count=1_000_000,
        relationship_count=5_000_000,
        node_property_count=2,
        node_label_count=1,
        relationship_property_count=1,
        algorithm_categories=["pathfinding", "node-embedding"],
    )
    if readable(emu, estimate.recommended_size, estimate.estimated_memory):
        assert estimate.recommended_size.endswith("GB")
        assert estimate.estimated_memory.endswith("GB")
    sizing = emu.journal.select(method="POST", path=SESSIONS + "/sizing")
    assert [e.status for e in sizing] == [503, 200]


async def test_a_bigger_graph_never_gets_a_smaller_estimate(
    emu: AuraEmulator, client: AuraClient
) -> None:
    small = await client.graph_analytics.estimate_size(node_count=10, relationship_count=10)
    big = await client.graph_analytics.estimate_size(
        node_count=2_000_000_000, relationship_count=9_000_000_000
    )
    if readable(emu, big.recommended_size, small.recommended_size):
        assert int(big.recommended_size.removesuffix("GB")) > int(
            small.recommended_size.removesuffix("GB")
        )


@pytest.mark.parametrize("status", ["Failed", "Expired"])
async def test_the_waiter_raises_when_the_session_fails_or_expires(
    emu: AuraEmulator, client: AuraClient, status: str
) -> None:
    session = await _create(client, emu)
    emu.settle()
    emu.state.sessions[session.id].status = status
    with pytest.raises(OperationFailedError) as caught:
        await client.graph_analytics.wait(session.id, timeout=10, interval=POLL)
    last = caught.value.last
    assert isinstance(last, GraphAnalyticsSession)
    assert last.status == status


async def test_the_waiter_gives_up_with_the_last_state(manual_emu: AuraEmulator) -> None:
    async with make_client(manual_emu) as client:
        session = await _create(client, manual_emu)
        with pytest.raises(WaitTimeoutError) as caught:
            await client.graph_analytics.wait(session.id, timeout=0.25, interval=POLL)
    last = caught.value.last
    assert isinstance(last, GraphAnalyticsSession)
    assert last.status == SessionStatus.CREATING


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "s", "memory": ""}, "memory"),
        ({"name": "s", "cloud_provider": ""}, "cloud_provider"),
        ({"name": "s", "ttl": ""}, "ttl"),
    ],
)
async def test_a_bad_create_argument_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AuraValidationError, match=field):
        await client.graph_analytics.create(**arguments)
    assert emu.journal.count() == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"node_count": -1, "relationship_count": 1}, "node_count"),
        ({"node_count": 1, "relationship_count": True}, "relationship_count"),
        ({"node_count": 1, "relationship_count": 1, "node_label_count": 1.5}, "node_label_count"),
        ({"node_count": 1, "relationship_count": 1, "algorithm_categories": [""]}, "algorithm"),
    ],
)
async def test_a_bad_sizing_argument_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AuraValidationError, match=field):
        await client.graph_analytics.estimate_size(**arguments)
    assert emu.journal.count() == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"instance_id": "a/b"}, "instance_id"),
        ({"tenant_id": ""}, "tenant_id"),
        ({"organization_id": "x y"}, "organization_id"),
    ],
)
async def test_a_bad_list_filter_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AuraValidationError, match=field):
        await client.graph_analytics.list(**arguments)
    assert emu.journal.count() == 0


@pytest.mark.parametrize("session_id", ["", "a/b", "..", 3])
async def test_a_bad_session_id_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, session_id: Any
) -> None:
    with pytest.raises(AuraValidationError, match="session_id"):
        await client.graph_analytics.get(session_id)
    with pytest.raises(AuraValidationError, match="session_id"):
        await client.graph_analytics.delete(session_id)
    assert emu.journal.count() == 0
