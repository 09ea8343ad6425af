"""The soak's workload: mixed calls from many coroutines, each judged as it ends.

Every call is one operation of the public API (lists, gets, creates, pauses,
resumes, deletes, snapshots), chosen by a seeded random stream per worker. Each
call ends in a :class:`CallRecord`: a correct result, or a typed ``AuraError`` of
a class that operation may raise; anything else is recorded as a problem.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from aura_async import (
    AuraClient,
    AuraConnectionError,
    AuraError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
)
from tests.soak.soak_checks import CallRecord

# Errors a call may end in after its retries, per operation. A ServerError from a
# create would be a bug: a 5xx on a POST must become OutcomeUnknownError.
_TRANSIENT: tuple[type[AuraError], ...] = (ServerError, AuraConnectionError, RateLimitError)
_READ = (*_TRANSIENT, NotFoundError)
_CHANGE = (
    OutcomeUnknownError,
    RateLimitError,
    AuraConnectionError,
    ConflictError,
    BadRequestError,  # the instance is not in the state the action needs
    NotFoundError,
)
ALLOWED_ERRORS: dict[str, tuple[type[AuraError], ...]] = {
    "list_tenants": _TRANSIENT,
    "list_instances": _TRANSIENT,
    "get_instance": _READ,
    "snapshot_list": _READ,
    "snapshot_get": _READ,
    "create": (OutcomeUnknownError, RateLimitError, AuraConnectionError),
    # Safe to re-send (convergent): a 5xx is retried, so the last one is raised as is.
    "pause": (*_CHANGE, ServerError),
    "resume": (*_CHANGE, ServerError),
    "snapshot_create": _CHANGE,
    "delete": (*_READ, ConflictError),
}
OP_WEIGHTS: dict[str, int] = {
    "get_instance": 20,
    "list_instances": 10,
    "list_tenants": 5,
    "create": 12,
    "pause": 7,
    "resume": 5,
    "delete": 10,
    "snapshot_create": 10,
    "snapshot_list": 11,
    "snapshot_get": 10,
}
_NEEDS_INSTANCE = frozenset(OP_WEIGHTS) - {"list_instances", "list_tenants", "create"}


class WrongResultError(Exception):
    """A call returned, but not what it should have."""


def expect(condition: bool, message: str) -> None:
    """Raise :class:`WrongResultError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise WrongResultError(message)


def judge(op: str, exc: BaseException) -> tuple[str | None, str | None]:
    """Return ``(error class name, problem)`` for a call of ``op`` that raised ``exc``.

    Raises:
        BaseException: ``exc`` itself, when it is the cancellation of the running
            task, or a ``KeyboardInterrupt`` or ``SystemExit``.
    """
    if not isinstance(exc, Exception | asyncio.CancelledError):
        raise exc
    if isinstance(exc, WrongResultError):
        return None, f"{op}: {exc}"
    if isinstance(exc, AuraError):
        allowed = isinstance(exc, ALLOWED_ERRORS[op])
        return type(exc).__name__, None if allowed else f"{op}: unexpected {exc!r}"
    task = asyncio.current_task()
    if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
        raise exc
    return type(exc).__name__, f"{op}: a bare {type(exc).__name__} escaped: {exc!r}"


class Workload:
    """The soak's calls and what they taught it about the server's state.

    Args:
        api: The client view for ordinary calls (a normal deadline).
        hurried_api: A view with a deadline short enough to expire now and then.
        tenant_id: The project every instance is created in.
        name_prefix: Prefix of the instance names (each create uses a new name).
        max_live: Above this many live instances, a create becomes a delete.
    """

    def __init__(
        self,
        api: AuraClient,
        hurried_api: AuraClient,
        *,
        tenant_id: str,
        name_prefix: str,
        max_live: int,
    ) -> None:
        self.api, self.hurried_api = api, hurried_api
        self.tenant_id = tenant_id
        self.records: list[CallRecord] = []
        self.requested: set[str] = set()
        self.live: dict[str, str] = {}
        self.created: set[str] = set()
        self.not_created: set[str] = set()
        self.unknown: set[str] = set()
        self.snapshots: dict[str, list[str]] = {}
        self.unknown_snapshots: Counter[str] = Counter()
        self._prefix = name_prefix
        self._max_live = max_live
        self._names = itertools.count()
        self._ops: dict[str, Callable[[AuraClient, random.Random], Awaitable[None]]] = {
            "get_instance": self._get_instance,
            "list_instances": self._list_instances,
            "list_tenants": self._list_tenants,
            "create": self._create,
            "pause": self._pause,
            "resume": self._resume,
            "delete": self._delete,
            "snapshot_create": self._snapshot_create,
            "snapshot_list": self._snapshot_list,
            "snapshot_get": self._snapshot_get,
        }

    def choose(self, rng: random.Random) -> str:
        """Draw the next operation, keeping the live instances between 1 and ``max_live``."""
        op = rng.choices(list(OP_WEIGHTS), weights=list(OP_WEIGHTS.values()))[0]
        if op in _NEEDS_INSTANCE and not self.live:
            return "create"
        if op == "create" and len(self.live) >= self._max_live:
            return "delete"
        if op == "snapshot_get" and not self._with_snapshots():
            return "snapshot_create"
        return op

    async def call(self, op: str, api: AuraClient, deadline: float, rng: random.Random) -> None:
        """Make one call of ``op`` through ``api`` and record how it ended."""
        started = time.monotonic()
        error = problem = None
        try:
            await self._ops[op](api, rng)
        except BaseException as exc:  # judged: only our own cancellation propagates
            error, problem = judge(op, exc)
        elapsed = time.monotonic() - started
        self.records.append(CallRecord(op, deadline, elapsed, error, problem, started))

    async def reconcile(self) -> dict[str, bool]:
        """Look up every name whose create ended in OutcomeUnknownError.

        Returns:
            Per name, whether ``instances.find`` found an instance of that name.

        Raises:
            AssertionError: ``find`` returned an instance of another name.
        """
        found = {}
        for name in sorted(self.unknown):
            row = await self.api.instances.find(name=name, tenant_id=self.tenant_id)
            assert row is None or row.name == name, f"find({name!r}) returned {row!r}"
            found[name] = row is not None
        return found

    def _pick_live(self, rng: random.Random) -> tuple[str, str]:
        return rng.choice(sorted(self.live.items()))

    def _with_snapshots(self) -> list[str]:
        return sorted(i for i in self.live if self.snapshots.get(i))

    def _forget_if_gone(self, instance_id: str, exc: AuraError) -> None:
        if isinstance(exc, NotFoundError):
            self.live.pop(instance_id, None)

    async def _list_tenants(self, api: AuraClient, rng: random.Random) -> None:
        tenants = await api.tenants.list()
        expect(self.tenant_id in {t.id for t in tenants}, f"tenant missing from {tenants!r}")

    async def _list_instances(self, api: AuraClient, rng: random.Random) -> None:
        rows = await api.instances.list(tenant_id=self.tenant_id)
        strangers = {r.name for r in rows if r.tenant_id != self.tenant_id}
        strangers |= {r.name for r in rows} - self.requested
        expect(not strangers, f"list returned instances no call created: {sorted(strangers)}")

    async def _get_instance(self, api: AuraClient, rng: random.Random) -> None:
        instance_id, name = self._pick_live(rng)
        try:
            got = await api.instances.get(instance_id)
        except AuraError as exc:
            self._forget_if_gone(instance_id, exc)
            raise
        expect(got.id == instance_id and got.name == name, f"get({instance_id}) gave {got!r}")

    async def _create(self, api: AuraClient, rng: random.Random) -> None:
        name = f"{self._prefix}{next(self._names)}"
        self.requested.add(name)
        try:
            made = await api.instances.create(
                name=name,
                tenant_id=self.tenant_id,
                cloud_provider="gcp",
                region="europe-west1",
                type="enterprise-db",
                version="5",
                memory="8GB",
            )
        except OutcomeUnknownError:
            self.unknown.add(name)
            raise
        except BaseException:
            self.not_created.add(name)
            raise
        self.created.add(name)
        self.live[made.id] = name
        expect(made.name == name and made.tenant_id == self.tenant_id, f"create gave {made!r}")
        expect(bool(made.password), "create returned no initial password")

    async def _pause(self, api: AuraClient, rng: random.Random) -> None:
        await self._change(api.instances.pause, rng)

    async def _resume(self, api: AuraClient, rng: random.Random) -> None:
        await self._change(api.instances.resume, rng)

    async def _change(self, action: Callable[[str], Awaitable[object]], rng: random.Random) -> None:
        instance_id, _ = self._pick_live(rng)
        try:
            changed = await action(instance_id)
        except AuraError as exc:
            self._forget_if_gone(instance_id, exc)
            raise
        expect(getattr(changed, "id", None) == instance_id, f"{instance_id} gave {changed!r}")

    async def _delete(self, api: AuraClient, rng: random.Random) -> None:
        instance_id, _ = self._pick_live(rng)
        try:
            await api.instances.delete(instance_id)
        except AuraError as exc:
            self._forget_if_gone(instance_id, exc)
            raise
        self.live.pop(instance_id, None)

    async def _snapshot_create(self, api: AuraClient, rng: random.Random) -> None:
        instance_id, _ = self._pick_live(rng)
        try:
            created = await api.snapshots.create(instance_id)
        except AuraError as exc:
            if isinstance(exc, OutcomeUnknownError):
                self.unknown_snapshots[instance_id] += 1
            self._forget_if_gone(instance_id, exc)
            raise
        expect(bool(created.snapshot_id), "snapshot create returned an empty id")
        expect(created.instance_id == instance_id, f"snapshot create gave {created!r}")
        self.snapshots.setdefault(instance_id, []).append(created.snapshot_id)

    async def _snapshot_list(self, api: AuraClient, rng: random.Random) -> None:
        instance_id, _ = self._pick_live(rng)
        try:
            rows = await api.snapshots.list(instance_id)
        except AuraError as exc:
            self._forget_if_gone(instance_id, exc)
            raise
        others = [r for r in rows if r.instance_id not in (instance_id, None)]
        expect(not others, f"snapshots of {instance_id} include {others!r}")

    async def _snapshot_get(self, api: AuraClient, rng: random.Random) -> None:
        instance_id = rng.choice(self._with_snapshots())
        snapshot_id = rng.choice(self.snapshots[instance_id])
        try:
            got = await api.snapshots.get(snapshot_id, instance_id=instance_id)
        except AuraError as exc:
            self._forget_if_gone(instance_id, exc)
            raise
        expect(got.snapshot_id == snapshot_id, f"get snapshot {snapshot_id} gave {got!r}")
