"""The soak's invariants and judgements, each as a table (pure: no I/O, no clock)."""

from __future__ import annotations

import asyncio
import fnmatch
from typing import Any

import pytest

from aura_async import (
    AuraConnectionError,
    AuraTimeoutError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    ServerError,
)
from aura_async.testing import JournalEntry
from tests.soak.soak_checks import (
    CallRecord,
    Cooldown,
    LoopLag,
    checkable,
    cooldown_violations,
    error_counts,
    fault_counts,
    format_counts,
    late_calls,
    max_window,
    name_problems,
    own_requests,
    snapshot_problems,
    stalled_seconds,
)
from tests.soak.soak_driver import SoakConfig, seeded_faults
from tests.soak.soak_workload import WrongResultError, judge

STORM = "/v1/tenants/t1"


def _entry(time: float, path: str = "/v1/instances", **fields: Any) -> JournalEntry:
    values: dict[str, Any] = {"method": "GET", "status": 200, "client_id": "c", "request_id": "r"}
    return JournalEntry(time=time, path=path, **{**values, **fields})


def _api_error(cls: type[Any]) -> Any:
    return cls("boom", status=500, method="GET", url="http://127.0.0.1/v1/x")


@pytest.mark.parametrize(
    ("arrivals", "cooldowns", "lags", "violations"),
    [
        ([], [Cooldown(10.0, 0.6)], [], 0),
        ([10.1, 10.61], [Cooldown(10.0, 0.6)], [], 0),  # in flight; after the end
        ([10.3], [Cooldown(10.0, 0.6)], [], 1),
        ([10.3, 10.4, 10.5], [Cooldown(10.0, 0.6)], [], 1),  # one line per cooldown
        ([10.3], [Cooldown(10.0, 0.6), Cooldown(10.1, 0.6)], [], 2),
        ([10.3], [Cooldown(10.0, 0.05)], [], 0),  # too short to leave a window
        ([10.2], [Cooldown(10.0, 0.6)], [], 0),  # exactly at the tolerance: still in flight
        ([10.597], [Cooldown(10.0, 0.6)], [], 0),  # within the edge
        ([9.0, 11.0], [Cooldown(10.0, 0.6)], [], 0),
        ([10.3], [Cooldown(10.0, 0.6)], [LoopLag(10.05, 0.15)], 0),  # held up by a stall
        ([10.3], [Cooldown(10.0, 0.6)], [LoopLag(10.05, 0.05)], 1),  # a shorter stall
        ([10.3], [Cooldown(10.0, 0.6)], [LoopLag(10.05, 0.01)] * 10, 1),  # ordinary lateness
        ([10.3], [Cooldown(10.0, 0.6)], [LoopLag(10.35, 0.3)], 1),  # a stall after it arrived
        ([10.3, 10.5], [Cooldown(10.0, 0.6)], [LoopLag(10.05, 0.15)], 1),
    ],
)
def test_cooldown_violations_ignore_in_flight_requests_stalls_and_the_edge(
    arrivals: list[float], cooldowns: list[Cooldown], lags: list[LoopLag], violations: int
) -> None:
    found = cooldown_violations(arrivals, cooldowns, lags, tolerance=0.2, edge=0.005)
    assert len(found) == violations


@pytest.mark.parametrize(
    ("lags", "start", "end", "stalled"),
    [
        ([], 0.0, 1.0, 0.0),
        ([LoopLag(0.1, 0.01), LoopLag(0.2, 0.3)], 0.0, 1.0, 0.3),  # short lateness ignored
        ([LoopLag(0.1, 0.1), LoopLag(0.3, 0.1)], 0.0, 1.0, 0.2),
        ([LoopLag(0.1, 0.1), LoopLag(0.3, 0.1)], 0.25, 1.0, 0.1),  # the first ended before
        ([LoopLag(0.1, 0.1), LoopLag(0.3, 0.1)], 0.15, 0.3, 0.1),  # overlapping the start
        ([LoopLag(0.1, 0.1), LoopLag(0.3, 0.1)], 0.0, 0.3, 0.1),  # the second began at the end
    ],
)
def test_stalled_seconds_sums_the_stalls_overlapping_an_interval(
    lags: list[LoopLag], start: float, end: float, stalled: float
) -> None:
    assert stalled_seconds(lags, start, end, threshold=0.02) == pytest.approx(stalled)


