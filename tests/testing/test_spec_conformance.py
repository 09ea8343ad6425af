"""The emulator against the spec: every operation routed, the contract current, bodies valid.

Every route test sends its requests through ``spec_check.ContractClient``, which
validates each answer; this module checks the routing, the contract file, a tour of
all 26 operations, and that the checker itself rejects what the spec does not allow.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from spec_check import (
    CONTRACT_PATH,
    ContractClient,
    ContractViolationError,
    find_operation,
    load_contract,
    operations,
    routes_app,
    running_instance,
    serve_routes,
    validate_response,
)

from aura_async.testing._state import EmulatorState

SCRIPT_PATH = Path(__file__).resolve().parents[2] / "scripts" / "spec_contract.py"
SPEC_OPERATION_COUNT = 26


def contract_script() -> ModuleType:
    """Import ``scripts/spec_contract.py`` (not a package) by path."""
    spec = importlib.util.spec_from_file_location("spec_contract", SCRIPT_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_add_routes_registers_exactly_the_contracts_operations() -> None:
    app = routes_app(EmulatorState())
    registered = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }
    base = load_contract()["base_path"]
    expected = {(op["method"], base + op["path"]) for op in operations()}
    assert registered == expected
    assert len(registered) == SPEC_OPERATION_COUNT


def test_the_contract_describes_26_distinct_operations() -> None:
    ops = operations()
    assert len(ops) == SPEC_OPERATION_COUNT
    assert len({(op["method"], op["path"]) for op in ops}) == SPEC_OPERATION_COUNT
    assert len({op["operationId"] for op in ops}) == SPEC_OPERATION_COUNT
    assert all(any(s.startswith("2") for s in op["responses"]) for op in ops)
    assert "description" not in CONTRACT_PATH.read_text(encoding="utf-8")


def test_the_committed_contract_is_up_to_date_with_the_spec() -> None:
    script = contract_script()
    committed = CONTRACT_PATH.read_text(encoding="utf-8")
    if script.DEFAULT_SPEC_PATH.exists():
        regenerated = script.render(
            script.build_contract(script.load_spec(script.DEFAULT_SPEC_PATH))
        )
        assert regenerated == committed, "rerun: python scripts/spec_contract.py"
    else:  # a clone without ../shared: the committed file must still be what render() writes
        assert script.render(load_contract()) == committed


def test_the_spec_loader_reads_yaml_1_2_booleans(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("enum: [OFF, on, yes, No]\nflag: true\nother: False\n", encoding="utf-8")
    loaded = contract_script().load_spec(spec_file)
    assert loaded == {"enum": ["OFF", "on", "yes", "No"], "flag": True, "other": False}


def test_refs_are_resolved_and_prose_dropped_but_properties_named_like_prose_kept() -> None:
    script = contract_script()
    spec = {
        "components": {"schemas": {"S": {"type": "string", "description": "prose"}}},
        "x": {
            "properties": {"description": {"$ref": "#/components/schemas/S"}},
            "example": "dropped",
            "summary": "dropped",
        },
    }
    assert script.strip_prose(script.resolve(spec["x"], spec)) == {
        "properties": {"description": {"type": "string"}}
    }
    with pytest.raises(ValueError, match="local"):
        script.resolve({"$ref": "other.yaml#/x"}, spec)


async def test_a_tour_of_all_26_operations_conforms() -> None:
    state = EmulatorState(transition_delay=None)
    tenant = state.seed_demo()
    async with serve_routes(state) as api:
        await api.get("/tenants")
        await api.get(f"/tenants/{tenant}")
        await api.get(f"/tenants/{tenant}/metrics-integration")
        await api.post("/instances/sizing", {"node_count": 10, "relationship_count": 20})
        source = await running_instance(api, state, tenant, name="source")
        target = await running_instance(api, state, tenant, name="target")
        await api.get("/instances")
        await api.get(f"/instances/{source}")
        await api.patch(f"/instances/{target}", {"name": "renamed"})
        for action in ("pause", "resume"):
            await api.post(f"/instances/{target}/{action}")
            state.settle()
        snapshot = (await api.post(f"/instances/{source}/snapshots")).data["snapshot_id"]
        state.settle()
        await api.get(f"/instances/{source}/snapshots")
        await api.get(f"/instances/{source}/snapshots/{snapshot}")
        await api.post(f"/instances/{source}/snapshots/{snapshot}/restore")
        state.settle()
        await api.post(f"/instances/{target}/overwrite", {"source_instance_id": source})
        state.settle()
        await api.post(f"/instances/{target}/upgrade")
        await tour_keys_and_sessions(api, tenant)
        await api.delete(f"/instances/{target}")
    assert {operation for operation, _ in api.seen} == {op["operationId"] for op in operations()}
    assert {status for _, status in api.seen} <= {200, 202, 204}


async def tour_keys_and_sessions(api: ContractClient, tenant: str) -> None:
    """Call every key and session operation once, successfully."""
    key_body = {
        "key_id": "arn:aws:kms:us-east-1:1:key/1",
        "name": "Key",
        "cloud_provider": "aws",
        "instance_type": "enterprise-db",
        "region": "us-east-1",
        "tenant_id": tenant,
    }
    key = (await api.post("/customer-managed-keys", key_body)).data["id"]
    await api.get("/customer-managed-keys")
    await api.get(f"/customer-managed-keys/{key}")
    await api.delete(f"/customer-managed-keys/{key}")
    session_body = {
        "name": "s",
        "memory": "8GB",
        "tenant_id": tenant,
        "cloud_provider": "gcp",
        "region": "europe-west1",
    }
    session = (await api.post("/graph-analytics/sessions", session_body)).data["id"]
    await api.post("/graph-analytics/sessions", session_body)
    await api.get("/graph-analytics/sessions")
    await api.get(f"/graph-analytics/sessions/{session}")
    await api.post("/graph-analytics/sessions/sizing", {"node_count": 1, "relationship_count": 1})
    await api.delete(f"/graph-analytics/sessions/{session}")


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", "get-projects", "get-projects"),
        ("POST", "/instances/sizing", "post-instances-sizing"),
        ("GET", "/v1/instances/sizing", "get-instance-id"),
        ("PATCH", "/instances/{instanceId}", "patch-instance-id"),
        ("POST", "/v1/instances/2f49c2b3/snapshots/abc/restore?x=1", "post-restore-snapshot"),
        ("POST", "/graph-analytics/sessions/sizing", "post-sessions-sizing"),
        ("DELETE", "/graph-analytics/sessions/s-1", "delete-session"),
    ],
)
def test_find_operation(method: str, path: str, operation_id: str) -> None:
    assert find_operation(method, path)["operationId"] == operation_id


@pytest.mark.parametrize(("method", "path"), [("PUT", "/instances"), ("GET", "/nowhere")])
def test_find_operation_rejects_what_the_spec_lacks(method: str, path: str) -> None:
    with pytest.raises(ContractViolationError):
        find_operation(method, path)


INSTANCE = {
    "id": "2f49c2b3",
    "name": "Production",
    "status": "running",
    "tenant_id": "t",
    "cloud_provider": "gcp",
    "connection_url": "neo4j+s://x",
    "region": "europe-west1",
    "type": "enterprise-db",
    "memory": "8GB",
    "storage": "16GB",
    "created_at": "2023-01-20T13:44:42Z",
}
SESSION: dict[str, Any] = {"id": "s", "name": "n", "memory": "8GB", "status": "Ready", "host": "h"}
SESSION.update(tenant_id="t", user_id="u", ttl="20m0s", expiry_date=None)


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Return a copy of ``body`` without ``key``."""
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("operation", "status", "body"),
    [
        ("get-instance-id", 200, {"data": INSTANCE}),
        ("get-instance-id", 200, {"data": {**INSTANCE, "cdc_enrichment_mode": "OFF"}}),
        (
            "delete-instance-id",
            202,
            {"data": {**without(INSTANCE, "memory"), "status": "destroying"}},
        ),
        ("get-instance-id", 200, {"data": {**without(INSTANCE, "storage"), "type": "free-db"}}),
        ("get-instance-id", 200, {"data": {**INSTANCE, "connection_url": None}}),
        ("patch-instance-id", 202, {"data": INSTANCE}),
        ("get-session", 200, {"data": SESSION}),
        ("get-sessions", 200, {"data": [SESSION]}),
        ("post-overwrite-instance", 400, {"errors": [{"message": "m", "reason": "r"}]}),
        ("get-instance-id", 401, {"error": "gateway says no"}),
        ("delete-customer-managed-key-id", 204, None),
        ("post-snapshots", 402, {"anything": "goes: the spec gives no body"}),
    ],
)
def test_the_checker_accepts_what_the_spec_and_its_documented_exceptions_allow(
    operation: str, status: int, body: Any
) -> None:
    assert validate_response("", operation, status, body) == operation


@pytest.mark.parametrize(
    ("operation", "status", "body"),
    [
        ("get-instance-id", 200, {"data": without(INSTANCE, "id")}),
        ("get-instance-id", 200, {"data": {**INSTANCE, "status": "exploding"}}),
        ("get-instance-id", 200, {"data": {**INSTANCE, "cdc_enrichment_mode": False}}),
        ("get-instance-id", 200, INSTANCE),  # no envelope
        ("get-instance-id", 201, {"data": INSTANCE}),  # not an answer of this operation
        ("get-projects", 400, {"errors": [{"message": "m", "reason": "r"}]}),
        ("get-instance-id", 404, {"errors": [{"message": "m"}]}),  # Error needs a reason
        ("get-session", 200, {"data": without(SESSION, "host")}),
        ("get-sessions", 200, {"data": [{"data": SESSION}]}),
        ("get-customer-managed-key-id", 200, {"data": {"id": "k", "instance_type": "free-db"}}),
        ("delete-customer-managed-key-id", 204, {"data": {}}),
    ],
)
def test_the_checker_rejects_what_the_spec_does_not_allow(
    operation: str, status: int, body: Any
) -> None:
    with pytest.raises(ContractViolationError):
        validate_response("", operation, status, body)
