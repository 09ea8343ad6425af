"""Create a few instances, then wait for, pause, resume and delete them all in bulk.

Run it with ``.venv/bin/python examples/bulk_pause_resume.py``. Without
``AURA_CLIENT_ID`` in the environment it starts a local ``AuraEmulator`` and runs
against that. With ``AURA_CLIENT_ID`` and ``AURA_CLIENT_SECRET`` set it uses the
real API (``AuraClient.from_env()``): that creates billed instances (deleted again
at the end) and takes a while, since real transitions take minutes.

Each step runs one coroutine per instance through ``client.map``, at most
``CONCURRENCY`` at a time; every call shares the client's rate limiter, and one
instance's failure (say a 409 because it is still busy) is reported in its row
without stopping the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Awaitable, Callable, Sequence

from aura_async import AuraClient, BulkResult
from aura_async.models import CreatedInstance, Instance, InstanceConfiguration
from aura_async.testing import AuraEmulator

INSTANCE_COUNT = 3
CONCURRENCY = 8
NAME_PREFIX = "bulk-demo"


class Pace:
    """How long to wait for a status, and how often to poll it."""

    def __init__(self, *, timeout: float, interval: float) -> None:
        self.timeout = timeout
        self.interval = interval


EMULATOR_PACE = Pace(timeout=30.0, interval=0.2)
LIVE_PACE = Pace(timeout=1800.0, interval=15.0)


def _gigabytes(memory: str) -> float:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", memory)
    return float(match.group(1)) if match else float("inf")


def pick_configuration(configurations: Sequence[InstanceConfiguration]) -> InstanceConfiguration:
    """Return the smallest professional configuration (professional instances can pause)."""
    pausable = [c for c in configurations if str(c.type) == "professional-db"] or list(
        configurations
    )
    if not pausable:
        raise SystemExit("the project offers no instance configuration")
    return min(pausable, key=lambda c: _gigabytes(c.memory))


Outcome = Instance | CreatedInstance | None


def describe(result: BulkResult[str, Outcome]) -> str:
    """Return one item's outcome: the new id, the instance's status, or the error."""
    value = result.value
    if result.error is not None:
        return f"FAILED: {type(result.error).__name__}: {result.error}"
    if isinstance(value, CreatedInstance):
        return f"created as {value.id}"
    return "already gone" if value is None else f"status {value.status}"


def print_table(title: str, results: Sequence[BulkResult[str, Outcome]]) -> None:
    """Print one row per item: its position, the item, and its outcome."""
    print(f"\n{title}")
    print(f"  {'#':>2}  {'item':<12}  outcome")
    for result in results:
        print(f"  {result.index:>2}  {result.item:<12}  {describe(result)}")


async def run_step(
    client: AuraClient,
    title: str,
    fn: Callable[[str], Awaitable[Outcome]],
    items: Sequence[str],
) -> list[str]:
    """Run ``fn`` over ``items`` in bulk, print the table, return the items that succeeded."""
    results = await client.map(fn, items, concurrency=CONCURRENCY)
    print_table(title, results)
    return [result.item for result in results if result.ok]


async def create_instances(client: AuraClient, tenant_id: str) -> list[str]:
    """Create ``INSTANCE_COUNT`` instances in bulk; return the ids of those created."""
    config = pick_configuration((await client.tenants.get(tenant_id)).instance_configurations)

    async def create(name: str) -> CreatedInstance:
        created = await client.instances.create(
            name=name,
            tenant_id=tenant_id,
            cloud_provider=config.cloud_provider,
            region=config.region,
            type=config.type,
            version=config.version,
            memory=config.memory,
        )
        ids[name] = created.id
        return created

    ids: dict[str, str] = {}
    names = [f"{NAME_PREFIX}-{n}" for n in range(INSTANCE_COUNT)]
    created_names = await run_step(client, "create", create, names)
    return [ids[name] for name in created_names]


async def pause_and_resume(client: AuraClient, ids: list[str], pace: Pace) -> None:
    """Wait for, pause and resume every instance in bulk."""
    instances = client.instances

    def waiter(status: str) -> Callable[[str], Awaitable[Instance]]:
        async def wait(instance_id: str) -> Instance:
            return await instances.wait_for_status(
                instance_id, status, timeout=pace.timeout, interval=pace.interval
            )

        return wait

    running = await run_step(client, "wait until running", waiter("running"), ids)
    paused = await run_step(client, "pause", instances.pause, running)
    paused = await run_step(client, "wait until paused", waiter("paused"), paused)
    resumed = await run_step(client, "resume", instances.resume, paused)
    await run_step(client, "wait until running again", waiter("running"), resumed)


async def demo(client: AuraClient, tenant_id: str | None, pace: Pace) -> None:
    """Run the whole demo with ``client``; delete whatever it created at the end."""
    if tenant_id is None:
        tenant_id = (await client.tenants.list())[0].id
    ids = await create_instances(client, tenant_id)
    try:
        await pause_and_resume(client, ids, pace)
    finally:
        await run_step(client, "delete", client.instances.delete, ids)


async def main() -> None:
    """Pick the emulator or the real API, then run the demo."""
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("AURA_CLIENT_ID"):
            client = await stack.enter_async_context(AuraClient.from_env())
            tenant_id, pace = os.environ.get("AURA_TENANT_ID"), LIVE_PACE
            print(f"Using the Aura API at {client.base_url}")
        else:
            emu = await stack.enter_async_context(AuraEmulator(transition_delay=1.0))
            client = await stack.enter_async_context(
                AuraClient(emu.client_id, emu.client_secret, base_url=emu.url)
            )
            tenant_id, pace = emu.tenant_id, EMULATOR_PACE
            print(f"No AURA_CLIENT_ID set: using a local emulator at {emu.url}")
        await demo(client, tenant_id, pace)


if __name__ == "__main__":
    asyncio.run(main())
