"""Shared by the examples: run against the real API when credentials are set, else an emulator.

With ``AURA_CLIENT_ID`` and ``AURA_CLIENT_SECRET`` in the environment an example uses
the real API (``AuraClient.from_env()``; ``AURA_TENANT_ID`` picks the project, else
the first one). Without them it starts a local ``AuraEmulator`` and runs against that.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Sequence

import attrs

from aura_async import AuraClient
from aura_async.models import CreatedInstance, InstanceConfiguration
from aura_async.testing import AuraEmulator


@attrs.frozen(kw_only=True)
class Pace:
    """How long to wait for a status, and how often to poll it."""

    timeout: float
    interval: float


EMULATOR_PACE = Pace(timeout=30.0, interval=0.2)
LIVE_PACE = Pace(timeout=1800.0, interval=15.0)


@attrs.frozen(kw_only=True)
class Target:
    """Where an example runs: a client, the project to use, and how to poll."""

    client: AuraClient
    tenant_id: str
    pace: Pace


@contextlib.asynccontextmanager
async def connect(*, emulator_delay: float = 1.0) -> AsyncIterator[Target]:
    """Open a client on the real API or on a fresh emulator; close everything after.

    Args:
        emulator_delay: The emulator's seconds per status transition.
    """
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("AURA_CLIENT_ID"):
            client = await stack.enter_async_context(AuraClient.from_env())
            tenant_id, pace = os.environ.get("AURA_TENANT_ID"), LIVE_PACE
            print(f"Using the Aura API at {client.base_url}")
        else:
            emu = await stack.enter_async_context(AuraEmulator(transition_delay=emulator_delay))
            client = await stack.enter_async_context(
                AuraClient(emu.client_id, emu.client_secret, base_url=emu.url)
            )
            tenant_id, pace = emu.tenant_id, EMULATOR_PACE
            print(f"No AURA_CLIENT_ID set: using a local emulator at {emu.url}")
        if tenant_id is None:
            tenant_id = (await client.tenants.list())[0].id
        yield Target(client=client, tenant_id=tenant_id, pace=pace)


@attrs.frozen(kw_only=True)
class Shape:
    """An instance configuration with every field a create needs."""

    cloud_provider: str
    region: str
    type: str
    version: str
    memory: str


def _shape(config: InstanceConfiguration) -> Shape | None:
    """The configuration as a Shape, or None if the API left out a field a create needs."""
    provider, region, type_, version, memory = (
        config.cloud_provider,
        config.region,
        config.type,
        config.version,
        config.memory,
    )
    if provider is None or region is None or type_ is None or version is None or memory is None:
        return None
    return Shape(cloud_provider=provider, region=region, type=type_, version=version, memory=memory)


def _gigabytes(memory: str) -> float:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", memory)
    return float(match.group(1)) if match else float("inf")


def pick_configuration(configurations: Sequence[InstanceConfiguration] | None) -> Shape:
    """Return the smallest professional configuration (professional instances can pause)."""
    shapes = [shape for shape in map(_shape, configurations or ()) if shape is not None]
    pausable = [shape for shape in shapes if shape.type == "professional-db"]
    candidates = pausable or shapes
    if not candidates:
        raise SystemExit("the project offers no complete instance configuration")
    return min(candidates, key=lambda shape: _gigabytes(shape.memory))


async def create_instance(target: Target, name: str) -> CreatedInstance:
    """Create an instance of the project's smallest professional configuration."""
    client = target.client
    tenant = await client.tenants.get(target.tenant_id)
    config = pick_configuration(tenant.instance_configurations)
    return await client.instances.create(
        name=name,
        tenant_id=target.tenant_id,
        cloud_provider=config.cloud_provider,
        region=config.region,
        type=config.type,
        version=config.version,
        memory=config.memory,
    )
