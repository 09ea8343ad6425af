"""Snapshot operations, and the operations that read an instance's data: restore, overwrite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from aura_async.testing._http import ApiError
from aura_async.testing._model import FREE_TYPE, Instance, Snapshot, new_uuid
from aura_async.testing._state import EmulatorState, Step
from aura_async.testing._state_guards import (
    UNSUPPORTED_TIER,
    ensure_idle,
    ensure_status,
    lock_source,
    start_operation,
)
from aura_async.testing._validation import (
    invalid,
    optional_str,
    parse_day,
    parse_size_gb,
    required_str,
    snapshot_not_found,
)

COMPLETED = "Completed"


def snapshot_key(snapshot_id: str) -> str:
    """Return the transition key of a snapshot."""
    return f"snapshot:{snapshot_id}"


def take_snapshot(state: EmulatorState, instance: Instance) -> Snapshot:
    """Start an on-demand snapshot: ``Pending``, then ``InProgress``, then ``Completed``."""
    snapshot = Snapshot(new_uuid(), instance.id, "AdHoc", state.now(), exportable=True)
    state.snapshots[snapshot.snapshot_id] = snapshot
    steps = [Step("InProgress"), Step(COMPLETED)]
    state.start(snapshot_key(snapshot.snapshot_id), snapshot, steps)
    return snapshot


def create_snapshot(state: EmulatorState, instance_id: str) -> dict[str, Any]:
    """``POST /instances/{instanceId}/snapshots``: start an on-demand snapshot.

    Raises:
        ApiError: 404 unknown instance; 402 for a free instance (no on-demand
            snapshots); 409 during another operation; 400 unless running.
    """
    instance = state.instance(instance_id)
    if instance.type == FREE_TYPE:
        message = "On-demand snapshots are not available for free instances"
        raise ApiError(402, message, reason=UNSUPPORTED_TIER)
    ensure_idle(instance)
    ensure_status(instance, "running", "snapshot")
    return {"snapshot_id": take_snapshot(state, instance).snapshot_id}


def list_snapshots(state: EmulatorState, instance_id: str, day: str | None) -> list[dict[str, Any]]:
    """``GET /instances/{instanceId}/snapshots``: the snapshots taken on one UTC day.

    Args:
        state: The emulator state.
        instance_id: The instance.
        day: ``YYYY-MM-DD``; today (UTC) when None.

    Raises:
        ApiError: 404 unknown instance; 400 (field ``date``) for a malformed date.
    """
    instance = state.instance(instance_id)
    wanted = state.now().astimezone(UTC).date() if day is None else parse_day(day)
    taken = [s for s in state.snapshots.values() if s.instance_id == instance.id]
    return [
        snapshot.detail()
        for snapshot in sorted(taken, key=lambda s: s.timestamp)
        if snapshot.timestamp.astimezone(UTC).date() == wanted
    ]


def find_snapshot(state: EmulatorState, instance: Instance, snapshot_id: str) -> Snapshot:
    """Return the instance's snapshot, or raise the API's 404 ``snapshot-not-found``."""
    snapshot = state.snapshots.get(snapshot_id)
    if snapshot is None or snapshot.instance_id != instance.id:
        raise snapshot_not_found(snapshot_id)
    return snapshot


def get_snapshot(state: EmulatorState, instance_id: str, snapshot_id: str) -> dict[str, Any]:
    """``GET /instances/{instanceId}/snapshots/{snapshotId}``.

    Raises:
        ApiError: 404 ``db-not-found`` or ``snapshot-not-found``.
    """
    return find_snapshot(state, state.instance(instance_id), snapshot_id).detail()


def restore_snapshot(state: EmulatorState, instance_id: str, snapshot_id: str) -> dict[str, Any]:
    """``POST .../snapshots/{snapshotId}/restore``: ``restoring``, then ``running``.

    Raises:
        ApiError: 404 unknown instance or snapshot; 409 during another operation;
            400 unless running or when the snapshot has not completed.
    """
    instance = state.instance(instance_id)
    snapshot = find_snapshot(state, instance, snapshot_id)
    ensure_idle(instance)
    ensure_status(instance, "running", "restore")
    if snapshot.status != COMPLETED:
        raise invalid(f"Snapshot {snapshot_id} is {snapshot.status}, not {COMPLETED}")
    start_operation(state, instance, "restoring")
    return instance.detail()


def clone_source(state: EmulatorState, source_id: str, snapshot_id: str | None) -> Instance:
    """Return the instance to copy data from, after the checks a clone or overwrite makes.

    Raises:
        ApiError: 404 unknown source or snapshot; 409 when the source is busy; 400 when
            it is not running or the snapshot is unfinished or not exportable.
    """
    source = state.instance(source_id)
    ensure_idle(source)
    ensure_status(source, "running", "clone")
    if snapshot_id is not None:
        snapshot = find_snapshot(state, source, snapshot_id)
        if snapshot.status != COMPLETED or not snapshot.exportable:
            message = f"Snapshot {snapshot_id} must be completed and exportable"
            raise invalid(message, field="source_snapshot_id")
    return source


def begin_copy(
    state: EmulatorState, source: Instance, reader: Instance, snapshot_id: str | None
) -> Callable[[], None]:
    """Lock ``source`` while ``reader`` copies it; return the release for when it ends.

    Without ``snapshot_id`` a new snapshot of the source is taken, as the live API does.
    """
    if snapshot_id is None:
        take_snapshot(state, source)
    return lock_source(source, reader)


def overwrite_instance(
    state: EmulatorState, instance_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``POST /instances/{instanceId}/overwrite``: ``overwriting``, then ``running``.

    Raises:
        ApiError: 400 bad body or state; 404 unknown target, source or snapshot;
            409 when either instance is busy; 420 for a free target; 500 when the
            source is larger than the target (the live API's answer).
    """
    source_id = required_str(body, "source_instance_id")
    snapshot_id = optional_str(body, "source_snapshot_id")
    target = state.instance(instance_id)
    ensure_idle(target)
    if target.type == FREE_TYPE:
        raise ApiError(420, "Action unsupported for this tier of instance", reason=UNSUPPORTED_TIER)
    ensure_status(target, "running", "overwrite")
    if source_id == target.id:
        raise invalid("An instance cannot overwrite itself", field="source_instance_id")
    source = clone_source(state, source_id, snapshot_id)
    if parse_size_gb(source.memory, "memory") > parse_size_gb(target.memory, "memory"):
        message = f"Cannot clone database {source.id} into smaller database {target.id}."
        raise ApiError(500, message, reason="db-overwrite-size-disparity")
    release = begin_copy(state, source, target, snapshot_id)
    start_operation(state, target, "overwriting", on_done=release)
    return target.detail()
