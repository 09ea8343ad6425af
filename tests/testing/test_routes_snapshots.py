"""Snapshots over HTTP: create, list by day, get, restore, and overwrite from another instance."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spec_check import ContractClient, running_instance, serve_routes

from aura_async.testing._state import EmulatorState

NOW = datetime(2024, 3, 10, 23, 30, tzinfo=UTC)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def state() -> EmulatorState:
    """A state whose transitions move only when the test steps or settles them."""
    return EmulatorState(transition_delay=None, wall_clock=lambda: NOW)


@pytest.fixture
def tenant_id(state: EmulatorState) -> str:
    """The demo tenant, with the default instance configurations."""
    return state.seed_demo()


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[ContractClient]:
    """A contract-checking client of the routes, served on a loopback port."""
    async with serve_routes(state) as client:
        yield client


async def test_a_snapshot_is_pending_then_in_progress_then_completed(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    created = await api.post(f"/instances/{instance_id}/snapshots")
    snapshot_id = created.data["snapshot_id"]
    path = f"/instances/{instance_id}/snapshots/{snapshot_id}"
    statuses = [(await api.get(path)).data["status"]]
    for _ in range(2):
        state.step()
        statuses.append((await api.get(path)).data["status"])
    assert (created.status, UUID.fullmatch(snapshot_id) is not None) == (202, True)
    assert statuses == ["Pending", "InProgress", "Completed"]
    shown = (await api.get(path)).data
    assert shown == {
        "snapshot_id": snapshot_id,
        "instance_id": instance_id,
        "profile": "AdHoc",
        "status": "Completed",
        "timestamp": "2024-03-10T23:30:00Z",
        "exportable": True,
    }


async def test_the_list_shows_one_utc_day_and_defaults_to_today(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    yesterday = state.add_snapshot(instance_id, timestamp=NOW - timedelta(days=1))
    late_today = state.add_snapshot(instance_id, timestamp=NOW + timedelta(minutes=20))
    today = (await api.post(f"/instances/{instance_id}/snapshots")).data["snapshot_id"]
    tomorrow_utc = state.add_snapshot(instance_id, timestamp=NOW + timedelta(minutes=31))
    path = f"/instances/{instance_id}/snapshots"

    async def ids(**params: str) -> list[str]:
        return [s["snapshot_id"] for s in (await api.get(path, params=params)).data]

    assert await ids() == [today, late_today]
    assert await ids(date="2024-03-09") == [yesterday]
    assert await ids(date="2024-03-11") == [tomorrow_utc]
    assert await ids(date="2023-01-01") == []


@pytest.mark.parametrize("day", ["10-03-2024", "2024-02-30", "yesterday"])
async def test_a_malformed_date_is_400_naming_date(
    api: ContractClient, state: EmulatorState, tenant_id: str, day: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    answer = await api.get(f"/instances/{instance_id}/snapshots", params={"date": day})
    assert (answer.status, answer.error["field"]) == (400, "date")


async def test_unknown_instances_and_snapshots_are_404(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    mine = await running_instance(api, state, tenant_id)
    other = await running_instance(api, state, tenant_id)
    others_snapshot = state.add_snapshot(other)
    answers = [
        await api.get("/instances/0badf00d/snapshots"),
        await api.post("/instances/0badf00d/snapshots"),
        await api.get(f"/instances/{mine}/snapshots/{others_snapshot}"),
        await api.get(f"/instances/{mine}/snapshots/no-such-snapshot"),
        await api.post(f"/instances/{mine}/snapshots/no-such-snapshot/restore"),
    ]
    reasons = [(a.status, a.error["reason"]) for a in answers]
    assert reasons == [(404, "db-not-found")] * 2 + [(404, "snapshot-not-found")] * 3


async def test_free_instances_have_no_on_demand_snapshots(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    free = await running_instance(api, state, tenant_id, type="free-db", memory="1GB")
    answer = await api.post(f"/instances/{free}/snapshots")
    assert answer.status == 402
    assert state.snapshots == {}


async def test_a_paused_instance_cannot_be_snapshotted(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    await api.post(f"/instances/{instance_id}/pause")
    state.settle()
    answer = await api.post(f"/instances/{instance_id}/snapshots")
    assert (answer.status, answer.error["reason"]) == (400, "invalid-instance-state")


async def test_restore_is_202_restoring_then_running(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    snapshot_id = state.add_snapshot(instance_id)
    path = f"/instances/{instance_id}/snapshots/{snapshot_id}/restore"
    answer = await api.post(path)
    again = await api.post(path)
    state.settle()
    after = (await api.get(f"/instances/{instance_id}")).data["status"]
    assert (answer.status, answer.data["status"]) == (202, "restoring")
    assert (again.status, again.error["reason"]) == (409, "ongoing-database-operation")
    assert after == "running"


async def test_restore_needs_a_completed_snapshot(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    snapshot_id = (await api.post(f"/instances/{instance_id}/snapshots")).data["snapshot_id"]
    answer = await api.post(f"/instances/{instance_id}/snapshots/{snapshot_id}/restore")
    assert answer.status == 400
    assert (await api.get(f"/instances/{instance_id}")).data["status"] == "running"


async def test_overwrite_copies_a_fresh_snapshot_and_locks_the_source(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    target = await running_instance(api, state, tenant_id, name="target", memory="8GB")
    answer = await api.post(f"/instances/{target}/overwrite", {"source_instance_id": source})
    source_pause = await api.post(f"/instances/{source}/pause")
    fresh = [s.profile for s in state.snapshots.values() if s.instance_id == source]
    state.settle()
    assert (answer.status, answer.data["status"]) == (202, "overwriting")
    assert (source_pause.status, fresh) == (409, ["AdHoc"])
    assert (await api.get(f"/instances/{target}")).data["status"] == "running"
    assert (await api.post(f"/instances/{source}/pause")).status == 202


async def test_overwrite_from_a_given_snapshot_takes_no_new_one(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    target = await running_instance(api, state, tenant_id, name="target")
    snapshot_id = state.add_snapshot(source, exportable=True)
    body = {"source_instance_id": source, "source_snapshot_id": snapshot_id}
    assert (await api.post(f"/instances/{target}/overwrite", body)).status == 202
    assert list(state.snapshots) == [snapshot_id]


@pytest.mark.parametrize(
    ("target_overrides", "body", "status", "reason_or_field"),
    [
        ({"type": "free-db", "memory": "1GB"}, {"source_instance_id": "SOURCE"}, 420, None),
        ({"memory": "2GB"}, {"source_instance_id": "SOURCE"}, 500, "db-overwrite-size-disparity"),
        ({}, {"source_instance_id": "TARGET"}, 400, "source_instance_id"),
        ({}, {}, 400, "source_instance_id"),
        ({}, {"source_instance_id": "0badf00d"}, 404, "db-not-found"),
        (
            {},
            {"source_instance_id": "SOURCE", "source_snapshot_id": "x"},
            404,
            "snapshot-not-found",
        ),
    ],
)
async def test_impossible_overwrites_are_refused_and_change_nothing(
    api: ContractClient,
    state: EmulatorState,
    tenant_id: str,
    target_overrides: dict[str, str],
    body: dict[str, Any],
    status: int,
    reason_or_field: str | None,
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    target = await running_instance(api, state, tenant_id, name="target", **target_overrides)
    ids = {"SOURCE": source, "TARGET": target}
    body = {key: ids.get(value, value) for key, value in body.items()}
    answer = await api.post(f"/instances/{target}/overwrite", body)
    assert answer.status == status, answer.body
    if reason_or_field is not None:
        assert reason_or_field in (answer.error["reason"], answer.error.get("field"))
    if status == 500:
        assert (
            answer.error["message"]
            == f"Cannot clone database {source} into smaller database {target}."
        )
    assert {i.status for i in state.instances.values()} == {"running"}
    assert state.snapshots == {}


async def test_overwrite_of_a_busy_target_is_409(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    target = await running_instance(api, state, tenant_id, name="target")
    await api.post(f"/instances/{target}/pause")
    answer = await api.post(f"/instances/{target}/overwrite", {"source_instance_id": source})
    assert (answer.status, answer.error["reason"]) == (409, "ongoing-database-operation")
