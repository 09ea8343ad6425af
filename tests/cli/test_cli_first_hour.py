"""The command line's first hour: ``--emulator`` says it is per command, ``aura-async
emulator`` keeps one running, Ctrl-C reports which ids were sent, and ``instances list
--status`` filters."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from test_cli_support import SCRIPT, CliRunner, EmulatorProcess, EmulatorServer, run_cli

from aura_async.cli._connect import EMULATOR_INSTANCES

CREATE_SHAPE = ("--cloud-provider", "gcp", "--region", "europe-west1")
CREATE_SHAPE += ("--type", "enterprise-db", "--memory", "8GB")
FAST_WAIT = ("--interval", "0.02", "--timeout", "20")
PROGRESS_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def created_ids(cli: CliRunner, *names: str) -> list[str]:
    """Create instances, wait until they run; return their ids."""
    created = cli("--json", "instances", "create", *names, *CREATE_SHAPE)
    assert created.returncode == 0, created.stderr
    ids = [entry["data"]["id"] for entry in json.loads(created.stdout)]
    waited = cli("instances", "wait", *ids, *FAST_WAIT)
    assert waited.returncode == 0, waited.stderr
    return ids


def test_emulator_mode_says_it_is_per_command() -> None:
    helped = run_cli(("--help",), env={})
    listed = run_cli(("--emulator", "--json", "tenants", "list"), env={})

    assert "fresh embedded emulator" in " ".join(helped.stdout.split())
    assert "'aura-async emulator' keeps one running" in " ".join(helped.stdout.split())
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 1
    assert "this command runs against a fresh embedded emulator" in listed.stderr
    assert "aura-async emulator" in listed.stderr


def test_the_emulator_command_keeps_one_running_until_ctrl_c() -> None:
    server = EmulatorServer(command=[str(SCRIPT), "emulator", "--port", "0"])
    try:
        env = server.settings().environ()
        first = run_cli(("--json", "instances", "list"), env)
        created = run_cli(("--json", "instances", "create", "kept", *CREATE_SHAPE), env)
        second = run_cli(("--json", "instances", "list"), env)
        server.process.send_signal(signal.SIGINT)
        exit_code = server.process.wait(timeout=STOP_TIMEOUT)
    finally:
        server.stop()
    assert created.returncode == 0, created.stderr
    assert sorted(row["name"] for row in json.loads(first.stdout)) == sorted(EMULATOR_INSTANCES)
    names = sorted(row["name"] for row in json.loads(second.stdout))
    assert names == sorted([*EMULATOR_INSTANCES, "kept"])  # the state lasts across commands
    assert exit_code == 0


def _interrupt_once_sent(
    args: tuple[str, ...], env: dict[str, str], marker: str, tmp_path: Path
) -> tuple[int, str, str]:
    """Run ``aura-async ARGS`` (with DEBUG logs), Ctrl-C it once ``marker`` is logged."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [str(SCRIPT), "--debug", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env | {"COLUMNS": "400"},  # one log record per line
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    # Reading blocks until the next line; the watchdog bounds it if the marker never comes.
    watchdog = threading.Timer(PROGRESS_TIMEOUT, process.kill)
    watchdog.start()
    logged: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            logged.append(line)
            if marker in line:
                break
        assert logged, "nothing logged"
        assert marker in logged[-1], "".join(logged)
        assert process.poll() is None, "".join(logged)
        process.send_signal(signal.SIGINT)
        stdout, rest = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=STOP_TIMEOUT)
    return process.returncode, stdout, "".join(logged) + rest


@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_during_a_bulk_command_reports_what_was_sent(
    cli: CliRunner, emulator_process: EmulatorProcess, tmp_path: Path, json_mode: bool
) -> None:
    first, second = created_ids(cli, "ctrl-c-1", "ctrl-c-2")
    # One at a time: two are done at once, the missing id is polled through the 404
    # grace (it is in flight when interrupted), the last never starts.
    args = ("--concurrency", "1", "instances", "wait", first, second, "0dead404", "0beef404")
    args = (*args, *FAST_WAIT, *(["--json"] if json_mode else []))
    env = emulator_process.environ()

    code, stdout, stderr = _interrupt_once_sent(args, env, "/v1/instances/0dead404", tmp_path)

    assert code == 130
    assert "Traceback" not in stderr
    if json_mode:
        entries: list[dict[str, Any]] = json.loads(stdout)
        assert [(e["id"], e["ok"], e["state"]) for e in entries] == [
            (first, True, "done"),
            (second, True, "done"),
            ("0dead404", None, "sent"),
            ("0beef404", None, "not_sent"),
        ]
        assert entries[0]["data"]["status"] == "running"
        return
    assert stdout == ""
    assert (
        "Interrupted after 2 of 4: 2 done, 0 failed, "
        "1 sent (may still take effect on the server), 1 not sent." in stderr
    )
    assert f"  done: {first} {second}\n" in stderr
    assert "  sent: 0dead404\n" in stderr
    assert "  not sent: 0beef404\n" in stderr


def test_instances_list_filters_by_status(cli: CliRunner) -> None:
    running, paused = created_ids(cli, "filter-running", "filter-paused")
    assert cli("instances", "pause", paused, "--wait", *FAST_WAIT).returncode == 0

    result = cli("--json", "instances", "list", "--status", "paused")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert paused in [row["id"] for row in rows]
    assert running not in [row["id"] for row in rows]
    assert {row["status"] for row in rows} == {"paused"}
    assert {"name", "region", "memory", "connection_url"} <= rows[0].keys()
    assert "Reading " in result.stderr  # the progress of reading each instance


def test_instances_list_status_table_shows_ids_and_statuses(cli: CliRunner) -> None:
    (instance_id,) = created_ids(cli, "filter-table")

    result = cli("instances", "list", "--status", "running")

    assert result.returncode == 0, result.stderr
    row = next(line.split() for line in result.stdout.splitlines() if instance_id in line)
    assert row[:3] == [instance_id, "filter-table", "running"]


def test_instances_list_refuses_an_unknown_status(cli: CliRunner) -> None:
    result = cli("instances", "list", "--status", "runing")
    assert result.returncode == 2
    assert "runing" in result.stderr
