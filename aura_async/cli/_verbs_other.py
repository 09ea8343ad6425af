"""The ``tenants`` and ``snapshots`` commands: what each does, and what it shows."""

from __future__ import annotations

from collections.abc import Sequence

from aura_async.cli._runtime import Api, report_failures, run_bulk
from aura_async.cli._verbs_instances import WaitOptions
from aura_async.cli._views import (
    CREATED_SNAPSHOT,
    INSTANCE,
    SNAPSHOT,
    TENANT_CONFIGURATION,
    TENANT_SUMMARY,
)
from aura_async.models import CreatedSnapshot, Instance, Snapshot, Tenant

__all__ = [
    "create_snapshots",
    "get_tenants",
    "list_snapshots",
    "list_tenants",
    "restore_snapshot",
]


async def list_tenants(api: Api) -> int:
    """``tenants list``: the projects the credential sees."""
    rows = await api.client.tenants.list()
    api.out.records(rows, TENANT_SUMMARY, title="Projects")
    return 0


def _configurations(tenant: Tenant) -> Sequence[object]:
    return tenant.instance_configurations or ()


async def get_tenants(api: Api, ids: Sequence[str]) -> int:
    """``tenants get``: each project, with the instance configurations it offers."""
    results = await run_bulk(api, "Reading projects", api.client.tenants.get, ids)
    api.out.bulk(
        results,
        TENANT_CONFIGURATION,
        title="Instance configurations by project",
        id_header="project",
        rows_of=_configurations,
    )
    return report_failures(api.out, results)


def _snapshots(snapshots: tuple[Snapshot, ...]) -> Sequence[object]:
    return snapshots


async def list_snapshots(api: Api, instance_ids: Sequence[str], date: str | None) -> int:
    """``snapshots list``: the snapshots of each instance, of one day (default today)."""

    async def list_of(instance_id: str) -> tuple[Snapshot, ...]:
        return await api.client.snapshots.list(instance_id, date=date)

    results = await run_bulk(api, "Listing snapshots", list_of, instance_ids)
    api.out.bulk(results, SNAPSHOT, title="Snapshots", id_header="instance", rows_of=_snapshots)
    return report_failures(api.out, results)


async def create_snapshots(api: Api, instance_ids: Sequence[str], wait: WaitOptions | None) -> int:
    """``snapshots create``: one on-demand snapshot per instance (and wait, if asked)."""
    snapshots = api.client.snapshots

    async def take(instance_id: str) -> Snapshot | CreatedSnapshot:
        created = await snapshots.create(instance_id)
        if wait is None:
            return created
        return await snapshots.wait(
            created.snapshot_id,
            instance_id=instance_id,
            timeout=wait.timeout,
            interval=wait.interval,
        )

    results = await run_bulk(api, "Taking snapshots", take, instance_ids)
    api.out.bulk(results, CREATED_SNAPSHOT, title="Snapshots", id_header="instance")
    return report_failures(api.out, results)


async def restore_snapshot(
    api: Api, instance_id: str, snapshot_id: str, wait: WaitOptions | None
) -> int:
    """``snapshots restore``: restore an instance from one of its snapshots."""

    async def restore(instance: str) -> Instance:
        restored = await api.client.snapshots.restore(snapshot_id, instance_id=instance)
        if wait is None:
            return restored
        return await api.client.instances.wait(
            instance, until="running", timeout=wait.timeout, interval=wait.interval
        )

    results = await run_bulk(api, "Restoring", restore, [instance_id])
    api.out.bulk(results, INSTANCE, title="Restoring instances", id_header="instance")
    return report_failures(api.out, results)