@pytest.mark.parametrize(
    ("delays", "expected"),
    [([], []), ([0.001, 0.2, 0.21, 0.6], [0.21, 0.6]), ([0.205], [])],
)
def test_checkable_cooldowns_outlast_the_tolerance(
    delays: list[float], expected: list[float]
) -> None:
    cooldowns = [Cooldown(0.0, delay) for delay in delays]
    assert [c.delay for c in checkable(cooldowns, 0.2, 0.005)] == expected


def test_own_requests_leave_out_the_storm_and_sort_by_receipt() -> None:
    entries = [_entry(3.0), _entry(1.0, STORM), _entry(2.0, "/oauth/token")]
    assert [(e.time, e.path) for e in own_requests(entries, STORM)] == [
        (2.0, "/oauth/token"),
        (3.0, "/v1/instances"),
    ]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], 0),
        ([_entry(0.0), _entry(0.5), _entry(0.9)], 3),
        ([_entry(0.0), _entry(0.5, rate_limited=True, status=429), _entry(0.9)], 3),
        ([_entry(0.0), _entry(1.0), _entry(2.0)], 1),
    ],
)
def test_max_window_counts_rejected_requests_too(
    entries: list[JournalEntry], expected: int
) -> None:
    assert max_window(entries, 1.0) == expected


@pytest.mark.parametrize(
    ("counts", "succeeded", "failed", "found", "problems"),
    [
        ({"a": 1, "b": 1}, {"a"}, set(), {"b": True}, []),
        ({"a": 1}, {"a"}, {"b"}, {"c": False}, []),
        ({"a": 2}, {"a"}, set(), {}, ["'a' created 2 times"]),
        ({}, {"a"}, set(), {}, ["'a' returned but never created"]),
        ({"b": 1}, set(), {"b"}, {}, ["'b' failed but was created"]),
        ({"c": 1}, set(), set(), {"c": False}, ["'c' reconciled to found=False, created 1"]),
        ({}, set(), set(), {"c": True}, ["'c' reconciled to found=True, created 0"]),
        ({"z": 1}, set(), set(), {}, ["'z' created without a call"]),
    ],
)
def test_name_problems(
    counts: dict[str, int],
    succeeded: set[str],
    failed: set[str],
    found: dict[str, bool],
    problems: list[str],
) -> None:
    result = name_problems(counts, succeeded=succeeded, failed=failed, found_after_unknown=found)
    assert result == problems


@pytest.mark.parametrize(
    ("in_state", "succeeded", "unknown", "bad"),
    [
        ({"i": 0}, {}, {}, []),
        ({"i": 2}, {"i": 2}, {}, []),
        ({"i": 3}, {"i": 2}, {"i": 1}, []),
        ({"i": 2}, {"i": 2}, {"i": 1}, []),
        ({"i": 1}, {"i": 2}, {}, ["i"]),  # a returned snapshot is missing
        ({"i": 4}, {"i": 2}, {"i": 1}, ["i"]),  # more than could have been applied
        ({"j": 1}, {}, {}, ["j"]),
    ],
)
def test_snapshot_problems(
    in_state: dict[str, int], succeeded: dict[str, int], unknown: dict[str, int], bad: list[str]
) -> None:
    problems = snapshot_problems(in_state, succeeded, unknown)
    assert [line.split()[1] for line in problems] == bad


