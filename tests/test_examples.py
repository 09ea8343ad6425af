"""The examples run, as users run them, against the emulator they start themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("create_and_wait.py", "create-and-wait is running"),
        ("snapshot_all_then_report.py", "4 snapshots completed, 0 failed"),
        ("bulk_pause_resume.py", "wait until running again"),
    ],
)
def test_an_example_runs_against_its_own_emulator(script: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert "Traceback" not in done.stderr
