"""Serving an app with ``uvicorn --workers N`` in a subprocess, for end-to-end tests.

Every wait is bounded; a uvicorn that hangs on stop has its process group killed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 25.0  # spawning workers that import fastapi, aiohttp (and redis), loaded machine
STOP_TIMEOUT = 15.0
POLL_INTERVAL = 0.05


def clean_env(**settings: str) -> dict[str, str]:
    """Return this environment less ``AURA_*`` and ``WEB_CONCURRENCY``, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AURA_")}
    env.pop("WEB_CONCURRENCY", None)
    env.update(settings)
    return env


async def start_uvicorn(
    app: str, *, workers: int, env: Mapping[str, str], stderr_path: Path
) -> asyncio.subprocess.Process:
    """Start ``uvicorn app --workers N`` on a free loopback port, logging to ``stderr_path``."""
    command = [sys.executable, "-m", "uvicorn", app, f"--workers={workers}"]
    command += ["--host=127.0.0.1", "--port=0", "--ws=none", "--no-access-log"]
    with stderr_path.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            *command,
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, so a failed test can end it all
        )


def read_log(path: Path) -> str:
    """Return uvicorn's log so far."""
    return path.read_text(errors="replace")


async def wait_until_serving(
    process: asyncio.subprocess.Process, stderr_path: Path, *, workers: int
) -> str:
    """Return the app's URL once every worker has finished its startup."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log = read_log(stderr_path)
        url = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log)
        if url and log.count("Application startup complete.") == workers:
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
