"""The command line's pure parts, as tables: error lines, cells, settings, the demo summary."""

from __future__ import annotations

import enum
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from aura_async import (
    AuraConnectionError,
    AuthenticationError,
    BulkResult,
    Err,
    LimiterStats,
    NotFoundError,
    Ok,
    OutcomeUnknownError,
    WaitTimeoutError,
)
from aura_async.cli._demo_summary import describe_fault, path_pattern, summarize, summary_table
from aura_async.cli._errors import CommandError, describe_error, is_rejected_credential
from aura_async.cli._output import Output, bulk_json, interrupted_json
from aura_async.cli._runtime import limiter_line
from aura_async.cli._settings import Credentials, Settings
from aura_async.cli._tally import BulkTally, interrupted_lines
from aura_async.cli._views import INSTANCE, SNAPSHOT, cell_text
from aura_async.models import Snapshot
from aura_async.testing import Journal, JournalEntry

API = "http://127.0.0.1:9/v1"
TOKEN_URL = "http://127.0.0.1:9/oauth/token"
HINT = "check --client-id/--client-secret (or AURA_CLIENT_ID/AURA_CLIENT_SECRET), or try --emulator"


def _not_found() -> NotFoundError:
    return NotFoundError(
        "DB not found: deadbeef",
        status=404,
        method="GET",
        url=f"{API}/instances/deadbeef",
        request_id="r1",
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            AuthenticationError("Unauthorized", status=401, method="POST", url=TOKEN_URL),
            f"the API rejected the client credentials (401 Unauthorized): {HINT}",
        ),
        (
            AuthenticationError("token", status=401, method="GET", url=f"{API}/tenants"),
            f"401 Unauthorized: GET {API}/tenants: token",
        ),
        (
            _not_found(),
            f"404 Not Found: GET {API}/instances/deadbeef: DB not found: deadbeef [request id r1]",
        ),
        (
            OutcomeUnknownError("gateway timeout", method="POST", url=f"{API}/instances"),
            f"gateway timeout [POST {API}/instances]; it may or may not have been applied: "
            "check before trying again",
        ),
        (
            WaitTimeoutError("waiting\nfor 'paused': gave up", last=None),
            "waiting for 'paused': gave up",
        ),
        (AuraConnectionError("connection refused"), "connection refused"),
        (CommandError("no client id given"), "no client id given"),
        (ValueError("boom"), "unexpected ValueError: boom (run with --debug for the traceback)"),
    ],
)
def test_describe_error(error: BaseException, expected: str) -> None:
    assert describe_error(error) == expected


@pytest.mark.parametrize(
    ("error", "rejected"),
    [
        (AuthenticationError("x", status=401, url=TOKEN_URL), True),
        (AuthenticationError("x", status=401, url=TOKEN_URL + "/"), True),
        (AuthenticationError("x", status=401, url=f"{API}/instances"), False),
        (AuthenticationError("x", status=401), False),
        (_not_found(), False),
        (RuntimeError(TOKEN_URL), False),
    ],
)
def test_is_rejected_credential(error: BaseException, rejected: bool) -> None:
    assert is_rejected_credential(error) is rejected


