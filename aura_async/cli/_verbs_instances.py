"""The ``instances`` commands: what each does with the client, and what it shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from aura_async._bulk import BulkResult
from aura_async._client import AuraClient
from aura_async._errors import NotFoundError
from aura_async.cli._errors import CommandError
from aura_async.cli._runtime import Api, report_failures, run_bulk
from aura_async.cli._views import CREATED_INSTANCE, INSTANCE, INSTANCE_DETAIL, INSTANCE_SUMMARY
from aura_async.models import CreatedInstance, Instance, InstanceStatus

__all__ = [
    "InstanceShape",
    "WaitOptions",
    "create_instances",
    "delete_instances",
    "get_instances",
    "list_instances",
    "list_instances_with_status",
    "pause_instances",
    "resume_instances",
    "single_tenant_id",
    "wait_instances",
]

PASSWORD_NOTE = "The passwords above are shown only once: store them now."


@attrs.frozen(kw_only=True)
class InstanceShape:
    """What ``instances create`` makes: the project and the instance configuration.

    Attributes:
        tenant_id: The project; None means the only project the credential sees.
        cloud_provider: ``gcp``, ``aws`` or ``azure``.
        region: The region, e.g. ``europe-west1``.
        type: The instance type, e.g. ``enterprise-db``.
        version: The Neo4j version, e.g. ``5``.
        memory: The memory, e.g. ``8GB``.
        storage: The storage (default: the configuration's).
    """

    tenant_id: str | None
    cloud_provider: str
    region: str
    type: str
    version: str
    memory: str
    storage: str | None = None


@attrs.frozen
class WaitOptions:
    """How long to wait for a status, and how often to look.

    Attributes:
        timeout: Seconds before giving up, per instance.
        interval: Seconds between polls (each poll counts against the rate limit).
    """

    timeout: float
    interval: float


def _show(api: Api, results: Sequence[BulkResult[str, Any]], title: str) -> int:
    api.out.bulk(results, INSTANCE, title=title, id_header="instance")
    return report_failures(api.out, results)


async def list_instances(api: Api, tenant_id: str | None) -> int:
    """``instances list``: every instance (of one project, if given)."""
    rows = await api.client.instances.list(tenant_id=tenant_id)
    api.out.records(rows, INSTANCE_SUMMARY, title="Instances")
    return 0


async def list_instances_with_status(api: Api, tenant_id: str | None, status: str) -> int:
    """``instances list --status``: the instances with ``status``, with their details.

    The list answer has no status, so each instance is read (through the client's
    rate limiter, as one bulk operation with a progress bar on stderr).
    """
    rows = await api.client.instances.list(tenant_id=tenant_id)
    ids = [row.id for row in rows]
    results = await run_bulk(api, f"Reading {len(ids)} instances", api.client.instances.get, ids)
    wanted = [r.value for r in results if r.ok and r.value.status == status]
    # An instance deleted between the list and its read has no status to match.
    failed = [r for r in results if not r.ok and not isinstance(r.error, NotFoundError)]
    api.out.records(wanted, INSTANCE_DETAIL, title=f"Instances {status}")
    return report_failures(api.out, failed)


async def get_instances(api: Api, ids: Sequence[str]) -> int:
    """``instances get``: each instance's details."""
    results = await run_bulk(api, "Reading instances", api.client.instances.get, ids)
    return _show(api, results, "Instances")


async def single_tenant_id(client: AuraClient) -> str:
    """Return the id of the only project the credential sees.

    Raises:
        CommandError: It sees none, or several.
    """
    tenants = await client.tenants.list()
    if len(tenants) != 1:
        raise CommandError(
            f"the credential sees {len(tenants)} projects: pass --tenant-id "
            "(see 'aura-async tenants list')"
        )
    return tenants[0].id


async def create_instances(api: Api, names: Sequence[str], shape: InstanceShape) -> int:
    """``instances create``: one instance per name, showing each password once."""
    tenant_id = shape.tenant_id or await single_tenant_id(api.client)

    async def create(name: str) -> CreatedInstance:
        return await api.client.instances.create(
            name=name,
            tenant_id=tenant_id,
            cloud_provider=shape.cloud_provider,
            region=shape.region,
            type=shape.type,
            version=shape.version,
            memory=shape.memory,
            storage=shape.storage,
        )

    results = await run_bulk(api, "Creating instances", create, names, item_key="name")
    api.out.bulk(
        results, CREATED_INSTANCE, title="Created instances", id_header="name", item_key="name"
    )
    if any(result.ok for result in results):
        api.out.note(PASSWORD_NOTE)
    return report_failures(api.out, results)


def _then_wait(
    api: Api, act: Callable[[str], Awaitable[Instance]], status: str, wait: WaitOptions | None
) -> Callable[[str], Awaitable[Instance]]:
    """Return ``act``, followed (if ``wait``) by a wait for ``status``."""
    if wait is None:
        return act

    async def act_and_wait(instance_id: str) -> Instance:
        await act(instance_id)
        return await api.client.instances.wait(
            instance_id, until=status, timeout=wait.timeout, interval=wait.interval
        )

    return act_and_wait


async def pause_instances(api: Api, ids: Sequence[str], wait: WaitOptions | None) -> int:
    """``instances pause``: pause each instance (and wait until paused, if asked)."""
    pause = _then_wait(api, api.client.instances.pause, "paused", wait)
    results = await run_bulk(api, "Pausing instances", pause, ids)
    return _show(api, results, "Paused instances" if wait else "Pausing instances")


async def resume_instances(api: Api, ids: Sequence[str], wait: WaitOptions | None) -> int:
    """``instances resume``: resume each instance (and wait until running, if asked)."""
    resume = _then_wait(api, api.client.instances.resume, "running", wait)
    results = await run_bulk(api, "Resuming instances", resume, ids)
    return _show(api, results, "Resumed instances" if wait else "Resuming instances")


async def delete_instances(api: Api, ids: Sequence[str]) -> int:
    """``instances delete``: delete each instance (an already deleted one counts as done)."""

    async def delete(instance_id: str) -> Instance:
        await api.client.instances.delete(instance_id)
        # The API accepted it: the instance is destroying (or, for a retried delete, gone).
        return Instance(id=instance_id, status=InstanceStatus.DESTROYING)

    results = await run_bulk(api, "Deleting instances", delete, ids)
    return _show(api, results, "Deleting instances")


async def wait_instances(api: Api, ids: Sequence[str], status: str, wait: WaitOptions) -> int:
    """``instances wait``: wait until every instance has ``status``."""

    async def wait_for(instance_id: str) -> Instance:
        return await api.client.instances.wait(
            instance_id, until=status, timeout=wait.timeout, interval=wait.interval
        )

    results = await run_bulk(api, f"Waiting for {status}", wait_for, ids)
    return _show(api, results, f"Instances {status}")
