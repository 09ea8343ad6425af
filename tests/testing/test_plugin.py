"""The pytest plugin: the ``aura_emulator`` fixture, and a cheap load."""

from __future__ import annotations

import subprocess
import sys

import aiohttp
import pytest

from aura_async.testing import AuraEmulator


def test_plugin_is_registered_through_the_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("aura_async")


async def test_fixture_yields_a_started_default_emulator(
    aura_emulator: AuraEmulator, http_session: aiohttp.ClientSession
) -> None:
    assert aura_emulator.tenant_id is not None
    assert aura_emulator.rate_limit is not None
    assert len(aura_emulator.journal) == 0
    auth = aiohttp.encode_basic_auth(aura_emulator.client_id, aura_emulator.client_secret)
    async with http_session.post(
        f"{aura_emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": auth},
    ) as response:
        assert response.status == 200


async def test_the_evolving_fixture_runs_once_per_seed_and_evolves_answers(
    aura_evolving_emulator: AuraEmulator, http_session: aiohttp.ClientSession
) -> None:
    assert aura_evolving_emulator.evolve in (1, 2, 3)
    auth = aiohttp.encode_basic_auth(
        aura_evolving_emulator.client_id, aura_evolving_emulator.client_secret
    )
    async with http_session.post(
        f"{aura_evolving_emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": auth},
    ) as response:
        token = (await response.json())["access_token"]
    tenant = f"{aura_evolving_emulator.url}/v1/tenants/{aura_evolving_emulator.tenant_id}"
    async with http_session.get(tenant, headers={"Authorization": f"Bearer {token}"}) as answer:
        data = (await answer.json())["data"]
    assert data["id"] == aura_evolving_emulator.tenant_id
    assert set(data) - {"id", "name", "instance_configurations"}  # a field no client knows


def test_loading_the_plugin_imports_neither_aiohttp_nor_the_package() -> None:
    # Load it as pytest does, through the entry point, in a fresh interpreter.
    probe = (
        "import sys\n"
        "from importlib.metadata import entry_points\n"
        "(plugin,) = entry_points(group='pytest11', name='aura_async')\n"
        "plugin.load()\n"
        "print(sorted(m for m in sys.modules"
        " if m == 'aiohttp' or m.split('.')[0] == 'aura_async'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
