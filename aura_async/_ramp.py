"""The cold-start ramp: doubling waves of sends until the server's window is known.

The server's algorithm is not documented. Against a sliding window a client may
send its whole allowance at once, but a server stricter than that (a token bucket
of a small capacity) rejects most of such a burst, and only the first 429 tells.
So until there is evidence (a full window of sends accepted, or a 429, which
switches the limiter to paced sending), sends go in waves: at most 1 in flight,
then 2, 4, ... A wave ends when all its sends have ended; the next may have twice
as many as the server accepted in it (never fewer than the wave before), so a
stricter server is found after a few 429s, not a burst of them. Holding the next
wave until the whole wave is answered is what keeps it small: the 429s of a wave
arrive among its answers, before any wider wave goes out.

Growth needs evidence of concurrency: a client making one call at a time never
grows its waves (and never waits for them: a lone call always fits), so a later
burst cannot go out wider than the server has already taken. A send that got no
answer (timeout, reset, cancelled in flight) or never left gives its place back
and proves nothing.

A straggler must not hold the ramp for a whole attempt timeout: once a wave is full
and no answer has come for as long as its latest answer took since the wave filled
(answers of one wave come close together; a silence that long means the rest are
late), the next wave starts (twice what was accepted), and the sends still out stay
in it (they keep their places). A wave that filled slowly (the window, not the
ramp, held its sends back) thus goes on at once.

Pure: the limiter holds a :class:`Ramp` (None once the ramp is over) and feeds it
its admissions and outcomes, with the time.
"""

from __future__ import annotations

import attrs

__all__ = ["Ramp", "admitted", "answered", "lost", "may_send", "start", "unstall", "wait"]


@attrs.frozen
class Ramp:
    """One wave of the ramp.

    Attributes:
        wave: The sends this wave may have admitted.
        sent: The sends of this wave admitted (less those given back).
        accepted: The sends of this wave answered.
        filled: When the wave's last place was taken.
        last_answer: When the wave's latest answer came.
    """

    wave: int = 1
    sent: int = 0
    accepted: int = 0
    filled: float = 0.0
    last_answer: float = 0.0


def start(limit: int) -> Ramp | None:
    """Return the first wave for an allowance of ``limit`` (None: nothing to ramp)."""
    return Ramp() if limit > 1 else None


def may_send(ramp: Ramp, extra: int = 0) -> bool:
    """Return whether the wave (widened by ``extra`` places) has room for one more send."""
    return ramp.sent < ramp.wave + extra


def wait(ramp: Ramp, now: float, extra: int = 0) -> float | None:
    """Return the seconds until the wave has room (None: until an answer comes).

    Args:
        ramp: The current wave.
        now: The time.
        extra: Places beyond the wave this send may take (an interactive call
            beside a bulk backlog takes the window's reserve).
    """
    if may_send(ramp, extra):
        return 0.0
    if ramp.accepted == 0:
        return None
    return max(0.0, 2 * ramp.last_answer - ramp.filled - now)


def unstall(ramp: Ramp, now: float, *, limit: int) -> Ramp | None:
    """Start the next wave if this one waits only for stragglers, long enough."""
    if wait(ramp, now) != 0.0 or may_send(ramp):
        return ramp
    return _next_wave(ramp, now, limit)


def admitted(ramp: Ramp, now: float) -> Ramp:
    """Return the ramp after a send was admitted (when :func:`may_send` allowed it)."""
    filled = now if ramp.sent + 1 == ramp.wave else ramp.filled
    return attrs.evolve(ramp, sent=ramp.sent + 1, filled=filled)


def answered(ramp: Ramp, now: float, *, in_window: int, limit: int) -> Ramp | None:
    """Return the ramp after a send was answered (None: the ramp is over).

    Args:
        ramp: The current wave.
        now: The time of the answer.
        in_window: Sends answered in the last window, this one included.
        limit: The allowance per window.
    """
    if in_window >= limit:
        return None  # a full window accepted: the server's window is known
    ramp = attrs.evolve(ramp, accepted=ramp.accepted + 1, last_answer=now)
    return _next_wave(ramp, now, limit) if ramp.sent <= ramp.accepted else ramp


def lost(ramp: Ramp, now: float, *, limit: int) -> Ramp | None:
    """Return the ramp after a send ended with no answer, or never left (None: over)."""
    ramp = attrs.evolve(ramp, sent=ramp.sent - 1)
    return _next_wave(ramp, now, limit) if ramp.sent <= ramp.accepted else ramp


def _next_wave(ramp: Ramp, now: float, limit: int) -> Ramp | None:
    """The wave after ``ramp``, holding its sends still out."""
    wave = max(ramp.wave, 2 * ramp.accepted)
    # A wave as wide as the allowance limits nothing the window does not.
    if wave >= limit:
        return None
    return Ramp(wave=wave, sent=ramp.sent - ramp.accepted, filled=now, last_answer=now)
