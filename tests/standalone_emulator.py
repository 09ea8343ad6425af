"""A standalone emulator (``python -m aura_async.testing``) in a subprocess, for tests
that run commands and scripts against it as a user does (no tests here).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import attrs

from aura_async.testing._banner import parse_banner_line

# Generous: a loaded 2-core machine may take a few seconds to import aiohttp.
STARTUP_TIMEOUT = 20.0
# Rate limit off, transitions done in 10 ms.
QUICK = ("--rate-limit", "off", "--transition-delay", "0.01")
# Variables that would change what the CLI prints (colours, terminal detection, width).
_DROPPED = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR")
_BANNER_KEYS = {"AURA_BASE_URL", "AURA_CLIENT_ID", "AURA_CLIENT_SECRET", "tenant_id"}


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
    """Read the emulator's banner (``export`` lines), giving up after ``STARTUP_TIMEOUT``."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not found.keys() >= _BANNER_KEYS:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise RuntimeError(f"the emulator did not start; read {sorted(found)}")
        try:
            parsed = parse_banner_line(lines.get(timeout=remaining))
        except queue.Empty:
            continue
        if parsed is not None:
            found[parsed[0]] = parsed[1]
    return found


class EmulatorServer:
    """``python -m aura_async.testing --port 0 OPTIONS...`` (or ``command``) in a subprocess.

    A thread reads its stdout (the banner it prints), so that it never blocks on a
    full pipe and the read can be bounded in time.

    Args:
        options: Its command-line options (default: rate limit off, quick transitions).
        command: Another command printing the same banner (``options`` are ignored).
    """

    def __init__(self, options: Sequence[str] = QUICK, command: Sequence[str] = ()) -> None:
        default = [sys.executable, "-m", "aura_async.testing", "--port", "0", *options]
        # A child inherits an ignored SIGINT (e.g. under a background job): default it,
        # so that tests can stop it as Ctrl-C does.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.process = subprocess.Popen(
                list(command) or default,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=clean_environ(),
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def settings(self) -> EmulatorProcess:
        """Wait for the printed banner (bounded by ``STARTUP_TIMEOUT``).

        Raises:
            RuntimeError: They did not come in time.
        """
        found = _read_settings(self.process, self._lines)
        return EmulatorProcess(
            found["AURA_BASE_URL"],
            found["AURA_CLIENT_ID"],
            found["AURA_CLIENT_SECRET"],
            found["tenant_id"],
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
