"""``client.snapshots``: an instance's snapshots."""

from __future__ import annotations

import datetime as dt

from aura_async._errors import AuraValidationError
from aura_async.models import CreatedSnapshot, Instance, Snapshot, SnapshotStatus
from aura_async.resources._base import Resource, segment

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

    async def get(self, instance_id: str, snapshot_id: str) -> Snapshot:
        """Get one snapshot.

        Raises:
            AuraValidationError: A bad id.
            NotFoundError: No such instance or snapshot.
            AuraError: The call failed.
        """
        return await self._one("GET", self._path(instance_id, snapshot_id), Snapshot)

    async def create(self, instance_id: str) -> str:
        """Take an on-demand snapshot.

        Returns:
            The new snapshot's id (it starts ``Pending``).

        Raises:
            AuraValidationError: A bad id.
            OutcomeUnknownError: The request may have been applied (never re-sent).
            AuraError: The call failed.
        """
        created = await self._one("POST", self._path(instance_id), CreatedSnapshot)
        return created.snapshot_id

    async def restore(self, instance_id: str, snapshot_id: str) -> Instance:
        """Restore an instance from one of its snapshots (status ``restoring``).

        Raises:
            AuraValidationError: A bad id.
            ConflictError: Another operation is running on the instance.
            OutcomeUnknownError: The request may have been applied (never re-sent).
            AuraError: The call failed.
        """
        path = self._path(instance_id, snapshot_id) + "/restore"
        return await self._one("POST", path, Instance)

    async def wait_for_completion(
        self,
        instance_id: str,
        snapshot_id: str,
        *,
        timeout: float = 900.0,
        interval: float = 10.0,
    ) -> Snapshot:
        """Poll a snapshot until it is ``Completed``.

        Args:
            instance_id: The instance.
            snapshot_id: The snapshot.
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).

        Raises:
            OperationFailedError: The snapshot ``Failed`` or was ``Cancelled``.
            WaitTimeoutError: Not completed in time; ``.last`` holds the last state.
            AuraError: A poll failed.
        """
        return await self._poll_until(
            self._path(instance_id, snapshot_id),
            Snapshot,
            done=lambda s: s.status == SnapshotStatus.COMPLETED,
            failed=lambda s: s.status in _FAILED,
            timeout=timeout,
            interval=interval,
            what=f"snapshot {snapshot_id} of instance {instance_id}",
        )