@pytest.mark.parametrize(
    ("elapsed", "lags", "late"),
    [
        (0.5, [], False),
        (5.0, [], False),
        (5.99, [], False),
        (6.01, [], True),
        (6.01, [LoopLag(3.0, 0.2)], False),  # a stall held up the deadline's timer
        (6.01, [LoopLag(3.0, 0.01)], True),  # ordinary lateness is no excuse
        (6.01, [LoopLag(9.0, 0.2)], True),  # a stall after the call
    ],
)
def test_late_calls_allow_the_slack_and_stalls(
    elapsed: float, lags: list[LoopLag], late: bool
) -> None:
    record = CallRecord("get_instance", deadline=5.0, elapsed=elapsed, started=1.0)
    assert bool(late_calls([record], slack=1.0, lags=lags)) is late


def test_fault_and_error_counts_are_sorted_by_name() -> None:
    entries = [_entry(0.0, fault="status"), _entry(1.0), _entry(2.0, fault="drop")]
    records = [
        CallRecord("a", 1.0, 0.1, error="ServerError"),
        CallRecord("b", 1.0, 0.1),
        CallRecord("c", 1.0, 0.1, error="ConflictError"),
        CallRecord("d", 1.0, 0.1, error="ServerError"),
    ]
    assert format_counts(fault_counts(entries)) == "{drop: 1, status: 1}"
    assert format_counts(error_counts(records)) == "{ConflictError: 1, ServerError: 2}"


@pytest.mark.parametrize(
    ("op", "exc", "error", "is_problem"),
    [
        ("create", OutcomeUnknownError("x", method="POST", url="u"), "OutcomeUnknownError", False),
        ("create", _api_error(ServerError), "ServerError", True),  # 5xx on a POST is unknown
        ("get_instance", _api_error(ServerError), "ServerError", False),
        ("get_instance", _api_error(NotFoundError), "NotFoundError", False),
        ("list_tenants", _api_error(NotFoundError), "NotFoundError", True),
        ("pause", _api_error(ConflictError), "ConflictError", False),
        ("delete", AuraTimeoutError("late"), "AuraTimeoutError", False),
        ("delete", AuraConnectionError("reset"), "AuraConnectionError", False),
        ("get_instance", _api_error(AuthenticationError), "AuthenticationError", True),
        ("get_instance", ConnectionResetError("bare"), "ConnectionResetError", True),
        ("get_instance", asyncio.CancelledError(), "CancelledError", True),
        ("get_instance", WrongResultError("wrong id"), None, True),
    ],
)
async def test_judge_accepts_only_the_errors_an_operation_may_raise(
    op: str, exc: BaseException, error: str | None, is_problem: bool
) -> None:
    got_error, problem = judge(op, exc)
    assert got_error == error
    assert (problem is not None) is is_problem


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(1)])
def test_judge_lets_interrupts_through(exc: BaseException) -> None:
    with pytest.raises(type(exc)):
        judge("get_instance", exc)


async def test_judge_lets_the_tasks_own_cancellation_through() -> None:
    async def cancelled_then_judged() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as exc:
            judge("get_instance", exc)

    task = asyncio.create_task(cancelled_then_judged())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_the_fault_script_covers_every_kind_and_is_seeded() -> None:
    faults = seeded_faults(seed=7, attempt_timeout=1.0)
    kinds = {fault.kind for fault in faults}
    assert kinds == {"status", "drop", "latency", "status-after-apply", "drop-after-apply"}
    assert all(f.seed is not None and f.times is None for f in faults)
    assert [f.seed for f in faults] != [f.seed for f in seeded_faults(8, 1.0)]
    assert any(f.latency > 1.0 for f in faults)  # beyond the attempt timeout
    creates = [
        f
        for f in faults
        if f.method in ("POST", "*") and fnmatch.fnmatchcase("/v1/instances", f.path)
    ]
    assert creates
    assert all(f.latency == 0 for f in creates)


@pytest.mark.parametrize("calls", [0, 99])
def test_the_soak_needs_enough_calls_for_its_script(calls: int) -> None:
    with pytest.raises(ValueError, match="at least 100"):
        SoakConfig(calls=calls, seed=1)
