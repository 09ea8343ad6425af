"""Judges a soak run: every invariant of issue 5, and the one-line summary.

The cooldown check needs one tolerance: a request the client admitted just
before it learnt of a 429 may reach the server a little later. Only arrivals
later than ``IN_FLIGHT_TOLERANCE`` after the cooldown began, plus any loop stall
measured meanwhile, count as sent during it. The scripted 429s carry a
Retry-After well beyond that, so the check always has a window to look at (the
storm's own 429s often carry a few milliseconds: a saturated sliding log frees
a slot every ``per / requests`` seconds).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tests.soak.soak_checks import (
    TOKEN_PATH,
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
)
from tests.soak.soak_driver import SoakRun

IN_FLIGHT_TOLERANCE = 0.1
COOLDOWN_EDGE = 0.005
# How far past its deadline a call may return, loop stalls aside: the loop must
# still run the cancellation.
DEADLINE_SLACK = 0.5
FAULT_KINDS = ("drop", "drop-after-apply", "latency", "status", "status-after-apply")
# Two tokens: the first, and one after the forced expiry; never one per coroutine.
EXPECTED_TOKEN_FETCHES = 2


@dataclass(frozen=True, slots=True)
class SoakReport:
    """The verdict on a soak run.

    Attributes:
        summary: The one-line summary.
        problems: Every broken invariant, one line each (empty: all held).
    """

    summary: str
    problems: list[str]


@dataclass(frozen=True, slots=True)
class _Traffic:
    """The journal, split into the client under test and the storm."""

    own: list[float]
    api_requests: int
    token_fetches: int
    token_requests: int
    answered_429: int
    server_rejected: int
    storm_rejected: int
    max_window: int
    faults: dict[str, int]


def _traffic(run: SoakRun) -> _Traffic:
    own = own_requests(run.entries, run.storm_path)
    tokens = [e for e in own if e.path == TOKEN_PATH]
    storm = [e for e in run.entries if e.path == run.storm_path]
    return _Traffic(
        own=[e.time for e in own],
        api_requests=len(own) - len(tokens),
        token_fetches=sum(1 for e in tokens if e.status == 200),
        token_requests=len(tokens),
        answered_429=sum(1 for e in own if e.status == 429),
        server_rejected=sum(1 for e in own if e.rate_limited),
        storm_rejected=sum(1 for e in storm if e.rate_limited),
        max_window=max_window(own, run.config.per),
        faults=fault_counts(run.entries),
    )


def analyse(run: SoakRun, leftover_tasks: int) -> SoakReport:
    """Check every invariant of ``run`` and summarise it.

    Args:
        run: The finished run.
        leftover_tasks: Tasks other than the test's own still alive after it.

    Returns:
        The summary line and the broken invariants.
    """
    traffic = _traffic(run)
    problems = _call_problems(run) + _state_problems(run) + _traffic_problems(run, traffic)
    problems += _coverage_problems(run, traffic) + run.leaks
    if leftover_tasks:
        problems.append(f"{leftover_tasks} task(s) still alive after the soak")
    # Cooldowns begun together (many coroutines answered 429 at once) repeat a line.
    return SoakReport(_summary(run, traffic), list(dict.fromkeys(problems)))


def _call_problems(run: SoakRun) -> list[str]:
    records = run.workload.records
    problems = [r.problem for r in records if r.problem is not None]
    problems += late_calls(records, DEADLINE_SLACK, run.lags)
    if len(records) != run.config.calls:
        problems.append(f"{len(records)} calls recorded, {run.config.calls} made")
    return problems


def _state_problems(run: SoakRun) -> list[str]:
    workload = run.workload
    problems = name_problems(
        run.created_counts,
        succeeded=workload.created,
        failed=workload.not_created,
        found_after_unknown=run.found_after_unknown,
    )
    succeeded = {i: len(ids) for i, ids in workload.snapshots.items()}
    return problems + snapshot_problems(run.snapshot_counts, succeeded, workload.unknown_snapshots)


def _traffic_problems(run: SoakRun, traffic: _Traffic) -> list[str]:
    config = run.config
    problems = cooldown_violations(
        traffic.own, run.cooldowns, run.lags, tolerance=IN_FLIGHT_TOLERANCE, edge=COOLDOWN_EDGE
    )
    if traffic.max_window > config.requests:
        problems.append(f"{traffic.max_window} requests in one {config.per}s window")
    if traffic.token_fetches != EXPECTED_TOKEN_FETCHES:
        problems.append(f"{traffic.token_fetches} tokens fetched, not {EXPECTED_TOKEN_FETCHES}")
    return problems


def _coverage_problems(run: SoakRun, traffic: _Traffic) -> list[str]:
    """Return the stresses that did not happen: a soak that missed one proves less."""
    missing = [f"no {kind!r} fault fired" for kind in FAULT_KINDS if not traffic.faults.get(kind)]
    if not traffic.server_rejected:
        # The client's own limiter keeps it within the allowance: only the storm's
        # share of the window can make the server reject its requests.
        missing.append("the storm caused no 429 for the client under test")
    if not checkable(run.cooldowns, IN_FLIGHT_TOLERANCE, COOLDOWN_EDGE):
        missing.append("no cooldown long enough to check")
    if not run.found_after_unknown:
        missing.append("no create ended in OutcomeUnknownError")
    return missing


def _summary(run: SoakRun, traffic: _Traffic) -> str:
    calls = len(run.workload.records)
    finds = len(run.found_after_unknown)
    duplicates = sum(1 for count in run.created_counts.values() if count > 1)
    kinds = Counter(run.workload.records[i].op for i in range(calls))
    return (
        f"soak seed={run.config.seed}: calls={calls} (+{finds} reconciling finds)"
        f" requests={traffic.api_requests} retries={traffic.api_requests - calls - finds}"
        f" faults={format_counts(traffic.faults)}"
        f" errors={format_counts(error_counts(run.workload.records))}"
        f" duplicates={duplicates}"
        f" max_window={traffic.max_window}/{run.config.requests} per {run.config.per:g}s"
        f" token_fetches={traffic.token_fetches} (token requests {traffic.token_requests})"
        f" 429s={traffic.answered_429} (server-limited {traffic.server_rejected})"
        f" cooldowns={len(run.cooldowns)}"
        f" (checked {len(checkable(run.cooldowns, IN_FLIGHT_TOLERANCE, COOLDOWN_EDGE))})"
        f" storm={run.storm_sent} (rejected {traffic.storm_rejected})"
        f" unknown_found={sum(run.found_after_unknown.values())}/{finds}"
        f" ops={format_counts(dict(sorted(kinds.items())))}"
        f" max_loop_lag={max((s.lag for s in run.lags), default=0.0):.3f}s"
        f" elapsed={run.elapsed:.1f}s"
    )