class _Colour(enum.StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (_Colour.RED, "red"),
        (datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC), "2024-01-02 03:04:05+00:00"),
        (True, "yes"),
        (False, "no"),
        (0, "0"),
        ("8GB", "8GB"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


FULL_ENV = {"AURA_CLIENT_ID": "env-id", "AURA_CLIENT_SECRET": "env-secret"}


@pytest.mark.parametrize(
    ("flags", "environ", "expected"),
    [
        ({}, FULL_ENV, Credentials("env-id", "env-secret")),
        ({"client_id": "flag-id"}, FULL_ENV, Credentials("flag-id", "env-secret")),
        (
            {"client_id": "flag-id", "client_secret": "flag-secret", "base_url": "https://x"},
            FULL_ENV | {"AURA_BASE_URL": "https://env"},
            Credentials("flag-id", "flag-secret", "https://x"),
        ),
        (
            {},
            FULL_ENV | {"AURA_BASE_URL": "https://env"},
            Credentials("env-id", "env-secret", "https://env"),
        ),
        ({}, {}, "no client id and secret given"),
        ({"client_secret": "flag-secret"}, {}, "no client id given"),
        ({}, {"AURA_CLIENT_ID": "env-id"}, "no client secret given"),
        ({}, {"AURA_CLIENT_ID": "env-id", "AURA_CLIENT_SECRET": ""}, "no client secret given"),
    ],
)
def test_credentials_come_from_flags_then_environment(
    flags: dict[str, str], environ: dict[str, str], expected: Credentials | str
) -> None:
    settings = Settings(**flags)  # type: ignore[arg-type]
    if isinstance(expected, Credentials):
        assert settings.credentials(environ) == expected
        return
    with pytest.raises(CommandError) as caught:
        settings.credentials(environ)
    assert str(caught.value) == f"{expected}: {HINT}"


def test_credentials_never_show_the_secret() -> None:
    assert "s3cret" not in repr(Credentials("id", "s3cret"))
    assert "s3cret" not in repr(Settings(client_secret="s3cret"))


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        (Settings(emulator=True), False),
        (Settings(client_id="x"), False),
        (Settings(emulator=True, client_id="x"), True),
        (Settings(emulator=True, client_secret="x"), True),
        (Settings(emulator=True, base_url="https://x"), True),
    ],
)
def test_emulator_mode_refuses_credential_flags(settings: Settings, refused: bool) -> None:
    if refused:
        with pytest.raises(CommandError, match="--emulator"):
            settings.check_mode()
    else:
        settings.check_mode()


@pytest.mark.parametrize(
    ("emulator", "asked", "interval"),
    [(False, None, 10.0), (True, None, 0.25), (False, 0.5, 0.5), (True, 2.0, 2.0)],
)
def test_poll_interval(emulator: bool, asked: float | None, interval: float) -> None:
    assert Settings(emulator=emulator).poll_interval(asked) == interval


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("/v1/instances", "/instances"),
        ("/v1/instances/2f49c2b3", "/instances/{id}"),
        ("/v1/instances/abcdefab/pause", "/instances/{id}/pause"),
        ("/v1/instances/2f49c2b3/snapshots/9b1c-4d", "/instances/{id}/snapshots/{id}"),
        ("/v1/instances/sizing", "/instances/sizing"),
        ("/v1beta5/tenants/6981ace7", "/tenants/{id}"),
        ("/oauth/token", "/oauth/token"),
    ],
)
def test_path_pattern(path: str, pattern: str) -> None:
    assert path_pattern(path) == pattern


def _entry(
    method: str, path: str, status: int | None = 200, fault: str | None = None, **more: Any
) -> JournalEntry:
    more.setdefault("time", 0.0)
    return JournalEntry(
        method=method, path=path, status=status, client_id="c", request_id="r", fault=fault, **more
    )


@pytest.mark.parametrize(
    ("entry", "described"),
    [
        (
            _entry("GET", "/v1/instances/2f49c2b3", 503, "status"),
            ("503 on GET /instances/{id}", "retried"),
        ),
        (
            _entry("POST", "/v1/instances/2f49c2b3/pause", 503, "status"),
            ("503 on POST /instances/{id}/pause", "not re-sent"),
        ),
        (
            _entry("POST", "/v1/instances", 504, "status-after-apply"),
            ("504 after acting on POST /instances", "not re-sent: found with instances.find"),
        ),
        (
            _entry("DELETE", "/v1/instances/2f49c2b3", None, "drop"),
            ("no answer on DELETE /instances/{id}", "retried"),
        ),
    ],
)
def test_describe_fault(entry: JournalEntry, described: tuple[str, str]) -> None:
    assert describe_fault(entry) == described


def _journal(*entries: JournalEntry) -> Journal:
    journal = Journal()
    for entry in entries:
        journal.append(entry)
    return journal


