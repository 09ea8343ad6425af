"""How many GET requests per second the emulator serves on loopback, in one process.

Starts an emulator without rate limit, then 50 concurrent aiohttp coroutines send
5,000 ``GET /v1/tenants`` between them (client and server share the process and
its one CPU core, so the figure is a lower bound). Prints one line:
``emulator_throughput: N req/s``.

Run: ``.venv/bin/python benchmarks/emulator_throughput.py [REQUESTS] [CONCURRENCY]``
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp

from aura_async.testing import AuraEmulator


async def _token(session: aiohttp.ClientSession, emulator: AuraEmulator) -> str:
    auth = aiohttp.encode_basic_auth(emulator.client_id, emulator.client_secret)
    async with session.post(
        f"{emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": auth},
    ) as response:
        response.raise_for_status()
        token: str = (await response.json())["access_token"]
        return token


async def _worker(session: aiohttp.ClientSession, url: str, token: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        async with session.get(url, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"unexpected status {response.status}")
            await response.read()


async def measure(requests: int = 5000, concurrency: int = 50) -> float:
    """Return the requests per second served for ``requests`` GETs."""
    async with (
        AuraEmulator(rate_limit=None) as emulator,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session,
    ):
        token = await _token(session, emulator)
        url = f"{emulator.url}/v1/tenants"
        await _worker(session, url, token, concurrency)  # warm up connections
        share, extra = divmod(requests, concurrency)
        counts = [share + (index < extra) for index in range(concurrency)]
        started = time.perf_counter()
        await asyncio.gather(*(_worker(session, url, token, count) for count in counts))
        return requests / (time.perf_counter() - started)


def main() -> None:
    """Run the measurement and print the figure."""
    args = [int(arg) for arg in sys.argv[1:3]]
    rate = asyncio.run(measure(*args))
    print(f"emulator_throughput: {rate:.0f} req/s")


if __name__ == "__main__":
    main()
