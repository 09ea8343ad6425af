"""``uvicorn --workers 2`` serving the example app's routes with a RedisBackend per worker.

The emulator (in the test process) enforces 125 requests per 2 s; the app's
workers are each configured with that whole allowance, and only Redis keeps
their sum under it. 150 calls therefore need two windows, and draw no 429.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.uvicorn_support import clean_env, read_log, start_uvicorn, stop, wait_until_serving

WORKERS = 2
REQUESTS, PER = 125, 2.0
CALLS = 150
REQUEST_TIMEOUT = 20.0


def _env(emu: AuraEmulator, redis_url: str) -> dict[str, str]:
    return clean_env(
        AURA_CLIENT_ID=emu.client_id,
        AURA_CLIENT_SECRET=emu.client_secret,
        AURA_BASE_URL=emu.url,
        AURA_REDIS_URL=redis_url,
        AURA_RATE_REQUESTS=str(REQUESTS),
        AURA_RATE_PER=str(PER),
    )


# Its checks are counts and windows, not speed: beside the multi-process group.
@pytest.mark.slow(group="slow-waits")
async def test_two_uvicorn_workers_share_one_allowance_and_one_token(
    redis_url: str, tmp_path: Path
) -> None:
    server = ServerRateLimit(requests=REQUESTS, per=PER, retry_after="fractional")
    stderr_path = tmp_path / "uvicorn.stderr"
    async with AuraEmulator(rate_limit=server) as emu:
        process = await start_uvicorn(
            "tests.redis.redis_fastapi_app:app",
            workers=WORKERS,
            env=_env(emu, redis_url),
            stderr_path=stderr_path,
        )
        try:
            url = await wait_until_serving(process, stderr_path, workers=WORKERS)
            limits = httpx.Limits(max_connections=CALLS)
            async with httpx.AsyncClient(
                base_url=url, timeout=REQUEST_TIMEOUT, limits=limits
            ) as http:
                answers = await asyncio.gather(*(http.get("/instances") for _ in range(CALLS)))
        finally:
            exit_code = await stop(process)
    log = read_log(stderr_path)
    assert [answer.status_code for answer in answers] == [200] * CALLS, log
    assert len({answer.headers["X-Worker-Pid"] for answer in answers}) == WORKERS
    assert emu.journal.count("GET", "/v1/instances") == CALLS
    assert emu.journal.token_requests() == 1
    assert emu.journal.rate_limited_count() == 0
    assert emu.journal.max_in_window(PER, include_rejected=True) <= REQUESTS
    assert exit_code == 0, log
