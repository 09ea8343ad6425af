"""Create one instance, wait until it runs, and reconcile if the create's outcome is unknown.

Run it with ``.venv/bin/python examples/create_and_wait.py`` (a local emulator unless
``AURA_CLIENT_ID`` and ``AURA_CLIENT_SECRET`` are set: then it creates, and deletes
again, a billed instance).
"""

from __future__ import annotations

import asyncio

from _target import Target, connect, create_instance

from aura_async import OutcomeUnknownError
from aura_async.models import InstanceSummary

NAME = "create-and-wait"


async def create(target: Target) -> str:
    """Create the instance; on an unknown outcome, find it instead of creating it again."""
    try:
        created = await create_instance(target, NAME)
    except OutcomeUnknownError as err:
        print(f"outcome unknown ({err}); looking for {NAME!r} before trying again")
        found: InstanceSummary | None = await target.client.instances.find(name=NAME)
        if found is None:
            raise SystemExit("it was not created: safe to run again") from err
        return found.id
    print(f"created {created.id}; its password (shown only once) is in created.password")
    return created.id


async def main() -> None:
    """Create, wait for ``running``, show the connection URL, then delete."""
    async with connect() as target:
        instance_id = await create(target)
        pace = target.pace
        instance = await target.client.instances.wait(
            instance_id, until="running", timeout=pace.timeout, interval=pace.interval
        )
        print(f"{instance.name} is {instance.status}: {instance.connection_url}")
        await target.client.instances.delete(instance_id)
        print("deleted")


if __name__ == "__main__":
    asyncio.run(main())
