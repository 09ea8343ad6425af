"""One shape across resources: the ``wait`` verb, its checks and messages, the return
kinds of ``create`` and ``delete``, and keyword-only parent ids."""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aura_async import AuraClient, AuraValidationError, WaitTimeoutError
from aura_async.models import (
    CreatedGraphAnalyticsSession,
    CreatedSnapshot,
    CustomerManagedKeyStatus,
    GraphAnalyticsSession,
    InstanceStatus,
    SessionStatus,
    SnapshotStatus,
)
from aura_async.resources._base import wait_target
from aura_async.testing import AuraEmulator
from tests.conftest import create_instance, make_client

POLL = 0.005
KEY = {
    "key_id": "projects/acme/locations/europe-west1/keyRings/aura/cryptoKeys/k1",
    "region": "europe-west1",
    "instance_type": "enterprise-db",
    "cloud_provider": "gcp",
}
SESSION = {"memory": "8GB", "cloud_provider": "gcp", "region": "europe-west1"}

# --- the target status, as a table -----------------------------------------------------

# (until, the enum, allow_unknown, expected target or None for AuraValidationError)
TARGETS: list[tuple[object, type[enum.StrEnum], bool, object]] = [
    (InstanceStatus.RUNNING, InstanceStatus, False, InstanceStatus.RUNNING),
    ("running", InstanceStatus, False, InstanceStatus.RUNNING),
    ("RUNNING", InstanceStatus, False, InstanceStatus.RUNNING),
    ("loading failed", InstanceStatus, False, InstanceStatus.LOADING_FAILED),
    ("completed", SnapshotStatus, False, SnapshotStatus.COMPLETED),
    ("inprogress", SnapshotStatus, False, SnapshotStatus.IN_PROGRESS),
    ("ready", SessionStatus, False, SessionStatus.READY),
    ("Ready", CustomerManagedKeyStatus, False, CustomerManagedKeyStatus.READY),
    ("runing", InstanceStatus, False, None),
    ("hibernating", InstanceStatus, False, None),
    ("hibernating", InstanceStatus, True, "hibernating"),
    (SnapshotStatus.COMPLETED, InstanceStatus, False, None),
    ("", InstanceStatus, True, None),
    ("   ", InstanceStatus, True, None),
    (None, InstanceStatus, True, None),
    (1, InstanceStatus, True, None),
]


@pytest.mark.parametrize(("until", "known", "allow_unknown", "expected"), TARGETS)
def test_the_target_status(
    until: object, known: type[enum.StrEnum], allow_unknown: bool, expected: object
) -> None:
    if expected is None:
        with pytest.raises(AuraValidationError, match="until must be a known"):
            wait_target(until, known, allow_unknown=allow_unknown)
        return
    target = wait_target(until, known, allow_unknown=allow_unknown)
    assert target == expected
    assert type(target) is type(expected)


def test_an_unknown_target_names_the_closest_status_and_the_opt_in() -> None:
    with pytest.raises(AuraValidationError) as caught:
        wait_target("runing", InstanceStatus)
    assert "did you mean 'running'?" in str(caught.value)
    assert "allow_unknown=True" in str(caught.value)


# --- every resource's wait ---------------------------------------------------------------

Waiter = Callable[..., Awaitable[Any]]


def _waiters(client: AuraClient) -> dict[str, Waiter]:
    snapshots = client.snapshots

    async def snapshot_wait(resource_id: str, **options: Any) -> Any:
        return await snapshots.wait(resource_id, instance_id="0000abcd", **options)

    return {
        "instances": client.instances.wait,
        "snapshots": snapshot_wait,
        "customer_managed_keys": client.customer_managed_keys.wait,
        "graph_analytics": client.graph_analytics.wait,
    }


@pytest.mark.parametrize(
    "resource", ["instances", "snapshots", "customer_managed_keys", "graph_analytics"]
)
async def test_every_wait_rejects_an_unknown_status_before_polling(
    emu: AuraEmulator, client: AuraClient, resource: str
) -> None:
    wait = _waiters(client)[resource]
    with pytest.raises(AuraValidationError, match="until must be a known"):
        await wait("0000beef", until="finished-ish", timeout=5, interval=POLL)
    assert emu.journal.count() == 0


