"""The client a command runs with: on the real API, or on an embedded emulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from aura_async._client import AuraClient
from aura_async.cli._settings import Settings
from aura_async.models import CreatedInstance
from aura_async.testing import AuraEmulator

__all__ = [
    "EMULATOR_INSTANCES",
    "EMULATOR_TRANSITION_DELAY",
    "create_demo_instance",
    "open_client",
    "seeded_emulator",
]

# Short enough that `instances create` then `instances wait` feels instant.
EMULATOR_TRANSITION_DELAY = 0.5
# What `--emulator` finds in its demo project, so that `instances list` shows something.
EMULATOR_INSTANCES = ("demo-orders", "demo-analytics", "demo-search")


@contextlib.asynccontextmanager
async def open_client(settings: Settings, environ: Mapping[str, str]) -> AsyncIterator[AuraClient]:
    """Open the client a command uses, and close it (and any emulator) afterwards.

    Args:
        settings: The parsed shared options.
        environ: The environment, for credentials not given as flags.

    Yields:
        An open client.

    Raises:
        CommandError: No credential was given (and not ``--emulator``).
        AuraConfigurationError: A bad ``--base-url``.
    """
    settings.check_mode()
    if settings.emulator:
        async with _emulated_client() as client:
            yield client
        return
    credentials = settings.credentials(environ)
    async with AuraClient(
        credentials.client_id, credentials.client_secret, base_url=credentials.base_url
    ) as client:
        yield client


@contextlib.asynccontextmanager
async def _emulated_client() -> AsyncIterator[AuraClient]:
    async with seeded_emulator() as (_, client):
        yield client


@contextlib.asynccontextmanager
async def seeded_emulator(port: int = 0) -> AsyncIterator[tuple[AuraEmulator, AuraClient]]:
    """Serve an emulator on loopback with a demo project and three running instances.

    Args:
        port: The port; 0 picks a free one.

    Yields:
        The emulator, and the client that seeded it (open until the block ends).

    Raises:
        OSError: The port cannot be bound.
    """
    async with (
        AuraEmulator(port=port, transition_delay=EMULATOR_TRANSITION_DELAY) as emulator,
        AuraClient(emulator.client_id, emulator.client_secret, base_url=emulator.url) as client,
    ):
        await _seed(client, emulator)
        yield emulator, client


async def _seed(client: AuraClient, emulator: AuraEmulator) -> None:
    """Create the demo instances and let them finish starting."""
    tenant_id = emulator.tenant_id
    assert tenant_id is not None  # the emulator seeds its demo project by default
    for name in EMULATOR_INSTANCES:
        await create_demo_instance(client, tenant_id, name)
    emulator.settle()


async def create_demo_instance(client: AuraClient, tenant_id: str, name: str) -> CreatedInstance:
    """Create an instance of a shape every emulated project offers.

    Raises:
        AuraError: The create failed (or ended ambiguously).
    """
    return await client.instances.create(
        name=name,
        tenant_id=tenant_id,
        cloud_provider="gcp",
        region="europe-west1",
        type="enterprise-db",
        version="5",
        memory="8GB",
    )
