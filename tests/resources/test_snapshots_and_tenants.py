"""client.snapshots and client.tenants against the emulator."""

from __future__ import annotations

import datetime as dt

import pytest

from aura_async import AuraClient, AuraValidationError, NotFoundError
from aura_async.models import InstanceStatus, SnapshotStatus
from aura_async.testing import AuraEmulator
from tests.conftest import create_instance
from tests.resources.conftest import readable

POLL = 0.005


async def _running_instance(client: AuraClient, emu: AuraEmulator) -> str:
    created = await create_instance(client, emu, "snapped")
    emu.settle()
    return created.id


async def test_tenants_list_and_get(emu: AuraEmulator, client: AuraClient) -> None:
    rows = await client.tenants.list()
    assert [row.id for row in rows] == [emu.tenant_id]
    assert emu.tenant_id is not None
    tenant = await client.tenants.get(emu.tenant_id)
    if readable(emu, tenant.instance_configurations):
        assert tenant.instance_configurations
    with pytest.raises(NotFoundError) as caught:
        await client.tenants.get("00000000-0000-0000-0000-000000000000")
    assert caught.value.reason == "tenant-not-found"


async def test_snapshot_create_wait_list_get_restore(emu: AuraEmulator, client: AuraClient) -> None:
    instance_id = await _running_instance(client, emu)
    created = await client.snapshots.create(instance_id)
    assert created.instance_id == instance_id
    snapshot_id = created.snapshot_id
    done = await client.snapshots.wait(
        snapshot_id, instance_id=instance_id, timeout=10, interval=POLL
    )
    assert done.status == SnapshotStatus.COMPLETED
    today = await client.snapshots.list(instance_id, date=dt.datetime.now(dt.UTC).date())
    assert snapshot_id in {s.snapshot_id for s in today}
    got = await client.snapshots.get(snapshot_id, instance_id=instance_id)
    assert got.snapshot_id == snapshot_id
    restoring = await client.snapshots.restore(snapshot_id, instance_id=instance_id)
    assert restoring.status == InstanceStatus.RESTORING


@pytest.mark.parametrize("date", ["2024-13-01", "yesterday", "2024/01/01"])
async def test_a_bad_snapshot_date_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, date: str
) -> None:
    with pytest.raises(AuraValidationError, match="date"):
        await client.snapshots.list("1234abcd", date=date)
    assert emu.journal.count() == 0
