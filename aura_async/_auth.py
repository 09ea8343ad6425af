"""The OAuth token: one cache per credential, one fetch in flight, refreshed early.

The cache is transport-agnostic: it is given a ``fetch`` coroutine (the client's
POST to ``/oauth/token``, which goes through the shared limiter) and only decides
*when* to call it. The token value never appears in ``repr``, logs or errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import attrs

from aura_async._errors import AuraError, ClientClosedError
from aura_async._transport import Response, decode_json, invalid_body

__all__ = [
    "SharedFetch",
    "Token",
    "TokenCache",
    "TokenGrant",
    "TokenProvider",
    "consume_exception",
    "parse_token_response",
    "refresh_lead",
]

_log = logging.getLogger("aura_async")

# The longest token lifetime believed; Aura grants an hour.
MAX_TOKEN_LIFETIME = 86_400.0
# Refresh this long before expiry, or a tenth of the lifetime if that is less.
_REFRESH_LEAD = 60.0


def refresh_lead(lifetime: float) -> float:
    """Return how long before expiry a token of ``lifetime`` seconds is refreshed."""
    return min(_REFRESH_LEAD, lifetime / 10)


@attrs.frozen(kw_only=True)
class TokenGrant:
    """What the token endpoint granted: the bearer token and its lifetime.

    Attributes:
        value: The bearer token (a secret: hidden from repr).
        lifetime: Seconds the token is valid for, from the request.
    """

    value: str = attrs.field(repr=False)
    lifetime: float


TokenFetch = Callable[[], Awaitable[TokenGrant]]


@attrs.frozen(kw_only=True)
class Token:
    """An access token and when it expires.

    Attributes:
        value: The bearer token (a secret: hidden from repr).
        expires_at: Expiry on the ``time.monotonic`` clock.
        lifetime: The lifetime the server granted, in seconds.
    """

    value: str = attrs.field(repr=False)
    expires_at: float
    lifetime: float

    @property
    def refresh_at(self) -> float:
        """The monotonic time from which the token should be replaced."""
        return self.expires_at - refresh_lead(self.lifetime)

    def usable(self, now: float) -> bool:
        """Return True while the token has not expired at ``now``."""
        return now < self.expires_at


class TokenProvider(Protocol):
    """What the auth middleware needs: a current token, and a way to reject one."""

    async def token(self, fetch: TokenFetch) -> Token:
        """Return a token that is current, calling ``fetch`` if a new one is needed."""

    def invalidate(self, token: Token) -> None:
        """Drop ``token`` if it is still the cached one (compare-and-invalidate)."""


class TokenCache:
    """An in-process :class:`TokenProvider` with single-flight fetching.

    Args:
        clock: The monotonic clock the token expiry is measured on.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: Token | None = None
        self._shared_fetch = SharedFetch(self._fetch_and_store)
        self.fetches = 0

    def __repr__(self) -> str:
        state = "empty" if self._token is None else "cached"
        return f"<TokenCache {state}, {self.fetches} fetches>"

    async def token(self, fetch: TokenFetch) -> Token:
        """Return the cached token, or the result of the one fetch in flight.

        Args:
            fetch: Fetches a new token; called once per refresh, however many
                coroutines wait for it.

        A token due for refresh but not expired is still returned if the refresh
        fails, so a brief token-endpoint outage does not fail calls early.

        Raises:
            AuraError: The fetch failed and no usable token is cached.
        """
        current = self._token
        now = self._clock()
        if current is not None and now < current.refresh_at:
            return current
        try:
            return await self._shared_fetch(fetch)
        except AuraError:
            if current is not None and current.usable(self._clock()):
                _log.warning("token refresh failed; using the current token until it expires")
                return current
            raise

    def invalidate(self, token: Token) -> None:
        """Forget ``token`` if it is the cached one; a newer token is kept."""
        if self._token is token:
            self._token = None

    async def _fetch_and_store(self, fetch: TokenFetch) -> Token:
        self.fetches += 1
        # Expiry counts from the request's start: the server's clock began earlier.
        started = self._clock()
        grant = await fetch()
        token = Token(
            value=grant.value, expires_at=started + grant.lifetime, lifetime=grant.lifetime
        )
        self._token = token
        _log.debug("fetched an access token valid for %.0fs", token.lifetime)
        return token


class SharedFetch:
    """One token fetch in flight, shared by every caller, surviving its starter's close.

    The fetch runs on the session of the client whose call started it. If that
    client is closed meanwhile, the fetch ends with ``ClientClosedError``; the
    calls of other clients then start their own instead of failing. Each turn
    of the loop needs another client to close, so it ends.

    Args:
        run: Runs one fetch to its end (fetch, store, share), given the ``fetch``
            of the call that starts it.
    """

    def __init__(self, run: Callable[[TokenFetch], Coroutine[Any, Any, Token]]) -> None:
        self._run = run
        self._task: asyncio.Task[Token] | None = None
        self._fetch: TokenFetch | None = None

    @property
    def task(self) -> asyncio.Task[Token] | None:
        """The fetch in flight (or the last one), for cancelling on close."""
        return self._task

    async def __call__(self, fetch: TokenFetch) -> Token:
        """Await the fetch in flight, starting one with ``fetch`` if none is.

        Raises:
            AuraError: The fetch failed (``ClientClosedError`` only when it was
                this caller's own client that closed).
        """
        while True:
            task = self._start(fetch)
            started_by_us = self._fetch == fetch
            try:
                return await asyncio.shield(task)
            except ClientClosedError:
                if started_by_us:
                    raise

    def _start(self, fetch: TokenFetch) -> asyncio.Task[Token]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(fetch))
            self._fetch = fetch
            # A fetch whose waiters were all cancelled must not log "never retrieved".
            self._task.add_done_callback(consume_exception)
        return self._task


def consume_exception(task: asyncio.Task[Any]) -> None:
    """Mark a finished task's exception as retrieved (a done-callback)."""
    if not task.cancelled():
        task.exception()


def parse_token_response(raw: Response) -> TokenGrant:
    """Read the token endpoint's 200 answer; ``token_type`` may be ``bearer`` or ``Bearer``.

    An ``expires_in`` above a day (a 400-digit number, ``1e308``) is clamped to a
    day: the token is then refreshed daily, and a rejected one is replaced at once.

    Raises:
        ResponseValidationError: No usable bearer token in the body.
    """
    body = decode_json(raw)
    if isinstance(body, dict):
        value, lifetime = body.get("access_token"), body.get("expires_in")
        token_type = body.get("token_type", "bearer")
        if (
            isinstance(value, str)
            and value
            and isinstance(lifetime, int | float)
            and not isinstance(lifetime, bool)
            and lifetime > 0
            and str(token_type).lower() == "bearer"
        ):
            # min() before float(): float() of a 400-digit int overflows.
            return TokenGrant(value=value, lifetime=float(min(lifetime, MAX_TOKEN_LIFETIME)))
    raise invalid_body(raw, "the token endpoint answered without a usable bearer token")
