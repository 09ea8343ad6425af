"""Instance operations over HTTP: pause, resume, PATCH, upgrade, clone, and the 409s."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from spec_check import ApiAnswer, ContractClient, instance_body, running_instance, serve_routes

from aura_async.testing._state import EmulatorState

Mutation = Callable[[ContractClient, str], Awaitable[ApiAnswer]]


@pytest.fixture
def state() -> EmulatorState:
    """A state whose transitions move only when the test steps or settles them."""
    return EmulatorState(transition_delay=None)


@pytest.fixture
def tenant_id(state: EmulatorState) -> str:
    """The demo tenant, with the default instance configurations."""
    return state.seed_demo()


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[ContractClient]:
    """A contract-checking client of the routes, served on a loopback port."""
    async with serve_routes(state) as client:
        yield client


async def status_of(api: ContractClient, instance_id: str) -> str:
    """Return the instance's status as the API shows it."""
    status: str = (await api.get(f"/instances/{instance_id}")).data["status"]
    return status


async def test_pause_then_resume_walk_the_status_machine(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    seen = []
    for action in ("pause", "resume"):
        answer = await api.post(f"/instances/{instance_id}/{action}")
        seen += [(answer.status, answer.data["status"]), await status_of(api, instance_id)]
        state.settle()
        seen.append(await status_of(api, instance_id))
    assert seen == [(202, "pausing"), "pausing", "paused", (202, "resuming"), "resuming", "running"]


async def test_pause_and_resume_accept_an_empty_json_object_too(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    assert (await api.post(f"/instances/{instance_id}/pause", {})).status == 202


@pytest.mark.parametrize(("action", "settled"), [("pause", "paused"), ("resume", "running")])
async def test_pause_of_paused_and_resume_of_running_are_400(
    api: ContractClient, state: EmulatorState, tenant_id: str, action: str, settled: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    if settled == "paused":
        await api.post(f"/instances/{instance_id}/pause")
        state.settle()
    answer = await api.post(f"/instances/{instance_id}/{action}")
    assert (answer.status, answer.error["reason"]) == (400, "invalid-instance-state")
    assert await status_of(api, instance_id) == settled


MUTATIONS: dict[str, Mutation] = {
    "pause": lambda api, i: api.post(f"/instances/{i}/pause"),
    "resume": lambda api, i: api.post(f"/instances/{i}/resume"),
    "delete": lambda api, i: api.delete(f"/instances/{i}"),
    "rename": lambda api, i: api.patch(f"/instances/{i}", {"name": "renamed"}),
    "resize": lambda api, i: api.patch(f"/instances/{i}", {"memory": "8GB"}),
    "snapshot": lambda api, i: api.post(f"/instances/{i}/snapshots"),
    "upgrade": lambda api, i: api.post(f"/instances/{i}/upgrade", {}),
}


async def start_operation(
    api: ContractClient, state: EmulatorState, operation: str, tenant: str
) -> str:
    """Return an instance on which ``operation`` is in progress."""
    if operation == "creating":
        return str((await api.post("/instances", instance_body(tenant))).data["id"])
    instance_id = await running_instance(api, state, tenant)
    if operation == "resuming":
        await api.post(f"/instances/{instance_id}/pause")
        state.settle()
    answers = {
        "pausing": lambda: api.post(f"/instances/{instance_id}/pause"),
        "resuming": lambda: api.post(f"/instances/{instance_id}/resume"),
        "updating": lambda: api.patch(f"/instances/{instance_id}", {"memory": "8GB"}),
    }
    assert (await answers[operation]()).status == 202
    return instance_id


@pytest.mark.parametrize("operation", ["creating", "pausing", "resuming", "updating"])
async def test_every_mutation_during_an_operation_is_409(
    api: ContractClient, state: EmulatorState, tenant_id: str, operation: str
) -> None:
    instance_id = await start_operation(api, state, operation, tenant_id)
    answers = {name: await mutate(api, instance_id) for name, mutate in MUTATIONS.items()}
    assert {name: a.status for name, a in answers.items()} == dict.fromkeys(MUTATIONS, 409)
    assert {a.error["reason"] for a in answers.values()} == {"ongoing-database-operation"}
    assert all(operation in a.error["message"] for a in answers.values())
    assert await status_of(api, instance_id) == operation


async def test_rename_is_200_and_immediate(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    answer = await api.patch(f"/instances/{instance_id}", {"name": "Renamed"})
    assert (answer.status, answer.data["name"], answer.data["status"]) == (
        200,
        "Renamed",
        "running",
    )
    assert [i["name"] for i in (await api.get("/instances")).data] == ["Renamed"]


async def test_resize_is_202_updating_and_applies_when_done(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    answer = await api.patch(f"/instances/{instance_id}", {"memory": "8GB", "name": "Big"})
    during = (await api.get(f"/instances/{instance_id}")).data
    state.settle()
    after = (await api.get(f"/instances/{instance_id}")).data
    assert (answer.status, answer.data["status"], answer.data["name"]) == (202, "updating", "Big")
    assert (during["status"], during["memory"]) == ("updating", "4GB")
    assert (after["status"], after["memory"], after["storage"]) == ("running", "8GB", "16GB")


async def test_feature_changes_are_202_and_apply_when_done(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    answer = await api.patch(f"/instances/{instance_id}", {"vector_optimized": True})
    state.settle()
    after = (await api.get(f"/instances/{instance_id}")).data
    assert (answer.status, answer.data["vector_optimized"]) == (202, False)
    assert (after["status"], after["vector_optimized"]) == ("running", True)


async def test_cdc_mode_on_a_vdc_instance_is_a_200_change(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    vdc = await running_instance(api, state, tenant_id, type="enterprise-db", memory="8GB")
    answer = await api.patch(f"/instances/{vdc}", {"cdc_enrichment_mode": "FULL"})
    assert (answer.status, answer.data["cdc_enrichment_mode"]) == (200, "FULL")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"name": "x" * 31}, "name"),
        ({"memory": "3GB"}, "memory"),
        ({"memory": "eight"}, "memory"),
        ({"memory": "8GB", "storage": "9GB"}, "storage"),
        ({"cdc_enrichment_mode": "FULL"}, "cdc_enrichment_mode"),  # not on Professional
        ({"cdc_enrichment_mode": "SOME"}, "cdc_enrichment_mode"),
        ({"secondaries_count": 2}, "secondaries_count"),  # VDC only
        ({"vector_optimized": True, "memory": "2GB"}, "vector_optimized"),
        ({"graph_analytics_plugin": "on"}, "graph_analytics_plugin"),
    ],
)
async def test_invalid_patches_are_400_and_change_nothing(
    api: ContractClient,
    state: EmulatorState,
    tenant_id: str,
    body: dict[str, Any],
    field: str | None,
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    before = (await api.get(f"/instances/{instance_id}")).data
    answer = await api.patch(f"/instances/{instance_id}", body)
    assert (answer.status, answer.error.get("field")) == (400, field), answer.body
    assert (await api.get(f"/instances/{instance_id}")).data == before


async def test_free_instances_cannot_be_resized(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    free = await running_instance(api, state, tenant_id, type="free-db", memory="1GB")
    answer = await api.patch(f"/instances/{free}", {"memory": "2GB"})
    assert (answer.status, answer.error["reason"]) == (400, "tenant-incapable-of-action")


async def test_upgrade_makes_professional_business_critical_at_once(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    kept = await running_instance(api, state, tenant_id)
    resized = await running_instance(api, state, tenant_id)
    plain = await api.post(f"/instances/{kept}/upgrade")
    bigger = await api.post(f"/instances/{resized}/upgrade", {"memory": "8GB", "storage": "16GB"})
    assert (plain.status, plain.data["type"], plain.data["status"]) == (
        200,
        "business-critical",
        "running",
    )
    assert (plain.data["memory"], bigger.data["memory"], bigger.data["storage"]) == (
        "4GB",
        "8GB",
        "16GB",
    )


@pytest.mark.parametrize(
    ("overrides", "body", "field"),
    [
        ({}, {"memory": "8GB"}, "storage"),
        ({}, {"storage": "16GB"}, "memory"),
        ({}, {"memory": "3GB", "storage": "6GB"}, "storage"),
        ({"type": "enterprise-db", "memory": "8GB"}, {}, None),
    ],
)
async def test_invalid_upgrades_are_400(
    api: ContractClient,
    state: EmulatorState,
    tenant_id: str,
    overrides: dict[str, str],
    body: dict[str, str],
    field: str | None,
) -> None:
    instance_id = await running_instance(api, state, tenant_id, **overrides)
    answer = await api.post(f"/instances/{instance_id}/upgrade", body)
    assert (answer.status, answer.error.get("field")) == (400, field), answer.body


async def test_clone_locks_the_source_until_the_copy_is_running(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    clone = await api.post(
        "/instances", instance_body(tenant_id, name="clone", source_instance_id=source)
    )
    blocked = await api.post(f"/instances/{source}/pause")
    snapshots = (await api.get(f"/instances/{source}/snapshots")).data
    state.settle()
    assert clone.status == 202
    assert (blocked.status, blocked.error["reason"]) == (409, "ongoing-database-operation")
    assert [s["profile"] for s in snapshots] == ["AdHoc"]  # the clone takes a fresh snapshot
    assert await status_of(api, clone.data["id"]) == "running"
    assert (await api.post(f"/instances/{source}/pause")).status == 202


async def test_clone_from_an_exportable_snapshot_takes_no_new_one(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    source = await running_instance(api, state, tenant_id, name="source")
    snapshot_id = state.add_snapshot(source, exportable=True)
    body = instance_body(tenant_id, source_instance_id=source, source_snapshot_id=snapshot_id)
    assert (await api.post("/instances", body)).status == 202
    assert list(state.snapshots) == [snapshot_id]


@pytest.mark.parametrize(
    ("source", "snapshot", "status", "reason_or_field"),
    [
        ("missing", None, 404, "db-not-found"),
        ("source", "3e5e6e27-bf0a-4898-abb8-5f3050cac418", 404, "snapshot-not-found"),
        ("source", "private", 400, "source_snapshot_id"),
    ],
)
async def test_clone_needs_an_existing_source_and_exportable_snapshot(
    api: ContractClient,
    state: EmulatorState,
    tenant_id: str,
    source: str,
    snapshot: str | None,
    status: int,
    reason_or_field: str,
) -> None:
    source_id = await running_instance(api, state, tenant_id, name="source")
    if snapshot == "private":
        snapshot = state.add_snapshot(source_id, exportable=False)
    source_id = "0badf00d" if source == "missing" else source_id
    body = instance_body(tenant_id, source_instance_id=source_id, source_snapshot_id=snapshot)
    answer = await api.post("/instances", body)
    assert answer.status == status
    assert reason_or_field in (answer.error["reason"], answer.error.get("field"))
    assert state.instance_names() == {"source": 1}
