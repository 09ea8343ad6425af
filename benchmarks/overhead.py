"""Overhead: CPU per request of the SDK vs raw aiohttp (and vs aura-python-sdk).

An emulator runs in a child process (``python -m aura_async.testing --rate-limit
off``), so this process's ``time.process_time()`` counts only the client side.
Four ways of sending the same authenticated ``GET /v1/tenants`` take turns, in
rounds (the order rotating each round, so none always runs first or last):

- raw aiohttp: one session, a bearer header, ``json.loads`` of the body;
- ``AuraClient.request("GET", "/tenants")`` with ``rate_limit=None``: the whole
  pipeline (backoff, auth, attempt timeout, typed errors), JSON left undecoded;
- ``AuraClient.tenants.list()`` with ``rate_limit=None``: the same, plus decoding
  into models (what users call);
- ``aura_python_sdk.AsyncAuraClient.tenants.list()`` (httpx-based, also decodes
  into models), pointed at the emulator with ``base_url`` and
  ``allow_insecure_base_url=True``.

Each round sends ``BATCH`` GETs per variant from ``CONCURRENCY`` coroutines. A
ratio is the median over the rounds of that round's ratio, so a burst of load
from elsewhere on the machine skews one round, not the figure. Target: SDK / raw
aiohttp <= 1.3.

Run: ``.venv/bin/python benchmarks/overhead.py`` (about 15 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import aura_python_sdk
from _common import EmulatorProcess, Figure, emulator_process, fetch_token, main

from aura_async import AuraClient

BENCHMARK = "overhead"
ROUNDS = 30
BATCH = 200
CONCURRENCY = 10
WARM_UP = 100
TARGET_RATIO = 1.3

RAW = "raw aiohttp"
SDK_REQUEST = "SDK request()"
SDK_LIST = "SDK tenants.list()"
OTHER_SDK = "aura-python-sdk tenants.list()"

Call = Callable[[], Awaitable[object]]


def _raw_get(session: aiohttp.ClientSession, url: str, token: str) -> Call:
    headers = {"Authorization": f"Bearer {token}"}

    async def get() -> object:
        async with session.get(url, headers=headers) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    return get


@contextlib.asynccontextmanager
async def variants(emulator: EmulatorProcess) -> AsyncIterator[dict[str, Call]]:
    """Open every client against ``emulator``; yield one GET coroutine function per variant."""
    async with (
        aiohttp.ClientSession() as session,
        AuraClient(
            emulator.client_id, emulator.client_secret, base_url=emulator.url, rate_limit=None
        ) as client,
        aura_python_sdk.AsyncAuraClient(
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            base_url=emulator.url,
            allow_insecure_base_url=True,
        ) as other,
    ):
        token = await fetch_token(session, emulator.url, emulator.client_id, emulator.client_secret)
        yield {
            RAW: _raw_get(session, f"{emulator.url}/v1/tenants", token),
            SDK_REQUEST: lambda: client.request("GET", "/tenants"),
            SDK_LIST: client.tenants.list,
            OTHER_SDK: other.tenants.list,
        }


async def cpu_seconds(call: Call, count: int) -> float:
    """Return this process's CPU seconds for ``count`` calls, ``CONCURRENCY`` at a time."""

    async def worker(share: int) -> None:
        for _ in range(share):
            await call()

    share, extra = divmod(count, CONCURRENCY)
    started = time.process_time()
    await asyncio.gather(*(worker(share + (i < extra)) for i in range(CONCURRENCY)))
    return time.process_time() - started


async def measure_rounds(calls: dict[str, Call]) -> dict[str, list[float]]:
    """Return, per variant, the CPU seconds per request of each round."""
    for call in calls.values():
        await cpu_seconds(call, WARM_UP)
    per_request: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_index in range(ROUNDS):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            per_request[name].append(await cpu_seconds(calls[name], BATCH) / BATCH)
    return per_request


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Return the median of the per-round ratios ``numerators[i] / denominators[i]``."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def _figures(per_request: dict[str, list[float]]) -> list[Figure]:
    figures = [
        Figure(BENCHMARK, f"{name}: CPU us per GET", f"{statistics.median(costs) * 1e6:.0f}")
        for name, costs in per_request.items()
    ]
    for sdk in (SDK_REQUEST, SDK_LIST):
        ratio = median_ratio(per_request[sdk], per_request[RAW])
        figures.append(
            Figure(
                BENCHMARK,
                f"{sdk} / {RAW} CPU per GET",
                f"{ratio:.2f}x",
                f"<= {TARGET_RATIO}x",
                ratio <= TARGET_RATIO,
            )
        )
    versus_other = median_ratio(per_request[SDK_LIST], per_request[OTHER_SDK])
    figures.append(Figure(BENCHMARK, f"{SDK_LIST} / {OTHER_SDK}", f"{versus_other:.2f}x"))
    return figures


async def _measure(emulator: EmulatorProcess) -> list[Figure]:
    async with variants(emulator) as calls:
        return _figures(await measure_rounds(calls))


def run() -> list[Figure]:
    """Run the benchmark against an emulator in a child process; return its figures."""
    with emulator_process("--rate-limit", "off", "--transition-delay", "none") as emulator:
        return asyncio.run(_measure(emulator))


if __name__ == "__main__":
    main(run)
