"""Margin: what holding an unanswered request's slot longer costs in utilisation.

A request that timed out on our side may still reach the server, so its slot is
held beyond ``per``: by default as long again as it was in flight (for a timed-out
attempt, the attempt timeout); before, a fixed ``min(0.05, per / 100)`` seconds.
This measures what that costs at normal error rates.

``CALLS`` ``client.tenants.list()`` calls are gathered at once through one client
with ``RateLimit(125, per=1.2)`` and ``Timeout(attempt=1.2)`` (the real 125 per
60 s and 60 s attempts, scaled down 50 times), against the emulator enforcing the
same limit with a sliding log. A share of the requests (0, 1 % and 5 %, seeded)
is answered only after 1.3 s, so the client's attempt times out and the call is
retried. Each rate runs with the default margin and with the old fixed margin
(``RateLimit(margin=0.012)``), three times, the cases interleaved so that the
machine's load falls on all of them alike. Per case, from the emulator's
journal: achieved/allowed (as in ``utilisation.py``, over every request the
server accepted, timed-out ones included; the median and the range), the 429s,
and the failed calls.

Run: ``.venv/bin/python benchmarks/margin.py`` (about 2 minutes).
"""

from __future__ import annotations

import asyncio
import collections
import statistics

from _common import Figure, main
from utilisation import utilisation

from aura_async import AuraClient, RateLimit, RetryPolicy, Timeout
from aura_async.testing import AuraEmulator, Fault, ServerRateLimit

BENCHMARK = "margin"
CALLS = 750
REQUESTS = 125
PER = 1.2
ATTEMPT = 1.2
# Slower than the attempt timeout: the client gives up, the server counted it.
SLOW = ATTEMPT + 0.1
# The previous default margin at this scale: min(0.05, per / 100).
OLD_MARGIN = min(0.05, PER / 100)
RATES = (0.0, 0.01, 0.05)
REPEATS = 3


async def _call(client: AuraClient) -> BaseException | None:
    try:
        await client.tenants.list()
    except Exception as exc:
        return exc
    return None


async def run_once(timeout_rate: float, margin: float | None) -> tuple[float, int, str]:
    """Return achieved/allowed, 429s and a failure summary for one run."""
    server = ServerRateLimit("sliding-log", requests=REQUESTS, per=PER, retry_after="fractional")
    async with AuraEmulator(rate_limit=server) as emu:
        if timeout_rate:
            emu.inject(
                Fault(
                    "GET", "/v1/tenants", latency=SLOW, probability=timeout_rate, seed=7, times=None
                )
            )
        async with AuraClient(
            emu.client_id,
            emu.client_secret,
            base_url=emu.url,
            rate_limit=RateLimit(REQUESTS, per=PER, margin=margin),
            retry=RetryPolicy(max_retries=5, backoff_base=0.01, backoff_cap=0.05),
            timeout=Timeout(total=600.0, attempt=ATTEMPT),
        ) as client:
            outcomes = await asyncio.gather(*(_call(client) for _ in range(CALLS)))
        accepted = sorted(
            e.time for e in emu.journal.select(client_id=emu.client_id) if not e.rate_limited
        )
        failures = collections.Counter(type(o).__name__ for o in outcomes if o is not None)
        failed = " ".join(f"{name}:{count}" for name, count in failures.items()) or "0"
        return utilisation(accepted, REQUESTS, PER), emu.journal.rate_limited_count(), failed


async def measure() -> list[Figure]:
    """Run every case ``REPEATS`` times, interleaved; return the median figures."""
    cases = [(0.0, None)] + [(rate, m) for rate in RATES[1:] for m in (None, OLD_MARGIN)]
    runs: dict[tuple[float, float | None], list[tuple[float, int, str]]] = {c: [] for c in cases}
    for _ in range(REPEATS):
        for case in cases:
            runs[case].append(await run_once(*case))
    figures: list[Figure] = []
    for (rate, margin), results in runs.items():
        label = "default margin" if margin is None else f"old margin {margin:g}s"
        name = f"{rate:.0%} attempt timeouts, {label}"
        shares = sorted(share for share, _, _ in results)
        rejected = sum(r for _, r, _ in results)
        failed = " ".join(f for _, _, f in results if f != "0") or "0"
        figures += [
            Figure(
                BENCHMARK,
                f"{name}: achieved/allowed (median of {REPEATS}; range)",
                f"{statistics.median(shares):.3f} ({shares[0]:.3f}-{shares[-1]:.3f})",
            ),
            Figure(BENCHMARK, f"{name}: 429s in {REPEATS} runs", str(rejected), "0", rejected == 0),
            Figure(BENCHMARK, f"{name}: failed calls", failed, "0", failed == "0"),
        ]
    return figures


def run() -> list[Figure]:
    """Run the benchmark; return its figures."""
    return asyncio.run(measure())


if __name__ == "__main__":
    main(run)
