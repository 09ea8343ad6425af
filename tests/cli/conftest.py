"""Fixtures of the command-line tests: a standalone emulator process, and a CLI runner."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping

import pytest
from test_cli_support import CliRunner, EmulatorProcess, EmulatorServer, run_cli


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[EmulatorProcess]:
    """``python -m aura_async.testing`` on a free port, rate limit off, quick transitions."""
    server = EmulatorServer()
    try:
        yield server.settings()
    finally:
        server.stop()


@pytest.fixture
def cli(emulator_process: EmulatorProcess) -> CliRunner:
    """Run ``aura-async ARGS...`` against the emulator process (credentials in the env).

    Keyword ``env`` replaces the environment (e.g. to test missing credentials).
    """

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(args, emulator_process.environ() if env is None else env)

    return run
