"""Every operation of the spec contract is reachable through the SDK.

A table maps each ``operationId`` of ``tests/spec_contract.json`` to an SDK call, with
the state that call needs. Each entry runs against the emulator, and the journal must show
exactly one API request, with the operation's method and path template, answered 2xx.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aura_async import AuraClient
from aura_async.testing import AuraEmulator

CONTRACT = json.loads((Path(__file__).parent / "spec_contract.json").read_text())
OPERATIONS: dict[str, dict[str, Any]] = {op["operationId"]: op for op in CONTRACT["operations"]}
TOKEN_PATH = "/oauth/token"

Ids = dict[str, str]
INSTANCE: dict[str, Any] = {
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "version": "5",
    "memory": "8GB",
}
KEY: dict[str, Any] = {
    "key_id": "projects/acme/keyRings/aura/cryptoKeys/k1",
    "region": "europe-west1",
    "instance_type": "enterprise-db",
    "cloud_provider": "gcp",
}
SESSION: dict[str, Any] = {"memory": "8GB", "cloud_provider": "gcp", "region": "europe-west1"}


# -- the state an operation needs: each returns the ids the call uses -----------------


async def _nothing(client: AuraClient, emu: AuraEmulator) -> Ids:
    return {}


async def _instance(client: AuraClient, emu: AuraEmulator, name: str = "db", **over: Any) -> Ids:
    assert emu.tenant_id is not None
    spec = {**INSTANCE, **over}
    created = await client.instances.create(name=name, tenant_id=emu.tenant_id, **spec)
    emu.settle()
    return {"instance": created.id}


async def _professional_instance(client: AuraClient, emu: AuraEmulator) -> Ids:
    return await _instance(client, emu, type="professional-db")


async def _paused_instance(client: AuraClient, emu: AuraEmulator) -> Ids:
    ids = await _instance(client, emu)
    await client.instances.pause(ids["instance"])
    return ids


async def _two_instances(client: AuraClient, emu: AuraEmulator) -> Ids:
    source = await _instance(client, emu, "source")
    return {**await _instance(client, emu, "target"), "source": source["instance"]}


async def _snapshot(client: AuraClient, emu: AuraEmulator) -> Ids:
    ids = await _instance(client, emu)
    return {**ids, "snapshot": (await client.snapshots.create(ids["instance"])).snapshot_id}


async def _key(client: AuraClient, emu: AuraEmulator) -> Ids:
    assert emu.tenant_id is not None
    key = await client.customer_managed_keys.create(name="key", tenant_id=emu.tenant_id, **KEY)
    return {"key": key.id}


async def _session(client: AuraClient, emu: AuraEmulator) -> Ids:
    assert emu.tenant_id is not None
    created = await client.graph_analytics.create(name="s", tenant_id=emu.tenant_id, **SESSION)
    return {"session": created.id}


Setup = Callable[[AuraClient, AuraEmulator], Awaitable[Ids]]
Call = Callable[[AuraClient, Ids], Awaitable[object]]


@dataclass(frozen=True)
class Scenario:
    """An SDK call for one operation (``ids`` holds ``tenant`` and what ``setup`` made)."""

    call: Call
    setup: Setup = field(default=_nothing)


SCENARIOS: dict[str, Scenario] = {
    "get-customer-managed-keys": Scenario(
        lambda c, ids: c.customer_managed_keys.list(tenant_id=ids["tenant"])
    ),
    "post-customer-managed-keys": Scenario(
        lambda c, ids: c.customer_managed_keys.create(name="k", tenant_id=ids["tenant"], **KEY)
    ),
    "get-customer-managed-key-id": Scenario(
        lambda c, ids: c.customer_managed_keys.get(ids["key"]), _key
    ),
    "delete-customer-managed-key-id": Scenario(
        lambda c, ids: c.customer_managed_keys.delete(ids["key"]), _key
    ),
    "get-sessions": Scenario(lambda c, ids: c.graph_analytics.list(tenant_id=ids["tenant"])),
    "post-session": Scenario(
        lambda c, ids: c.graph_analytics.create(name="s", tenant_id=ids["tenant"], **SESSION)
    ),
    "post-sessions-sizing": Scenario(
        lambda c, ids: c.graph_analytics.estimate_size(node_count=10, relationship_count=20)
    ),
    "get-session": Scenario(lambda c, ids: c.graph_analytics.get(ids["session"]), _session),
    "delete-session": Scenario(lambda c, ids: c.graph_analytics.delete(ids["session"]), _session),
    "get-instances": Scenario(lambda c, ids: c.instances.list(tenant_id=ids["tenant"])),
    "post-instances": Scenario(
        lambda c, ids: c.instances.create(name="new", tenant_id=ids["tenant"], **INSTANCE)
    ),
    "post-instances-sizing": Scenario(
        lambda c, ids: c.instances.estimate_size(node_count=10, relationship_count=20)
    ),
    "get-instance-id": Scenario(lambda c, ids: c.instances.get(ids["instance"]), _instance),
    "delete-instance-id": Scenario(lambda c, ids: c.instances.delete(ids["instance"]), _instance),
    "patch-instance-id": Scenario(
        lambda c, ids: c.instances.update(ids["instance"], name="renamed"), _instance
    ),
    "post-overwrite-instance": Scenario(
        lambda c, ids: c.instances.overwrite(ids["instance"], source_instance_id=ids["source"]),
        _two_instances,
    ),
    "post-pause-instance": Scenario(lambda c, ids: c.instances.pause(ids["instance"]), _instance),
    "post-resume-instance": Scenario(
        lambda c, ids: c.instances.resume(ids["instance"]), _paused_instance
    ),
    "get-snapshots": Scenario(lambda c, ids: c.snapshots.list(ids["instance"]), _snapshot),
    "post-snapshots": Scenario(lambda c, ids: c.snapshots.create(ids["instance"]), _instance),
    "get-snapshot-snapshotid": Scenario(
        lambda c, ids: c.snapshots.get(ids["snapshot"], instance_id=ids["instance"]), _snapshot
    ),
    "post-restore-snapshot": Scenario(
        lambda c, ids: c.snapshots.restore(ids["snapshot"], instance_id=ids["instance"]),
        _snapshot,
    ),
    "post-upgrade-instance": Scenario(
        lambda c, ids: c.instances.upgrade(ids["instance"]), _professional_instance
    ),
    "get-projects": Scenario(lambda c, ids: c.tenants.list()),
    "get-project-id": Scenario(lambda c, ids: c.tenants.get(ids["tenant"])),
    "get-project-metrics-integration-details": Scenario(
        lambda c, ids: c.tenants.metrics_integration(ids["tenant"])
    ),
}


def path_pattern(base_path: str, template: str) -> re.Pattern[str]:
    """Return a regex matching the concrete paths of a spec path template."""
    parts = re.split(r"(\{[^/{}]+\})", base_path + template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@pytest.mark.parametrize(
    ("base_path", "template", "path", "matches"),
    [
        ("/v1", "/instances/{instanceId}", "/v1/instances/1234abcd", True),
        ("/v1", "/instances/{instanceId}", "/v1/instances/1234abcd/pause", False),
        ("/v1", "/instances/{instanceId}", "/v1/instances/", False),
        ("/v1", "/tenants", "/v1/tenants", True),
        ("/v1", "/tenants", "/v1/tenantsx", False),
        ("/v1", "/a/{x}/b/{y}/c", "/v1/a/1/b/2/c", True),
        ("/v1", "/a/{x}/b/{y}/c", "/v1/a/1/b/c", False),
    ],
)
def test_path_pattern(base_path: str, template: str, path: str, matches: bool) -> None:
    assert (path_pattern(base_path, template).fullmatch(path) is not None) is matches


def test_every_contract_operation_has_a_scenario() -> None:
    assert sorted(set(OPERATIONS) - set(SCENARIOS)) == []
    assert sorted(set(SCENARIOS) - set(OPERATIONS)) == [], "scenarios of unknown operations"


@pytest.mark.parametrize("operation_id", sorted(SCENARIOS))
async def test_the_sdk_reaches_the_operation(
    emu: AuraEmulator, client: AuraClient, operation_id: str
) -> None:
    operation = OPERATIONS[operation_id]
    scenario = SCENARIOS[operation_id]
    assert emu.tenant_id is not None
    ids = {"tenant": emu.tenant_id, **await scenario.setup(client, emu)}
    emu.settle()
    emu.journal.clear()
    await scenario.call(client, ids)
    sent = [e for e in emu.journal.entries if e.path != TOKEN_PATH]
    assert len(sent) == 1, f"expected one API request, got {[(e.method, e.path) for e in sent]}"
    (entry,) = sent
    assert entry.method == operation["method"]
    assert path_pattern(CONTRACT["base_path"], operation["path"]).fullmatch(entry.path)
    assert entry.status is not None
    assert 200 <= entry.status < 300
