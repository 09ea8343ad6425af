"""Instances over HTTP: create, read, list, validation, the instance limit, delete."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from spec_check import ContractClient, instance_body, running_instance, serve_routes

from aura_async.testing._state import EmulatorState

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


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


async def test_create_answers_202_with_the_one_time_credentials(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    answer = await api.post("/instances", instance_body(tenant_id, name="Prod"))
    assert answer.status == 202
    data = answer.data
    assert re.fullmatch(r"[0-9a-f]{8}", data["id"])
    assert data["username"] == "neo4j"
    assert len(data["password"]) >= 20
    assert data["connection_url"].startswith("neo4j+s://")
    assert TIMESTAMP.fullmatch(data["created_at"])
    expected = {"tenant_id": tenant_id, "cloud_provider": "gcp", "region": "europe-west1"}
    assert {**expected, "type": "professional-db", "name": "Prod"}.items() <= data.items()


async def test_a_new_instance_is_creating_then_running(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = (await api.post("/instances", instance_body(tenant_id))).data["id"]
    before = (await api.get(f"/instances/{instance_id}")).data
    state.settle()
    after = (await api.get(f"/instances/{instance_id}")).data
    assert (before["status"], after["status"]) == ("creating", "running")
    assert (after["memory"], after["storage"]) == ("4GB", "8GB")


async def test_every_create_gets_its_own_id_and_password_which_is_never_shown_again(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    first = (await api.post("/instances", instance_body(tenant_id))).data
    second = (await api.post("/instances", instance_body(tenant_id))).data
    assert first["id"] != second["id"]
    assert first["password"] != second["password"]
    shown = (await api.get(f"/instances/{first['id']}")).body
    assert first["password"] not in repr(shown)
    assert first["password"] not in repr(state.instances[first["id"]]) + repr(state)


async def test_a_tiny_real_delay_moves_the_instance_to_running() -> None:
    state = EmulatorState(transition_delay=0.01)
    tenant_id = state.seed_demo()
    async with serve_routes(state) as api:
        instance_id = (await api.post("/instances", instance_body(tenant_id))).data["id"]
        deadline = time.monotonic() + 5.0
        statuses = []
        for _ in range(500):  # bounded twice: by count and by the deadline
            statuses.append((await api.get(f"/instances/{instance_id}")).data["status"])
            if statuses[-1] == "running" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.005)
    assert statuses[-1] == "running"
    assert set(statuses) <= {"creating", "running"}


async def test_list_shows_summaries_and_filters_by_tenant(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    other_tenant = state.add_tenant("Other")
    mine = await running_instance(api, state, tenant_id, name="mine")
    theirs = await running_instance(api, state, other_tenant, name="theirs")
    everything = (await api.get("/instances")).data
    filtered = (await api.get("/instances", params={"tenantId": other_tenant})).data
    assert {i["id"] for i in everything} == {mine, theirs}
    assert [(i["id"], i["name"], i["tenant_id"]) for i in filtered] == [
        (theirs, "theirs", other_tenant)
    ]
    assert set(filtered[0]) == {"id", "name", "tenant_id", "cloud_provider", "created_at"}


async def test_an_unknown_tenant_filter_is_404_tenant_not_found(api: ContractClient) -> None:
    answer = await api.get("/instances", params={"tenantId": "nope"})
    assert (answer.status, answer.error["reason"]) == (404, "tenant-not-found")


async def test_an_unknown_instance_is_404_db_not_found(api: ContractClient) -> None:
    answer = await api.get("/instances/0badf00d")
    assert (answer.status, answer.error["reason"]) == (404, "db-not-found")
    assert "0badf00d" in answer.error["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 31}, "name"),
        ({"name": " padded"}, "name"),
        ({"tenant_id": None}, "tenant_id"),
        ({"type": None}, "type"),
        ({"type": "mega-db"}, "type"),
        ({"cloud_provider": "ibm"}, "cloud_provider"),
        ({"region": None}, "region"),
        ({"region": "us-east-1"}, "region"),  # an aws region, asked on gcp
        ({"version": "3"}, "version"),
        ({"memory": "lots"}, "memory"),
        ({"memory": "3GB"}, "memory"),  # well-formed, but no configuration offers it
        ({"vector_optimized": "yes"}, "vector_optimized"),
        ({"vector_optimized": True, "memory": "2GB"}, "vector_optimized"),
        (
            {"type": "free-db", "memory": "1GB", "graph_analytics_plugin": True},
            "graph_analytics_plugin",
        ),
        ({"source_snapshot_id": "3e5e6e27-bf0a-4898-abb8-5f3050cac418"}, "source_instance_id"),
    ],
)
async def test_invalid_create_bodies_are_400_naming_the_field_and_create_nothing(
    api: ContractClient, state: EmulatorState, tenant_id: str, change: dict[str, Any], field: str
) -> None:
    answer = await api.post("/instances", instance_body(tenant_id, **change))
    assert (answer.status, answer.error.get("field")) == (400, field), answer.body
    assert state.instance_names() == {}


async def test_create_in_an_unknown_tenant_is_404(
    api: ContractClient, state: EmulatorState
) -> None:
    answer = await api.post("/instances", instance_body("no-such-tenant"))
    assert (answer.status, answer.error["reason"]) == (404, "tenant-not-found")
    assert state.instance_names() == {}


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}}, 415),
        ({"data": b'{"name": ', "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 400),
    ],
)
async def test_bodies_that_are_not_json_objects_are_refused(
    api: ContractClient, state: EmulatorState, kwargs: dict[str, Any], status: int
) -> None:
    answer = await api.call("POST", "/instances", **kwargs)
    assert answer.status == status
    assert state.instance_names() == {}


async def test_the_instance_limit_answers_405_per_tenant() -> None:
    state = EmulatorState(transition_delay=None, instance_limit=2)
    tenant_id, other_tenant = state.seed_demo(), state.add_tenant()
    async with serve_routes(state) as api:
        first = await running_instance(api, state, tenant_id, name="one")
        await running_instance(api, state, tenant_id, name="two")
        refused = await api.post("/instances", instance_body(tenant_id, name="three"))
        elsewhere = await api.post("/instances", instance_body(other_tenant, name="three"))
        await api.delete(f"/instances/{first}")
        state.settle()
        after_delete = await api.post("/instances", instance_body(tenant_id, name="three"))
    assert refused.status == 405
    assert (elsewhere.status, after_delete.status) == (202, 202)
    assert state.instance_names() == {"one": 1, "two": 1, "three": 2}


async def test_delete_answers_202_destroying_then_the_instance_is_gone(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    deleted = await api.delete(f"/instances/{instance_id}")
    during = await api.get(f"/instances/{instance_id}")
    state.settle()
    after = await api.get(f"/instances/{instance_id}")
    assert (deleted.status, deleted.data["status"]) == (202, "destroying")
    assert "memory" not in deleted.data  # as live (notes.md): no memory while deleting
    assert during.data["status"] == "destroying"
    assert (after.status, after.error["reason"]) == (404, "db-not-found")
    assert (await api.get("/instances")).data == []


async def test_a_repeated_delete_is_404_whether_or_not_destruction_finished(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = await running_instance(api, state, tenant_id)
    await api.delete(f"/instances/{instance_id}")
    while_destroying = await api.delete(f"/instances/{instance_id}")
    state.settle()
    once_gone = await api.delete(f"/instances/{instance_id}")
    assert (while_destroying.status, once_gone.status) == (404, 404)
    assert once_gone.error["reason"] == "db-not-found"


async def test_delete_while_creating_is_409(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    instance_id = (await api.post("/instances", instance_body(tenant_id))).data["id"]
    answer = await api.delete(f"/instances/{instance_id}")
    assert (answer.status, answer.error["reason"]) == (409, "ongoing-database-operation")
    assert "creating" in answer.error["message"]


async def test_free_instances_show_graph_counts_and_no_storage(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    body = {"type": "free-db", "memory": "1GB"}
    instance_id = await running_instance(api, state, tenant_id, **body)
    data = (await api.get(f"/instances/{instance_id}")).data
    assert "storage" not in data
    assert (data["graph_nodes"], data["graph_relationships"]) == ("0", "0")


async def test_tier_fields_appear_only_on_their_tiers(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    vdc = await running_instance(api, state, tenant_id, type="enterprise-db", memory="8GB")
    pro = await running_instance(api, state, tenant_id)
    vdc_data = (await api.get(f"/instances/{vdc}")).data
    pro_data = (await api.get(f"/instances/{pro}")).data
    assert (vdc_data["secondaries_count"], vdc_data["cdc_enrichment_mode"]) == (0, "OFF")
    assert vdc_data["metrics_integration_url"].startswith("https://")
    assert not {"secondaries_count", "cdc_enrichment_mode", "graph_nodes"} & set(pro_data)


async def test_vector_optimization_and_the_plugin_are_kept(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    features = {"vector_optimized": True, "graph_analytics_plugin": True}
    created = await api.post("/instances", instance_body(tenant_id, **features))
    shown = (await api.get(f"/instances/{created.data['id']}")).data
    assert features.items() <= created.data.items()
    assert features.items() <= shown.items()
