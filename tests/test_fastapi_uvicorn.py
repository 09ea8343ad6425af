"""End to end: uvicorn serves the example app with two worker processes, against an
emulator in the test process, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from aura_async.testing import AuraEmulator, ServerRateLimit

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
# Two workers' worth: each worker may take 125 // 2 = 62 calls a minute, token included,
# so even if one worker is handed every request it stays within its share.
CONCURRENT_REQUESTS = 60
START_TIMEOUT = 25.0  # spawning workers that import fastapi and aiohttp, on a loaded machine
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.05
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
    env = {name: value for name, value in os.environ.items() if not name.startswith("AURA_")}
    env.pop("WEB_CONCURRENCY", None)
    env.update(
        AURA_CLIENT_ID=emu.client_id,
        AURA_CLIENT_SECRET=emu.client_secret,
        AURA_BASE_URL=emu.url,
        AURA_WORKERS=str(WORKERS),
        PYTHONWARNINGS="default",  # show ResourceWarnings and the like
    )
    return env


async def start_uvicorn(emu: AuraEmulator, stderr_path: Path) -> asyncio.subprocess.Process:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "examples.fastapi_app:app",
        f"--workers={WORKERS}",
        "--host=127.0.0.1",
        "--port=0",
        "--ws=none",
        "--no-access-log",
    ]
    with stderr_path.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            *command,
            cwd=REPO_ROOT,
            env=uvicorn_env(emu),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, so a failed test can end it all
        )


def read_log(path: Path) -> str:
    return path.read_text(errors="replace")


async def wait_until_serving(process: asyncio.subprocess.Process, stderr_path: Path) -> str:
    """Return the app's URL once every worker has finished its startup."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log = read_log(stderr_path)
        url = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log)
        if url and log.count("Application startup complete.") == WORKERS:
            return url.group(1)
        assert process.returncode is None, f"uvicorn exited early:\n{log}"
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"uvicorn did not start within {START_TIMEOUT}s:\n{read_log(stderr_path)}")


async def stop(process: asyncio.subprocess.Process) -> int:
    """SIGTERM uvicorn and wait (bounded) for it to exit; kill its group if it hangs."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        raise AssertionError(f"uvicorn did not stop within {STOP_TIMEOUT}s of SIGTERM") from None


def troubling_lines(log: str) -> list[str]:
    lines = [line for line in log.splitlines() if not _UVICORN_PARENT_SOCKET.match(line)]
    return [line for line in lines if any(word in line.lower() for word in _TROUBLE)]


@pytest.fixture
async def emu() -> AsyncIterator[AuraEmulator]:
    """An emulator enforcing the real allowance: 125 requests in any 60 s."""
    limit = ServerRateLimit(requests=125, per=60.0)
    async with AuraEmulator(rate_limit=limit, transition_delay=None) as emulator:
        yield emulator


@pytest.mark.slow
async def test_two_workers_one_token_each_no_429_and_a_clean_stop(
    emu: AuraEmulator, tmp_path: Path
) -> None:
    stderr_path = tmp_path / "uvicorn.stderr"
    process = await start_uvicorn(emu, stderr_path)
    try:
        url = await wait_until_serving(process, stderr_path)
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