def test_summarize_reads_the_figures_from_the_journal() -> None:
    journal = _journal(
        _entry("POST", "/oauth/token", time=0.0),
        _entry("POST", "/v1/instances", 504, "status-after-apply", time=0.1),
        _entry("GET", "/v1/instances", time=0.2),
        _entry("GET", "/v1/instances/a1", 503, "status", time=0.3),
        _entry("GET", "/v1/instances/a1", time=0.4),
        _entry("GET", "/v1/instances/b2", 503, "status", time=5.0),
        _entry("GET", "/v1/instances/b2", 429, rate_limited=True, time=5.1),
        _entry("GET", "/v1/instances/b2", time=5.2),
    )

    summary = summarize(
        journal, names_created={"a": 1, "b": 2}, limit=60, per=1.0, reconciled=1, elapsed=2.5
    )

    assert summary.instances_created == 3
    assert summary.duplicates == 1
    assert summary.requests == 8
    assert summary.busiest_window == 5  # 0.0 .. 0.4 (the 429 is not counted)
    assert summary.rate_limited == 1
    assert summary.token_fetches == 1
    assert summary.retries == 3  # two 503s on GET and the 429; not the ambiguous POST
    assert summary.causes == (
        ("503 on GET /instances/{id}", "retried", 2),
        ("504 after acting on POST /instances", "not re-sent: found with instances.find", 1),
    )
    assert json.loads(json.dumps(summary.as_json()))["causes"][0]["count"] == 2


