"""Snapshot every running instance of a project at once, then report how each went.

Run it with ``.venv/bin/python examples/snapshot_all_then_report.py`` (a local
emulator, seeded with a few instances, unless ``AURA_CLIENT_ID`` and
``AURA_CLIENT_SECRET`` are set: then it snapshots the real project's instances).
"""

from __future__ import annotations

import asyncio
import os

from _target import Target, connect, create_instance

from aura_async import BulkResult
from aura_async.models import Snapshot

SEEDED_INSTANCES = 4


async def seed(target: Target) -> None:
    """Give an emulated project a few running instances to snapshot."""
    client = target.client

    async def create(name: str) -> str:
        created = await create_instance(target, name)
        pace = target.pace
        await client.instances.wait(
            created.id, until="running", timeout=pace.timeout, interval=pace.interval
        )
        return created.id

    names = [f"reporting-{i}" for i in range(SEEDED_INSTANCES)]
    await client.map(create, names)


async def snapshot_all(target: Target) -> list[BulkResult[str, Snapshot]]:
    """Snapshot every running instance of the project and wait for each snapshot."""
    client = target.client
    rows = await client.instances.list(tenant_id=target.tenant_id)
    details = await client.map(client.instances.get, [row.id for row in rows])
    running = [r.value.id for r in details if r.ok and r.value.status == "running"]

    async def snapshot(instance_id: str) -> Snapshot:
        created = await client.snapshots.create(instance_id)
        pace = target.pace
        return await client.snapshots.wait(
            created.snapshot_id,
            instance_id=instance_id,
            timeout=pace.timeout,
            interval=pace.interval,
        )

    return await client.map(snapshot, running, concurrency=8)


def report(results: list[BulkResult[str, Snapshot]]) -> None:
    """Print one line per instance, and the totals."""
    for result in results:
        if result.value is not None:
            outcome = f"{result.value.status} snapshot {result.value.snapshot_id}"
        else:
            outcome = f"failed: {type(result.error).__name__}: {result.error}"
        print(f"  {result.item}  {outcome}")
    failed = sum(not r.ok for r in results)
    print(f"{len(results)} instances, {len(results) - failed} snapshots completed, {failed} failed")


async def main() -> None:
    """Seed (emulator only), snapshot everything, report."""
    async with connect(emulator_delay=0.2) as target:
        if not os.environ.get("AURA_CLIENT_ID"):
            await seed(target)
        report(await snapshot_all(target))


if __name__ == "__main__":
    asyncio.run(main())
