"""Under ``make test`` (pytest-xdist, ``--dist loadgroup``) the tests marked slow share a worker.

A pytest that pytest-xdist's grouping does not support would spread them silently
(pytest-xdist#1386); this runs the suite's own hook in a small pytest run to catch it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CONFTEST = "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
_TESTS = """
import os
from pathlib import Path
import pytest

@pytest.mark.slow
@pytest.mark.parametrize("index", range(6))
def test_slow(index):
    Path("ran", f"{os.environ['PYTEST_XDIST_WORKER']}-{index}").touch()
"""


def test_tests_marked_slow_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(_CONFTEST)
    (tmp_path / "test_grouped.py").write_text(_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers = slow\n")
    (tmp_path / "ran").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", "-p", "no:aura_async"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [path.name for path in (tmp_path / "ran").iterdir()]
    assert len(ran) == 6
    assert len({name.split("-")[0] for name in ran}) == 1, ran
