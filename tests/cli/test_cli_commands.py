"""Every verb of ``aura-async``, run as a subprocess against a running emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from test_cli_support import CliRunner, EmulatorProcess, clean_environ, run_script

from aura_async import __version__
from aura_async.cli._connect import EMULATOR_INSTANCES

CREATE_SHAPE = ("--cloud-provider", "gcp", "--region", "europe-west1")
CREATE_SHAPE += ("--type", "enterprise-db", "--memory", "8GB")
FAST_WAIT = ("--interval", "0.02", "--timeout", "20")
INSTANCE_ID = re.compile(r"^[0-9a-f]{8}$")


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON document a successful command printed (nothing else is on stdout)."""
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def create(cli: CliRunner, *names: str) -> list[dict[str, Any]]:
    """Create instances through the CLI; return their data (with the passwords)."""
    created = json_of(cli("--json", "instances", "create", *names, *CREATE_SHAPE))
    assert [entry["name"] for entry in created] == list(names)
    assert all(entry["ok"] for entry in created)
    return [entry["data"] for entry in created]


def statuses(results: list[dict[str, Any]]) -> dict[str, str]:
    """Map each id of a bulk result to the status it reports."""
    return {entry["id"]: entry["data"]["status"] for entry in results}


def test_python_dash_m_runs_the_same_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aura_async", "--help"],
        capture_output=True,
        text=True,
        env=clean_environ(),
        timeout=45,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: aura-async ")
    for command in ("tenants", "instances", "snapshots", "demo"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE)


def test_the_installed_script_prints_the_version() -> None:
    result = run_script(("--version",), clean_environ())
    assert result.returncode == 0
    assert result.stdout.strip() == f"aura-async, version {__version__}"


def test_tenants_list_and_get(cli: CliRunner, emulator_process: EmulatorProcess) -> None:
    tenant_id = emulator_process.tenant_id
    listed = json_of(cli("--json", "tenants", "list"))
    assert {"id": tenant_id, "name": "Demo project"} in listed

    table = cli("tenants", "get", tenant_id)
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines() if tenant_id in line]
    assert ["gcp", "europe-west1", "enterprise-db", "8GB"] in [row[1:5] for row in rows]


def test_instance_verbs_act_on_many_ids_at_once(cli: CliRunner) -> None:
    created = create(cli, "verbs-a", "verbs-b")
    ids = [instance["id"] for instance in created]
    assert all(INSTANCE_ID.match(instance_id) for instance_id in ids)
    assert all(instance["password"] for instance in created)

    running = json_of(cli("--json", "instances", "wait", *ids, *FAST_WAIT))
    assert statuses(running) == dict.fromkeys(ids, "running")
    # Shared options work after the command's name too.
    listed = json_of(cli("instances", "list", "--json"))
    assert set(ids) <= {row["id"] for row in listed}

    paused = json_of(cli("--json", "instances", "pause", *ids, "--wait", *FAST_WAIT))
    assert statuses(paused) == dict.fromkeys(ids, "paused")
    resumed = json_of(cli("--json", "instances", "resume", *ids))
    assert statuses(resumed) == dict.fromkeys(ids, "resuming")
    running = json_of(cli("--json", "instances", "wait", *ids, "--status", "running", *FAST_WAIT))
    assert statuses(running) == dict.fromkeys(ids, "running")

    deleted = json_of(cli("--json", "instances", "delete", *ids, ids[0]))
    assert statuses(deleted) == dict.fromkeys(ids, "destroying")  # the repeated id ran once
    gone = json_of(cli("--json", "instances", "list"))
    assert not set(ids) & {row["id"] for row in gone}


def test_tables_show_the_ids_and_the_password_once(cli: CliRunner) -> None:
    result = cli("instances", "create", "table-a", *CREATE_SHAPE)
    assert result.returncode == 0, result.stderr
    (row,) = [line.split() for line in result.stdout.splitlines() if "table-a" in line]
    instance_id, _url, username, password = row[1:5]
    assert INSTANCE_ID.match(instance_id)
    assert username == "neo4j"
    assert len(password) >= 8
    assert "shown only once" in result.stderr

    shown = cli("instances", "get", instance_id)
    assert shown.returncode == 0, shown.stderr
    (line,) = [line for line in shown.stdout.splitlines() if line.strip().startswith(instance_id)]
    assert line.split()[:2] == [instance_id, "table-a"]
    assert password not in shown.stdout + shown.stderr


def test_snapshot_verbs(cli: CliRunner) -> None:
    (instance,) = create(cli, "snapshots-a")
    instance_id = instance["id"]
    json_of(cli("--json", "instances", "wait", instance_id, *FAST_WAIT))

    taken = json_of(cli("--json", "snapshots", "create", instance_id, "--wait", *FAST_WAIT))
    assert [entry["id"] for entry in taken] == [instance_id]
    snapshot = taken[0]["data"]
    assert snapshot["status"] == "Completed"

    listed = json_of(cli("--json", "snapshots", "list", instance_id))
    assert snapshot["snapshot_id"] in [row["snapshot_id"] for row in listed[0]["data"]]

    restored = json_of(cli("--json", "snapshots", "restore", instance_id, snapshot["snapshot_id"]))
    assert statuses(restored) == {instance_id: "restoring"}


def test_emulator_mode_needs_no_credentials() -> None:
    env = clean_environ()
    result = subprocess.run(
        [sys.executable, "-m", "aura_async", "--emulator", "--json", "instances", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=45,
        check=False,
    )
    listed = json_of(result)
    assert sorted(row["name"] for row in listed) == sorted(EMULATOR_INSTANCES)
