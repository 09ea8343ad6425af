"""Helpers of the command-line tests (no tests here): the runners, and the emulator process.

Most tests run the command line in a process forked from a server that has already
imported it (``run_cli``): a process of its own per command, with its own
environment, standard streams and exit code, without paying Python's start and
the imports (about 0.4 s of CPU) each time. Tests of the installed script itself,
of ``python -m`` and of signals run the real ``aura-async`` entry point in a
subprocess (``run_script``). Both run against ``python -m aura_async.testing``
started by the fixtures in ``conftest.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
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
    "run_script",
]

COMMAND_TIMEOUT = 45.0
SCRIPT = Path(sys.executable).with_name("aura-async")
# Its server process imports the command line once; each command is a fork of it.
_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload(["aura_async.cli._main", __name__])


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def run_script(
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


def run_cli(
    args: tuple[str, ...], env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``aura-async ARGS`` in a forked process with ``env``; capture its output.

    Raises:
        subprocess.TimeoutExpired: The command ran longer than ``timeout`` (it is killed).
    """
    with tempfile.TemporaryDirectory() as directory:
        stdout, stderr = Path(directory, "stdout"), Path(directory, "stderr")
        command = (list(args), dict(env), str(stdout), str(stderr))
        process = _FORKSERVER.Process(target=_run_command, args=command)
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired([str(SCRIPT), *args], timeout)
        exit_code = process.exitcode
        process.close()
        return subprocess.CompletedProcess(
            [str(SCRIPT), *args],
            exit_code,
            stdout.read_text(encoding="utf-8"),
            stderr.read_text(encoding="utf-8"),
        )


def _run_command(args: Sequence[str], env: dict[str, str], stdout: str, stderr: str) -> None:
    """In the forked process: the environment and the streams of a new process, then the CLI."""
    from aura_async.cli import main

    os.environ.clear()
    os.environ.update(env)
    for stream, path in ((sys.stdout, stdout), (sys.stderr, stderr)):
        stream.flush()
        with open(path, "wb") as file:
            os.dup2(file.fileno(), stream.fileno())
    sys.exit(main(args))
