"""Shared fixtures: an emulator on a free loopback port, and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from aura_async import AuraClient, RetryPolicy
from aura_async.models import CreatedInstance
from aura_async.testing import AuraEmulator

# Fast backoff for tests: retries happen, but in milliseconds.
FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.005)

ClientFactory = Callable[..., AuraClient]

# An instance shape every seeded emulator project offers.
INSTANCE_SPEC: dict[str, str] = {
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "version": "5",
    "memory": "8GB",
}


async def create_instance(
    client: AuraClient, emu: AuraEmulator, name: str = "app"
) -> CreatedInstance:
    """Create an instance of ``INSTANCE_SPEC`` in ``emu``'s seeded project."""
    assert emu.tenant_id is not None
    return await client.instances.create(name=name, tenant_id=emu.tenant_id, **INSTANCE_SPEC)


def make_client(emu: AuraEmulator, **options: Any) -> AuraClient:
    """Return a client of ``emu``'s first credential; rate limiting off unless given."""
    options.setdefault("rate_limit", None)
    options.setdefault("retry", FAST_RETRY)
    return AuraClient(emu.client_id, emu.client_secret, base_url=emu.url, **options)


# First: pytest-xdist's own hook reads the groups.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every test marked ``slow`` in a pytest-xdist group, run by one worker.

    They measure windows and utilisation with several processes or thousands of
    calls; two of them at once on a 2-core machine starve each other. The group is
    ``slow`` unless the mark names another (``slow(group="...")``: tests that mostly
    wait on a clock in one process may run beside the multi-process ones). Tests
    that share their processes' resources join a group by name (``xdist_group``).
    ``make test`` runs pytest with ``--dist loadgroup``, which starts the groups
    first (the largest units of work); without xdist this does nothing.
    """
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            item.add_marker(pytest.mark.xdist_group(marker.kwargs.get("group", "slow")))


@pytest.fixture
async def emu() -> AsyncIterator[AuraEmulator]:
    """An emulator with its rate limit off and quick state transitions."""
    async with AuraEmulator(rate_limit=None, transition_delay=0.01) as emulator:
        yield emulator


@pytest.fixture
async def manual_emu() -> AsyncIterator[AuraEmulator]:
    """An emulator whose state changes only when the test calls ``settle()``."""
    async with AuraEmulator(rate_limit=None, transition_delay=None) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: AuraEmulator) -> AsyncIterator[AuraClient]:
    """A client of ``emu``, closed after the test."""
    async with make_client(emu) as aura:
        yield aura
