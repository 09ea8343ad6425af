"""``AuraClient``: owns the session, and shares the limiter and token per credential."""

from __future__ import annotations

import enum
import logging
import os
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, Self, TypeVar

import aiohttp
from aiohttp import hdrs

from aura_async._auth import TokenFetch, TokenGrant, TokenProvider, parse_token_response
from aura_async._backend import Backend
from aura_async._bulk import (
    DEFAULT_CONCURRENCY,
    BulkProgress,
    BulkResult,
    bulk_as_completed,
    bulk_map,
)
from aura_async._config import (
    DEFAULT_MAX_BODY_SIZE,
    RateLimit,
    RetryPolicy,
    Timeout,
    as_timeout,
    check_body_size,
    check_credential,
    check_option,
)
from aura_async._credentials import Credential, Secret, credential_for
from aura_async._errors import (
    AuraConfigurationError,
    ClientClosedError,
)
from aura_async._lanes import BULK_CONTEXT, Lane, LimiterStats, as_lane
from aura_async._lifecycle import CallTracker
from aura_async._operations import TOKEN_OPERATION, Operation, operation_for
from aura_async._pipeline import (
    AuthMiddleware,
    BackoffMiddleware,
    CallContext,
    RateLimitMiddleware,
)
from aura_async._ratelimit import Limiter
from aura_async._retry import IDEMPOTENT_METHODS
from aura_async._telemetry import CallObserver, watch_limiter
from aura_async._transport import Response, api_error, send
from aura_async._urls import api_root, check_base_url
from aura_async._version import __version__

__all__ = ["DEFAULT_BASE_URL", "AuraClient"]

DEFAULT_BASE_URL = "https://api.neo4j.io"
T = TypeVar("T")
R = TypeVar("R")


def _is_idempotent(method: str, declared: bool | None) -> bool:
    return method in IDEMPOTENT_METHODS if declared is None else declared


class _Unset(enum.Enum):
    """The type of the "leave this option as it is" default of ``with_options``."""

    UNSET = enum.auto()


_DEPRECATION_HEADER = "X-Tyk-Api-Expires"
# How long close() waits for the calls it ended to unwind before closing the session.
_CLOSE_GRACE = 5.0


class _Core:
    """The resources one client and its ``with_options`` views share."""

    def __init__(
        self, session: aiohttp.ClientSession | None, owns_session: bool, fetch_token: TokenFetch
    ) -> None:
        self.session = session
        self.owns_session = owns_session
        # The token fetch is shared by every waiting call, so it runs with the
        # original client's options: a view's short deadline must not fail the others.
        self.fetch_token = fetch_token
        self.credential: Credential | None = None
        self.closed = False
        self.calls = CallTracker()


