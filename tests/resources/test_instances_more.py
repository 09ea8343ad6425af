"""client.instances against the emulator: clone, CMK and features on create, every PATCH
field, upgrade and sizing."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async import (
    AuraClient,
    AuraValidationError,
    BadRequestError,
    NotFoundError,
    OutcomeUnknownError,
)
from aura_async.models import CdcEnrichmentMode, InstanceStatus, InstanceType
from aura_async.testing import AuraEmulator, Fault
from tests.resources.conftest import read_back, readable

POLL = 0.005
SPEC = {
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "version": "5",
    "memory": "8GB",
}


async def _running(client: AuraClient, emu: AuraEmulator, name: str, **options: Any) -> str:
    assert emu.tenant_id is not None
    arguments = {**SPEC, **options}
    created = await client.instances.create(name=name, tenant_id=emu.tenant_id, **arguments)
    emu.settle()
    return created.id


async def test_clone_from_an_instance_takes_a_new_snapshot_of_the_source(
    emu: AuraEmulator, client: AuraClient
) -> None:
    source_id = await _running(client, emu, "source")
    clone_id = await _running(client, emu, "clone", source_instance_id=source_id)
    assert len(await client.snapshots.list(source_id)) == 1
    clone = await client.instances.wait(clone_id, until="running", timeout=10, interval=POLL)
    read_back(emu, clone.name, "clone")


async def test_clone_from_a_given_snapshot_takes_no_new_one(
    emu: AuraEmulator, client: AuraClient
) -> None:
    source_id = await _running(client, emu, "source")
    snapshot_id = emu.state.add_snapshot(source_id, exportable=True)
    await _running(
        client, emu, "clone", source_instance_id=source_id, source_snapshot_id=snapshot_id
    )
    assert [s.snapshot_id for s in await client.snapshots.list(source_id)] == [snapshot_id]


async def test_clone_of_an_unknown_source_is_not_found(
    emu: AuraEmulator, client: AuraClient
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await _running(client, emu, "clone", source_instance_id="0badf00d")
    assert caught.value.reason == "db-not-found"


async def test_a_snapshot_without_its_source_instance_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient
) -> None:
    with pytest.raises(AuraValidationError, match="source_snapshot_id"):
        await _running(client, emu, "clone", source_snapshot_id="some-snapshot")
    assert emu.journal.count() == 0


async def test_create_with_a_customer_managed_key_and_features(
    emu: AuraEmulator, client: AuraClient
) -> None:
    assert emu.tenant_id is not None
    key = await client.customer_managed_keys.create(
        name="key",
        key_id="projects/acme/keyRings/aura/cryptoKeys/k1",
        region="europe-west1",
        instance_type="enterprise-db",
        tenant_id=emu.tenant_id,
        cloud_provider="gcp",
    )
    emu.settle()
    instance_id = await _running(
        client,
        emu,
        "featured",
        customer_managed_key_id=key.id,
        vector_optimized=True,
        graph_analytics_plugin=True,
    )
    instance = await client.instances.get(instance_id)
    read_back(emu, instance.customer_managed_key_id, key.id)
    read_back(emu, instance.vector_optimized, True)
    read_back(emu, instance.graph_analytics_plugin, True)


async def test_update_features_and_secondaries_goes_through_updating(
    emu: AuraEmulator, client: AuraClient
) -> None:
    instance_id = await _running(client, emu, "vdc")
    accepted = await client.instances.update(
        instance_id, vector_optimized=True, graph_analytics_plugin=True, secondaries_count=2
    )
    assert accepted.status == InstanceStatus.UPDATING
    done = await client.instances.wait(instance_id, until="running", timeout=10, interval=POLL)
    read_back(emu, done.vector_optimized, True)
    read_back(emu, done.graph_analytics_plugin, True)
    read_back(emu, done.secondaries_count, 2)


async def test_update_the_cdc_mode_applies_at_once(emu: AuraEmulator, client: AuraClient) -> None:
    instance_id = await _running(client, emu, "cdc")
    changed = await client.instances.update(instance_id, cdc_enrichment_mode="DIFF")
    read_back(emu, changed.cdc_enrichment_mode, CdcEnrichmentMode.DIFF)
    assert changed.status == InstanceStatus.RUNNING


async def test_an_ambiguous_update_is_never_resent(emu: AuraEmulator, client: AuraClient) -> None:
    instance_id = await _running(client, emu, "vdc")
    path = f"/v1/instances/{instance_id}"
    emu.inject(Fault("PATCH", path, status=502, after_apply=True))
    with pytest.raises(OutcomeUnknownError):
        await client.instances.update(instance_id, secondaries_count=1)
    assert emu.journal.count("PATCH", path) == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "at least one field"),
        ({"secondaries_count": -1}, "secondaries_count"),
        ({"cdc_enrichment_mode": ""}, "cdc_enrichment_mode"),
        ({"vector_optimized": "yes"}, "vector_optimized"),
        ({"graph_analytics_plugin": 1}, "graph_analytics_plugin"),
    ],
)
async def test_a_bad_update_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AuraValidationError, match=field):
        await client.instances.update("1234abcd", **arguments)
    assert emu.journal.count() == 0


@pytest.mark.parametrize(
    ("resize", "memory"),
    [({}, "8GB"), ({"memory": "16GB", "storage": "32GB"}, "16GB")],
)
async def test_upgrade_a_professional_instance_to_business_critical(
    emu: AuraEmulator, client: AuraClient, resize: dict[str, str], memory: str
) -> None:
    instance_id = await _running(client, emu, "pro", type="professional-db")
    upgraded = await client.instances.upgrade(instance_id, **resize)
    read_back(emu, upgraded.type, InstanceType.BUSINESS_CRITICAL)
    read_back(emu, upgraded.memory, memory)
    assert emu.journal.count("POST", f"/v1/instances/{instance_id}/upgrade", 200) == 1


async def test_upgrading_another_tier_is_a_bad_request(
    emu: AuraEmulator, client: AuraClient
) -> None:
    instance_id = await _running(client, emu, "vdc")
    with pytest.raises(BadRequestError):
        await client.instances.upgrade(instance_id)


@pytest.mark.parametrize("resize", [{"memory": "16GB"}, {"storage": "32GB"}])
async def test_upgrade_needs_memory_and_storage_together(
    emu: AuraEmulator, client: AuraClient, resize: dict[str, str]
) -> None:
    with pytest.raises(AuraValidationError, match="memory"):
        await client.instances.upgrade("1234abcd", **resize)
    assert emu.journal.count() == 0


async def test_estimate_size_is_retried_after_a_server_error(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("POST", "/v1/instances/sizing", status=500))
    estimate = await client.instances.estimate_size(
        node_count=10_000_000,
        relationship_count=50_000_000,
        instance_type="enterprise-ds",
        algorithm_categories=["pathfinding"],
    )
    if readable(emu, estimate.recommended_size):
        assert estimate.recommended_size.endswith("GB")
    read_back(emu, estimate.did_exceed_maximum, False)
    statuses = [e.status for e in emu.journal.select(method="POST", path="/v1/instances/sizing")]
    assert statuses == [500, 200]


async def test_a_huge_graph_exceeds_the_maximum(emu: AuraEmulator, client: AuraClient) -> None:
    estimate = await client.instances.estimate_size(
        node_count=10**12, relationship_count=10**13, instance_type="professional-ds"
    )
    read_back(emu, estimate.did_exceed_maximum, True)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"node_count": -5, "relationship_count": 1}, "node_count"),
        ({"node_count": 1, "relationship_count": "many"}, "relationship_count"),
        ({"node_count": 1, "relationship_count": 1, "instance_type": ""}, "instance_type"),
        ({"node_count": 1, "relationship_count": 1, "algorithm_categories": [3]}, "algorithm"),
    ],
)
async def test_a_bad_sizing_argument_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AuraValidationError, match=field):
        await client.instances.estimate_size(**arguments)
    assert emu.journal.count() == 0
