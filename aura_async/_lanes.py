"""Lanes, the limiter's statistics, and the pure estimate of a queued call's wait.

Every call has a lane: plain calls are interactive, the calls of ``client.map``
bulk. A limiter admits an interactive waiter before any queued bulk waiter, and
never lets bulk calls take the last ``RateLimit.effective_reserve`` slots of a
window. The lane of ``client.map``'s calls travels in a context variable, since
``fn`` is any coroutine function (e.g. ``client.instances.get``) of any client.
"""

from __future__ import annotations

import contextvars
import enum
import time
from collections.abc import Sequence

import attrs

from aura_async._errors import AdmissionTimeoutError, AuraConfigurationError

__all__ = ["BULK_CONTEXT", "Lane", "LimiterStats", "as_lane", "estimate_wait", "too_late"]


class Lane(enum.StrEnum):
    """The limiter lane of a call.

    ``INTERACTIVE`` calls (plain calls, the default) are admitted before any queued
    ``BULK`` call (``client.map`` / ``map_unordered``), and bulk calls never take
    the window's reserve (``RateLimit.reserve``). Choose one with
    ``client.with_options(lane=Lane.BULK)`` (or the string ``"bulk"``).
    """

    INTERACTIVE = "interactive"
    BULK = "bulk"


# The lane of the calls made in a bulk call's worker tasks (None: outside one).
BULK_CONTEXT: contextvars.ContextVar[Lane | None] = contextvars.ContextVar(
    "aura_async_lane", default=None
)


def as_lane(value: object) -> Lane:
    """Return ``value`` as a :class:`Lane` (a member or its string value).

    Raises:
        AuraConfigurationError: It is neither.
    """
    if isinstance(value, str):
        try:
            return Lane(value)
        except ValueError:
            pass
    choices = ", ".join(repr(lane.value) for lane in Lane)
    raise AuraConfigurationError(f"lane must be a Lane ({choices}), got {value!r}")


@attrs.frozen(kw_only=True)
class LimiterStats:
    """A snapshot of a limiter: its queues, its window and its counters.

    Returned by ``await client.limiter_stats()`` (and ``Limiter.stats()``).

    Attributes:
        queued_interactive: Interactive calls waiting for a slot.
        queued_bulk: Bulk calls waiting for a slot.
        sends_in_window: Sends occupying a slot now (in flight, or answered
            within the last ``per`` seconds).
        limit: The allowance: ``requests`` per window.
        per: The window in seconds.
        cooldown_remaining: Seconds left of the current 429 cooldown (0.0: none).
        paced: Sends are paced (the server proved stricter than a sliding window,
            or ``RateLimit.burst`` is set).
        ramping: Sends still ramp up in doubling waves (cold start).
        rejections: 429 answers reported so far.
        resends: Slots taken by a re-send after a 429 (at the head of its lane).
        admission_timeouts: Calls failed at once with ``AdmissionTimeoutError``.
    """

    queued_interactive: int
    queued_bulk: int
    sends_in_window: int
    limit: int
    per: float
    cooldown_remaining: float
    paced: bool
    ramping: bool
    rejections: int
    resends: int
    admission_timeouts: int


def estimate_wait(
    *,
    position: int,
    limit: int,
    per: float,
    in_flight: int,
    answered_at: Sequence[float],
    now: float,
    cooldown: float = 0.0,
    pace: tuple[int, float] | None = None,
) -> float:
    """Estimate how long a queued call waits for its slot (pure; never too long).

    The call is admitted after the ``position`` calls ahead of it. Slots free in
    order: the answered sends (one window after their answer), then the sends in flight (taken as
    answered now), then the admissions ahead of it (each one window after its
    own admission). Unknown latencies are taken as zero, so that the estimate
    errs short: a call is refused only when even that cannot meet its deadline.

    Args:
        position: The calls admitted before this one (>= 0).
        limit: The slots of a window this call's lane may use (>= 1).
        per: The window in seconds.
        in_flight: Sends admitted and not yet answered.
        answered_at: When each answered send was answered (its slot frees ``per``
            later), ascending, on the clock of ``now``.
        now: The current time.
        cooldown: Seconds left of a 429 cooldown.
        pace: ``(burst, interval)`` when sends are paced: at most ``burst`` at once,
            then one per ``interval`` seconds.

    Returns:
        The estimated wait in seconds (>= 0).
    """
    occupied = in_flight + len(answered_at)
    # The slot this call needs is the index-th to free; past the current log, the
    # slots of the admissions ahead of it, one window after their admission.
    index = occupied + position - limit
    windows = 0 if index < occupied else (index - occupied) // limit + 1
    index -= windows * limit
    if index < 0:
        window_wait = windows * per
    elif index < len(answered_at):
        window_wait = windows * per + max(0.0, answered_at[index] + per - now)
    else:
        window_wait = (windows + 1) * per
    paced_wait = 0.0 if pace is None else max(0, position + 1 - pace[0]) * pace[1]
    return max(cooldown, window_wait, paced_wait)


def too_late(wait: float, deadline: float) -> AdmissionTimeoutError | None:
    """Return the error for a call whose estimated wait ends after its deadline, else None.

    Args:
        wait: The estimated wait in seconds.
        deadline: When the call's time runs out, a ``time.monotonic()`` value.
    """
    left = deadline - time.monotonic()
    if wait <= left:
        return None
    return AdmissionTimeoutError(
        f"the rate limiter's estimated wait of {wait:.3f}s exceeds the "
        f"{max(0.0, left):.3f}s left before the call's deadline; the request was not sent",
        estimated_wait=wait,
        deadline=max(0.0, left),
    )
