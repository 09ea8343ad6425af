"""The cold-start ramp's state machine, as tables."""

from __future__ import annotations

import pytest

from aura_async._ramp import Ramp, admitted, answered, lost, may_send, start, unstall, wait

LIMIT = 125

Shape = tuple[int, int, int] | None


def replay(events: str, *, limit: int = LIMIT, window: int | None = None) -> Ramp | None:
    """Feed ``events`` to a fresh ramp, one a second from 0: ``s`` a send admitted,
    ``a`` answered, ``l`` lost, ``.`` the limiter looks for a stalled wave.

    Every answer counts in one window (so a full window ends the ramp), unless
    ``window`` caps how many answers the window holds (older ones have left it).
    """
    ramp = start(limit)
    answers = 0
    for now, event in enumerate(events):
        assert ramp is not None, f"the ramp ended before {event!r}"
        if event == ".":
            ramp = unstall(ramp, float(now), limit=limit)
        elif event == "s":
            assert may_send(ramp), "a send was admitted beyond the wave"
            ramp = admitted(ramp, float(now))
        elif event == "a":
            answers += 1
            in_window = answers if window is None else min(answers, window)
            ramp = answered(ramp, float(now), in_window=in_window, limit=limit)
        elif event == "l":
            ramp = lost(ramp, float(now), limit=limit)
    return ramp


def shape(ramp: Ramp | None) -> Shape:
    """(wave, sent, accepted), or None once the ramp is over."""
    return None if ramp is None else (ramp.wave, ramp.sent, ramp.accepted)


# (events, expected (wave, sent, accepted): None once over)
WAVES = [
    ("", (1, 0, 0)),
    # a lone send always fits; its answer lets two go
    ("s", (1, 1, 0)),
    ("sa", (2, 0, 0)),
    # doubling waves while every send is accepted
    ("sa" + "ss" + "aa", (4, 0, 0)),
    ("sa" + "ssaa" + "ssss" + "aaaa", (8, 0, 0)),
    # a wave ends only when all its sends are answered
    ("sa" + "ss" + "a", (2, 2, 1)),
    # one call at a time proves no concurrency: the wave never grows past 2
    ("sa" * 40, (2, 0, 0)),
    # a wave half used grows to twice what it carried, never shrinks
    ("sa" + "ssaa" + "ss" + "aa", (4, 0, 0)),
    ("sa" + "ssaa" + "sss" + "aaa", (6, 0, 0)),
    # a send with no answer gives its place back and proves nothing
    ("s" + "l", (1, 0, 0)),
    ("sa" + "ss" + "l", (2, 1, 0)),
    ("sa" + "ss" + "la", (2, 0, 0)),
    ("sa" + "ss" + "l" + "s" + "aa", (4, 0, 0)),
]


@pytest.mark.parametrize(("events", "expected"), WAVES)
def test_waves(events: str, expected: Shape) -> None:
    assert shape(replay(events)) == expected


# (allowance, events, expected): a wave as wide as the allowance limits nothing more
WIDE = [
    (8, "sa" + "ssaa", (4, 0, 0)),
    (8, "sa" + "ssaa" + "ssssaaaa", None),
    (6, "sa" + "ssaa" + "sss" + "aaa", None),
    (2, "sa", None),
]


@pytest.mark.parametrize(("limit", "events", "expected"), WIDE)
def test_a_wave_as_wide_as_the_allowance_ends_the_ramp(
    limit: int, events: str, expected: Shape
) -> None:
    assert shape(replay(events, limit=limit, window=1)) == expected


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


@pytest.mark.parametrize(("in_window", "expected"), [(99, (16, 16, 11)), (100, None)])
def test_a_full_window_of_accepted_sends_ends_the_ramp(in_window: int, expected: Shape) -> None:
    # Mid-wave: the answer that makes the window's hundredth ends it.
    ramp = Ramp(wave=16, sent=16, accepted=10)
    assert shape(answered(ramp, 5.0, in_window=in_window, limit=100)) == expected


def test_answers_spread_over_several_windows_do_not_end_it() -> None:
    # One call at a time, many windows long: never a full window, never a wider wave.
    assert shape(replay("sa" * 300, window=10)) == (2, 0, 0)


@pytest.mark.parametrize(
    ("limit", "expected"), [(0, None), (1, None), (2, (1, 0, 0)), (125, (1, 0, 0))]
)
def test_an_allowance_of_one_has_nothing_to_ramp(limit: int, expected: Shape) -> None:
    assert shape(start(limit)) == expected


# A wave of 4 fills at 9 s and three answers come at 10-12 s: the straggler holds
# the wave as long again (until 15 s), then the next wave starts with it.
STRAGGLER = "sa" + "ssaa" + "ssss" + "aaa"
EIGHT = "sa" + "ssaa" + "ssssaaaa"  # the wave of 8, from 14 s

# (events, expected)
STRAGGLERS = [
    (STRAGGLER + "..", (4, 4, 3)),  # 14 s: still held
    (STRAGGLER + "...", (6, 1, 0)),  # 15 s: twice the 3 accepted, the straggler in it
    (STRAGGLER + "..." + "sa", (6, 2, 1)),  # a late answer counts in the new wave
    (STRAGGLER + "..." + "l", (6, 0, 0)),  # or it gives its place back
    (STRAGGLER + "..." + "sssss", (6, 6, 0)),  # 5 more: the wave holds 6
    (STRAGGLER + "a", (8, 0, 0)),  # answered in time: an ordinary wave
    # the wave of 8 fills at 21 s, answers come at 22-27 s: held until 33 s
    (EIGHT + "s" * 8 + "a" * 6 + "." * 5, (8, 8, 6)),
    (EIGHT + "s" * 8 + "a" * 6 + "." * 6, (12, 2, 0)),
]


@pytest.mark.parametrize(("events", "expected"), STRAGGLERS)
def test_a_straggler_holds_the_ramp_only_as_long_again_as_its_wave_took(
    events: str, expected: Shape
) -> None:
    assert shape(replay(events)) == expected


# (ramp, now, expected wait: None until an answer comes)
WAITS = [
    (Ramp(wave=2, sent=1), 5.0, 0.0),  # room in the wave
    (Ramp(wave=2, sent=2, filled=4.0), 5.0, None),  # nothing answered yet
    (Ramp(wave=4, sent=4, accepted=3, filled=6.0, last_answer=12.0), 12.0, 6.0),
    (Ramp(wave=4, sent=4, accepted=3, filled=6.0, last_answer=12.0), 20.0, 0.0),
]


@pytest.mark.parametrize(("ramp", "now", "expected"), WAITS)
def test_wait(ramp: Ramp, now: float, expected: float | None) -> None:
    assert wait(ramp, now) == expected
