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
from collections.abc import Awaitable, Callable, Sequence

from _target import Pace, Target, connect, create_instance

from aura_async import AuraClient, BulkResult
from aura_async.models import CreatedInstance, Instance

INSTANCE_COUNT = 3
CONCURRENCY = 8
NAME_PREFIX = "bulk-demo"


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


async def create_instances(target: Target) -> list[str]:
    """Create ``INSTANCE_COUNT`` instances in bulk; return the ids of those created."""

    async def create(name: str) -> CreatedInstance:
        created = await create_instance(target, name)
        ids[name] = created.id
        return created

    ids: dict[str, str] = {}
    names = [f"{NAME_PREFIX}-{n}" for n in range(INSTANCE_COUNT)]
    created_names = await run_step(target.client, "create", create, names)
    return [ids[name] for name in created_names]


async def pause_and_resume(client: AuraClient, ids: list[str], pace: Pace) -> None:
    """Wait for, pause and resume every instance in bulk."""
    instances = client.instances

    def waiter(status: str) -> Callable[[str], Awaitable[Instance]]:
        async def wait(instance_id: str) -> Instance:
            return await instances.wait(
                instance_id, until=status, timeout=pace.timeout, interval=pace.interval
            )

        return wait

    running = await run_step(client, "wait until running", waiter("running"), ids)
    paused = await run_step(client, "pause", instances.pause, running)
    paused = await run_step(client, "wait until paused", waiter("paused"), paused)
    resumed = await run_step(client, "resume", instances.resume, paused)
    await run_step(client, "wait until running again", waiter("running"), resumed)


async def main() -> None:
    """Create instances, pause and resume them in bulk, delete whatever was created."""
    async with connect() as target:
        client = target.client
        ids = await create_instances(target)
        try:
            await pause_and_resume(client, ids, target.pace)
        finally:
            await run_step(client, "delete", client.instances.delete, ids)


if __name__ == "__main__":
    asyncio.run(main())