class AuraClient:
    """An asyncio client of the Aura API, for one credential.

    Use it as an async context manager (or call :meth:`close`). Every coroutine
    using it, and every other client built in the same event loop with the same
    credential, shares one rate limiter and one token.

    Args:
        client_id: The API client id.
        client_secret: The API client secret (never logged or shown).
        base_url: The API origin; ``http://`` only for loopback hosts (the emulator).
        api_version: The API version path segment.
        rate_limit: The credential's allowance, or None to disable client-side limiting.
        retry: The default retry policy.
        timeout: One deadline in seconds for a whole call, or a :class:`Timeout`.
        session: A caller-owned aiohttp session (never closed by the client).
        user_agent: The User-Agent header (default names aura-async and its version).
        logger: Where the client logs (default: the ``aura_async`` logger).
        limiter: A limiter to use instead of the shared in-process one (e.g. Redis).
        token_provider: A token provider to use instead of the shared in-process one.
        backend: Shares the limiter and the token beyond this process, e.g.
            ``aura_async.redis.RedisBackend.from_url(...)``: the client takes its
            limiter (for ``rate_limit``) and token provider from it. An explicit
            ``limiter`` or ``token_provider`` takes precedence.
        max_body_size: The most bytes of an answer's body the client reads
            (decompressed; default 4 MiB). A larger 2xx answer raises
            :class:`ResponseTooLargeError` (:class:`OutcomeUnknownError` for a
            POST or PATCH); a larger error answer keeps its status, its message
            built from the first ``max_body_size`` bytes.

    Raises:
        AuraConfigurationError: An option is invalid.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = "v1",
        rate_limit: RateLimit | None = RateLimit(),  # noqa: B008 - frozen, shared safely
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008
        timeout: float | Timeout | None = 120.0,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        logger: logging.Logger | None = None,
        limiter: Limiter | None = None,
        token_provider: TokenProvider | None = None,
        backend: Backend | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        check_credential(client_id, client_secret)
        self.client_id = client_id
        self.__secret = Secret(client_secret)
        self.base_url = check_base_url(base_url)
        self._api_root = api_root(self.base_url, api_version)
        self._rate_limit = check_option("rate_limit", rate_limit, RateLimit, allow_none=True)
        self._retry = check_option("retry", retry, RetryPolicy)
        self._timeout = as_timeout(timeout)
        self._max_body_size = check_body_size(max_body_size)
        self._user_agent = user_agent or f"aura-async/{__version__} aiohttp/{aiohttp.__version__}"
        self.logger = logger or logging.getLogger("aura_async")
        if backend is not None:
            if limiter is None and self._rate_limit is not None:
                limiter = backend.limiter(
                    self._rate_limit, origin=self.base_url, client_id=client_id
                )
            if token_provider is None:
                token_provider = backend.token_provider(
                    origin=self.base_url, client_id=client_id, client_secret=client_secret
                )
        self._own_limiter = limiter
        self._own_tokens = token_provider
        # What with_options passes back to this constructor to build a view.
        self._options: dict[str, Any] = {
            "base_url": self.base_url,
            "api_version": api_version,
            "rate_limit": self._rate_limit,
            "retry": self._retry,
            "timeout": self._timeout,
            "session": session,
            "user_agent": self._user_agent,
            "logger": self.logger,
            "limiter": limiter,
            "token_provider": token_provider,
            "max_body_size": self._max_body_size,
        }
        self._core = _Core(session, session is None, self._fetch_token)
        self._is_view = False
        # Set by with_options(lane=...); None: interactive, or bulk inside client.map.
        self._lane: Lane | None = None
        self._init_resources()

    def _init_resources(self) -> None:
        from aura_async.resources import (
            CustomerManagedKeys,
            GraphAnalytics,
            Instances,
            Snapshots,
            Tenants,
        )

        self.tenants = Tenants(self)
        self.instances = Instances(self)
        self.snapshots = Snapshots(self)
        self.customer_managed_keys = CustomerManagedKeys(self)
        self.graph_analytics = GraphAnalytics(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """Build a client from ``AURA_CLIENT_ID``, ``AURA_CLIENT_SECRET`` and ``AURA_BASE_URL``.

        Args:
            environ: The environment to read (default ``os.environ``).
            **options: Further keyword options of :class:`AuraClient`.

        Raises:
            AuraConfigurationError: A required variable is missing.
        """
        env = os.environ if environ is None else environ
        missing = [n for n in ("AURA_CLIENT_ID", "AURA_CLIENT_SECRET") if not env.get(n)]
        if missing:
            raise AuraConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
        if env.get("AURA_BASE_URL"):
            options.setdefault("base_url", env["AURA_BASE_URL"])
        return cls(env["AURA_CLIENT_ID"], env["AURA_CLIENT_SECRET"], **options)

    def with_options(
        self,
        *,
        timeout: float | Timeout | Literal[_Unset.UNSET] | None = _Unset.UNSET,
        retry: RetryPolicy | Literal[_Unset.UNSET] = _Unset.UNSET,
        lane: Lane | str | Literal[_Unset.UNSET] = _Unset.UNSET,
    ) -> Self:
        """Return a view with other defaults, sharing the session, limiter and token.

        The view is built by this class's constructor, so its options are checked
        the same way. Closing the view does nothing; close the client it came from.

        Args:
            timeout: A new deadline in seconds, a :class:`Timeout`, or None for
                none (default: keep this client's).
            retry: A new :class:`RetryPolicy` (default: keep this client's).
            lane: The limiter :class:`Lane` of the view's calls, also inside
                :meth:`map` (default: keep this client's; a client without one
                makes interactive calls, and bulk ones in :meth:`map`).

        Raises:
            AuraConfigurationError: An option is invalid.
        """
        options = dict(self._options)
        if timeout is not _Unset.UNSET:
            options["timeout"] = timeout
        if retry is not _Unset.UNSET:
            options["retry"] = retry
        view_lane = self._lane if lane is _Unset.UNSET else as_lane(lane)
        view = type(self)(self.client_id, self.__secret.value, **options)
        view._core = self._core
        view._is_view = True
        view._lane = view_lane
        return view

    def __repr__(self) -> str:
        state = "closed" if self._core.closed else "open"
        return f"<AuraClient client_id={self.client_id!r} base_url={self.base_url!r} {state}>"

    async def __aenter__(self) -> Self:
        self._ensure_open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._core.closed

    async def close(self) -> None:
        """End every call still running, then close the client's own session.

        Calls of this client (and its views) that are queued in the limiter, in a
        backoff or a 429 cooldown, waiting for the token or in flight end at once
        with :class:`ClientClosedError`, and free their limiter places; other
        clients of the same credential are not affected. A caller-owned session is
        left open. Idempotent; a view's close does nothing.
        """
        core = self._core
        if self._is_view or core.closed:
            return
        core.closed = True
        try:
            await core.calls.end_all(_CLOSE_GRACE)
        finally:
            if core.owns_session and core.session is not None:
                await core.session.close()

    def __del__(self, _warn: Any = warnings.warn) -> None:
        core = self.__dict__.get("_core")
        if core is None or self.__dict__.get("_is_view", True) or core.closed:
            return
        if core.owns_session and core.session is not None and not core.session.closed:
            _warn(
                f"unclosed {self!r}: use 'async with AuraClient(...)' or await client.close()",
                ResourceWarning,
                source=self,
            )

    def _ensure_open(self) -> tuple[aiohttp.ClientSession, Credential]:
        """Return the session and shared credential state, creating them on first use."""
        core = self._core
        if core.closed:
            raise ClientClosedError("this AuraClient is closed; create a new one")
        if core.session is None:
            core.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=self._timeout.connect),
                headers={hdrs.USER_AGENT: self._user_agent},
            )
        if core.credential is None:
            core.credential = self._credential()
            watch_limiter(core.credential.limiter, self.client_id)
        return core.session, core.credential

    def _credential(self) -> Credential:
        return credential_for(
            self.base_url,
            self.client_id,
            self.__secret.value,
            rate=self._rate_limit,
            logger=self.logger,
            limiter=self._own_limiter,
            tokens=self._own_tokens,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send one API call through the pipeline and return its 2xx answer.

        Args:
            method: The HTTP method.
            path: The path below the API root, e.g. ``/instances``.
            json: A JSON body.
            params: Query parameters.
            idempotent: Whether the call is safe to repeat (default: by method).

        Returns:
            The answer. A retried DELETE that found nothing returns its 404.

        Raises:
            AuraError: Every failure, typed.
        """
        return await self._request(method, path, json=json, params=params, idempotent=idempotent)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        converges_on: frozenset[int] = frozenset(),
    ) -> Response:
        """:meth:`request`, for an operation that may declare itself convergent.

        ``converges_on`` (e.g. 400 and 409 for pause) makes the call repeatable;
        a re-send answered with one of them is returned, not raised, for the
        operation to confirm by reading the resource.
        """
        session, credential = self._ensure_open()
        ctx = CallContext(
            method=method,
            lane=self._lane or BULK_CONTEXT.get() or Lane.INTERACTIVE,
            deadline=self._deadline(),
            idempotent=bool(converges_on) or _is_idempotent(method, idempotent),
            retry=self._retry,
            timeout=self._timeout,
            logger=self.logger,
            observer=self._observer(operation_for(method, path), method),
            max_body_size=self._max_body_size,
            converges_on=converges_on,
        )
        limiter = credential.limiter
        middlewares = (
            BackoffMiddleware(ctx, limiter),
            AuthMiddleware(ctx, credential.tokens, self._core.fetch_token),
            RateLimitMiddleware(ctx, limiter),
        )
        url = self._api_root + path
        with ctx.observer, self._core.calls.track(ctx, method, url):
            raw = await send(
                session,
                method,
                url,
                middlewares=middlewares,
                deadline=self._timeout.total,
                json_body=json,
                params=params,
                body=lambda: ctx.body,
                maybe_sent=lambda: ctx.maybe_sent,
                idempotent=ctx.idempotent,
            )
            self._note_deprecation(raw)
            if raw.status >= 300 and not (ctx.already_gone or ctx.converged):
                raise api_error(raw)
        if method != "GET":
            self.logger.info(
                "%s %s accepted (%d, request id %s)", method, path, raw.status, raw.request_id
            )
        return raw

    async def map(
        self,
        fn: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Callable[[BulkProgress], None] | None = None,
    ) -> list[BulkResult[T, R]]:
        """Run ``fn`` over ``items`` concurrently; return every result, in input order.

        Every call goes through this client's shared limiter, so ``concurrency``
        only bounds the tasks and memory in use. The calls ``fn`` makes run in the
        bulk :class:`Lane` (behind every interactive call, leaving the window's
        reserve), unless this client was given a lane with :meth:`with_options`,
        or ``fn``'s own client was. One item's failure never stops
        the others: it is recorded in its result. Cancelling the awaiting task
        cancels the items in flight and starts no more.

        Args:
            fn: The coroutine function to call with each item, e.g.
                ``client.instances.pause``.
            items: The items, an iterable or an async iterable, read lazily.
            concurrency: At most this many calls of ``fn`` in flight (>= 1).
            on_progress: Called with a :class:`BulkProgress` after each item finishes.

        Returns:
            One :class:`BulkResult` per item (``.value`` or ``.error``), in input order.

        Raises:
            AuraValidationError: ``concurrency`` is not a positive integer; nothing
                was started.
        """
        return await bulk_map(
            fn, items, concurrency=concurrency, on_progress=on_progress, lane=self._bulk_lane()
        )

    def map_unordered(
        self,
        fn: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Callable[[BulkProgress], None] | None = None,
    ) -> AsyncGenerator[BulkResult[T, R], None]:
        """Like :meth:`map`, as an async iterator of results in completion order.

        Use it as ``async with contextlib.aclosing(client.map_unordered(...)) as
        results: async for result in results: ...``; closing it early cancels the
        items in flight.

        Raises:
            AuraValidationError: ``concurrency`` is not a positive integer (raised
                at once, before iterating).
        """
        return bulk_as_completed(
            fn, items, concurrency=concurrency, on_progress=on_progress, lane=self._bulk_lane()
        )

    def _bulk_lane(self) -> Lane:
        """The lane of :meth:`map`'s calls: this client's explicit one, else bulk."""
        return self._lane or Lane.BULK

    async def authenticate(self) -> None:
        """Get an access token now (or reuse the shared one), so bad credentials fail early.

        E.g. at a service's startup (``aura_lifespan(check=True)``): a wrong secret then
        fails the deploy, not the first user's request. The token is the one every later
        call uses, so this costs no extra request.

        Raises:
            AuthenticationError: The token endpoint rejected the client id or secret.
            ClientClosedError: The client is closed.
            AuraError: The token could not be fetched (network, deadline, ...).
        """
        _, credential = self._ensure_open()
        await credential.tokens.token(self._core.fetch_token)

    async def _fetch_token(self) -> TokenGrant:
        """POST the client credentials to the token endpoint (through the limiter)."""
        session, credential = self._ensure_open()
        ctx = CallContext(
            method="POST",
            deadline=self._deadline(),
            idempotent=True,
            retry=self._retry,
            timeout=self._timeout,
            logger=self.logger,
            observer=self._observer(TOKEN_OPERATION, "POST"),
            max_body_size=self._max_body_size,
        )
        limiter = credential.limiter
        url = self.base_url + "/oauth/token"
        # Tracked like a call: closing this client ends the fetch, and the token
        # cache lets the waiting calls of other clients fetch on their own session.
        with ctx.observer, self._core.calls.track(ctx, "POST", url):
            raw = await send(
                session,
                "POST",
                url,
                middlewares=(BackoffMiddleware(ctx, limiter), RateLimitMiddleware(ctx, limiter)),
                deadline=self._timeout.total,
                form={"grant_type": "client_credentials"},
                headers={hdrs.AUTHORIZATION: self._basic_auth()},
                body=lambda: ctx.body,
            )
            if raw.status != 200:
                raise api_error(raw)
            return parse_token_response(raw)

    def _deadline(self) -> float | None:
        """When a call starting now must be done (``time.monotonic()``), or None."""
        total = self._timeout.total
        return None if total is None else time.monotonic() + total

    async def limiter_stats(self) -> LimiterStats | None:
        """Return a snapshot of the credential's limiter: queues per lane, window, counters.

        Returns:
            The :class:`LimiterStats`, or None when rate limiting is off.

        Raises:
            ClientClosedError: The client is closed.
        """
        _, credential = self._ensure_open()
        limiter = credential.limiter
        return None if limiter is None else await limiter.stats()

    def _observer(self, operation: Operation, method: str) -> CallObserver:
        return CallObserver(operation, method=method, origin=self.base_url, logger=self.logger)

    def _basic_auth(self) -> str:
        return aiohttp.encode_basic_auth(self.client_id, self.__secret.value)

    def _note_deprecation(self, raw: Response) -> None:
        expires = raw.headers.get(_DEPRECATION_HEADER)
        credential = self._core.credential
        if expires and credential is not None and not credential.deprecation_warned:
            credential.deprecation_warned = True
            self.logger.warning(
                "the Aura API version in use is deprecated and will be removed on %s; "
                "upgrade aura-async or pass a newer api_version",
                expires,
            )
