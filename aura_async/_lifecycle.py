"""What a client's ``close()`` ends: every call of that client still running.

``close()`` is an event, not a race with aiohttp: each call registers the task
running it, and ``close()`` cancels those tasks, wherever they wait (queued in the
limiter, in a backoff sleep, in a 429 cooldown, for the token, or in flight), and
waits until they have unwound, before the session is closed under them. Each call
then ends with :class:`ClientClosedError`; its limiter place is freed by the
cancellation like any other. Only the tasks of that client's calls are touched:
other clients of the same credential share the limiter and the token, not this.

A task cancelled by ``close()`` and by someone else as well stays cancelled
(the same rule as ``asyncio.timeout``).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol

from aura_async._errors import ClientClosedError

__all__ = ["CallTracker", "closed_error"]


class CallState(Protocol):
    """What a tracked call tells about itself when it is ended (a ``CallContext``)."""

    @property
    def maybe_sent(self) -> bool:
        """A request of the call may have reached the server."""

    @property
    def idempotent(self) -> bool:
        """The call is safe to repeat."""


def closed_error(method: str, url: str, *, running: bool, applied_maybe: bool) -> ClientClosedError:
    """Return the error of a call that met a closed client.

    Args:
        method: The HTTP method.
        url: The URL.
        running: The call was running when the client was closed (else it began after).
        applied_maybe: A non-idempotent request of the call may have reached the server.
    """
    if not running:
        detail = "this AuraClient is closed; create a new one"
    elif applied_maybe:
        detail = (
            "the AuraClient was closed while the call was running, after the request was "
            "sent; the server may or may not have applied it"
        )
    else:
        detail = "the AuraClient was closed while the call was running"
    return ClientClosedError(f"{method} {url}: {detail}")


class CallTracker:
    """The calls one client (and its views) has running; ends them all on close.

    Use :meth:`track` around each call: ``with tracker.track(ctx, method, url): ...``.
    """

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[object], _Tracked] = {}
        self._closing = 0
        self._idle: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        """The number of calls running."""
        return len(self._running)

    def track(self, state: CallState, method: str, url: str) -> _Tracked:
        """Return the context manager that registers the current task's call."""
        return _Tracked(self, state, method, url)

    async def end_all(self, timeout: float) -> None:
        """Cancel every running call, then wait (at most ``timeout``) until they have unwound.

        The calls end with :class:`ClientClosedError`. A call running in the task
        that closes the client is left alone.
        """
        me = asyncio.current_task()
        for task, call in self._running.items():
            if task is not me and not call.closing:
                call.closing = True
                self._closing += 1
                task.cancel()
        if self._closing:
            self._idle = asyncio.get_running_loop().create_future()
            await asyncio.wait((self._idle,), timeout=timeout)

    def _exit(self, task: asyncio.Task[object], call: _Tracked) -> None:
        del self._running[task]
        if call.closing:
            self._closing -= 1
            if self._closing == 0 and self._idle is not None and not self._idle.done():
                self._idle.set_result(None)


class _Tracked:
    """One call while it runs; turns close()'s cancellation into ClientClosedError."""

    __slots__ = ("_tracker", "cancelling", "closing", "method", "state", "task", "url")

    def __init__(self, tracker: CallTracker, state: CallState, method: str, url: str) -> None:
        self._tracker = tracker
        self.state = state
        self.method = method
        self.url = url
        self.task: asyncio.Task[object] | None = None
        self.cancelling = 0
        self.closing = False

    def __enter__(self) -> None:
        task = asyncio.current_task()
        running = self._tracker._running
        # A call inside another call of the same task is the outer one's business.
        if task is not None and task not in running:
            self.task, self.cancelling = task, task.cancelling()
            running[task] = self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task = self.task
        if task is None:
            return
        self._tracker._exit(task, self)
        if not self.closing or task.uncancel() > self.cancelling or exc_type is None:
            return  # not ended by close(), or cancelled by someone else too: as it is
        applied_maybe = self.state.maybe_sent and not self.state.idempotent
        raise closed_error(
            self.method, self.url, running=True, applied_maybe=applied_maybe
        ) from None
