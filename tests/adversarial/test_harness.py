"""The suite's loose-end check is honest: a test that leaves one behind fails."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

LEAKY_TESTS = """
import asyncio
import aiohttp


async def test_leaves_a_pending_task():
    asyncio.get_running_loop().create_task(asyncio.sleep(30))


async def test_leaves_an_exception_never_retrieved():
    async def fail():
        raise RuntimeError("nobody looks at me")

    task = asyncio.get_running_loop().create_task(fail())
    await asyncio.sleep(0.01)
    del task


async def test_leaves_a_session_open():
    aiohttp.ClientSession()


async def test_tidy():
    await asyncio.sleep(0)
"""


PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto"]
# The inner run checks the harness alone: with warnings as errors, pytest's own
# unraisable-exception check would fail the open session before the harness saw it.
_INTERPRETER_FLAGS = ("PYTHONWARNINGS", "PYTHONDEVMODE")


async def test_the_suite_runs_in_debug_and_development_mode() -> None:
    # `make test` runs this directory so; pytest-asyncio sets the loop's debug mode
    # from --asyncio-debug alone (PYTHONASYNCIODEBUG does not reach its loops).
    assert asyncio.get_running_loop().get_debug()
    assert sys.flags.dev_mode
    assert sys.warnoptions[-1:] == ["error"]


def test_the_harness_fails_tests_that_leave_loose_ends(tmp_path: Path) -> None:
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    run = subprocess.run(
        [*PYTEST, "-o", "asyncio_default_fixture_loop_scope=function", "test_leaky.py"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in _INTERPRETER_FLAGS},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = run.stdout + run.stderr
    # Each leaky test passes, then fails at teardown; the tidy one stays clean.
    assert "4 passed, 3 errors" in report, report
    assert "ERROR test_leaky.py::test_tidy" not in report, report
    for leak in ("pending task left behind", "never retrieved", "Unclosed client session"):
        assert leak in report, report
