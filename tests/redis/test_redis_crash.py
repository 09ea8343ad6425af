"""A worker process killed with SIGKILL mid-request: the others get its slots back soon.

Four worker processes (``redis_driver.py``) share 20 requests per 1 s through
Redis, with a 1 s heartbeat (renewals every 0.75 s, each holding a slot for one
heartbeat). One of them holds slots with requests that never answer; it is
killed. Its slots count until the lease of its last renewal (made before the
kill) ends, then one window more: the other three must be back at the whole
allowance within ``heartbeat + per`` of the kill.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aura_async.testing import AuraEmulator, Fault, ServerRateLimit
from tests.redis.redis_support import finish_workers, start_workers

# Timing-heavy: one at a time under xdist (see tests/conftest.py).
pytestmark = pytest.mark.slow

LIMIT = 20
PER = 1.0
HEARTBEAT = 1.0
# The victim holds this many slots with requests that hang; the others call
# with this many callers each, one call after another, for RUN seconds.
VICTIM_SLOTS = 8
CALLERS = 4
RUN = 8.0
KILL_AFTER = 2.5
# Sends of the survivors are counted over this many windows, from a heartbeat and
# a window after the kill (and a little slack for a loaded machine).
MEASURED_WINDOWS = 2
SLACK = 0.2


def _settings(emu: AuraEmulator, redis_url: str, **overrides: Any) -> dict[str, Any]:
    settings = {
        "url": emu.url,
        "client_id": emu.client_id,
        "redis_url": redis_url,
        "requests": LIMIT,
        "per": PER,
        "heartbeat": HEARTBEAT,
        "mode": "for",
        "seconds": RUN,
        "calls": CALLERS,
        "timeout": 60.0,
    }
    settings.update(overrides)
    return settings


async def test_a_killed_process_frees_its_slots_within_a_heartbeat_and_a_window(
    redis_url: str,
) -> None:
    loop = asyncio.get_running_loop()
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        hanging = f"/tenants/{emu.tenant_id}"
        emu.inject(Fault("GET", "/v1/tenants", latency=0.02, times=None))
        emu.inject(Fault("GET", "/v1" + hanging, latency=60.0, times=None))
        victim = _settings(emu, redis_url, path=hanging, calls=VICTIM_SLOTS, mode="burst")
        workers = [victim] + [_settings(emu, redis_url) for _ in range(3)]
        processes = await start_workers(workers, emu.client_secret)
        started = loop.time()
        await asyncio.sleep(KILL_AFTER)
        killed = loop.time()
        processes[0].kill()
        await processes[0].wait()
        outcomes = await finish_workers(processes)

    assert outcomes[0] is None
    assert [outcome["errors"] for outcome in outcomes[1:] if outcome] == [{}] * 3
    sent = sorted(e.time for e in emu.journal.select(path="/v1/tenants", status=200))
    # While the victim lived, its hanging requests held their slots.
    before = [t for t in sent if started + PER < t <= killed]
    assert len(before) <= (LIMIT - VICTIM_SLOTS) * (killed - started) / PER + LIMIT
    # A heartbeat and a window after the kill, the survivors use the whole allowance.
    begins = killed + HEARTBEAT + PER + SLACK
    after = [t for t in sent if begins < t <= begins + MEASURED_WINDOWS * PER]
    assert len(after) >= 0.9 * MEASURED_WINDOWS * LIMIT, (len(after), len(before))
    assert emu.journal.rate_limited_count() == 0
