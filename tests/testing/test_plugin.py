"""The pytest plugin: the ``aura_emulator`` fixture, and a cheap import."""

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


def test_importing_the_plugin_loads_no_emulator_code() -> None:
    probe = (
        "import sys, aura_async.testing._pytest_plugin\n"
        "heavy = [m for m in ('aura_async.testing._server', 'aura_async.testing._app',"
        " 'aura_async.testing._state', 'aura_async.testing._routes') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
