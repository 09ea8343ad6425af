"""A request answered too late: its slot is held until it can no longer arrive.

A request that timed out on our side may still be on its way (a slow proxy holds
it), and the server counts it when it arrives. The limiter holds such a slot for as
long again as the request was in flight (for a timed-out attempt, the attempt
timeout), not for a fixed 0.02 s. Scaled down: an attempt timeout of 0.45 s, a
proxy that forwards three requests 0.09 s after the client gave up on them, and a
server allowing 6 requests in any 1.2 s, as the client's limit does. (At a third
of that, in asyncio debug mode on a loaded machine, answers that were not held
took longer than the attempt timeout too.)
"""

from __future__ import annotations

import asyncio

from aura_async import AuraClient, RateLimit, RetryPolicy, Timeout
from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.adversarial.lifecycle_support import SlowProxy

LIMIT, PER = 6, 1.2
ATTEMPT = 0.45
LATE = 0.09  # how long after the client's timeout the held requests reach the server
HELD = 3
TENANTS = "/v1/tenants"


def _hold_first_lists(method: str, path: str, seen: int) -> float | None:
    return ATTEMPT + LATE if path == TENANTS and seen < HELD else 0.0


async def test_a_request_that_reaches_the_server_late_causes_no_429_in_the_next_wave() -> None:
    server = ServerRateLimit("sliding-log", requests=LIMIT, per=PER, retry_after="fractional")
    async with (
        AuraEmulator(rate_limit=server) as emu,
        SlowProxy(emu.url, _hold_first_lists) as proxy,
        AuraClient(
            emu.client_id,
            emu.client_secret,
            base_url=proxy.url,
            rate_limit=RateLimit(LIMIT, per=PER),
            retry=RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.005),
            timeout=Timeout(total=10.0, attempt=ATTEMPT),
        ) as client,
    ):
        await client.instances.list()  # the token, on another path
        await asyncio.sleep(PER + 0.05)  # both windows empty again
        # Two waves: the first six go at once (three held, timed out, retried);
        # the second six take the slots as the window frees.
        calls = [client.tenants.list() for _ in range(2 * LIMIT)]
        await asyncio.wait_for(asyncio.gather(*calls), 10.0)
        await asyncio.sleep(2 * LATE)  # the last held request has been forwarded
    assert emu.journal.rate_limited_count() == 0
    lists = emu.journal.select(method="GET", path=TENANTS)
    assert len(lists) == 2 * LIMIT + HELD  # the held ones did reach the server, late
    assert emu.journal.max_in_window(PER, include_rejected=True) <= LIMIT
