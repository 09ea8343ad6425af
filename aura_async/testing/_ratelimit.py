"""The emulated gateway's rate limit: one limiter per credential.

Three algorithms are offered, because the real one is not documented and a client
should cope with any of them:

- ``sliding-log``: a request at time ``t`` is allowed iff fewer than ``requests``
  allowed requests have receipt times in ``(t - per, t]``.
- ``fixed-window``: at most ``requests`` per window ``[k * per, (k + 1) * per)``,
  windows counted from the limiter's start.
- ``token-bucket``: ``capacity`` tokens (default ``requests``), refilled continuously
  at ``requests / per`` per second; a request takes one token.

Rejected requests are not counted: they take no allowance. A rejection carries the
number of seconds until a request would be allowed, rendered as ``Retry-After``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aura_async.testing._http import ApiError
from aura_async.testing._journal import TOKEN_PATH
from aura_async.testing._keys import CLIENT_ID_KEY, RATE_LIMITED_KEY, RECEIVED_KEY

Algorithm = Literal["sliding-log", "fixed-window", "token-bucket"]
RetryAfterStyle = Literal["integer", "fractional"]

RATE_LIMITED_MESSAGE = "API rate limit exceeded"

ALGORITHMS: tuple[Algorithm, ...] = ("sliding-log", "fixed-window", "token-bucket")
RETRY_AFTER_STYLES: tuple[RetryAfterStyle, ...] = ("integer", "fractional")

# Float sums of clock steps (e.g. 0.1 + 0.2) must not flip a decision at an exact edge.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class ServerRateLimit:
    """The emulator's rate-limit settings (per credential).

    Args:
        algorithm: ``"sliding-log"``, ``"fixed-window"`` or ``"token-bucket"``.
        requests: Requests allowed per ``per`` seconds.
        per: The window length in seconds.
        capacity: Token-bucket only: the bucket size (default ``requests``).
        count_token_requests: Whether ``POST /oauth/token`` counts against the
            credential's allowance.
        retry_after: ``"integer"`` renders ``Retry-After`` as whole seconds rounded up
            (at least 1); ``"fractional"`` as seconds with three decimals.

    Raises:
        ValueError: On an unknown algorithm or style, a non-positive ``requests``,
            ``per`` or ``capacity``, or a ``capacity`` for another algorithm.
    """

    algorithm: Algorithm = "sliding-log"
    requests: int = 125
    per: float = 60.0
    capacity: int | None = None
    count_token_requests: bool = True
    retry_after: RetryAfterStyle = "integer"

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, not {self.algorithm!r}")
        if self.retry_after not in RETRY_AFTER_STYLES:
            raise ValueError(f"retry_after must be one of {RETRY_AFTER_STYLES}")
        _require_positive_int("requests", self.requests)
        if not (isinstance(self.per, int | float) and math.isfinite(self.per) and self.per > 0):
            raise ValueError(f"per must be a positive number of seconds, not {self.per!r}")
        if self.capacity is not None:
            if self.algorithm != "token-bucket":
                raise ValueError("capacity applies to the token-bucket algorithm only")
            _require_positive_int("capacity", self.capacity)


def _require_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


class Limiter(Protocol):
    """One credential's limiter."""

    def try_acquire(self, now: float) -> float | None:
        """Admit a request received at ``now``.

        Returns:
            ``None`` if the request is allowed (and counted), else the seconds until
            a request would be allowed.
        """


class SlidingLogLimiter:
    """At most ``requests`` allowed requests in any window ``(t - per, t]``.

    Keeps the receipt times of the last ``requests`` allowed requests: O(1)
    amortized per decision.
    """

    def __init__(self, requests: int, per: float) -> None:
        self._requests = requests
        self._per = per
        self._times: deque[float] = deque()

    def try_acquire(self, now: float) -> float | None:
        """See :meth:`Limiter.try_acquire`."""
        times = self._times
        horizon = now - self._per + _EPSILON
        while times and times[0] < horizon:
            times.popleft()
        if len(times) < self._requests:
            times.append(now)
            return None
        return times[0] + self._per - now


