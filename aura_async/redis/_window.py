"""What one process knows of the shared window between admissions: for wait estimates and stats.

Each admission script's reply says how many slots count in the shared log and,
when it refused a member, the scores of the counting slots (oldest first). From
that snapshot a process estimates a new caller's wait without asking Redis: the
estimate errs short (other processes' queues and the sends they admit after the
snapshot are unknown to it), so a call is refused only when even that wait
cannot meet its deadline.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import attrs

from aura_async._lanes import estimate_wait
from aura_async.redis._calls import as_text

__all__ = ["Admission", "Snapshot", "admission", "bulk_limit"]


@attrs.frozen
class Snapshot:
    """The shared log as an admission script saw it.

    Attributes:
        taken: The event loop's time when the reply arrived.
        redis_now: The Redis time when the script ran.
        counted: Slots counting after the script's admissions.
        scores: The counting slots' scores, oldest first (a slot counts ``per``
            seconds after its score), or empty when nothing was refused.
    """

    taken: float = 0.0
    redis_now: float = 0.0
    counted: int = 0
    scores: tuple[float, ...] = ()

    def estimate(
        self, *, position: int, limit: int, per: float, now: float, cooldown: float
    ) -> float:
        """Estimate the wait of a caller with ``position`` callers of this process ahead.

        Args:
            position: This process's waiters admitted before the caller.
            limit: The slots of a window the caller's lane may fill (>= 1).
            per: The window in force, in seconds.
            now: The event loop's time.
            cooldown: Seconds left of a 429 cooldown.
        """
        redis_now = self.redis_now + (now - self.taken)
        if self.scores:
            counting = self.scores[bisect.bisect_right(self.scores, redis_now - per) :]
            answered = counting[: bisect.bisect_right(counting, redis_now)]
            in_flight = len(counting) - len(answered) + max(0, self.counted - len(self.scores))
        else:
            # The log had room: take its slots as freeing now (the estimate errs short).
            answered, in_flight = (redis_now - per,) * self.counted, 0
        return estimate_wait(
            position=position,
            limit=limit,
            per=per,
            in_flight=in_flight,
            answered_at=answered,
            now=redis_now,
            cooldown=cooldown,
        )

    def sends_in_window(self, now: float, per: float) -> int:
        """The slots counting at ``now`` (event loop time), as far as the snapshot tells."""
        if not self.scores or len(self.scores) < self.counted:
            return self.counted
        redis_now = self.redis_now + (now - self.taken)
        return len(self.scores) - bisect.bisect_right(self.scores, redis_now - per)


@attrs.frozen
class Admission:
    """An admission script's reply (without its common tail).

    Attributes:
        admitted: How many of the members were admitted (the first ones).
        wait: Seconds until the first refused member's slot frees, 0.0 after an
            admission, or None when that depends on a request still in flight.
        cooling: True if a 429 cooldown refused everyone (``wait`` is its rest).
        snapshot: The shared log as the script left it.
    """

    admitted: int
    wait: float | None
    cooling: bool
    snapshot: Snapshot


def admission(reply: Sequence[Any], *, taken: float, redis_now: float) -> Admission:
    """Parse the head of an admission script's reply (see ``ACQUIRE``)."""
    admitted, wait, counted, scores, cooling = reply[:5]
    seconds = float(as_text(wait))
    listed = tuple(float(as_text(score)) for score in scores)
    snapshot = Snapshot(taken, redis_now, int(counted), listed)
    return Admission(int(admitted), None if seconds < 0 else seconds, int(cooling) == 1, snapshot)


def bulk_limit(requests: int, reserve: int) -> int:
    """The slots of a window bulk calls may fill: all but the reserve, at least one."""
    return max(1, requests - reserve)
