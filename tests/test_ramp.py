"""The cold-start ramp's state machine, as tables."""

from __future__ import annotations

import pytest

from aura_async._ramp import Ramp, admitted, answered, lost, may_send, start

LIMIT = 125


def replay(events: str, *, limit: int = LIMIT, window: int | None = None) -> Ramp | None:
    """Feed ``events`` to a fresh ramp: ``s`` a send admitted, ``a`` answered, ``l`` lost.

    Every answer counts in one window (so a full window ends the ramp), unless
    ``window`` caps how many answers the window holds (older ones have left it).
    """
    ramp = start(limit)
    answers = 0
    for event in events:
        assert ramp is not None, f"the ramp ended before {event!r}"
        if event == "s":
            assert may_send(ramp), "a send was admitted beyond the wave"
            ramp = admitted(ramp)
        elif event == "a":
            answers += 1
            in_window = answers if window is None else min(answers, window)
            ramp = answered(ramp, in_window=in_window, limit=limit)
        else:
            ramp = lost(ramp, limit=limit)
    return ramp


# (events, expected ramp: None once over)
WAVES = [
    ("", Ramp(wave=1, sent=0, accepted=0)),
    # a lone send always fits; its answer lets two go
    ("s", Ramp(wave=1, sent=1, accepted=0)),
    ("sa", Ramp(wave=2)),
    # doubling waves while every send is accepted
    ("sa" + "ss" + "aa", Ramp(wave=4)),
    ("sa" + "ssaa" + "ssss" + "aaaa", Ramp(wave=8)),
    # a wave ends only when all its sends are answered
    ("sa" + "ss" + "a", Ramp(wave=2, sent=2, accepted=1)),
    # one call at a time proves no concurrency: the wave never grows past 2
    ("sa" * 40, Ramp(wave=2)),
    # a wave half used grows to twice what it carried, never shrinks
    ("sa" + "ssaa" + "ss" + "aa", Ramp(wave=4)),
    ("sa" + "ssaa" + "sss" + "aaa", Ramp(wave=6)),
    # a send with no answer gives its place back and proves nothing
    ("s" + "l", Ramp(wave=1)),
    ("sa" + "ss" + "l", Ramp(wave=2, sent=1, accepted=0)),
    ("sa" + "ss" + "la", Ramp(wave=2)),
    ("sa" + "ss" + "l" + "s" + "aa", Ramp(wave=4)),
]


@pytest.mark.parametrize(("events", "expected"), WAVES)
def test_waves(events: str, expected: Ramp | None) -> None:
    assert replay(events) == expected


# (allowance, events, expected): a wave as wide as the allowance limits nothing more
WIDE = [
    (8, "sa" + "ssaa", Ramp(wave=4)),
    (8, "sa" + "ssaa" + "ssssaaaa", None),
    (6, "sa" + "ssaa" + "sss" + "aaa", None),
    (2, "sa", None),
]


@pytest.mark.parametrize(("limit", "events", "expected"), WIDE)
def test_a_wave_as_wide_as_the_allowance_ends_the_ramp(
    limit: int, events: str, expected: Ramp | None
) -> None:
    assert replay(events, limit=limit, window=1) == expected


# (events, may another send go now)
ROOM = [
    ("", True),
    ("s", False),  # the second send waits for the first's answer
    ("sa", True),
    ("sas", True),
    ("sass", False),
    ("sassa", False),  # the wave is not over: its other send is still out
    ("sassaa", True),
    ("sassl", True),  # a lost send's place is free again
]


@pytest.mark.parametrize(("events", "room"), ROOM)
def test_room_in_the_wave(events: str, room: bool) -> None:
    ramp = replay(events)
    assert ramp is not None
    assert may_send(ramp) is room


@pytest.mark.parametrize(("in_window", "expected"), [(99, Ramp(16, 16, 11)), (100, None)])
def test_a_full_window_of_accepted_sends_ends_the_ramp(
    in_window: int, expected: Ramp | None
) -> None:
    # Mid-wave: the answer that makes the window's hundredth ends it.
    assert answered(Ramp(16, 16, 10), in_window=in_window, limit=100) == expected


def test_answers_spread_over_several_windows_do_not_end_it() -> None:
    # One call at a time, many windows long: never a full window, never a wider wave.
    assert replay("sa" * 300, window=10) == Ramp(wave=2)


@pytest.mark.parametrize(("limit", "expected"), [(0, None), (1, None), (2, Ramp()), (125, Ramp())])
def test_an_allowance_of_one_has_nothing_to_ramp(limit: int, expected: Ramp | None) -> None:
    assert start(limit) == expected
