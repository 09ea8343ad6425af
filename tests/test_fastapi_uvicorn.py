"""End to end: uvicorn serves the example app with two worker processes, against an
emulator in the test process, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from aura_async.testing import AuraEmulator, ServerRateLimit
from tests.uvicorn_support import clean_env, read_log, start_uvicorn, stop, wait_until_serving

WORKERS = 2
# Two workers' worth: each worker may take 125 // 2 = 62 calls a minute, token included,
# so even if one worker is handed every request it stays within its share.
CONCURRENT_REQUESTS = 60
REQUEST_TIMEOUT = 20.0

# uvicorn's supervisor never closes its listening socket (uvicorn/main.py binds it and
# hands it to Multiprocess without closing it), so the parent process warns about
# it at exit. That warning is uvicorn's, not the app's: it is the only one tolerated.
_UVICORN_PARENT_SOCKET = re.compile(
    r"^sys:1: ResourceWarning: unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1', \d+\)>$"
    r"|^ResourceWarning: Enable tracemalloc to get the object allocation traceback$"
)
_TROUBLE = ("traceback", "warning", "unclosed", "task was destroyed", "error", "exception")


def uvicorn_env(emu: AuraEmulator) -> dict[str, str]:
    return clean_env(
        AURA_CLIENT_ID=emu.client_id,
        AURA_CLIENT_SECRET=emu.client_secret,
        AURA_BASE_URL=emu.url,
        AURA_WORKERS=str(WORKERS),
        PYTHONWARNINGS="default",  # show ResourceWarnings and the like
    )


def troubling_lines(log: str) -> list[str]:
    lines = [line for line in log.splitlines() if not _UVICORN_PARENT_SOCKET.match(line)]
    return [line for line in lines if any(word in line.lower() for word in _TROUBLE)]


@pytest.fixture
async def emu() -> AsyncIterator[AuraEmulator]:
    """An emulator enforcing the real allowance: 125 requests in any 60 s."""
    limit = ServerRateLimit(requests=125, per=60.0)
    async with AuraEmulator(rate_limit=limit, transition_delay=None) as emulator:
        yield emulator


# Its checks are counts and a clean stop, not speed: beside the multi-process group.
@pytest.mark.slow(group="slow-waits")
async def test_two_workers_one_token_each_no_429_and_a_clean_stop(
    emu: AuraEmulator, tmp_path: Path
) -> None:
    stderr_path = tmp_path / "uvicorn.stderr"
    process = await start_uvicorn(
        "examples.fastapi_app:app", workers=WORKERS, env=uvicorn_env(emu), stderr_path=stderr_path
    )
    try:
        url = await wait_until_serving(process, stderr_path, workers=WORKERS)
        limits = httpx.Limits(max_connections=CONCURRENT_REQUESTS)
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, limits=limits) as http:
            answers = await asyncio.gather(
                *(http.get("/instances") for _ in range(CONCURRENT_REQUESTS))
            )
    finally:
        exit_code = await stop(process)
    log = read_log(stderr_path)
    assert [answer.status_code for answer in answers] == [200] * CONCURRENT_REQUESTS
    assert emu.journal.count("GET", "/v1/instances") == CONCURRENT_REQUESTS
    assert 1 <= emu.journal.token_requests() <= WORKERS  # one per app process at most
    assert emu.journal.rate_limited_count() == 0
    assert exit_code == 0, log
    assert log.count("Application shutdown complete.") == WORKERS, log
    assert troubling_lines(log) == [], log
