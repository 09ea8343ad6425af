"""Checks shared by the instance operations, and the instance transitions they start."""

from __future__ import annotations

from collections.abc import Callable

from aura_async.testing._model import Instance
from aura_async.testing._state import EmulatorState, Step
from aura_async.testing._validation import invalid, ongoing_operation

# Statuses in which an operation is running: another mutation gets 409.
BUSY_STATUSES = frozenset(
    {
        "creating",
        "destroying",
        "pausing",
        "resuming",
        "suspending",
        "loading",
        "restoring",
        "updating",
        "overwriting",
    }
)
INVALID_STATE = "invalid-instance-state"
UNSUPPORTED_TIER = "tenant-incapable-of-action"


def instance_key(instance_id: str) -> str:
    """Return the transition key of an instance."""
    return f"instance:{instance_id}"


def ensure_idle(instance: Instance) -> None:
    """Raise the API's 409 if an operation is running on (or reading) the instance."""
    if instance.status in BUSY_STATUSES:
        raise ongoing_operation(instance.status)
    if instance.locked_by is not None:
        raise ongoing_operation("cloning")


def ensure_status(instance: Instance, status: str, action: str) -> None:
    """Raise 400 ``invalid-instance-state`` unless the instance is in ``status``.

    Called after :func:`ensure_idle`, so it only rejects settled states such as
    pausing an instance that is already paused.
    """
    if instance.status != status:
        raise invalid(
            f"Cannot {action} instance {instance.id} while it is {instance.status}",
            reason=INVALID_STATE,
        )


def start_operation(
    state: EmulatorState,
    instance: Instance,
    status: str,
    *,
    final_status: str = "running",
    on_done: Callable[[], None] | None = None,
) -> None:
    """Put the instance in ``status`` now and in ``final_status`` one transition later.

    Args:
        state: The emulator state.
        instance: The instance.
        status: The in-progress status, e.g. ``pausing``.
        final_status: The status the operation ends in.
        on_done: Runs when the operation ends (e.g. applies a resize, releases a lock).
    """
    instance.status = status
    state.start(instance_key(instance.id), instance, [Step(final_status, on_done)])


def lock_source(source: Instance, reader: Instance) -> Callable[[], None]:
    """Mark ``source`` as being read by an operation on ``reader``; return the release."""
    source.locked_by = reader.id

    def release() -> None:
        if source.locked_by == reader.id:
            source.locked_by = None

    return release
