"""Several worker processes on one credential, sharing a limiter and a token through Redis.

Each worker is a separate Python process (``redis_driver.py``) with its own
``AuraClient`` and ``RedisBackend``; the emulator runs in the test process, so
its journal records what every worker sent, on one clock. ``make test`` runs 280
calls at 125 per 3 s (three windows, about 6 s), with two of the four workers' clocks
30 s ahead; ``make soak`` runs the issue's scale, 1,000 calls
(``AURA_REDIS_CALLS_EACH=250``: about 22 s each), with the clocks shifted and not.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from aura_async.testing import AuraEmulator, Fault, ServerRateLimit
from tests.redis.redis_support import run_workers, utilisation

REQUESTS = 125
PER = 3.0
WORKERS = 4
# Worker processes measure timing: never beside another multi-process run (make test).
pytestmark = pytest.mark.xdist_group("slow")
# Alone (make soak) the run reaches 0.95 and more; beside the rest of a parallel
# `make test` on a loaded 2-core machine, a window edge can come 0.5 s late (0.90
# measured). A limiter that lost a window would be at 0.67 here.
MIN_UTILISATION = 0.95 if os.environ.get("AURA_REDIS_CALLS_EACH") else 0.85
CALLS_EACH = int(os.environ.get("AURA_REDIS_CALLS_EACH", "70"))
# The shifted run shows all the same-clocks run does (two of its workers share a
# clock), and more; make test runs that one alone.
_SAME_CLOCKS = [0.0] if os.environ.get("AURA_REDIS_CALLS_EACH") else []
_SHIFTS = pytest.mark.parametrize(
    "shift", [*_SAME_CLOCKS, 30.0], ids=["same-clocks"] * len(_SAME_CLOCKS) + ["half-shifted-30s"]
)


def _settings(emu: AuraEmulator, redis_url: str, **overrides: Any) -> dict[str, Any]:
    settings = {
        "url": emu.url,
        "client_id": emu.client_id,
        "redis_url": redis_url,
        "requests": REQUESTS,
        "per": PER,
        "calls": CALLS_EACH,
        "mode": "burst",
        "timeout": 60.0,
    }
    settings.update(overrides)
    return settings


@pytest.mark.slow
@_SHIFTS
async def test_four_processes_share_one_allowance_and_one_token(
    redis_url: str, shift: float
) -> None:
    server = ServerRateLimit("sliding-log", requests=REQUESTS, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        workers = [
            _settings(emu, redis_url, shift=shift if index % 2 else 0.0) for index in range(WORKERS)
        ]
        offsets, outcomes = await run_workers(workers, emu.client_secret)

    assert [outcome["ok"] for outcome in outcomes] == [CALLS_EACH] * WORKERS
    # The shifted workers really ran 30 s ahead (time-machine is active there). Each
    # offset is read after the worker printed it, up to a few seconds later when the
    # workers start at different speeds on a loaded machine: nearer 30 than 0 is proof.
    expected = [0.0, shift, 0.0, shift]
    assert all(abs(offset - e) < 10 for offset, e in zip(offsets, expected, strict=True))
    journal = emu.journal
    assert journal.count(path="/v1/tenants", status=200) == WORKERS * CALLS_EACH
    assert journal.rate_limited_count() == 0
    assert journal.max_in_window(PER, include_rejected=True) <= REQUESTS
    assert journal.token_requests() == 1
    assert utilisation(journal.entries, REQUESTS, PER) >= MIN_UTILISATION


@pytest.mark.slow
async def test_a_429_seen_by_one_process_pauses_every_process(redis_url: str) -> None:
    cooldown = 1.0
    async with AuraEmulator(rate_limit=None) as emu:
        tenant_path = f"/tenants/{emu.tenant_id}"
        # Every call takes 20 ms, so the sequential workers are busy throughout.
        emu.inject(Fault("GET", "/v1/tenants", latency=0.02, times=None))
        emu.inject(Fault("GET", "/v1" + tenant_path, status=429, retry_after=cooldown))
        workers = [
            _settings(
                emu,
                redis_url,
                requests=500,
                mode="sequential",
                calls=40 if index else 20,
                reject_path=None if index else tenant_path,
            )
            for index in range(WORKERS)
        ]
        _, outcomes = await run_workers(workers, emu.client_secret)

    assert [outcome["errors"] for outcome in outcomes] == [{}] * WORKERS
    (rejected,) = emu.journal.select(status=429)
    # Requests admitted before the cooldown reached Redis may still arrive just after.
    in_flight_allowance = 0.2
    during = [
        entry
        for entry in emu.journal.entries
        if rejected.time + in_flight_allowance < entry.time < rejected.time + cooldown
    ]
    after = [entry for entry in emu.journal.entries if entry.time >= rejected.time + cooldown]
    assert during == []
    # The other workers were still busy when the 429 came, and resumed after it.
    assert len(after) >= 60
