"""``uvicorn --workers 2`` serving the example app's routes with a RedisBackend per worker.

The emulator (in the test process) enforces 125 requests per 2 s; the app's
workers are each configured with that whole allowance, and only Redis keeps
their sum under it. 150 calls therefore need two windows, and draw no 429.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from aura_async.testing import AuraEmulator, ServerRateLimit

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
REQUESTS, PER = 125, 2.0
CALLS = 150
START_TIMEOUT = 25.0  # spawning workers that import fastapi, aiohttp and redis, on a loaded machine
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.05
REQUEST_TIMEOUT = 20.0


def _env(emu: AuraEmulator, redis_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AURA_")}
    env.pop("WEB_CONCURRENCY", None)
    env.update(
        AURA_CLIENT_ID=emu.client_id,
        AURA_CLIENT_SECRET=emu.client_secret,
        AURA_BASE_URL=emu.url,
        AURA_REDIS_URL=redis_url,
        AURA_RATE_REQUESTS=str(REQUESTS),
        AURA_RATE_PER=str(PER),
    )
    return env


async def _start(env: dict[str, str], stderr_path: Path) -> asyncio.subprocess.Process:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.redis.redis_fastapi_app:app",
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
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, so a failed test can end it all
        )


def _read_log(path: Path) -> str:
    return path.read_text(errors="replace")


async def _serving_url(process: asyncio.subprocess.Process, stderr_path: Path) -> str:
    """Return the app's URL once every worker has finished its startup (bounded wait)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log = _read_log(stderr_path)
        url = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log)
        if url and log.count("Application startup complete.") == WORKERS:
            return url.group(1)
        assert process.returncode is None, f"uvicorn exited early:\n{log}"
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"uvicorn did not start within {START_TIMEOUT}s")


async def _stop(process: asyncio.subprocess.Process) -> int:
    """SIGTERM uvicorn and wait (bounded); kill its process group if it hangs."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        raise AssertionError(f"uvicorn did not stop within {STOP_TIMEOUT}s") from None


@pytest.mark.slow
async def test_two_uvicorn_workers_share_one_allowance_and_one_token(
    redis_url: str, tmp_path: Path
) -> None:
    server = ServerRateLimit(requests=REQUESTS, per=PER, retry_after="fractional")
    stderr_path = tmp_path / "uvicorn.stderr"
    async with AuraEmulator(rate_limit=server) as emu:
        process = await _start(_env(emu, redis_url), stderr_path)
        try:
            url = await _serving_url(process, stderr_path)
            limits = httpx.Limits(max_connections=CALLS)
            async with httpx.AsyncClient(
                base_url=url, timeout=REQUEST_TIMEOUT, limits=limits
            ) as http:
                answers = await asyncio.gather(*(http.get("/instances") for _ in range(CALLS)))
        finally:
            exit_code = await _stop(process)
    log = _read_log(stderr_path)
    assert [answer.status_code for answer in answers] == [200] * CALLS, log
    assert len({answer.headers["X-Worker-Pid"] for answer in answers}) == WORKERS
    assert emu.journal.count("GET", "/v1/instances") == CALLS
    assert emu.journal.token_requests() == 1
    assert emu.journal.rate_limited_count() == 0
    assert emu.journal.max_in_window(PER, include_rejected=True) <= REQUESTS
    assert exit_code == 0, log
