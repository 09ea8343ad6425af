"""``aura-async demo`` end to end: a real subprocess, as ``make demo`` runs it."""

from __future__ import annotations

import re

import pytest
from test_cli_support import clean_environ, run_cli

# The demo must finish well under a minute; leave the test a margin past that.
DEMO_TIMEOUT = 60.0


def figure(summary: str, name: str) -> str:
    """The value cell of one row of the summary table."""
    match = re.search(rf"^\s*{re.escape(name)}\s+(\S+(?: / \d+)?)\s", summary, re.MULTILINE)
    assert match, f"no {name!r} row in:\n{summary}"
    return match.group(1)


@pytest.mark.timeout(DEMO_TIMEOUT + 15)
def test_demo_runs_to_a_summary_with_no_429_and_one_token() -> None:
    result = run_cli(("demo",), clean_environ(), timeout=DEMO_TIMEOUT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    summary = result.stdout[result.stdout.index("Summary") :]
    assert figure(summary, "429 responses") == "0"
    assert figure(summary, "token fetches") == "1"
    assert figure(summary, "instances created") == "12"
    assert re.search(r"instances created\s+12\s+0 duplicates", summary)
    busiest, limit = figure(summary, "most in any 6 s window").split(" / ")
    assert limit == "60"
    assert 0 < int(busiest) <= 60
    assert int(figure(summary, "retries")) > 0
    assert "503 on GET /instances/{id}" in summary
    assert "504 after acting on POST /instances" in summary
    assert figure(summary, "ambiguous creates") == "1"
    # The story told along the way: the reconciliation, and each bulk step.
    assert "instances.find found it" in result.stdout
    for step in ("Creating instances", "Waiting until running", "Taking snapshots", "Pausing"):
        assert f"✓ {step}: 12 done" in result.stdout
