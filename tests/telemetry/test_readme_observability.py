"""The README's Observability example runs as written and prints spans and metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standalone_emulator import EmulatorServer
from tests.test_readme import SCRIPT_TIMEOUT, python_block


@pytest.fixture
def emulator_environ() -> Iterator[dict[str, str]]:
    server = EmulatorServer(options=())
    try:
        yield server.settings().environ()
    finally:
        server.stop()


def test_the_console_example_prints_spans_and_metrics(
    emulator_environ: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "observability.py"
    script.write_text(python_block("Observability").code)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        env=emulator_environ,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert "Demo project has 0 instances" in out
    decoder = json.JSONDecoder()
    spans = []
    index = out.find("{")
    while index != -1:
        document, end = decoder.raw_decode(out, index)
        spans.append(document)
        index = out.find("{", end)
    names = [doc.get("name") for doc in spans]
    assert names[:3] == ["aura oauth.token", "aura tenants.list", "aura instances.list"]
    listed = spans[1]
    assert listed["attributes"]["aura.operation_id"] == "get-projects"
    assert listed["parent_id"] == spans[3]["context"]["span_id"]  # under "inventory"
    metric_names = {
        metric["name"]
        for doc in spans[4:]
        for resource in doc.get("resource_metrics", [])
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
    }
    assert {"aura.client.calls", "aura.client.call.duration"} <= metric_names
