"""A sleep that another task can cut short: what the Redis limiter's background tasks wait in."""

from __future__ import annotations

import asyncio

__all__ = ["Doze"]


class Doze:
    """One task sleeps in it at a time; :meth:`wake` ends the sleep early (or does nothing)."""

    def __init__(self) -> None:
        self._wakeup: asyncio.Future[None] | None = None

    def wake(self) -> None:
        """End the current sleep, if there is one."""
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def sleep(self, delay: float) -> None:
        """Sleep for ``delay`` seconds, or until :meth:`wake` is called."""
        loop = asyncio.get_running_loop()
        self._wakeup = loop.create_future()
        handle = loop.call_later(max(0.0, delay), self.wake)
        try:
            await self._wakeup
        finally:
            self._wakeup = None
            handle.cancel()
