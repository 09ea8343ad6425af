"""``client.instances``: create, inspect, change and delete instances."""

from __future__ import annotations

import builtins
import json
from datetime import UTC, datetime

from aura_async._transport import Response, api_error
from aura_async._urls import check_id
from aura_async.models import (
    CdcEnrichmentMode,
    CloudProvider,
    CreatedInstance,
    Instance,
    InstanceCreateRequest,
    InstanceOverwriteRequest,
    InstanceSizeEstimate,
    InstanceSizingRequest,
    InstanceStatus,
    InstanceSummary,
    InstanceType,
    InstanceUpdateRequest,
    InstanceUpgradeRequest,
)
from aura_async.resources._base import Resource, deprecated_alias, segment, wait_target

__all__ = ["Instances"]

_FAILED = frozenset({InstanceStatus.LOADING_FAILED})
_LONG_AGO = datetime.min.replace(tzinfo=UTC)
# A re-sent pause/resume refused with these may find an earlier attempt took effect:
# 400 once the instance is paused (running), 409 while it is pausing (resuming).
_REFUSALS = frozenset({400, 409})


def _carries_no_data(raw: Response) -> bool:
    """True for an empty answer or a JSON object without ``data`` (the spec's ``{}``)."""
    if not raw.body.strip():
        return True
    try:
        answer = json.loads(raw.body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(answer, dict) and "data" not in answer


class Instances(Resource):
    """Aura instances (AuraDB and AuraDS)."""

    def _path(self, instance_id: str, action: str = "") -> str:
        return "/instances" + segment("instance_id", instance_id) + action

    async def list(self, *, tenant_id: str | None = None) -> tuple[InstanceSummary, ...]:
        """List instances, of one project or of all the credential can see.

        Raises:
            AuraValidationError: A bad tenant id.
            AuraError: The call failed.
        """
        params = None if tenant_id is None else {"tenantId": check_id("tenant_id", tenant_id)}
        return await self._many("/instances", InstanceSummary, params=params)

    async def get(self, instance_id: str) -> Instance:
        """Get an instance's details.

        Raises:
            AuraValidationError: A bad id.
            NotFoundError: No such instance (or not visible yet after a create).
            AuraError: The call failed.
        """
        return await self._one("GET", self._path(instance_id), Instance)

    async def create(
        self,
        *,
        name: str,
        tenant_id: str,
        cloud_provider: CloudProvider | str,
        region: str,
        type: InstanceType | str,
        version: str,
        memory: str,
        storage: str | None = None,
        source_instance_id: str | None = None,
        source_snapshot_id: str | None = None,
        customer_managed_key_id: str | None = None,
        vector_optimized: bool | None = None,
        graph_analytics_plugin: bool | None = None,
    ) -> CreatedInstance:
        """Create an instance, or clone one. It starts ``creating`` and becomes ``running``.

        The answer holds the initial password, which the API shows only once.
        The request is never re-sent once it may have reached the server: on an
        ambiguous failure you get :class:`OutcomeUnknownError` and can reconcile
        with :meth:`find`.

        Args:
            name: The new instance's name (1 to 30 characters).
            tenant_id: The project.
            cloud_provider: The cloud provider.
            region: The region.
            type: The instance type, e.g. ``"enterprise-db"``.
            version: The Neo4j version, e.g. ``"5"``.
            memory: The memory, e.g. ``"8GB"``.
            storage: The storage (default: the configuration's).
            source_instance_id: Clone this instance's data into the new one.
            source_snapshot_id: Clone from this snapshot of the source instance
                (needs ``source_instance_id``; default: a new snapshot).
            customer_managed_key_id: Encrypt the data with this customer managed key.
            vector_optimized: Optimize the instance for vector search.
            graph_analytics_plugin: Enable the Graph Data Science plugin.

        Returns:
            The new instance with its initial credentials.

        Raises:
            AuraValidationError: A bad argument (e.g. a name that is empty, over 30
                characters or padded with whitespace, or a snapshot without its source
                instance); nothing was sent.
            OutcomeUnknownError: The instance may or may not have been created.
            AuraError: The call failed (the instance was not created).
        """
        request = InstanceCreateRequest(
            name=name,
            tenant_id=tenant_id,
            cloud_provider=cloud_provider,
            region=region,
            type=type,
            version=version,
            memory=memory,
            storage=storage,
            source_instance_id=source_instance_id,
            source_snapshot_id=source_snapshot_id,
            customer_managed_key_id=customer_managed_key_id,
            vector_optimized=vector_optimized,
            graph_analytics_plugin=graph_analytics_plugin,
        )
        return await self._one("POST", "/instances", CreatedInstance, body=request)

    async def update(
        self,
        instance_id: str,
        *,
        name: str | None = None,
        memory: str | None = None,
        storage: str | None = None,
        vector_optimized: bool | None = None,
        graph_analytics_plugin: bool | None = None,
        secondaries_count: int | None = None,
        cdc_enrichment_mode: CdcEnrichmentMode | str | None = None,
    ) -> Instance:
        """Change an instance; only the arguments given are sent.

        A rename or a CDC mode change applies at once; a resize, a feature change or a
        new secondaries count goes ``updating`` -> ``running``.

        Args:
            instance_id: The instance.
            name: A new name.
            memory: A new memory size, e.g. ``"16GB"``.
            storage: A new storage size.
            vector_optimized: Turn vector optimization on or off.
            graph_analytics_plugin: Turn the Graph Data Science plugin on or off.
            secondaries_count: The number of secondaries (Virtual Dedicated Cloud).
            cdc_enrichment_mode: ``"OFF"``, ``"DIFF"`` or ``"FULL"`` (Virtual
                Dedicated Cloud and Business Critical).

        Returns:
            The instance as the API answered (read from the PATCH answer itself, with no
            further call). When the answer carries no instance (the spec's 202 answer to
            a resize is ``{}``), an :class:`Instance` with only ``id`` set: the change
            was accepted; read its progress with :meth:`get` or a waiter.

        Raises:
            AuraValidationError: Nothing to change, or a bad argument; nothing was sent.
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The change may or may not have been applied
                (:class:`UnreadableResultError`: it was accepted, its answer is unreadable).
            AuraError: The call failed.
        """
        request = InstanceUpdateRequest(
            name=name,
            memory=memory,
            storage=storage,
            vector_optimized=vector_optimized,
            graph_analytics_plugin=graph_analytics_plugin,
            secondaries_count=secondaries_count,
            cdc_enrichment_mode=cdc_enrichment_mode,
        )
        raw = await self._send("PATCH", self._path(instance_id), body=request)
        if _carries_no_data(raw):
            return Instance(id=instance_id)
        return self._one_from(raw, Instance)

    async def upgrade(
        self, instance_id: str, *, memory: str | None = None, storage: str | None = None
    ) -> Instance:
        """Upgrade a Professional instance to Business Critical, optionally resizing it.

        Args:
            instance_id: The instance.
            memory: A new memory size (give ``storage`` too, or neither).
            storage: A new storage size (give ``memory`` too, or neither).

        Returns:
            The upgraded instance.

        Raises:
            AuraValidationError: A bad id, or only one of memory and storage; nothing was sent.
            BadRequestError: The instance cannot be upgraded (e.g. not Professional).
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The upgrade may or may not have been applied.
            AuraError: The call failed.
        """
        request = InstanceUpgradeRequest(memory=memory, storage=storage)
        path = self._path(instance_id, "/upgrade")
        return await self._one("POST", path, Instance, body=request)

    async def estimate_size(
        self,
        *,
        node_count: int,
        relationship_count: int,
        instance_type: InstanceType | str | None = None,
        algorithm_categories: tuple[str, ...] | builtins.list[str] | None = None,
    ) -> InstanceSizeEstimate:
        """Estimate the instance size a graph needs (a pure computation, safe to repeat).

        Args:
            node_count: Nodes in the graph.
            relationship_count: Relationships in the graph.
            instance_type: The intended instance type.
            algorithm_categories: Graph Data Science algorithms to run, e.g.
                ``["pathfinding"]``.

        Returns:
            The recommended size, the minimum memory, and whether the graph exceeds
            the largest size.

        Raises:
            AuraValidationError: A bad argument; nothing was sent.
            AuraError: The call failed.
        """
        request = InstanceSizingRequest(
            node_count=node_count,
            relationship_count=relationship_count,
            instance_type=instance_type,
            algorithm_categories=algorithm_categories,
        )
        path = "/instances/sizing"
        return await self._one("POST", path, InstanceSizeEstimate, body=request, idempotent=True)

    async def pause(self, instance_id: str) -> Instance:
        """Pause a running instance (``pausing`` -> ``paused``).

        Safe to re-send: a 5xx or a lost answer is retried, and a re-sent pause
        that finds the instance ``pausing`` or ``paused`` has converged and
        returns it. Pausing an instance that is already paused (on the first
        attempt) is the API's 400.

        Returns:
            The instance as the API answered (``pausing``), or as read after a
            re-send converged (``pausing`` or ``paused``).

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            BadRequestError: The instance is not running (e.g. already paused).
            ConflictError: Another operation is running on the instance.
            AuraError: The call failed.
        """
        converged = frozenset({InstanceStatus.PAUSING, InstanceStatus.PAUSED})
        return await self._converge(instance_id, "/pause", converged)

    async def resume(self, instance_id: str) -> Instance:
        """Resume a paused instance (``resuming`` -> ``running``).

        Safe to re-send: a 5xx or a lost answer is retried, and a re-sent resume
        that finds the instance ``resuming`` or ``running`` has converged and
        returns it. Resuming an instance that is not paused (on the first
        attempt) is the API's 400.

        Returns:
            The instance as the API answered (``resuming``), or as read after a
            re-send converged (``resuming`` or ``running``).

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            BadRequestError: The instance is not paused (e.g. already running).
            ConflictError: Another operation is running on the instance.
            AuraError: The call failed.
        """
        converged = frozenset({InstanceStatus.RESUMING, InstanceStatus.RUNNING})
        return await self._converge(instance_id, "/resume", converged)

    async def _converge(
        self, instance_id: str, action: str, converged: frozenset[InstanceStatus]
    ) -> Instance:
        """POST a convergent action; confirm by reading the instance if a re-send was refused."""
        raw = await self._send("POST", self._path(instance_id, action), converges_on=_REFUSALS)
        if raw.status < 300:
            return self._one_from(raw, Instance)
        instance = await self.get(instance_id)
        if instance.status not in converged:
            raise api_error(raw)
        self._client.logger.info(
            "re-sent POST %s found instance %s %s: done", action, instance_id, instance.status
        )
        return instance

    async def overwrite(
        self,
        instance_id: str,
        *,
        source_instance_id: str,
        source_snapshot_id: str | None = None,
    ) -> Instance:
        """Overwrite an instance with another instance's data (``overwriting``).

        Raises:
            AuraValidationError: A bad id.
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The overwrite may or may not have been applied.
            AuraError: The call failed.
        """
        request = InstanceOverwriteRequest(
            source_instance_id=source_instance_id, source_snapshot_id=source_snapshot_id
        )
        path = self._path(instance_id, "/overwrite")
        return await self._one("POST", path, Instance, body=request)

    async def delete(self, instance_id: str) -> None:
        """Delete an instance (``destroying``, then gone).

        A retried delete that finds the instance already gone (an earlier attempt
        deleted it) returns normally.

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            NotFoundError: No such instance (on the first attempt).
            AuraError: The call failed.
        """
        await self._send("DELETE", self._path(instance_id))

    async def find(self, *, name: str, tenant_id: str | None = None) -> InstanceSummary | None:
        """Find the newest instance with this exact name, e.g. after OutcomeUnknownError.

        Rows without a readable ``created_at`` count as the oldest.

        Returns:
            The newest matching instance, or None.

        Raises:
            AuraError: The list call failed.
        """
        matches = [row for row in await self.list(tenant_id=tenant_id) if row.name == name]
        return max(matches, key=lambda row: row.created_at or _LONG_AGO, default=None)

    async def wait(
        self,
        instance_id: str,
        *,
        until: InstanceStatus | str = InstanceStatus.RUNNING,
        timeout: float = 900.0,
        interval: float = 10.0,
        allow_unknown: bool = False,
    ) -> Instance:
        """Poll an instance until its status is ``until``.

        Args:
            instance_id: The instance.
            until: The status to wait for (an ``InstanceStatus``, any case).
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).
            allow_unknown: Accept a status this release does not know.

        Returns:
            The instance as read with that status.

        Raises:
            AuraValidationError: A bad id, timeout or interval, or an unknown status
                (without ``allow_unknown``); nothing was sent.
            OperationFailedError: The instance reached ``loading failed``.
            WaitTimeoutError: Not reached in time; the message names the last status,
                ``.last`` holds the last state.
            NotFoundError: The instance stayed missing past the brief window after a create.
            AuraError: A poll failed.
        """
        target = wait_target(until, InstanceStatus, allow_unknown=allow_unknown)
        return await self._poll_until(
            self._path(instance_id),
            Instance,
            done=lambda inst: inst.status == target,
            failed=lambda inst: inst.status in _FAILED and target not in _FAILED,
            timeout=timeout,
            interval=interval,
            what=f"instance {instance_id} waiting for {str(target)!r}",
        )

    async def wait_for_status(
        self,
        instance_id: str,
        status: InstanceStatus | str,
        *,
        timeout: float = 900.0,
        interval: float = 10.0,
    ) -> Instance:
        """Deprecated alias of ``wait``: ``wait(instance_id, until=status)``."""
        deprecated_alias("instances.wait_for_status", "instances.wait(instance_id, until=...)")
        return await self.wait(instance_id, until=status, timeout=timeout, interval=interval)
