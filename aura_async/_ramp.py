"""The cold-start ramp: doubling waves of sends until the server's window is known.

The server's algorithm is not documented. Against a sliding window a client may
send its whole allowance at once, but a server stricter than that (a token bucket
of a small capacity) rejects most of such a burst, and only the first 429 tells.
So until there is evidence (a full window of sends accepted, or a 429, which
switches the limiter to paced sending), sends go in waves: at most 1 in flight,
then 2, 4, ... A wave ends when all its sends have been answered; the next may
have twice as many in flight as the server accepted in it (never fewer than the
wave before), so a stricter server is found after a few 429s, not a burst of them.

Growth needs evidence of concurrency: a client making one call at a time never
grows its waves (and never waits for them: a lone call always fits), so a later
burst cannot go out wider than the server has already taken. A send that got no
answer (timeout, reset, cancelled in flight) or never left gives its place back
and proves nothing.

Pure: the limiter holds a :class:`Ramp` (None once the ramp is over) and feeds it
its admissions and outcomes.
"""

from __future__ import annotations

import attrs

__all__ = ["Ramp", "admitted", "answered", "lost", "may_send", "start"]


@attrs.frozen
class Ramp:
    """One wave of the ramp.

    Attributes:
        wave: The sends this wave may have admitted.
        sent: The sends of this wave admitted (less those given back).
        accepted: The sends of this wave answered.
    """

    wave: int = 1
    sent: int = 0
    accepted: int = 0


def start(limit: int) -> Ramp | None:
    """Return the first wave for an allowance of ``limit`` (None: nothing to ramp)."""
    return Ramp() if limit > 1 else None


def may_send(ramp: Ramp) -> bool:
    """Return whether the wave has room for one more send."""
    return ramp.sent < ramp.wave


def admitted(ramp: Ramp) -> Ramp:
    """Return the ramp after a send was admitted (call only when :func:`may_send`)."""
    return attrs.evolve(ramp, sent=ramp.sent + 1)


def answered(ramp: Ramp, *, in_window: int, limit: int) -> Ramp | None:
    """Return the ramp after a send was answered (None: the ramp is over).

    Args:
        ramp: The current wave.
        in_window: Sends answered in the last window, this one included.
        limit: The allowance per window.
    """
    if in_window >= limit:
        return None  # a full window accepted: the server's window is known
    return _end_if_done(attrs.evolve(ramp, accepted=ramp.accepted + 1), limit)


def lost(ramp: Ramp, *, limit: int) -> Ramp | None:
    """Return the ramp after a send ended with no answer, or never left (None: over)."""
    return _end_if_done(attrs.evolve(ramp, sent=ramp.sent - 1), limit)


def _end_if_done(ramp: Ramp, limit: int) -> Ramp | None:
    """Start the next wave once every send of this one has ended."""
    if ramp.sent > ramp.accepted:
        return ramp
    wave = max(ramp.wave, 2 * ramp.accepted)
    # A wave as wide as the allowance limits nothing the window does not.
    return Ramp(wave=wave) if wave < limit else None
