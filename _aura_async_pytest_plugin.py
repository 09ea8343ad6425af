"""The pytest plugin of aura-async (registered through the ``pytest11`` entry point).

It provides the ``aura_emulator`` fixture: a started
:class:`~aura_async.testing.AuraEmulator` with default settings, one per test::

    async def test_lists_instances(aura_emulator):
        client = make_client(aura_emulator.url, aura_emulator.client_id,
                             aura_emulator.client_secret)
        ...

pytest imports this module in every run of every project that has ``aura-async``
installed. It sits outside the ``aura_async`` package (as Hypothesis does with its
plugin) because importing any submodule runs ``aura_async/__init__.py``, which loads
the client and aiohttp; here nothing of aura-async is imported until the fixture is
used. It also does not break test runs without ``pytest-asyncio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from aura_async.testing import AuraEmulator

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]


async def _started_emulator() -> AsyncIterator[AuraEmulator]:
    """Yield a started emulator with default settings; close it afterwards."""
    from aura_async.testing import AuraEmulator

    async with AuraEmulator() as emulator:
        yield emulator


def _pytest_asyncio_missing() -> NoReturn:
    """Fail the test: the fixture is async and needs pytest-asyncio."""
    pytest.fail("the aura_emulator fixture needs pytest-asyncio (pip install pytest-asyncio)")


if pytest_asyncio is not None:
    aura_emulator = pytest_asyncio.fixture(_started_emulator, name="aura_emulator")
else:  # pragma: no cover - exercised only without pytest-asyncio
    aura_emulator_unavailable = pytest.fixture(_pytest_asyncio_missing, name="aura_emulator")
