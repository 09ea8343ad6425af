"""The emulator's state: tenants, instances, snapshots, keys, GDS sessions, and their clock.

Operations that take time on the live service (creating, pausing, snapshotting, ...)
start a *transition*: a chain of steps, each due ``transition_delay`` seconds after the
previous one. Nothing runs in the background: due steps are applied lazily whenever the
state is read, in the order they fell due, so the emulator stays deterministic. With
``transition_delay=None`` steps apply only when a test calls :meth:`EmulatorState.step`
or :meth:`EmulatorState.settle`.

The operations themselves live in the ``_state_*`` modules, as functions of the state.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from attrs import define

from aura_async.testing._model import (
    CustomerManagedKey,
    GdsSession,
    Instance,
    Snapshot,
    Tenant,
    new_uuid,
)
from aura_async.testing._model_configurations import (
    checked_configurations,
    default_instance_configurations,
)
from aura_async.testing._validation import db_not_found, tenant_not_found

DEMO_TENANT_ID = "6981ace7-efe8-4f5c-b7c5-267b5162ce91"
DEMO_TENANT_NAME = "Demo project"
DEFAULT_ORGANIZATION_ID = "8a4a4b4f-0d7e-4c1a-9d5c-3a7c7f1e2b10"


def utc_now() -> datetime:
    """Return the current wall-clock time in UTC."""
    return datetime.now(UTC)


@define
class Step:
    """One step of a transition: set ``status`` (if given), then run ``effect`` (if given)."""

    status: str | None = None
    effect: Callable[[], None] | None = None


@define
class _Transition:
    record: Any
    steps: deque[Step]
    sequence: int


class EmulatorState:
    """Everything the emulated API knows, plus the clock its transitions run on.

    Args:
        transition_delay: Seconds each transition step takes; ``None`` means steps
            apply only through :meth:`step` and :meth:`settle`.
        instance_limit: How many live instances one tenant may hold; creating one
            more answers 405.
        clock: The monotonic clock transitions are timed with (inject a fake one to
            step time by hand).
        wall_clock: The UTC time used for ``created_at`` and the snapshot date filter.
    """

    def __init__(
        self,
        *,
        transition_delay: float | None = 0.05,
        instance_limit: int = 50,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if transition_delay is not None and transition_delay < 0:
            raise ValueError("transition_delay must be >= 0 or None")
        self.transition_delay = transition_delay
        self.instance_limit = instance_limit
        self.organization_id = DEFAULT_ORGANIZATION_ID
        self._clock = clock
        self._wall_clock = wall_clock
        self._tenants: dict[str, Tenant] = {}
        self._instances: dict[str, Instance] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._keys: dict[str, CustomerManagedKey] = {}
        self._sessions: dict[str, GdsSession] = {}
        self._names_created: Counter[str] = Counter()
        self._transitions: dict[str, _Transition] = {}
        self._due: list[tuple[float, int, str]] = []
        self._sequence = 0

    def __repr__(self) -> str:
        return (
            f"EmulatorState(tenants={len(self._tenants)}, instances={len(self._instances)},"
            f" pending_transitions={len(self._transitions)})"
        )

    # -- the records, read with due transitions applied ------------------------------

    @property
    def tenants(self) -> dict[str, Tenant]:
        """The tenants (projects) by id."""
        self.advance()
        return self._tenants

    @property
    def instances(self) -> dict[str, Instance]:
        """The instances that exist (including ones being destroyed) by id."""
        self.advance()
        return self._instances

    @property
    def snapshots(self) -> dict[str, Snapshot]:
        """The snapshots of existing instances by snapshot id."""
        self.advance()
        return self._snapshots

    @property
    def customer_managed_keys(self) -> dict[str, CustomerManagedKey]:
        """The customer managed keys by id."""
        self.advance()
        return self._keys

    @property
    def sessions(self) -> dict[str, GdsSession]:
        """The GDS sessions by id."""
        self.advance()
        return self._sessions

    def instance_names(self) -> dict[str, int]:
        """Return how many instances were ever created under each name, deleted ones included.

        Tests use it to prove that no request created a duplicate instance.
        """
        return dict(self._names_created)

    def now(self) -> datetime:
        """Return the emulator's current UTC wall-clock time."""
        return self._wall_clock()

    # -- seeding ---------------------------------------------------------------------

    def add_tenant(
        self,
        name: str = "Emulated project",
        *,
        instance_configurations: list[dict[str, str]] | None = None,
        tenant_id: str | None = None,
    ) -> str:
        """Add a tenant (project) and return its id.

        Args:
            name: The tenant's name.
            instance_configurations: What the tenant may create (dicts with the spec's
                keys); by default every instance type on gcp, aws and azure regions.
            tenant_id: A fixed id; a random UUID by default.

        Raises:
            ValueError: A configuration lacks a key, or the id is taken.
        """
        tenant_id = tenant_id or new_uuid()
        if tenant_id in self._tenants:
            raise ValueError(f"tenant {tenant_id} already exists")
        configurations = (
            default_instance_configurations()
            if instance_configurations is None
            else checked_configurations(instance_configurations)
        )
        self._tenants[tenant_id] = Tenant(tenant_id, name, self.organization_id, configurations)
        return tenant_id

    def seed_demo(self) -> str:
        """Add the demo tenant (a fixed id, default configurations) if absent; return its id."""
        if DEMO_TENANT_ID not in self._tenants:
            self.add_tenant(DEMO_TENANT_NAME, tenant_id=DEMO_TENANT_ID)
        return DEMO_TENANT_ID

    # -- lookups that answer like the API ----------------------------------------------

    def tenant(self, tenant_id: str) -> Tenant:
        """Return the tenant, or raise the API's 404 ``tenant-not-found``."""
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise tenant_not_found()
        return tenant

    def instance(self, instance_id: str) -> Instance:
        """Return the instance, or raise the API's 404 ``db-not-found``."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise db_not_found(instance_id)
        return instance

    def record_created_instance(self, instance: Instance) -> None:
        """Store a newly created instance and count its name."""
        self._instances[instance.id] = instance
        self._names_created[instance.name] += 1

    def add_snapshot(
        self,
        instance_id: str,
        *,
        profile: str = "Scheduled",
        timestamp: datetime | None = None,
        status: str = "Completed",
        exportable: bool = False,
    ) -> str:
        """Add a finished snapshot of an instance, e.g. a scheduled one on an earlier day.

        Args:
            instance_id: The instance (it must exist).
            profile: ``Scheduled`` or ``AdHoc``.
            timestamp: When it was taken; now by default.
            status: Its status (no transition is started).
            exportable: Whether it can seed a clone.

        Returns:
            The snapshot id.

        Raises:
            KeyError: The instance does not exist.
        """
        if instance_id not in self.instances:
            raise KeyError(instance_id)
        snapshot = Snapshot(new_uuid(), instance_id, profile, timestamp or self.now(), exportable)
        snapshot.status = status
        self._snapshots[snapshot.snapshot_id] = snapshot
        return snapshot.snapshot_id

    def forget_instance(self, instance_id: str) -> None:
        """Remove a destroyed instance and its snapshots."""
        self._instances.pop(instance_id, None)
        for snapshot_id in [s.snapshot_id for s in self._snapshots.values()]:
            if self._snapshots[snapshot_id].instance_id == instance_id:
                del self._snapshots[snapshot_id]

    # -- transitions -----------------------------------------------------------------

    def start(self, key: str, record: Any, steps: Iterable[Step]) -> None:
        """Start a transition of ``record``, replacing any pending one under ``key``.

        Args:
            key: Identifies the transition, e.g. ``"instance:2f49c2b3"``.
            record: The record whose ``status`` the steps set.
            steps: The steps, each due one ``transition_delay`` after the previous one.
        """
        self._sequence += 1
        self._transitions[key] = _Transition(record, deque(steps), self._sequence)
        self._schedule(key, self._next_due(self._clock()))

    def pending(self, key: str) -> bool:
        """Return whether a transition under ``key`` still has steps to apply."""
        self.advance()
        return key in self._transitions

    def advance(self) -> None:
        """Apply every step that is due by now, in the order the steps fell due."""
        now = self._clock()
        while self._due and self._due[0][0] <= now:
            due, sequence, key = heapq.heappop(self._due)
            self._apply_next(key, sequence, due)

    def step(self) -> int:
        """Apply the next step of every pending transition now, due or not.

        Returns:
            How many steps were applied.
        """
        entries = sorted(self._due, key=lambda entry: entry[1])
        self._due.clear()
        applied = 0
        for _due, sequence, key in entries:
            applied += self._apply_next(key, sequence, self._clock())
        return applied

    def settle(self) -> None:
        """Apply every pending transition to its end now, due or not."""
        while self._transitions:
            if not self.step():
                break

    def _next_due(self, after: float) -> float:
        if self.transition_delay is None:
            return math.inf
        return after + self.transition_delay

    def _schedule(self, key: str, due: float) -> None:
        transition = self._transitions[key]
        heapq.heappush(self._due, (due, transition.sequence, key))

    def _apply_next(self, key: str, sequence: int, due: float) -> int:
        transition = self._transitions.get(key)
        if transition is None or transition.sequence != sequence:
            return 0  # replaced by a newer transition: this heap entry is stale
        step = transition.steps.popleft()
        if not transition.steps:
            del self._transitions[key]
        else:
            self._schedule(key, self._next_due(due))
        if step.status is not None:
            transition.record.status = step.status
        if step.effect is not None:
            step.effect()
        return 1
