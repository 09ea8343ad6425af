"""``client.snapshots``: an instance's snapshots."""

from __future__ import annotations

import datetime as dt

import attrs

from aura_async._errors import AuraValidationError
from aura_async.models import CreatedSnapshot, Instance, Snapshot, SnapshotStatus
from aura_async.models._wire import keep_wire
from aura_async.resources._base import Resource, deprecated_alias, segment, wait_target

__all__ = ["Snapshots"]

_FAILED = frozenset({SnapshotStatus.FAILED, SnapshotStatus.CANCELLED})


def _date_param(date: dt.date | str | None) -> dict[str, str] | None:
    if date is None:
        return None
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        return {"date": date.isoformat()}
    try:
        return {"date": dt.date.fromisoformat(date).isoformat()}
    except (TypeError, ValueError):
        raise AuraValidationError(f"date must be a date or 'YYYY-MM-DD', got {date!r}") from None


class Snapshots(Resource):
    """Snapshots of instances."""

    def _path(self, instance_id: str, snapshot_id: str | None = None) -> str:
        path = "/instances" + segment("instance_id", instance_id) + "/snapshots"
        return path if snapshot_id is None else path + segment("snapshot_id", snapshot_id)

    async def list(
        self, instance_id: str, *, date: dt.date | str | None = None
    ) -> tuple[Snapshot, ...]:
        """List an instance's snapshots of one day.

        Args:
            instance_id: The instance.
            date: The day (default: today, UTC, as the API decides).

        Raises:
            AuraValidationError: A bad id or date.
            NotFoundError: No such instance.
            AuraError: The call failed.
        """
        params = _date_param(date)
        return await self._many(self._path(instance_id), Snapshot, params=params)

    async def get(self, snapshot_id: str, *, instance_id: str) -> Snapshot:
        """Get one snapshot.

        Args:
            snapshot_id: The snapshot.
            instance_id: Its instance (keyword-only, so the two ids cannot be swapped).

        Raises:
            AuraValidationError: A bad id.
            NotFoundError: No such instance or snapshot.
            AuraError: The call failed.
        """
        return await self._one("GET", self._path(instance_id, snapshot_id), Snapshot)

    async def create(self, instance_id: str) -> CreatedSnapshot:
        """Take an on-demand snapshot.

        Returns:
            The new snapshot's ``snapshot_id`` and ``instance_id`` (it starts ``Pending``).

        Raises:
            AuraValidationError: A bad id.
            OutcomeUnknownError: The request may have been applied (never re-sent);
                reconcile with ``list``.
            AuraError: The call failed.
        """
        created = await self._one("POST", self._path(instance_id), CreatedSnapshot)
        if created.instance_id is not None:
            return created
        with_instance = attrs.evolve(created, instance_id=instance_id)
        keep_wire(with_instance, created.extra, created.raw)
        return with_instance

    async def restore(self, snapshot_id: str, *, instance_id: str) -> Instance:
        """Restore an instance from one of its snapshots (status ``restoring``).

        Args:
            snapshot_id: The snapshot.
            instance_id: Its instance, the one restored (keyword-only).

        Raises:
            AuraValidationError: A bad id.
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The request may have been applied (never re-sent).
            AuraError: The call failed.
        """
        path = self._path(instance_id, snapshot_id) + "/restore"
        return await self._one("POST", path, Instance)

    async def wait(
        self,
        snapshot_id: str,
        *,
        instance_id: str,
        until: SnapshotStatus | str = SnapshotStatus.COMPLETED,
        timeout: float = 900.0,
        interval: float = 10.0,
        allow_unknown: bool = False,
    ) -> Snapshot:
        """Poll a snapshot until its status is ``until``.

        Args:
            snapshot_id: The snapshot.
            instance_id: Its instance (keyword-only).
            until: The status to wait for (a ``SnapshotStatus``, any case).
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).
            allow_unknown: Accept a status this release does not know.

        Returns:
            The snapshot as read with that status.

        Raises:
            AuraValidationError: A bad id, timeout or interval, or an unknown status
                (without ``allow_unknown``); nothing was sent.
            OperationFailedError: The snapshot ``Failed`` or was ``Cancelled``.
            WaitTimeoutError: Not reached in time; the message names the last status,
                ``.last`` holds the last state.
            AuraError: A poll failed.
        """
        target = wait_target(until, SnapshotStatus, allow_unknown=allow_unknown)
        return await self._poll_until(
            self._path(instance_id, snapshot_id),
            Snapshot,
            done=lambda s: s.status == target,
            failed=lambda s: s.status in _FAILED and target not in _FAILED,
            timeout=timeout,
            interval=interval,
            what=f"snapshot {snapshot_id} of instance {instance_id} waiting for {str(target)!r}",
        )

    async def wait_for_completion(
        self,
        instance_id: str,
        snapshot_id: str,
        *,
        timeout: float = 900.0,
        interval: float = 10.0,
    ) -> Snapshot:
        """Deprecated alias of ``wait``: ``wait(snapshot_id, instance_id=instance_id)``."""
        deprecated_alias(
            "snapshots.wait_for_completion", "snapshots.wait(snapshot_id, instance_id=...)"
        )
        return await self.wait(
            snapshot_id, instance_id=instance_id, timeout=timeout, interval=interval
        )
