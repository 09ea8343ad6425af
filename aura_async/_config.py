"""Frozen configuration objects of the client: retry policy, rate limit, timeouts.

Each validates itself when built and raises :class:`AuraConfigurationError`
naming the offending option, so a bad setting fails at construction, not at the
first request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from aura_async._errors import AuraConfigurationError

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

# Covers clock and network jitter on real windows, and stays a small share of
# the scaled-down windows tests use.
_MARGIN_DEFAULT_CAP = 0.05
# The share of a window kept from bulk calls by default, in percent.
_RESERVE_PERCENT = 5


def _option_error(instance: object, name: str, rule: str, value: object) -> AuraConfigurationError:
    return AuraConfigurationError(f"{type(instance).__name__}.{name} must be {rule}, got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int_in(value: object, minimum: int, maximum: float = math.inf) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return minimum <= value <= maximum


def _int_at_least(minimum: int) -> _Validator:
    """Validator: an ``int`` (not a bool) >= ``minimum``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not _is_int_in(value, minimum):
            raise _option_error(instance, attribute.name, f"an integer >= {minimum}", value)

    return check


def _number(*, positive: bool, allow_none: bool = False, allow_inf: bool = False) -> _Validator:
    """Validator: a real number, > 0 if ``positive`` else >= 0; never NaN."""
    rule = "a number > 0" if positive else "a number >= 0"
    rule = f"{rule} or None" if allow_none else rule

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and allow_none:
            return
        ok = _is_number(value) and (allow_inf or math.isfinite(value)) and not math.isnan(value)
        if not ok or value < 0 or (positive and value == 0):
            raise _option_error(instance, attribute.name, rule, value)

    return check


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed attempts are retried (the README's "Retries" section has the matrix).

    Attributes:
        max_retries: Re-sends after the first attempt; 0 disables retrying (>= 0).
        backoff_base: Backoff of the first retry, before jitter, in seconds (> 0).
        backoff_cap: Upper bound of any backoff, in seconds (>= ``backoff_base``).
        retry_after_max: The longest ``Retry-After`` honoured by sleeping, in
            seconds; a longer one raises the error with ``.retry_after`` set
            instead (>= 0; ``math.inf`` honours any).
        retry_rejected_posts: Re-send a POST/PATCH that got a 429 (the server
            rejected it before acting, so this cannot apply it twice).

    Raises:
        AuraConfigurationError: An option is out of range.
    """

    max_retries: int = attrs.field(default=3, validator=_int_at_least(0))
    backoff_base: float = attrs.field(default=0.5, validator=_number(positive=True))
    backoff_cap: float = attrs.field(default=8.0, validator=_number(positive=True))
    retry_after_max: float = attrs.field(
        default=60.0, validator=_number(positive=False, allow_inf=True)
    )
    retry_rejected_posts: bool = attrs.field(default=True)

    def __attrs_post_init__(self) -> None:
        if self.backoff_cap < self.backoff_base:
            rule = f"a number >= backoff_base ({self.backoff_base!r})"
            raise _option_error(self, "backoff_cap", rule, self.backoff_cap)
        if not isinstance(self.retry_rejected_posts, bool):
            raise _option_error(self, "retry_rejected_posts", "a bool", self.retry_rejected_posts)


@attrs.frozen
class RateLimit:
    """The client-side rate limit: at most ``requests`` sends in any ``per`` seconds.

    ``RateLimit(125, per=60.0)`` and ``RateLimit(requests=125, per=60.0)`` are the
    same; the default matches the Aura API's documented limit.

    Attributes:
        requests: Requests allowed in any sliding window of ``per`` seconds (>= 1).
        per: The window length in seconds (> 0).
        burst: None lets a burst use the whole window; an int in 1..``requests``
            paces sending instead, allowing bursts of that size.
        margin: Seconds a send that got no answer (timeout, reset, cancelled in
            flight) holds its slot beyond ``per``, since it may still reach the
            server (>= 0, < ``per``). None (the default): as long again as it was
            in flight (for an attempt that timed out: the attempt timeout), and at
            least :attr:`effective_margin`. That covers a proxy that holds a request
            as long as the client waited for it, at the cost of that slot for the
            extra time; see the README's rate-limiting section.
        reserve: Slots of each window that bulk calls (``client.map``) never take,
            kept for interactive calls: an int in 0..``requests - 1``, or None
            (the default) for :attr:`effective_reserve`.

    Raises:
        AuraConfigurationError: An option is out of range.
    """

    requests: int = attrs.field(default=125, validator=_int_at_least(1))
    per: float = attrs.field(default=60.0, validator=_number(positive=True))
    burst: int | None = attrs.field(default=None)
    margin: float | None = attrs.field(
        default=None, validator=_number(positive=False, allow_none=True)
    )
    reserve: int | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.reserve is not None and not _is_int_in(self.reserve, 0, self.requests - 1):
            rule = f"None or an integer in 0..requests - 1 ({self.requests - 1})"
            raise _option_error(self, "reserve", rule, self.reserve)
        if self.burst is not None and not _is_int_in(self.burst, 1, self.requests):
            rule = f"None or an integer in 1..requests ({self.requests})"
            raise _option_error(self, "burst", rule, self.burst)
        if self.margin is not None and self.margin >= self.per:
            raise _option_error(self, "margin", f"< per ({self.per!r})", self.margin)

    @property
    def effective_margin(self) -> float:
        """The fixed margin: ``margin`` if set, else ``min(0.05, per / 100)`` seconds.

        With ``margin`` None, the in-process limiter holds an unanswered send at
        least this long, or as long as it was in flight if that is longer.
        """
        if self.margin is not None:
            return float(self.margin)
        return min(_MARGIN_DEFAULT_CAP, self.per / 100)

    @property
    def effective_reserve(self) -> int:
        """The slots of a window bulk calls never take: ``reserve`` if set, else
        5 % of ``requests``, at least 1 but always fewer than ``requests`` (so 0
        when ``requests`` is 1).
        """
        if self.reserve is not None:
            return self.reserve
        return min(self.requests - 1, max(1, self.requests * _RESERVE_PERCENT // 100))


@attrs.frozen(kw_only=True)
class Timeout:
    """Time limits of a call, in seconds; None disables one.

    Attributes:
        total: One deadline for the whole call: token fetch, limiter wait, every
            attempt and every backoff (> 0 or None).
        connect: Limit of each connection attempt (> 0 or None).
        attempt: Limit of each attempt: send, response headers and body (> 0 or None).

    Raises:
        AuraConfigurationError: An option is out of range.
    """

    total: float | None = attrs.field(
        default=120.0, validator=_number(positive=True, allow_none=True)
    )
    connect: float | None = attrs.field(
        default=10.0, validator=_number(positive=True, allow_none=True)
    )
    attempt: float | None = attrs.field(
        default=60.0, validator=_number(positive=True, allow_none=True)
    )


# Aura's answers are kilobytes; a few MiB leaves room for long lists.
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024


def check_body_size(value: object) -> int:
    """Return ``value`` if it is a valid ``max_body_size``: an int >= 1024 (not a bool).

    Raises:
        AuraConfigurationError: It is not.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024:
        return value
    raise AuraConfigurationError(f"max_body_size must be an integer >= 1024 (bytes), got {value!r}")


def check_credential(client_id: object, client_secret: object) -> None:
    """Check the client id and secret are non-empty strings.

    Raises:
        AuraConfigurationError: One is empty or not a string (its value is not shown).
    """
    for name, value in (("client_id", client_id), ("client_secret", client_secret)):
        if not isinstance(value, str) or not value.strip():
            raise AuraConfigurationError(f"{name} must be a non-empty string")


def check_option(name: str, value: Any, kind: type, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a ``kind`` (or None when allowed).

    Raises:
        AuraConfigurationError: It is not.
    """
    if (value is None and allow_none) or isinstance(value, kind):
        return value
    raise AuraConfigurationError(f"{name} must be a {kind.__name__}, got {value!r}")


def as_timeout(timeout: float | Timeout | None) -> Timeout:
    """Return a :class:`Timeout`: given as one, or as the total deadline in seconds (or None).

    Raises:
        AuraConfigurationError: Neither.
    """
    if isinstance(timeout, Timeout):
        return timeout
    if timeout is None or (isinstance(timeout, int | float) and not isinstance(timeout, bool)):
        return Timeout(total=timeout)
    raise AuraConfigurationError(f"timeout must be seconds, a Timeout or None, got {timeout!r}")
