"""A stateful emulator of the Aura API, for testing code that uses it without mocks.

::

    from aura_async.testing import AuraEmulator, Fault, ServerRateLimit

    async with AuraEmulator(rate_limit=ServerRateLimit(requests=5, per=0.5)) as emu:
        emu.inject(Fault("POST", "/v1/instances", status=503, after_apply=True))
        ...  # point the client at emu.url, emu.client_id, emu.client_secret

The names are loaded on first use, so that importing this package stays cheap. The
``aura_emulator`` pytest fixture comes from the plugin module ``_aura_async_pytest_plugin``
(registered through the ``pytest11`` entry point), which imports nothing of aura-async
until a test uses the fixture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aura_async.testing._faults import Fault
    from aura_async.testing._journal import Journal, JournalEntry
    from aura_async.testing._ratelimit import ServerRateLimit
    from aura_async.testing._server import AuraEmulator

__all__ = ["AuraEmulator", "Fault", "Journal", "JournalEntry", "ServerRateLimit"]

_MODULE_OF = {
    "AuraEmulator": "aura_async.testing._server",
    "Fault": "aura_async.testing._faults",
    "Journal": "aura_async.testing._journal",
    "JournalEntry": "aura_async.testing._journal",
    "ServerRateLimit": "aura_async.testing._ratelimit",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
