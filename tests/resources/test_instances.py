"""client.instances against the emulator: lifecycle, waiters, conflicts."""

from __future__ import annotations

import asyncio

import pytest

from aura_async import (
    AuraClient,
    ConflictError,
    NotFoundError,
    OperationFailedError,
    WaitTimeoutError,
)
from aura_async.models import InstanceStatus
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import create_instance, make_client
from tests.resources.conftest import read_back

POLL = 0.005


async def test_create_returns_the_one_time_password_and_becomes_running(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await create_instance(client, emu)
    assert created.password
    read_back(emu, created.name, "app")
    running = await client.instances.wait(created.id, until="running", timeout=10, interval=POLL)
    assert running.status == InstanceStatus.RUNNING
    listed = await client.instances.list(tenant_id=emu.tenant_id)
    assert created.id in {row.id for row in listed}


async def test_pause_resume_update_and_delete(emu: AuraEmulator, client: AuraClient) -> None:
    created = await create_instance(client, emu)
    emu.settle()
    paused = await client.instances.pause(created.id)
    assert paused.status == InstanceStatus.PAUSING
    await client.instances.wait(created.id, until="paused", timeout=10, interval=POLL)
    await client.instances.resume(created.id)
    await client.instances.wait(created.id, until="running", timeout=10, interval=POLL)
    renamed = await client.instances.update(created.id, name="renamed")
    read_back(emu, renamed.name, "renamed")
    assert emu.state.instances[created.id].name == "renamed"
    assert await client.instances.delete(created.id) is None
    assert emu.journal.count("DELETE", f"/v1/instances/{created.id}", status=202) == 1
    emu.settle()
    with pytest.raises(NotFoundError):
        await client.instances.get(created.id)


async def test_a_mutation_during_an_operation_is_a_conflict(manual_emu: AuraEmulator) -> None:
    async with make_client(manual_emu) as client:
        created = await create_instance(client, manual_emu)
        with pytest.raises(ConflictError) as caught:
            await client.instances.pause(created.id)  # still creating
    assert caught.value.reason == "ongoing-database-operation"


async def test_overwrite_from_another_instance(emu: AuraEmulator, client: AuraClient) -> None:
    source = await create_instance(client, emu, "source")
    target = await create_instance(client, emu, "target")
    emu.settle()
    result = await client.instances.overwrite(target.id, source_instance_id=source.id)
    assert result.status == InstanceStatus.OVERWRITING
    await client.instances.wait(target.id, until="running", timeout=10, interval=POLL)


async def test_find_returns_none_when_nothing_has_the_name(client: AuraClient) -> None:
    assert await client.instances.find(name="nobody") is None


async def test_the_waiter_tolerates_the_brief_404_after_acreate_instance(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await create_instance(client, emu)
    emu.inject(Fault("GET", f"/v1/instances/{created.id}", status=404, times=2))
    inst = await client.instances.wait(created.id, until="running", timeout=10, interval=POLL)
    assert inst.id == created.id


async def test_the_waiter_gives_up_with_the_last_state(manual_emu: AuraEmulator) -> None:
    async with make_client(manual_emu) as client:
        created = await create_instance(client, manual_emu)
        with pytest.raises(WaitTimeoutError) as caught:
            await client.instances.wait(created.id, until="running", timeout=0.05, interval=POLL)
    assert caught.value.last.status == InstanceStatus.CREATING  # type: ignore[attr-defined]


async def test_the_waiter_raises_when_loading_failed(emu: AuraEmulator, client: AuraClient) -> None:
    created = await create_instance(client, emu)
    emu.settle()
    emu.state.instances[created.id].status = "loading failed"
    with pytest.raises(OperationFailedError) as caught:
        await client.instances.wait(created.id, until="running", timeout=10, interval=POLL)
    assert caught.value.last.status == InstanceStatus.LOADING_FAILED  # type: ignore[attr-defined]


async def test_cancelling_a_waiter_cancels_nothing_on_the_server(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        created = await create_instance(client, manual_emu)
        waiter = asyncio.ensure_future(
            client.instances.wait(created.id, until="running", timeout=10, interval=POLL)
        )
        await asyncio.sleep(0.02)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        mutations = [e for e in manual_emu.journal.entries if e.method != "GET"]
        manual_emu.settle()
        assert (await client.instances.get(created.id)).status == InstanceStatus.RUNNING
    assert [e.path for e in mutations if e.path != "/oauth/token"] == ["/v1/instances"]
