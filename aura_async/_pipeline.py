"""The request pipeline: aiohttp client middlewares, outermost first.

``backoff -> auth -> rate limit -> (aiohttp sends)``. Each attempt therefore takes
a fresh limiter slot and the current token, and the backoff layer sees every
outcome. The middlewares of one call share a :class:`CallContext`. Errors leave
the middlewares wrapped in :class:`PipelineError` (aiohttp would turn an
``OSError`` such as :class:`AuraConnectionError` into its own ``ClientOSError``);
:mod:`aura_async._transport` unwraps them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs

from aura_async._auth import Token, TokenFetch, TokenProvider
from aura_async._config import DEFAULT_MAX_BODY_SIZE, RetryPolicy, Timeout
from aura_async._errors import AuraError, is_token_expired_response
from aura_async._lanes import Lane
from aura_async._ratelimit import Limiter
from aura_async._retry import (
    AttemptOutcome,
    RetryDecision,
    decide,
    may_have_applied,
    parse_retry_after,
    rejection_cooldown,
)
from aura_async._telemetry import CallObserver
from aura_async._transport import (
    TRANSPORT_ERRORS,
    PipelineError,
    Response,
    api_error,
    classify_exception,
    outcome_unknown,
    read_bounded,
    too_large,
    transport_error,
)

__all__ = ["AuthMiddleware", "BackoffMiddleware", "CallContext", "RateLimitMiddleware"]


@attrs.define(kw_only=True)
class CallContext:
    """The state one API call shares between its middlewares and the transport.

    Attributes:
        method: The HTTP method.
        idempotent: Whether the call may be repeated after an ambiguous failure.
        retry: The retry policy of this call.
        timeout: The timeouts of this call.
        logger: Where attempts are logged.
        observer: Turns the call's attempts and waits into telemetry and log records.
        retries_done: Attempts already retried.
        maybe_sent: A request of this call may have reached the server.
        priority: The next limiter wait goes to the head of its lane.
        lane: The call's limiter lane.
        deadline: When the whole call's time runs out (``time.monotonic()``), or
            None; the limiter refuses at once a wait it estimates longer.
        token_replaced: The token was already replaced once after a rejection.
        already_gone: A retried DELETE found nothing to delete (success).
        max_body_size: The most bytes of an answer's body that are read.
        body: The latest answer's body (its first ``max_body_size`` bytes if cut).
        body_cut: The latest answer's body exceeded ``max_body_size``.
        converges_on: Statuses that, answering a re-send, mean a convergent
            operation may already be done (see :func:`aura_async._retry.decide`).
        maybe_applied: An attempt of this call that did not succeed may have
            been applied.
        converged: A re-send got one of ``converges_on``: the answer is returned,
            not raised, for the operation to confirm.
    """

    method: str
    idempotent: bool
    retry: RetryPolicy
    timeout: Timeout
    logger: logging.Logger
    observer: CallObserver
    retries_done: int = 0
    maybe_sent: bool = False
    priority: bool = False
    lane: Lane = Lane.INTERACTIVE
    deadline: float | None = None
    token_replaced: bool = False
    already_gone: bool = False
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    body: bytes = b""
    body_cut: bool = False
    converges_on: frozenset[int] = frozenset()
    maybe_applied: bool = False
    converged: bool = False


class BackoffMiddleware:
    """Retries what the retry matrix allows; raises everything else as ours.

    Args:
        ctx: The call's context.
        limiter: The shared limiter (told about 429s), or None.
        rng: Jitter source (injectable for reproducible soaks).
    """

    def __init__(
        self,
        ctx: CallContext,
        limiter: Limiter | None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._ctx = ctx
        self._limiter = limiter
        self._rng = rng

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Run attempts until one is final."""
        ctx = self._ctx
        while True:
            started = time.monotonic()
            resp, exc, outcome = await _attempt(req, handler)
            if resp is not None and ctx.body_cut and 200 <= resp.status < 300:
                raise PipelineError(_too_large(ctx, req, resp))
            jitter = self._rng()
            decision = decide(
                outcome,
                method=ctx.method,
                idempotent=ctx.idempotent,
                retries_done=ctx.retries_done,
                policy=ctx.retry,
                jitter=jitter,
                converges_on=ctx.converges_on,
                maybe_applied=ctx.maybe_applied,
            )
            self._report_rejection(outcome, jitter)
            _log_attempt(ctx, req, resp, exc, decision, time.monotonic() - started)
            if decision.action in ("return", "already_gone", "converged"):
                ctx.already_gone = decision.action == "already_gone"
                ctx.converged = decision.action == "converged"
                return resp  # type: ignore[return-value]  # these imply a response
            ctx.maybe_applied = ctx.maybe_applied or may_have_applied(outcome)
            await self._act(decision, req, resp, exc)

    def _report_rejection(self, outcome: AttemptOutcome, jitter: float) -> None:
        """Start the credential's cooldown on any 429, retried or not."""
        ctx = self._ctx
        cooldown = rejection_cooldown(
            outcome, retries_done=ctx.retries_done, policy=ctx.retry, jitter=jitter
        )
        if cooldown is not None and self._limiter is not None:
            self._limiter.report_rejection(cooldown)

    async def _act(
        self,
        decision: RetryDecision,
        req: ClientRequest,
        resp: ClientResponse | None,
        exc: BaseException | None,
    ) -> None:
        """Prepare the next attempt, or raise the final error."""
        ctx = self._ctx
        if decision.action in ("outcome_unknown", "raise"):
            raise PipelineError(_final_error(decision, req, resp, exc, ctx.body))
        if resp is not None:
            resp.release()
        ctx.retries_done += 1
        if decision.action == "cooldown" and self._limiter is not None:
            ctx.priority = True  # the cooldown is under way: the limiter waits it out
        else:
            await asyncio.sleep(decision.delay)


