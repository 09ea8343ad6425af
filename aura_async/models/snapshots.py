"""Snapshots of an instance: the details and list rows, and the on-demand create answer."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from aura_async.models._wire import WireModel, identity


class SnapshotStatus(enum.StrEnum):
    """The status of a snapshot. A status outside this enum arrives as a plain string."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class SnapshotProfile(enum.StrEnum):
    """Whether a snapshot was taken on demand or by the schedule."""

    AD_HOC = "AdHoc"
    SCHEDULED = "Scheduled"


@attrs.frozen(kw_only=True, slots=False)
class Snapshot(WireModel):
    """A snapshot (GET /instances/{id}/snapshots[/{snapshot_id}]).

    ``snapshot_id`` is its identity; every other field may be None.
    ``snapshot_id`` is a UUID for new snapshots and a timestamp-like string for older ones:
    it is kept as given. ``exportable`` (whether an instance can be created from it) is in
    the spec's examples only.
    """

    snapshot_id: str = identity()
    instance_id: str | None = None
    status: SnapshotStatus | str | None = None
    profile: SnapshotProfile | str | None = None
    timestamp: datetime | None = None
    exportable: bool | None = None


@attrs.frozen(kw_only=True, slots=False)
class CreatedSnapshot(WireModel):
    """An on-demand snapshot just taken (POST /instances/{id}/snapshots, 202).

    The API answers with the snapshot's id only; ``snapshots.create`` fills in
    ``instance_id``, the instance it was asked for, so that the pair can be passed on
    (``snapshots.wait(c.snapshot_id, instance_id=c.instance_id)``).
    """

    snapshot_id: str = identity()
    instance_id: str | None = None
