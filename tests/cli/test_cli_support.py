"""Helpers of the command-line tests (no tests here): the emulator process, the runner.

Every test runs the real ``aura-async`` entry point in a subprocess, against
``python -m aura_async.testing`` started by the fixtures in ``conftest.py``.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

# Generous: a loaded 2-core machine may take a few seconds to import aiohttp.
STARTUP_TIMEOUT = 20.0
COMMAND_TIMEOUT = 45.0
SCRIPT = Path(sys.executable).with_name("aura-async")
# Variables that would change what the CLI prints (colours, terminal detection, width).
_DROPPED = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR")


@attrs.frozen
class EmulatorProcess:
    """The running standalone emulator: where it is and its credential."""

    url: str
    client_id: str
    client_secret: str
    tenant_id: str

    def environ(self) -> dict[str, str]:
        """Return the process environment pointing the CLI at this emulator."""
        env = clean_environ()
        env.update(
            AURA_BASE_URL=self.url,
            AURA_CLIENT_ID=self.client_id,
            AURA_CLIENT_SECRET=self.client_secret,
        )
        return env


def clean_environ() -> dict[str, str]:
    """Return this process's environment without Aura credentials or terminal settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AURA_") and name not in _DROPPED
    }


def _read_settings(process: subprocess.Popen[str], lines: queue.Queue[str]) -> dict[str, str]:
    """Read the emulator's ``key: value`` lines, giving up after ``STARTUP_TIMEOUT``."""
    wanted = {"url", "client_id", "client_secret", "tenant_id"}
    found: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not wanted <= found.keys():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise RuntimeError(f"the emulator did not start; read {sorted(found)}")
        try:
            key, _, value = lines.get(timeout=remaining).partition(": ")
        except queue.Empty:
            continue
        found[key] = value.strip()
    return found


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def run_cli(
    args: tuple[str, ...], env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``aura-async`` script with ``args``; capture its output."""
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=timeout,
        check=False,
    )


class EmulatorServer:
    """``python -m aura_async.testing`` in a subprocess (rate limit off, quick transitions).

    A thread reads its stdout (the settings it prints), so that it never blocks on a
    full pipe and the read can be bounded in time.
    """

    def __init__(self) -> None:
        command = [sys.executable, "-m", "aura_async.testing", "--port", "0"]
        command += ["--rate-limit", "off", "--transition-delay", "0.01"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=clean_environ(),
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def settings(self) -> EmulatorProcess:
        """Wait for the printed settings (bounded by ``STARTUP_TIMEOUT``).

        Raises:
            RuntimeError: They did not come in time.
        """
        found = _read_settings(self.process, self._lines)
        return EmulatorProcess(
            found["url"], found["client_id"], found["client_secret"], found["tenant_id"]
        )

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop), then close its pipe."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
