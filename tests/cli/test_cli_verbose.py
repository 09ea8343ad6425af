"""``--verbose`` (or ``AURA_ASYNC_LOG``) shows the client's INFO records on stderr."""

from __future__ import annotations

import json

from test_cli_support import CliRunner, EmulatorProcess

TOKEN_LINE = "fetched a new access token"


def test_verbose_shows_the_token_fetch_and_never_the_secret(
    cli: CliRunner, emulator_process: EmulatorProcess
) -> None:
    result = cli("--verbose", "tenants", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == [emulator_process.tenant_id]
    assert TOKEN_LINE in result.stderr
    # The token and the list: two sends in the default window of 125 per minute.
    assert "limiter: 2 of 125 sends in the 60s window; queued 0 interactive, 0 bulk" in (
        result.stderr
    )
    assert "DEBUG" not in result.stderr
    assert emulator_process.client_secret not in result.stderr


def test_the_environment_switch_works_for_the_command_line_too(
    cli: CliRunner, emulator_process: EmulatorProcess
) -> None:
    quiet = cli("tenants", "list")
    switched = cli("tenants", "list", env=emulator_process.environ() | {"AURA_ASYNC_LOG": "debug"})
    assert quiet.returncode == switched.returncode == 0
    assert TOKEN_LINE not in quiet.stderr
    assert "limiter:" not in quiet.stderr
    assert TOKEN_LINE in switched.stderr
    assert "POST /oauth/token -> 200" in switched.stderr
