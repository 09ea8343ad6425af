"""Helpers of the command-line tests (no tests here): the runner, and the emulator process.

Every test runs the real ``aura-async`` entry point in a subprocess, against
``python -m aura_async.testing`` started by the fixtures in ``conftest.py``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from tests.standalone_emulator import EmulatorProcess, EmulatorServer, clean_environ

__all__ = [
    "COMMAND_TIMEOUT",
    "SCRIPT",
    "CliRunner",
    "EmulatorProcess",
    "EmulatorServer",
    "clean_environ",
    "run_cli",
]

COMMAND_TIMEOUT = 45.0
SCRIPT = Path(sys.executable).with_name("aura-async")


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
