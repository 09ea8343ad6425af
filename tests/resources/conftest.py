"""The resource tests run against the emulator as the spec describes it, and in evolution
mode with three seeds: answers with unknown fields, new catalogue values, fields dropped,
nulled or of another type, other timestamp forms and list items without an id.

Every resource test runs four times (plain and one run per seed): the suite takes about
two seconds per run, so every test meets every seed rather than a share of them.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator

import pytest

from aura_async.testing import AuraEmulator

EVOLVE_SEEDS = (1, 2, 3)
MODES = [pytest.param(None, id="plain")] + [
    pytest.param(seed, id=f"evolve-{seed}") for seed in EVOLVE_SEEDS
]


@pytest.fixture(params=MODES)
def evolve(request: pytest.FixtureRequest) -> int | None:
    """The emulator's evolution seed for this run (``None``: plain)."""
    seed: int | None = request.param
    return seed


@pytest.fixture
async def emu(evolve: int | None) -> AsyncIterator[AuraEmulator]:
    """An emulator with its rate limit off and quick state transitions, in each mode."""
    async with AuraEmulator(rate_limit=None, transition_delay=0.01, evolve=evolve) as emulator:
        yield emulator


@pytest.fixture
async def manual_emu(evolve: int | None) -> AsyncIterator[AuraEmulator]:
    """An emulator whose state changes only when the test calls ``settle()``, in each mode."""
    async with AuraEmulator(rate_limit=None, transition_delay=None, evolve=evolve) as emulator:
        yield emulator


def read_back(emu: AuraEmulator, value: object, expected: object) -> None:
    """Assert that a field read back as ``expected``.

    In evolution mode the emulator may have dropped the field, nulled it, sent another
    JSON type (all read as None) or a catalogue value no release knows (a plain string):
    each is what the SDK must tolerate, so each passes there; nothing else does.
    """
    if value == expected:
        return
    assert emu.evolve is not None, f"read {value!r}, expected {expected!r}"
    new_value = isinstance(value, str) and not isinstance(value, enum.Enum)
    assert value is None or (new_value and isinstance(expected, enum.Enum)), value


def readable(emu: AuraEmulator, *values: object) -> bool:
    """Tell whether every value read (is not None), for checks that need the values.

    In plain mode every value must have read; in evolution mode a field may have been
    dropped, nulled or sent as another JSON type, and then there is nothing to check.
    """
    if all(value is not None for value in values):
        return True
    assert emu.evolve is not None, f"a field read as None: {values!r}"
    return False
