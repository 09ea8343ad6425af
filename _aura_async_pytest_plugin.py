"""The pytest plugin of aura-async (registered through the ``pytest11`` entry point).

It provides the ``aura_emulator`` fixture: a started
:class:`~aura_async.testing.AuraEmulator` with default settings, one per test::

    async def test_lists_instances(aura_emulator):
        client = make_client(aura_emulator.url, aura_emulator.client_id,
                             aura_emulator.client_secret)
        ...

and ``aura_evolving_emulator``: the same in evolution mode (``AuraEmulator(evolve=seed)``:
answers as a later API may send them), once per seed of the ``aura_evolve_seeds`` ini
option (default ``1 2 3``), so that a test proves the code under test copes with the
API's evolution::

    async def test_lists_instances_of_a_later_api(aura_evolving_emulator):
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


async def _evolving_emulator(aura_evolve_seed: int) -> AsyncIterator[AuraEmulator]:
    """Yield a started emulator in evolution mode with this seed; close it afterwards."""
    from aura_async.testing import AuraEmulator

    async with AuraEmulator(evolve=aura_evolve_seed) as emulator:
        yield emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``aura_evolve_seeds`` ini option."""
    parser.addini(
        "aura_evolve_seeds",
        "seeds of the aura_evolving_emulator fixture: a test using it runs once per seed",
        type="args",
        default=["1", "2", "3"],
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses ``aura_evolving_emulator`` once per evolution seed."""
    if "aura_evolve_seed" in metafunc.fixturenames:
        seeds = [int(seed) for seed in metafunc.config.getini("aura_evolve_seeds")]
        ids = [f"evolve-{seed}" for seed in seeds]
        metafunc.parametrize("aura_evolve_seed", seeds, ids=ids)


def _pytest_asyncio_missing() -> NoReturn:
    """Fail the test: the fixture is async and needs pytest-asyncio."""
    pytest.fail("the aura_emulator fixture needs pytest-asyncio (pip install pytest-asyncio)")


if pytest_asyncio is not None:
    aura_emulator = pytest_asyncio.fixture(_started_emulator, name="aura_emulator")
    aura_evolving_emulator = pytest_asyncio.fixture(
        _evolving_emulator, name="aura_evolving_emulator"
    )
else:  # pragma: no cover - exercised only without pytest-asyncio
    aura_emulator_unavailable = pytest.fixture(_pytest_asyncio_missing, name="aura_emulator")
    aura_evolving_emulator_unavailable = pytest.fixture(
        _pytest_asyncio_missing, name="aura_evolving_emulator"
    )
