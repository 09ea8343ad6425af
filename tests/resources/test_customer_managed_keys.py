"""client.customer_managed_keys against the emulator: lifecycle, waiter, retries, validation."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async import (
    AuraClient,
    AuraValidationError,
    BadRequestError,
    NotFoundError,
    OutcomeUnknownError,
    WaitTimeoutError,
)
from aura_async.models import CustomerManagedKey, CustomerManagedKeyStatus, InstanceType
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client
from tests.resources.conftest import read_back

POLL = 0.005
KEY = {
    "key_id": "projects/acme/locations/europe-west1/keyRings/aura/cryptoKeys/k1",
    "region": "europe-west1",
    "instance_type": "enterprise-db",
    "cloud_provider": "gcp",
}


async def _create(client: AuraClient, emu: AuraEmulator, name: str = "key-1") -> CustomerManagedKey:
    assert emu.tenant_id is not None
    return await client.customer_managed_keys.create(name=name, tenant_id=emu.tenant_id, **KEY)


async def test_create_wait_get_list_and_delete(emu: AuraEmulator, client: AuraClient) -> None:
    created = await _create(client, emu)
    assert created.status == CustomerManagedKeyStatus.PENDING
    read_back(emu, created.instance_type, InstanceType.ENTERPRISE_DB)
    ready = await client.customer_managed_keys.wait(created.id, timeout=10, interval=POLL)
    assert ready.status == CustomerManagedKeyStatus.READY
    read_back(emu, (await client.customer_managed_keys.get(created.id)).key_id, KEY["key_id"])
    listed = await client.customer_managed_keys.list(tenant_id=emu.tenant_id)
    assert [row.id for row in listed] == [created.id]
    read_back(emu, listed[0].name, "key-1")
    assert [row.id for row in await client.customer_managed_keys.list()] == [created.id]
    await client.customer_managed_keys.delete(created.id)
    assert emu.journal.count("DELETE", f"/v1/customer-managed-keys/{created.id}", 204) == 1
    with pytest.raises(NotFoundError) as caught:
        await client.customer_managed_keys.get(created.id)
    assert caught.value.reason == "encryption-key-not-found"


async def test_listing_an_unknown_project_is_not_found(client: AuraClient) -> None:
    with pytest.raises(NotFoundError):
        await client.customer_managed_keys.list(tenant_id="00000000-0000-0000-0000-000000000000")


async def test_a_retried_delete_that_finds_the_key_gone_returns(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await _create(client, emu)
    path = f"/v1/customer-managed-keys/{created.id}"
    emu.inject(Fault("DELETE", path, status=503, after_apply=True))
    await client.customer_managed_keys.delete(created.id)
    assert [e.status for e in emu.journal.select(method="DELETE", path=path)] == [503, 404]


async def test_deleting_a_missing_key_on_the_first_attempt_is_not_found(
    client: AuraClient,
) -> None:
    with pytest.raises(NotFoundError):
        await client.customer_managed_keys.delete("00000000-0000-0000-0000-000000000000")


async def test_a_key_in_use_cannot_be_deleted(emu: AuraEmulator, client: AuraClient) -> None:
    key = await _create(client, emu)
    emu.settle()
    assert emu.tenant_id is not None
    await client.instances.create(
        name="encrypted",
        tenant_id=emu.tenant_id,
        cloud_provider="gcp",
        region="europe-west1",
        type="enterprise-db",
        version="5",
        memory="8GB",
        customer_managed_key_id=key.id,
    )
    with pytest.raises(BadRequestError) as caught:
        await client.customer_managed_keys.delete(key.id)
    assert caught.value.reason == "encryption-key-is-active"


async def test_an_ambiguous_create_is_never_resent(emu: AuraEmulator, client: AuraClient) -> None:
    emu.inject(Fault("POST", "/v1/customer-managed-keys", status=503, after_apply=True))
    with pytest.raises(OutcomeUnknownError):
        await _create(client, emu)
    assert emu.journal.count("POST", "/v1/customer-managed-keys") == 1
    assert len(await client.customer_managed_keys.list()) == 1


async def test_the_waiter_gives_up_with_the_last_state(manual_emu: AuraEmulator) -> None:
    async with make_client(manual_emu) as client:
        created = await _create(client, manual_emu)
        with pytest.raises(WaitTimeoutError) as caught:
            await client.customer_managed_keys.wait(created.id, timeout=0.25, interval=POLL)
    last = caught.value.last
    assert isinstance(last, CustomerManagedKey)
    assert last.status == CustomerManagedKeyStatus.PENDING


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 31}, "name"),
        ({"name": " padded"}, "name"),
        ({"instance_type": ""}, "instance_type"),
        ({"cloud_provider": ""}, "cloud_provider"),
        ({"key_id": ""}, "key_id"),
        ({"region": ""}, "region"),
        ({"tenant_id": ""}, "tenant_id"),
    ],
)
async def test_a_bad_create_argument_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, change: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"name": "key-1", "tenant_id": emu.tenant_id, **KEY, **change}
    with pytest.raises(AuraValidationError, match=field):
        await client.customer_managed_keys.create(**arguments)
    assert emu.journal.count() == 0


@pytest.mark.parametrize("key_id", ["", "a/b", "..", "with space", 7])
async def test_a_bad_key_id_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, key_id: Any
) -> None:
    with pytest.raises(AuraValidationError, match="key_id"):
        await client.customer_managed_keys.get(key_id)
    with pytest.raises(AuraValidationError, match="key_id"):
        await client.customer_managed_keys.delete(key_id)
    assert emu.journal.count() == 0


@pytest.mark.parametrize(("timeout", "interval"), [(0, 1.0), (1.0, -1), (True, 1.0)])
async def test_bad_wait_options_are_rejected(
    client: AuraClient, timeout: Any, interval: Any
) -> None:
    with pytest.raises(AuraValidationError):
        await client.customer_managed_keys.wait(
            "00000000-0000-0000-0000-000000000000", timeout=timeout, interval=interval
        )
