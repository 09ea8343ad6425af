"""A manually stepped clock, to drive the emulator's time exactly in tests."""

from __future__ import annotations


class ManualClock:
    """A monotonic clock that moves only when told to.

    Pass it as ``clock=`` to :class:`~aura_async.testing.AuraEmulator` (or
    ``build_app``) and call :meth:`advance` instead of sleeping.

    Args:
        start: The initial reading, in seconds.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        Raises:
            ValueError: If ``seconds`` is negative (a monotonic clock never goes back).
        """
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self.now += seconds