class FixedWindowLimiter:
    """At most ``requests`` per window ``[k * per, (k + 1) * per)`` from ``start``."""

    def __init__(self, requests: int, per: float, start: float) -> None:
        self._requests = requests
        self._per = per
        self._start = start
        self._window = -1
        self._count = 0

    def try_acquire(self, now: float) -> float | None:
        """See :meth:`Limiter.try_acquire`."""
        window = math.floor((now - self._start) / self._per + _EPSILON)
        if window != self._window:
            self._window = window
            self._count = 0
        if self._count < self._requests:
            self._count += 1
            return None
        return self._start + (window + 1) * self._per - now


class TokenBucketLimiter:
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second."""

    def __init__(self, capacity: int, rate: float, start: float) -> None:
        self._capacity = float(capacity)
        self._rate = rate
        self._tokens = float(capacity)
        self._updated = start

    def try_acquire(self, now: float) -> float | None:
        """See :meth:`Limiter.try_acquire`."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = max(self._updated, now)
        if self._tokens >= 1.0 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1.0)
            return None
        return (1.0 - self._tokens) / self._rate


def new_limiter(config: ServerRateLimit, start: float) -> Limiter:
    """Return a fresh limiter for ``config``, its windows counted from ``start``."""
    if config.algorithm == "sliding-log":
        return SlidingLogLimiter(config.requests, config.per)
    if config.algorithm == "fixed-window":
        return FixedWindowLimiter(config.requests, config.per, start)
    capacity = config.capacity if config.capacity is not None else config.requests
    return TokenBucketLimiter(capacity, config.requests / config.per, start)


def format_retry_after(seconds: float, style: RetryAfterStyle) -> str:
    """Render a wait as a ``Retry-After`` value, rounded up so that waiting it suffices.

    Args:
        seconds: The wait in seconds.
        style: ``"integer"`` (whole seconds, at least 1) or ``"fractional"``
            (three decimals, at least 0.001).

    Returns:
        The header value.
    """
    if style == "integer":
        return str(max(1, math.ceil(seconds - _EPSILON)))
    millis = max(1, math.ceil(seconds * 1000 - _EPSILON * 1000))
    return f"{millis / 1000:.3f}"


class RateLimiterRegistry:
    """One limiter per credential (client id), created on first use.

    Args:
        config: The rate-limit settings.
        clock: The emulator's monotonic clock; windows count from its value now.
    """

    def __init__(self, config: ServerRateLimit, clock: Callable[[], float]) -> None:
        self.config = config
        self._clock = clock
        self._start = clock()
        self._limiters: dict[str, Limiter] = {}

    def check(self, client_id: str, received: float | None = None) -> str | None:
        """Admit one request of ``client_id``.

        Args:
            client_id: The credential.
            received: The receipt time on the clock (default: now).

        Returns:
            ``None`` if allowed, else the ``Retry-After`` header value.
        """
        limiter = self._limiters.get(client_id)
        if limiter is None:
            limiter = self._limiters[client_id] = new_limiter(self.config, self._start)
        wait = limiter.try_acquire(self._clock() if received is None else received)
        if wait is None:
            return None
        return format_retry_after(wait, self.config.retry_after)

    def reset(self, client_id: str | None = None) -> None:
        """Forget the history of ``client_id`` (of every credential if ``None``)."""
        if client_id is None:
            self._limiters.clear()
        else:
            self._limiters.pop(client_id, None)


def rate_limit_middleware(registry: RateLimiterRegistry) -> Middleware:
    """Return the middleware enforcing ``registry``'s limits per credential.

    It runs after authentication, so each request is counted against the
    credential it was attributed to; unattributed requests are not limited. A
    rejection is a 429 in the gateway's shape with ``Retry-After``.
    """
    count_token_requests = registry.config.count_token_requests

    @web.middleware
    async def limit_rate(request: web.Request, handler: Handler) -> web.StreamResponse:
        client_id = request.get(CLIENT_ID_KEY)
        if client_id is not None and (count_token_requests or request.path != TOKEN_PATH):
            # The journal's receipt time, so that journal and limiter agree to the tick.
            retry_after = registry.check(client_id, request.get(RECEIVED_KEY))
            if retry_after is not None:
                request[RATE_LIMITED_KEY] = True
                raise ApiError(
                    429, RATE_LIMITED_MESSAGE, gateway=True, headers={"Retry-After": retry_after}
                )
        return await handler(request)

    return limit_rate
