"""``client.instances``: create, inspect, change and delete instances."""

from __future__ import annotations

from aura_async._urls import check_id
from aura_async.models import (
    CloudProvider,
    CreatedInstance,
    Instance,
    InstanceCreateRequest,
    InstanceOverwriteRequest,
    InstanceStatus,
    InstanceSummary,
    InstanceType,
    InstanceUpdateRequest,
)
from aura_async.resources._base import Resource, check_wait_options, segment, wait_until

__all__ = ["Instances"]

_FAILED = frozenset({InstanceStatus.LOADING_FAILED})


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
    ) -> CreatedInstance:
        """Create an instance. It starts ``creating`` and becomes ``running``.

        The answer holds the initial password, which the API shows only once.
        The request is never re-sent once it may have reached the server: on an
        ambiguous failure you get :class:`OutcomeUnknownError` and can reconcile
        with :meth:`find`.

        Raises:
            AuraValidationError: A bad argument (e.g. a name that is empty, over 30
                characters or padded with whitespace); nothing was sent.
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
        )
        return await self._one("POST", "/instances", CreatedInstance, body=request)

    async def update(
        self,
        instance_id: str,
        *,
        name: str | None = None,
        memory: str | None = None,
        storage: str | None = None,
    ) -> Instance:
        """Rename or resize an instance (a resize goes ``updating`` -> ``running``).

        Raises:
            AuraValidationError: Nothing to change, or a bad argument.
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The change may or may not have been applied.
            AuraError: The call failed.
        """
        request = InstanceUpdateRequest(name=name, memory=memory, storage=storage)
        raw = await self._send("PATCH", self._path(instance_id), body=request)
        if raw.status == 202:
            # A resize is accepted with an empty body: read the instance's new state.
            return await self.get(instance_id)
        return self._one_from(raw, Instance)

    async def pause(self, instance_id: str) -> Instance:
        """Pause a running instance (``pausing`` -> ``paused``).

        Raises:
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The pause may or may not have been applied.
            AuraError: The call failed.
        """
        return await self._one("POST", self._path(instance_id, "/pause"), Instance)

    async def resume(self, instance_id: str) -> Instance:
        """Resume a paused instance (``resuming`` -> ``running``).

        Raises:
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The resume may or may not have been applied.
            AuraError: The call failed.
        """
        return await self._one("POST", self._path(instance_id, "/resume"), Instance)

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

    async def delete(self, instance_id: str) -> Instance | None:
        """Delete an instance (``destroying``, then gone).

        Returns:
            The instance as the API answered, or None when a retried delete found it
            already gone (an earlier attempt deleted it).

        Raises:
            NotFoundError: No such instance (on the first attempt).
            AuraError: The call failed.
        """
        path = self._path(instance_id)
        raw = await self._send("DELETE", path)
        if raw.status == 404:
            return None
        return self._one_from(raw, Instance)

    async def find(self, *, name: str, tenant_id: str | None = None) -> InstanceSummary | None:
        """Find the newest instance with this exact name, e.g. after OutcomeUnknownError.

        Returns:
            The newest matching instance, or None.

        Raises:
            AuraError: The list call failed.
        """
        matches = [row for row in await self.list(tenant_id=tenant_id) if row.name == name]
        return max(matches, key=lambda row: row.created_at, default=None)

    async def wait_for_status(
        self,
        instance_id: str,
        status: InstanceStatus | str,
        *,
        timeout: float = 900.0,
        interval: float = 10.0,
    ) -> Instance:
        """Poll an instance until it has ``status``.

        Args:
            instance_id: The instance.
            status: The status to wait for, e.g. ``"running"``.
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).

        Raises:
            OperationFailedError: The instance reached ``loading failed``.
            WaitTimeoutError: Not reached in time; ``.last`` holds the last state.
            NotFoundError: The instance stayed missing past the brief window after a create.
            AuraError: A poll failed.
        """
        check_wait_options(timeout, interval)
        path = self._path(instance_id)
        return await wait_until(
            lambda: self._one("GET", path, Instance),
            done=lambda inst: inst.status == status,
            failed=lambda inst: inst.status in _FAILED and status not in _FAILED,
            timeout=timeout,
            interval=interval,
            not_found_grace=min(timeout, 60.0),
            what=f"instance {instance_id} waiting for {str(status)!r}",
        )