async def _attempt(
    req: ClientRequest, handler: ClientHandlerType
) -> tuple[ClientResponse | None, BaseException | None, AttemptOutcome]:
    """Run one attempt and describe its outcome for the retry policy."""
    try:
        resp = await handler(req)
    except PipelineError:
        raise
    except TRANSPORT_ERRORS as exc:
        return None, exc, AttemptOutcome(classify_exception(exc))
    retry_after = parse_retry_after(resp.headers.get(hdrs.RETRY_AFTER), now=datetime.now(UTC))
    return resp, None, AttemptOutcome("response", resp.status, retry_after)


def _too_large(ctx: CallContext, req: ClientRequest, resp: ClientResponse) -> AuraError:
    return too_large(
        req.method,
        str(req.url),
        status=resp.status,
        request_id=resp.headers.get("X-Request-Id"),
        limit=ctx.max_body_size,
        idempotent=ctx.idempotent,
    )


def _final_error(
    decision: RetryDecision,
    req: ClientRequest,
    resp: ClientResponse | None,
    exc: BaseException | None,
    body: bytes,
) -> AuraError:
    """Build (in :mod:`aura_async._transport`) the error a final attempt raises."""
    method, url = req.method, str(req.url)
    if resp is None:
        assert exc is not None  # no answer means the attempt failed
        if decision.action == "raise":
            return transport_error(method, url, exc)
        what = f"the connection failed ({type(exc).__name__})"
        return outcome_unknown(method, url, what=what, cause=exc)
    error = api_error(Response(resp.status, resp.headers, body, method, url))
    if decision.action == "raise":
        return error
    request_id = resp.headers.get("X-Request-Id")
    what = f"HTTP {resp.status}"
    return outcome_unknown(method, url, what=what, request_id=request_id, cause=error)


def _log_attempt(
    ctx: CallContext,
    req: ClientRequest,
    resp: ClientResponse | None,
    exc: BaseException | None,
    decision: RetryDecision,
    elapsed: float,
) -> None:
    ctx.observer.attempt(
        status=resp.status if resp is not None else None,
        error=exc,
        decision=decision,
        elapsed=elapsed,
        path=req.url.path,
        request_id=resp.headers.get("X-Request-Id") if resp is not None else None,
    )


class AuthMiddleware:
    """Adds the bearer token; replaces a rejected token once and re-sends.

    Args:
        ctx: The call's context.
        provider: The shared token provider.
        fetch: Fetches a new token when the provider needs one.
    """

    def __init__(
        self,
        ctx: CallContext,
        provider: TokenProvider,
        fetch: TokenFetch,
    ) -> None:
        self._ctx = ctx
        self._provider = provider
        self._fetch = fetch

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Send with the current token; on a token rejection, once more with a new one."""
        token = await self._authorize(req)
        resp = await handler(req)
        if self._ctx.token_replaced or not is_token_expired_response(resp.status, self._ctx.body):
            return resp
        # The server rejected the token before acting, so re-sending is safe.
        self._ctx.token_replaced = True
        self._provider.invalidate(token)
        resp.release()
        await self._authorize(req)
        return await handler(req)

    async def _authorize(self, req: ClientRequest) -> Token:
        try:
            token = await self._provider.token(self._fetch)
        except AuraError as exc:
            raise PipelineError(exc) from exc.__cause__
        req.headers[hdrs.AUTHORIZATION] = f"Bearer {token.value}"
        return token


class RateLimitMiddleware:
    """Takes a limiter slot for each send and bounds the attempt's duration.

    The response body is read here, inside the attempt timeout, so that a body cut
    short counts as a lost attempt and the slot is released when the answer is
    complete.

    Args:
        ctx: The call's context.
        limiter: The shared limiter, or None when rate limiting is off.
    """

    def __init__(self, ctx: CallContext, limiter: Limiter | None) -> None:
        self._ctx = ctx
        self._limiter = limiter

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Wait for a slot, then send and read the answer within the attempt timeout."""
        if self._limiter is None:
            return await self._send(req, handler)
        self._ctx.observer.waiting_for(self._limiter)
        try:
            permit = await self._limiter.acquire(
                priority=self._ctx.priority, lane=self._ctx.lane, deadline=self._ctx.deadline
            )
        except AuraError as exc:
            # A shared limiter can fail (e.g. Redis is down); aiohttp would turn an
            # AuraConnectionError, an OSError, into its own ClientOSError.
            raise PipelineError(exc) from exc.__cause__
        self._ctx.priority = False
        self._ctx.observer.got_slot()
        sent = answered = True
        try:
            return await self._send(req, handler)
        except BaseException as exc:
            sent = classify_exception(exc) != "not_sent"
            answered = False
            raise
        finally:
            permit.release(sent=sent, answered=answered)

    async def _send(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        already_sent, self._ctx.maybe_sent = self._ctx.maybe_sent, True
        try:
            async with asyncio.timeout(self._ctx.timeout.attempt):
                resp = await handler(req)
                try:
                    body = await read_bounded(resp, self._ctx.max_body_size)
                except BaseException:
                    resp.close()
                    raise
                self._ctx.body, self._ctx.body_cut = body
        except BaseException as exc:
            if classify_exception(exc) == "not_sent":
                self._ctx.maybe_sent = already_sent
            raise
        return resp
