"""How ``aura-async`` fails: one line on stderr and an exit code, never a traceback or a secret."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli_support import SCRIPT, CliRunner, EmulatorProcess, clean_environ

CREATE_SHAPE = ("--cloud-provider", "gcp", "--region", "europe-west1")
CREATE_SHAPE += ("--type", "enterprise-db", "--memory", "8GB")
WRONG_SECRET = "wrong-secret-7f3a9c"
PROGRESS_TIMEOUT = 20.0


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines of stderr (progress bars may be there too)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_a_missing_instance_is_a_404_message_and_exit_1(cli: CliRunner) -> None:
    result = cli("instances", "get", "deadbeef")

    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert line.startswith("error: deadbeef: 404 Not Found: GET ")
    assert "/v1/instances/deadbeef" in line
    assert "db-not-found" in line
    assert "Traceback" not in result.stderr


def test_a_missing_instance_in_json_is_a_failed_result(cli: CliRunner) -> None:
    result = cli("--json", "instances", "get", "deadbeef")

    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)
    assert entry["id"] == "deadbeef"
    assert entry["ok"] is False
    assert entry["error"]["type"] == "NotFoundError"
    assert entry["error"]["status"] == 404


def test_a_bad_credential_is_one_line_and_exit_1(
    cli: CliRunner, emulator_process: EmulatorProcess
) -> None:
    env = emulator_process.environ() | {"AURA_CLIENT_SECRET": WRONG_SECRET}

    listed = cli("instances", "list", env=env)
    bulk = cli("--json", "instances", "get", "aaaa1111", "bbbb2222", env=env)

    assert listed.returncode == 1
    assert listed.stdout == ""
    (line,) = listed.stderr.splitlines()
    assert line.startswith("error: the API rejected the client credentials (401")
    assert "--client-secret" in line
    # A bulk command fails every id the same way: the reason is shown once.
    assert bulk.returncode == 1
    assert error_lines(bulk.stderr) == [line]
    assert [entry["error"]["status"] for entry in json.loads(bulk.stdout)] == [401, 401]
    for result in (listed, bulk):
        assert "Traceback" not in result.stderr
        assert WRONG_SECRET not in result.stdout + result.stderr


def test_debug_shows_the_traceback_but_never_the_secret(
    cli: CliRunner, emulator_process: EmulatorProcess
) -> None:
    env = emulator_process.environ() | {"AURA_CLIENT_SECRET": WRONG_SECRET}

    result = cli("--debug", "tenants", "list", env=env)

    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "AuthenticationError" in result.stderr
    assert "DEBUG" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: the API rejected")
    assert WRONG_SECRET not in result.stderr


def test_flags_override_the_environment_before_or_after_the_command(
    cli: CliRunner, emulator_process: EmulatorProcess
) -> None:
    env = emulator_process.environ() | {"AURA_CLIENT_SECRET": WRONG_SECRET}
    secret = emulator_process.client_secret

    before = cli("--client-secret", secret, "--json", "tenants", "list", env=env)
    after = cli("tenants", "list", "--json", "--debug", "--client-secret", secret, env=env)

    for result in (before, after):
        assert result.returncode == 0, result.stderr
        assert [row["id"] for row in json.loads(result.stdout)] == [emulator_process.tenant_id]
        assert secret not in result.stdout + result.stderr
    # The DEBUG log shows the token fetch, never the secret.
    assert "POST /oauth/token -> 200" in after.stderr


def test_no_credential_says_where_to_give_one(cli: CliRunner) -> None:
    result = cli("tenants", "list", env=clean_environ())

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: no client id and secret given: check --client-id/--client-secret "
        "(or AURA_CLIENT_ID/AURA_CLIENT_SECRET), or try --emulator"
    ]


def test_emulator_mode_refuses_credential_flags(cli: CliRunner) -> None:
    result = cli("--emulator", "--client-id", "someone", "tenants", "list", env=clean_environ())

    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "--emulator" in line
    assert "someone" not in result.stdout


def test_bad_usage_exits_2(cli: CliRunner) -> None:
    result = cli("instances", "pause")

    assert result.returncode == 2
    assert "Missing argument 'INSTANCE_ID...'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("library", ["click", "rich"])
def test_without_the_cli_extra_a_hint_and_exit_1(library: str) -> None:
    # A None entry in sys.modules makes the import fail, as if not installed.
    code = (
        f"import sys; sys.modules[{library!r}] = None; "
        "from aura_async.cli import main; raise SystemExit(main(['--help']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=clean_environ(),
        timeout=45,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "aura-async: the command line needs click and rich: pip install 'aura-async[cli]'"
    ]


def _wait_for_text(path: Path, text: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + PROGRESS_TIMEOUT
    while text not in path.read_text():
        assert process.poll() is None, path.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in {path.read_text()!r}"
        time.sleep(0.02)


def test_ctrl_c_during_a_bulk_wait_exits_130_without_traceback(
    cli: CliRunner, emulator_process: EmulatorProcess, tmp_path: Path
) -> None:
    created = json.loads(cli("--json", "instances", "create", "interrupted", *CREATE_SHAPE).stdout)
    instance_id = created[0]["data"]["id"]
    # It becomes running, never paused: the wait only ends when interrupted.
    command = [str(SCRIPT), "instances", "wait", instance_id, "--status", "paused"]
    command += ["--interval", "0.05", "--timeout", "40"]
    stderr_path = tmp_path / "stderr.txt"
    # A child inherits an ignored SIGINT (e.g. under a background job): default it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=emulator_process.environ(),
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        _wait_for_text(stderr_path, "Waiting for paused: 1", process)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)

    stderr_text = stderr_path.read_text()
    assert process.returncode == 130
    assert "Traceback" not in stderr_text
    assert "Interrupted" in stderr_text
    assert stdout == ""
