"""``aura-async demo``: the SDK manages a fleet on an embedded emulator, in seconds.

The emulator's rate limit is scaled down (60 requests per 6 s instead of 125 a
minute) and its transitions take half a second, so the whole run takes well under
a minute. A few faults are injected so that the retries, and the reconciliation of
an ambiguous create, are visible in the summary.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from rich.console import Console

from aura_async._bulk import BulkResult
from aura_async._client import AuraClient
from aura_async._config import RateLimit, RetryPolicy
from aura_async._errors import AuraAPIError, OutcomeUnknownError
from aura_async.cli._connect import create_demo_instance
from aura_async.cli._demo_summary import summarize, summary_table
from aura_async.cli._errors import describe_error
from aura_async.cli._output import Output
from aura_async.cli._runtime import Action, Runtime
from aura_async.testing import AuraEmulator, Fault, ServerRateLimit

__all__ = ["AMBIGUOUS_CREATE", "CLIENT_LIMIT", "FLAKY_READS", "SERVER_LIMIT", "demo_action"]

R = TypeVar("R")

SERVER_LIMIT = ServerRateLimit("sliding-log", requests=60, per=6.0, retry_after="fractional")
CLIENT_LIMIT = RateLimit(60, per=6.0)
# Generous retries with short backoff: a demo read must not fail on a run of unlucky draws.
RETRY = RetryPolicy(max_retries=6, backoff_base=0.05, backoff_cap=0.5)
TRANSITION_DELAY = 0.5
POLL_INTERVAL = 0.5
WAIT_TIMEOUT = 50.0

FLAKY_READS = Fault(
    "GET", "/v1/instances/*", status=503, retry_after=0.05, probability=0.1, seed=7, times=None
)
AMBIGUOUS_CREATE = Fault("POST", "/v1/instances", status=504, after_apply=True, times=1)


def demo_action(fleet_size: int) -> Action:
    """Return the action of ``aura-async demo`` for a fleet of ``fleet_size`` instances."""

    async def run(runtime: Runtime) -> int:
        return await run_demo(runtime.out, fleet_size)

    return run


async def run_demo(out: Output, fleet_size: int) -> int:
    """Run the demo, show its summary; return the exit code (0: every step succeeded).

    Args:
        out: Where to show it (with ``--json``, the summary is the JSON on stdout and
            the story goes to stderr).
        fleet_size: How many instances to create.

    Returns:
        The exit code.
    """
    console = out.stderr if out.json_mode else out.stdout
    started = time.monotonic()
    async with AuraEmulator(rate_limit=SERVER_LIMIT, transition_delay=TRANSITION_DELAY) as emu:
        emu.inject(FLAKY_READS)
        emu.inject(AMBIGUOUS_CREATE)
        _introduce(console, emu, fleet_size)
        async with AuraClient(
            emu.client_id, emu.client_secret, base_url=emu.url, rate_limit=CLIENT_LIMIT, retry=RETRY
        ) as client:
            fleet = _Fleet(client, out, console, emu.tenant_id or "")
            succeeded = await fleet.run(
                [f"demo-{number:02d}" for number in range(1, fleet_size + 1)]
            )
        summary = summarize(
            emu.journal,
            names_created=emu.state.instance_names(),
            limit=SERVER_LIMIT.requests,
            per=SERVER_LIMIT.per,
            reconciled=fleet.reconciled,
            elapsed=time.monotonic() - started,
        )
    if out.json_mode:
        out.json(summary.as_json())
    else:
        console.print(summary_table(summary))
    return 0 if succeeded else 1


def _introduce(console: Console, emu: AuraEmulator, fleet_size: int) -> None:
    console.print(
        f"[bold]aura-async demo[/]: an emulated Aura API at {emu.url}, rate limited to "
        f"{SERVER_LIMIT.requests} requests per {SERVER_LIMIT.per:g} s (Aura allows 125 a "
        f"minute; scaled so the demo is quick). The client shares one limiter and one token "
        f"among all its coroutines. {fleet_size} instances, with faults injected: 10% of "
        "instance reads answer 503, and one create answers 504 after the server acted.",
        highlight=False,
    )


def _answer(error: OutcomeUnknownError) -> str:
    """Name what ended a request ambiguously: the status, or the broken connection."""
    cause = error.__cause__
    if isinstance(cause, AuraAPIError):
        return f"the gateway answered {cause.status}"
    return "the connection broke"


class _Fleet:
    """The demo's steps: create, wait, snapshot, pause, each as one bulk operation."""

    def __init__(self, client: AuraClient, out: Output, console: Console, tenant_id: str) -> None:
        self.client = client
        self.out = out
        self.console = console
        self.tenant_id = tenant_id
        self.reconciled = 0

    async def run(self, names: Sequence[str]) -> bool:
        """Run every step; return False as soon as one fails for some instance."""
        ids = await self._step("Creating instances", self.create, names)
        if ids is None:
            return False
        steps: list[tuple[str, Callable[[str], Awaitable[object]]]] = [
            ("Waiting until running", self.wait_running),
            ("Taking snapshots", self.snapshot),
            ("Pausing", self.pause),
        ]
        for description, step in steps:
            if await self._step(description, step, ids) is None:
                return False
        return True

    async def _step(
        self, description: str, fn: Callable[[str], Awaitable[R]], items: Sequence[str]
    ) -> list[R] | None:
        started = time.monotonic()
        with self.out.progress(description, len(items), console=self.console) as on_progress:
            results = await self.client.map(fn, items, on_progress=on_progress)
        failures = [result for result in results if result.error is not None]
        if failures:
            self._report(failures)
            return None
        self.console.print(
            f"[green]✓[/] {description}: {len(items)} done in {time.monotonic() - started:.1f} s"
        )
        return [result.unwrap() for result in results]

    def _report(self, failures: Sequence[BulkResult[str, Any]]) -> None:
        for failure in failures:
            self.out.error(f"{failure.item}: {describe_error(failure.error or Exception())}")

    async def create(self, name: str) -> str:
        """Create one instance; after an ambiguous failure, find it instead of re-creating."""
        try:
            created = await create_demo_instance(self.client, self.tenant_id, name)
        except OutcomeUnknownError as error:
            found = await self.client.instances.find(name=name, tenant_id=self.tenant_id)
            if found is None:
                raise
            self.reconciled += 1
            self.console.print(
                f"[yellow]![/] creating {name}: {_answer(error)} after the request was sent, "
                f"so it was not re-sent; instances.find found it ({found.id}): no duplicate",
                highlight=False,
            )
            return found.id
        return created.id

    async def wait_running(self, instance_id: str) -> str:
        """Wait until the instance is running."""
        await self.client.instances.wait(
            instance_id, until="running", timeout=WAIT_TIMEOUT, interval=POLL_INTERVAL
        )
        return instance_id

    async def snapshot(self, instance_id: str) -> str:
        """Take a snapshot and wait until it is completed."""
        created = await self.client.snapshots.create(instance_id)
        await self.client.snapshots.wait(
            created.snapshot_id,
            instance_id=instance_id,
            timeout=WAIT_TIMEOUT,
            interval=POLL_INTERVAL,
        )
        return instance_id

    async def pause(self, instance_id: str) -> str:
        """Pause the instance and wait until it is paused."""
        await self.client.instances.pause(instance_id)
        await self.client.instances.wait(
            instance_id, until="paused", timeout=WAIT_TIMEOUT, interval=POLL_INTERVAL
        )
        return instance_id