async def test_a_timeout_names_the_last_status_seen(manual_emu: AuraEmulator) -> None:
    async with make_client(manual_emu) as client:
        created = await create_instance(client, manual_emu, "slow")
        with pytest.raises(WaitTimeoutError) as caught:
            await client.instances.wait(created.id, timeout=0.5, interval=POLL)
    assert "waiting for 'running'" in str(caught.value)
    assert "the last status seen was 'creating'" in str(caught.value)
    assert caught.value.last is not None


async def test_a_404_within_the_grace_is_logged_as_not_found_yet(
    client: AuraClient, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger="aura_async"),
        pytest.raises(WaitTimeoutError) as caught,
    ):
        await client.instances.wait("0000beef", timeout=0.5, interval=POLL)
    not_found = [r for r in caplog.records if "not found yet" in r.getMessage()]
    assert not_found
    assert all(r.levelno == logging.DEBUG for r in not_found)
    assert "0000beef" in not_found[0].getMessage()
    assert "no state was read" in str(caught.value)


async def test_allow_unknown_waits_for_a_status_this_release_does_not_know(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        created = await create_instance(client, manual_emu, "future")
        with pytest.raises(WaitTimeoutError, match="'hibernating'"):
            await client.instances.wait(
                created.id, until="hibernating", allow_unknown=True, timeout=0.5, interval=POLL
            )
    assert manual_emu.journal.count("GET", f"/v1/instances/{created.id}") >= 1


async def test_the_old_waiter_names_are_deprecated_aliases(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await create_instance(client, emu, "aliased")
    with pytest.warns(DeprecationWarning, match=r"instances\.wait\(instance_id, until=\.\.\.\)"):
        running = await client.instances.wait_for_status(
            created.id, "running", timeout=10, interval=POLL
        )
    assert running.status == InstanceStatus.RUNNING
    taken = await client.snapshots.create(created.id)
    with pytest.warns(DeprecationWarning, match="snapshots.wait_for_completion is deprecated"):
        done = await client.snapshots.wait_for_completion(
            created.id, taken.snapshot_id, timeout=10, interval=POLL
        )
    assert done.status == SnapshotStatus.COMPLETED
    assert emu.tenant_id is not None
    key = await client.customer_managed_keys.create(name="k", tenant_id=emu.tenant_id, **KEY)
    with pytest.warns(DeprecationWarning, match="customer_managed_keys.wait_until_ready"):
        ready = await client.customer_managed_keys.wait_until_ready(
            key.id, timeout=10, interval=POLL
        )
    assert ready.status == CustomerManagedKeyStatus.READY
    session = await client.graph_analytics.create(name="s", tenant_id=emu.tenant_id, **SESSION)
    with pytest.warns(DeprecationWarning, match="graph_analytics.wait_until_ready"):
        live = await client.graph_analytics.wait_until_ready(session.id, timeout=10, interval=POLL)
    assert live.status == SessionStatus.READY


# --- create returns a model, delete returns None, parent ids are keyword-only -----------


async def test_create_returns_a_model_and_delete_none_everywhere(
    emu: AuraEmulator, client: AuraClient
) -> None:
    instance = await create_instance(client, emu, "shape")
    emu.settle()
    taken = await client.snapshots.create(instance.id)
    assert taken == CreatedSnapshot(snapshot_id=taken.snapshot_id, instance_id=instance.id)
    assert emu.tenant_id is not None
    session = await client.graph_analytics.create(name="s", tenant_id=emu.tenant_id, **SESSION)
    assert isinstance(session, CreatedGraphAnalyticsSession)
    assert isinstance(session, GraphAnalyticsSession)
    assert session.created is True
    again = await client.graph_analytics.create(name="s", tenant_id=emu.tenant_id, **SESSION)
    assert (again.id, again.created) == (session.id, False)
    key = await client.customer_managed_keys.create(name="k", tenant_id=emu.tenant_id, **KEY)
    assert await client.graph_analytics.delete(session.id) is None
    assert await client.customer_managed_keys.delete(key.id) is None
    assert await client.instances.delete(instance.id) is None


@pytest.mark.parametrize("method", ["get", "restore", "wait"])
def test_a_snapshots_parent_instance_id_is_keyword_only(method: str) -> None:
    client = AuraClient("id", "secret")
    parameters = inspect.signature(getattr(client.snapshots, method)).parameters
    assert next(iter(parameters)) == "snapshot_id"
    assert parameters["instance_id"].kind is inspect.Parameter.KEYWORD_ONLY


async def test_two_positional_ids_are_refused(client: AuraClient) -> None:
    with pytest.raises(TypeError):
        await client.snapshots.get("0000abcd", "snap")  # type: ignore[misc]
