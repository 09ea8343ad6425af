"""The pure pieces of the Redis limiter's lanes: wait estimates, and the reply's parse."""

from __future__ import annotations

import pytest

from aura_async.redis._window import Snapshot, admission, bulk_limit

PER = 10.0
# The loop's clock reads 50.0 when the script ran at Redis time 1000.0.
TAKEN, REDIS_NOW = 50.0, 1000.0


def _snapshot(counted: int, scores: tuple[float, ...] = ()) -> Snapshot:
    return Snapshot(TAKEN, REDIS_NOW, counted, scores)


@pytest.mark.parametrize(
    ("snapshot", "position", "limit", "later", "cooldown", "wait"),
    [
        (_snapshot(0), 0, 3, 0.0, 0.0, 0.0),  # an empty window admits at once
        (_snapshot(2), 0, 3, 0.0, 0.0, 0.0),  # room for one more
        # Scores unknown (nothing was refused): taken as freeing now, so the
        # estimate errs short: only the callers beyond a window's worth wait.
        (_snapshot(3), 2, 3, 0.0, 0.0, 0.0),
        (_snapshot(3), 3, 3, 0.0, 0.0, PER),
        # Full, scores known: the oldest frees a window after its score.
        (_snapshot(3, (995.0, 997.0, 999.0)), 0, 3, 0.0, 0.0, 5.0),
        (_snapshot(3, (995.0, 997.0, 999.0)), 2, 3, 0.0, 0.0, 9.0),
        (_snapshot(3, (995.0, 997.0, 999.0)), 0, 3, 2.0, 0.0, 3.0),  # 2 s after the reply
        (_snapshot(3, (995.0, 997.0, 999.0)), 0, 3, 6.0, 0.0, 0.0),  # the oldest left
        (_snapshot(3, (995.0, 997.0, 999.0)), 0, 2, 0.0, 0.0, 7.0),  # a bulk limit of 2
        # A slot in flight (scored in the future) frees a window from now at the earliest.
        (_snapshot(2, (995.0, 1004.0)), 1, 2, 0.0, 0.0, PER),
        # More counting than the reply listed: the rest count as in flight.
        (_snapshot(3, (995.0, 996.0)), 2, 3, 0.0, 0.0, PER),
        (_snapshot(0), 0, 3, 0.0, 30.0, 30.0),  # a cooldown
        (_snapshot(3, (995.0, 997.0, 999.0)), 0, 3, 0.0, 1.0, 5.0),  # the longer wins
    ],
)
def test_estimate(
    snapshot: Snapshot, position: int, limit: int, later: float, cooldown: float, wait: float
) -> None:
    estimated = snapshot.estimate(
        position=position, limit=limit, per=PER, now=TAKEN + later, cooldown=cooldown
    )
    assert estimated == pytest.approx(wait)


@pytest.mark.parametrize(
    ("snapshot", "later", "sends"),
    [
        (_snapshot(0), 0.0, 0),
        (_snapshot(2), 100.0, 2),  # scores unknown: as the script saw it
        (_snapshot(3, (995.0, 997.0, 999.0)), 0.0, 3),
        (_snapshot(3, (995.0, 997.0, 999.0)), 6.0, 2),  # the oldest left the window
        (_snapshot(3, (995.0, 997.0)), 6.0, 3),  # not all listed: as the script saw it
    ],
)
def test_sends_in_window(snapshot: Snapshot, later: float, sends: int) -> None:
    assert snapshot.sends_in_window(TAKEN + later, PER) == sends


@pytest.mark.parametrize(
    ("reply", "admitted", "wait", "cooling", "counted", "scores"),
    [
        ([2, "0", 5, [], 0], 2, 0.0, False, 5, ()),
        ([0, "1.500000", 3, [b"995.000000", b"996.5"], 0], 0, 1.5, False, 3, (995.0, 996.5)),
        ([0, "-1", 3, ["995.0"], 0], 0, None, False, 3, (995.0,)),
        ([0, "30.000000", 1, [], 1], 0, 30.0, True, 1, ()),
    ],
)
def test_admission_reads_the_script_reply(
    reply: list[object],
    admitted: int,
    wait: float | None,
    cooling: bool,
    counted: int,
    scores: tuple[float, ...],
) -> None:
    answer = admission(reply, taken=TAKEN, redis_now=REDIS_NOW)
    assert (answer.admitted, answer.wait, answer.cooling) == (admitted, wait, cooling)
    assert answer.snapshot == Snapshot(TAKEN, REDIS_NOW, counted, scores)


@pytest.mark.parametrize(
    ("requests", "reserve", "limit"), [(100, 5, 95), (10, 0, 10), (2, 3, 1), (1, 0, 1)]
)
def test_bulk_limit(requests: int, reserve: int, limit: int) -> None:
    assert bulk_limit(requests, reserve) == limit
