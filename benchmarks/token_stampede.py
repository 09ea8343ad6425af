"""Token stampede: how many token requests 1,000 concurrent calls cause.

One client of an in-process emulator (its rate limit off; the client's limiter on
with an allowance the run never reaches, so token requests take the same path
as in production) makes 1,000 concurrent ``client.tenants.list()`` calls with no
token yet: target 1 token request. Then 1,000 more concurrent calls, and when
half of them have returned, ``emu.expire_tokens()`` invalidates the token that
the other half already carry: target 1 more token request, with every call
succeeding (each rejected call is re-sent once with the new token).

Run: ``.venv/bin/python benchmarks/token_stampede.py`` (a few seconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from _common import Figure, main

from aura_async import AuraClient, RateLimit
from aura_async.testing import AuraEmulator

BENCHMARK = "token stampede"
CALLS = 1000
# Far more than the run sends: the limiter is in the path but never makes anyone wait.
UNREACHED_RATE_LIMIT = RateLimit(requests=100_000, per=60.0)


async def concurrent_calls(client: AuraClient, after_half: Callable[[], None]) -> int:
    """Make ``CALLS`` concurrent calls; call ``after_half`` once half have returned.

    Returns:
        How many calls failed.
    """
    returned = 0

    async def call() -> bool:
        nonlocal returned
        try:
            await client.tenants.list()
        except Exception:
            return False
        finally:
            returned += 1
            if returned == CALLS // 2:
                after_half()
        return True

    outcomes = await asyncio.gather(*(call() for _ in range(CALLS)))
    return outcomes.count(False)


def _figures(cold: int, across_expiry: int, rejected: int, failed: int) -> list[Figure]:
    return [
        Figure(
            BENCHMARK,
            f"token requests per {CALLS:,} concurrent cold calls",
            str(cold),
            "1",
            cold == 1,
        ),
        Figure(
            BENCHMARK,
            f"more token requests per {CALLS:,} calls across a forced expiry",
            str(across_expiry),
            "1",
            across_expiry == 1,
        ),
        Figure(BENCHMARK, "calls rejected 401 by the expiry (each re-sent once)", str(rejected)),
        Figure(BENCHMARK, f"failed calls of {2 * CALLS:,}", str(failed), "0", failed == 0),
    ]


async def measure() -> list[Figure]:
    """Run both stampedes; return the figures."""
    async with AuraEmulator(rate_limit=None) as emulator:
        journal = emulator.journal
        async with AuraClient(
            emulator.client_id,
            emulator.client_secret,
            base_url=emulator.url,
            rate_limit=UNREACHED_RATE_LIMIT,
        ) as client:
            failed = await concurrent_calls(client, lambda: None)
            cold = journal.token_requests()
            failed += await concurrent_calls(client, emulator.expire_tokens)
        return _figures(cold, journal.token_requests() - cold, journal.count(status=401), failed)


def run() -> list[Figure]:
    """Run the benchmark; return its figures."""
    return asyncio.run(measure())


if __name__ == "__main__":
    main(run)
