"""Tenants (projects) and customer managed keys over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from spec_check import ContractClient, instance_body, running_instance, serve_routes

from aura_async.testing._state import EmulatorState

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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


def key_body(tenant_id: str, /, **overrides: Any) -> dict[str, Any]:
    """Return a valid key creation body (an AWS key); ``None`` drops a key."""
    body = {
        "key_id": KEY_ARN,
        "name": "Production Key",
        "cloud_provider": "aws",
        "instance_type": "enterprise-db",
        "region": "us-east-1",
        "tenant_id": tenant_id,
        **overrides,
    }
    return {key: value for key, value in body.items() if value is not None}


async def test_tenants_list_summaries_and_show_their_configurations(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    configs = [
        {
            "region": "europe-west1",
            "region_name": "Belgium (europe-west1)",
            "type": "enterprise-db",
            "memory": "4GB",
            "storage": "8GB",
            "version": "5",
            "cloud_provider": "gcp",
        }
    ]
    small = state.add_tenant("Small", instance_configurations=configs)
    listed = (await api.get("/tenants")).data
    shown = (await api.get(f"/tenants/{small}")).data
    assert listed == [{"id": tenant_id, "name": "Demo project"}, {"id": small, "name": "Small"}]
    assert shown == {"id": small, "name": "Small", "instance_configurations": configs}


async def test_metrics_integration_is_per_tenant(api: ContractClient, tenant_id: str) -> None:
    answer = await api.get(f"/tenants/{tenant_id}/metrics-integration")
    assert answer.status == 200
    assert answer.data["endpoint"].startswith("https://")
    assert tenant_id in answer.data["endpoint"]


@pytest.mark.parametrize("path", ["/tenants/nope", "/tenants/nope/metrics-integration"])
async def test_unknown_tenants_are_404(api: ContractClient, path: str) -> None:
    answer = await api.get(path)
    assert (answer.status, answer.error["reason"]) == (404, "tenant-not-found")


async def test_a_key_is_pending_then_ready(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    created = await api.post("/customer-managed-keys", key_body(tenant_id))
    path = f"/customer-managed-keys/{created.data['id']}"
    before = (await api.get(path)).data
    state.settle()
    after = (await api.get(path)).data
    assert (created.status, created.data["status"], before["status"]) == (202, "pending", "pending")
    assert after["status"] == "ready"
    assert key_body(tenant_id).items() <= after.items()


async def test_keys_list_summaries_filtered_by_tenant(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    other = state.add_tenant("Other")
    mine = (await api.post("/customer-managed-keys", key_body(tenant_id))).data["id"]
    theirs = (await api.post("/customer-managed-keys", key_body(other, name="B"))).data["id"]
    everything = (await api.get("/customer-managed-keys")).data
    filtered = (await api.get("/customer-managed-keys", params={"tenantId": other})).data
    unknown = await api.get("/customer-managed-keys", params={"tenantId": "nope"})
    assert {k["id"] for k in everything} == {mine, theirs}
    assert filtered == [{"id": theirs, "name": "B", "tenant_id": other}]
    assert (unknown.status, unknown.error["reason"]) == (404, "tenant-not-found")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key_id": None}, "key_id"),
        ({"key_id": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}, "key_id"),  # gcp's, on aws
        ({"name": "x" * 31}, "name"),
        ({"instance_type": "professional-db"}, "instance_type"),
        ({"instance_type": "mega-db"}, "instance_type"),
        ({"cloud_provider": "ibm"}, "cloud_provider"),
        ({"region": "mars-1"}, "region"),
        ({"tenant_id": None}, "tenant_id"),
    ],
)
async def test_invalid_keys_are_400_naming_the_field(
    api: ContractClient, state: EmulatorState, tenant_id: str, change: dict[str, Any], field: str
) -> None:
    answer = await api.post("/customer-managed-keys", key_body(tenant_id, **change))
    assert (answer.status, answer.error.get("field")) == (400, field), answer.body
    assert state.customer_managed_keys == {}


async def test_a_key_for_an_unknown_tenant_is_404(api: ContractClient) -> None:
    answer = await api.post("/customer-managed-keys", key_body("nope"))
    assert (answer.status, answer.error["reason"]) == (404, "tenant-not-found")


async def test_delete_is_204_then_404(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    key_id = (await api.post("/customer-managed-keys", key_body(tenant_id))).data["id"]
    first = await api.delete(f"/customer-managed-keys/{key_id}")
    second = await api.delete(f"/customer-managed-keys/{key_id}")
    shown = await api.get(f"/customer-managed-keys/{key_id}")
    assert (first.status, first.body) == (204, None)
    assert (second.status, second.error["reason"]) == (404, "encryption-key-not-found")
    assert (shown.status, shown.error["reason"]) == (404, "encryption-key-not-found")


async def test_an_instance_encrypted_with_a_ready_key_keeps_the_key_in_use(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    key_id = (await api.post("/customer-managed-keys", key_body(tenant_id))).data["id"]
    state.settle()
    vdc = {"type": "enterprise-db", "cloud_provider": "aws", "region": "us-east-1", "memory": "8GB"}
    instance_id = await running_instance(
        api, state, tenant_id, customer_managed_key_id=key_id, **vdc
    )
    shown = (await api.get(f"/instances/{instance_id}")).data
    refused = await api.delete(f"/customer-managed-keys/{key_id}")
    await api.delete(f"/instances/{instance_id}")
    while_destroying = await api.delete(f"/customer-managed-keys/{key_id}")
    state.settle()
    once_gone = await api.delete(f"/customer-managed-keys/{key_id}")
    assert shown["customer_managed_key_id"] == key_id
    assert (refused.status, refused.error["reason"]) == (400, "encryption-key-is-active")
    assert while_destroying.status == 400
    assert once_gone.status == 204


@pytest.mark.parametrize(
    ("settle", "instance", "status", "reason_or_field"),
    [
        (False, {}, 400, "customer_managed_key_id"),  # still pending
        (True, {"region": "eu-west-1"}, 400, "customer_managed_key_id"),  # another region
        (True, {"type": "enterprise-ds"}, 400, "customer_managed_key_id"),  # another type
        (True, {"key": "4f1c9a52-7a0e-4d51-9f71-3b1f0c2d9e11"}, 404, "encryption-key-not-found"),
    ],
)
async def test_instances_need_a_ready_matching_key(
    api: ContractClient,
    state: EmulatorState,
    tenant_id: str,
    settle: bool,
    instance: dict[str, str],
    status: int,
    reason_or_field: str,
) -> None:
    key_id = (await api.post("/customer-managed-keys", key_body(tenant_id))).data["id"]
    if settle:
        state.settle()
    body = {
        "type": "enterprise-db",
        "cloud_provider": "aws",
        "region": "us-east-1",
        "memory": "8GB",
    }
    body.update(instance)
    body["customer_managed_key_id"] = body.pop("key", key_id)
    answer = await api.post("/instances", instance_body(tenant_id, **body))
    assert answer.status == status, answer.body
    assert reason_or_field in (answer.error["reason"], answer.error.get("field"))
    assert state.instance_names() == {}