def test_summary_table_has_one_row_per_figure_and_cause() -> None:
    summary = summarize(
        _journal(_entry("GET", "/v1/instances/a1", 503, "status")),
        names_created={"a": 1},
        limit=60,
        per=6.0,
        reconciled=0,
        elapsed=1.25,
    )
    console = Console(file=io.StringIO(), width=120)

    console.print(summary_table(summary))

    rows = [line.split() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert ["429", "responses", "0", "never", "rate", "limited"] in rows
    assert [
        "most",
        "in",
        "any",
        "6",
        "s",
        "window",
        "1",
        "/",
        "60",
        "the",
        "server's",
        "limit",
    ] in rows
    assert ["503", "on", "GET", "/instances/{id}", "1", "retried"] in rows
    assert ["elapsed", "1.2", "s"] in rows


def _results() -> list[BulkResult[str, Any]]:
    snapshot = Snapshot(snapshot_id="s1", status="Completed")
    return [
        Ok(item="a1", index=0, value=(snapshot, Snapshot(snapshot_id="s2"))),
        Err(item="deadbeef", index=1, error=_not_found()),
    ]


def test_bulk_json_keeps_every_result_in_order() -> None:
    assert bulk_json(_results(), "instance") == [
        {
            "instance": "a1",
            "ok": True,
            "data": [{"snapshot_id": "s1", "status": "Completed"}, {"snapshot_id": "s2"}],
        },
        {
            "instance": "deadbeef",
            "ok": False,
            "error": {
                "type": "NotFoundError",
                "message": describe_error(_not_found()),
                "status": 404,
            },
        },
    ]


def _output(json_mode: bool) -> tuple[Output, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(
        json_mode=json_mode,
        stdout=Console(file=stdout, width=200),
        stderr=Console(file=stderr, width=200),
    )
    return out, stdout, stderr


def test_bulk_table_shows_the_successes_one_row_per_record() -> None:
    out, stdout, stderr = _output(json_mode=False)

    out.bulk(_results(), SNAPSHOT, title="Snapshots", id_header="instance", rows_of=tuple)

    rows = [line.split() for line in stdout.getvalue().splitlines()]
    assert ["a1", "s1", "Completed", "-", "-", "-"] in rows
    assert ["a1", "s2", "-", "-", "-", "-"] in rows
    assert "deadbeef" not in stdout.getvalue()
    assert stderr.getvalue() == ""


def test_bulk_of_only_failures_prints_no_table() -> None:
    out, stdout, _ = _output(json_mode=False)

    out.bulk(_results()[1:], INSTANCE, title="Instances", id_header="instance")

    assert stdout.getvalue() == ""


def test_json_mode_prints_one_document_and_nothing_else() -> None:
    out, stdout, _ = _output(json_mode=True)

    out.records([Snapshot(snapshot_id="s1")], SNAPSHOT, title="Snapshots")

    assert json.loads(stdout.getvalue()) == [{"snapshot_id": "s1"}]


def _tally(started: list[str], finished: list[BulkResult[str, Any]]) -> BulkTally:
    tally = BulkTally(["a1", "deadbeef", "c3", "d4"], started=set(started))
    for result in finished:
        tally.finish(result)
    return tally


@pytest.mark.parametrize(
    ("started", "finished", "states"),
    [
        ([], [], ["not sent"] * 4),
        (["a1", "deadbeef", "c3"], _results(), ["done", "failed", "sent", "not sent"]),
        (["a1", "deadbeef", "c3", "d4"], _results(), ["done", "failed", "sent", "sent"]),
    ],
)
def test_tally_states(
    started: list[str], finished: list[BulkResult[str, Any]], states: list[str]
) -> None:
    tally = _tally(started, finished)
    assert [tally.state(item) for item in tally.ids] == states


def test_interrupted_lines_list_every_id_by_state() -> None:
    lines = interrupted_lines(_tally(["a1", "deadbeef", "c3"], _results()))
    assert lines == [
        "Interrupted after 2 of 4: 1 done, 1 failed, "
        "1 sent (may still take effect on the server), 1 not sent.",
        "  done: a1",
        "  failed: deadbeef",
        "  sent: c3",
        "  not sent: d4",
    ]


def test_interrupted_json_has_one_entry_per_id_in_order() -> None:
    entries = interrupted_json(_tally(["a1", "deadbeef", "c3"], _results()), "instance")
    assert [(e["instance"], e["ok"], e["state"]) for e in entries] == [
        ("a1", True, "done"),
        ("deadbeef", False, "failed"),
        ("c3", None, "sent"),
        ("d4", None, "not_sent"),
    ]
    assert entries[0]["data"] == bulk_json(_results(), "instance")[0]["data"]
    assert entries[1]["error"]["status"] == 404


@pytest.mark.parametrize("json_mode", [False, True])
def test_interrupted_output_goes_where_results_and_notes_go(json_mode: bool) -> None:
    out, stdout, stderr = _output(json_mode=json_mode)
    out.interrupted(_tally(["a1"], _results()[:1]))
    if json_mode:
        assert [entry["state"] for entry in json.loads(stdout.getvalue())] == [
            "done",
            "not_sent",
            "not_sent",
            "not_sent",
        ]
        assert stderr.getvalue() == ""
    else:
        assert stdout.getvalue() == ""
        assert stderr.getvalue().splitlines()[-1] == "  not sent: deadbeef c3 d4"


def _stats(**changes: Any) -> LimiterStats:
    base: dict[str, Any] = {
        "queued_interactive": 1,
        "queued_bulk": 40,
        "sends_in_window": 125,
        "limit": 125,
        "per": 60.0,
        "cooldown_remaining": 0.0,
        "paced": False,
        "ramping": False,
        "rejections": 0,
        "resends": 0,
        "admission_timeouts": 2,
    }
    return LimiterStats(**(base | changes))


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        (None, "limiter: off (no client-side rate limit)"),
        (
            _stats(),
            "limiter: 125 of 125 sends in the 60s window; queued 1 interactive, 40 bulk; "
            "429s 0, re-sends 0, admission timeouts 2",
        ),
        (
            _stats(cooldown_remaining=2.25, paced=True, rejections=3, resends=3, per=0.6),
            "limiter: 125 of 125 sends in the 0.6s window; queued 1 interactive, 40 bulk; "
            "429s 3, re-sends 3, admission timeouts 2; cooldown 2.2s left; paced",
        ),
        (_stats(ramping=True), "ramping up"),
    ],
)
def test_limiter_line(stats: LimiterStats | None, line: str) -> None:
    assert line in limiter_line(stats)
