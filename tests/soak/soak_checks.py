"""The soak's invariants as pure functions over recorded data, and its summary line.

Nothing here does I/O or reads a clock: the soak records what happened (the
emulator's journal and state, the client's cooldowns, one record per call) and
these functions judge it, so each rule is tested on its own as a table.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aura_async.testing import Journal, JournalEntry

TOKEN_PATH = "/oauth/token"


@dataclass(frozen=True, slots=True)
class Cooldown:
    """A cooldown the client began after a 429.

    Attributes:
        start: When it began, on the monotonic clock the emulator's journal uses.
        delay: Its length in seconds (the answer's Retry-After, or the backoff).
    """

    start: float
    delay: float


@dataclass(frozen=True, slots=True)
class CallRecord:
    """How one soak call ended.

    Attributes:
        op: The operation, e.g. ``"create"``.
        deadline: The call's overall deadline in seconds.
        elapsed: Seconds the call took, as its caller measured.
        error: The class name of the ``AuraError`` it raised, or None on success.
        problem: Why the call broke an invariant (a wrong result, an unexpected
            error class, a bare exception), or None if it did not.
        started: When it began, on the journal's monotonic clock.
    """

    op: str
    deadline: float
    elapsed: float
    error: str | None = None
    problem: str | None = None
    started: float = 0.0


def own_requests(entries: Iterable[JournalEntry], foreign_path: str) -> list[JournalEntry]:
    """Return the entries not sent to ``foreign_path`` (the storm client's only path).

    Args:
        entries: Journal entries of one credential.
        foreign_path: The path only the other client of the credential uses.

    Returns:
        The entries of the client under test, oldest receipt first.
    """
    return sorted((e for e in entries if e.path != foreign_path), key=lambda e: e.time)


def max_window(entries: Iterable[JournalEntry], per: float) -> int:
    """Return the most of ``entries`` received in any window of ``per`` seconds.

    Requests the server rejected count too: the client sent them.
    """
    journal = Journal()
    for entry in entries:
        journal.append(entry)
    return journal.max_in_window(per, include_rejected=True)


@dataclass(frozen=True, slots=True)
class LoopLag:
    """One sample of the event loop's lateness.

    Attributes:
        due: When a short timer was due, on the journal's monotonic clock.
        lag: How late it fired, in seconds: the loop (or the whole process) was
            busy or stalled that long, and every request in flight with it.
    """

    due: float
    lag: float


def stalled_seconds(lags: Sequence[LoopLag], start: float, end: float, threshold: float) -> float:
    """Return the total of the stalls longer than ``threshold`` overlapping ``(start, end)``.

    Args:
        lags: Samples of the loop's lateness, by ``due`` ascending.
        start: The interval's start.
        end: The interval's end.
        threshold: Lateness up to this is ordinary scheduling, not a stall.
    """
    first = bisect.bisect_left(lags, start, key=lambda sample: sample.due + sample.lag)
    total = 0.0
    for sample in lags[first:]:
        if sample.due >= end:
            break
        if sample.lag > threshold:
            total += sample.lag
    return total


def checkable(cooldowns: Iterable[Cooldown], tolerance: float, edge: float) -> list[Cooldown]:
    """Return the cooldowns long enough to leave a window after the in-flight tolerance."""
    return [c for c in cooldowns if c.delay > tolerance + edge]


def cooldown_violations(
    arrivals: Sequence[float],
    cooldowns: Iterable[Cooldown],
    lags: Sequence[LoopLag] = (),
    *,
    tolerance: float,
    edge: float,
    stall_threshold: float = 0.02,
) -> list[str]:
    """Find requests that reached the server while the client was cooling down.

    A request the client admitted before a cooldown began may still arrive after
    it (it was in flight): within ``tolerance``, or later by as long as the loop
    stalled meanwhile (a garbage collection, a loaded machine), since a stall
    holds up every request in flight. Later arrivals, before the cooldown's end
    less ``edge``, were sent during the cooldown.

    Args:
        arrivals: The client's receipt times on the server, ascending.
        cooldowns: The cooldowns the client began.
        lags: Samples of the loop's lateness during the run, by ``due`` ascending.
        tolerance: How long a request admitted before a cooldown may take to
            arrive, stalls aside.
        edge: Slack at the cooldown's end, for clock rounding.
        stall_threshold: Lateness counted as a stall (see :func:`stalled_seconds`).

    Returns:
        One line per violated cooldown (empty when none).
    """
    problems = []
    for cooldown in checkable(cooldowns, tolerance, edge):
        low, high = cooldown.start + tolerance, cooldown.start + cooldown.delay - edge
        window = arrivals[bisect.bisect_right(arrivals, low) : bisect.bisect_left(arrivals, high)]
        late = [
            t
            for t in window
            if t - cooldown.start
            > tolerance + stalled_seconds(lags, cooldown.start - tolerance, t, stall_threshold)
        ]
        if late:
            problems.append(
                f"{len(late)} request(s) arrived during the cooldown of {cooldown.delay:.3f}s "
                f"begun at {cooldown.start:.3f}, first at +{late[0] - cooldown.start:.3f}s"
            )
    return problems


def name_problems(
    created_counts: Mapping[str, int],
    *,
    succeeded: Iterable[str],
    failed: Iterable[str],
    found_after_unknown: Mapping[str, bool],
) -> list[str]:
    """Check the instances created under each name against what the calls said.

    Args:
        created_counts: Instances the server ever created per name (deleted included).
        succeeded: Names whose create call returned the new instance.
        failed: Names whose create call raised an error other than OutcomeUnknownError.
        found_after_unknown: For names whose create raised OutcomeUnknownError,
            whether ``instances.find(name=...)`` found an instance afterwards.

    Returns:
        One line per broken rule: a name created twice, a success the server does
        not know, a failure the server applied, a reconciliation that disagrees
        with the server, an instance no call asked for.
    """
    problems = [f"{n!r} created {c} times" for n, c in sorted(created_counts.items()) if c > 1]
    problems += [
        f"{n!r} returned but never created" for n in succeeded if not created_counts.get(n)
    ]
    problems += [f"{n!r} failed but was created" for n in failed if created_counts.get(n)]
    for name, found in sorted(found_after_unknown.items()):
        if found != (created_counts.get(name, 0) == 1):
            problems.append(
                f"{name!r} reconciled to found={found}, created {created_counts.get(name, 0)}"
            )
    asked = {*succeeded, *failed, *found_after_unknown}
    problems += [f"{n!r} created without a call" for n in sorted(created_counts) if n not in asked]
    return problems


def snapshot_problems(
    in_state: Mapping[str, int], succeeded: Mapping[str, int], unknown: Mapping[str, int]
) -> list[str]:
    """Check each existing instance's snapshot count against the create calls.

    Args:
        in_state: Snapshots the server holds per existing instance id.
        succeeded: Snapshot creates that returned an id, per instance id.
        unknown: Snapshot creates that raised OutcomeUnknownError, per instance id.

    Returns:
        One line per instance with fewer snapshots than returned, or more than
        returned plus possibly applied.
    """
    problems = []
    for instance_id, count in sorted(in_state.items()):
        low = succeeded.get(instance_id, 0)
        high = low + unknown.get(instance_id, 0)
        if not low <= count <= high:
            problems.append(
                f"instance {instance_id} holds {count} snapshots, expected {low}..{high}"
            )
    return problems


def late_calls(
    records: Iterable[CallRecord],
    slack: float,
    lags: Sequence[LoopLag] = (),
    stall_threshold: float = 0.02,
) -> list[str]:
    """Return a line per call that outlived its deadline by more than ``slack`` seconds.

    A loop stall during the call (see :func:`stalled_seconds`) delays the deadline's
    own timer, so it extends the slack.
    """
    late = []
    for r in records:
        stalled = stalled_seconds(lags, r.started, r.started + r.elapsed, stall_threshold)
        if r.elapsed > r.deadline + slack + stalled:
            late.append(f"{r.op} took {r.elapsed:.3f}s with a deadline of {r.deadline}s")
    return late


def fault_counts(entries: Iterable[JournalEntry]) -> dict[str, int]:
    """Return how many requests each kind of injected fault hit."""
    return dict(sorted(Counter(e.fault for e in entries if e.fault is not None).items()))


def error_counts(records: Iterable[CallRecord]) -> dict[str, int]:
    """Return how many calls raised each error class."""
    return dict(sorted(Counter(r.error for r in records if r.error is not None).items()))


def format_counts(counts: Mapping[str, int]) -> str:
    """Render counts as ``{a: 1, b: 2}``."""
    return "{" + ", ".join(f"{key}: {value}" for key, value in counts.items()) + "}"
