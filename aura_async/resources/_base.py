"""What every resource shares: typed calls through the client, and the waiter loop."""

from __future__ import annotations

import asyncio
import difflib
import enum
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from aura_async._convert import structure_data, structure_list, unstructure_body
from aura_async._errors import (
    AuraConnectionError,
    AuraValidationError,
    NotFoundError,
    OperationFailedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnreadableResultError,
    WaitTimeoutError,
)
from aura_async._reconcile import reconcile_step
from aura_async._retry import IDEMPOTENT_METHODS
from aura_async._transport import Response, decode_json, invalid_body
from aura_async._urls import path_segment

if TYPE_CHECKING:
    from aura_async._client import AuraClient

__all__ = [
    "Resource",
    "check_wait_options",
    "deprecated_alias",
    "wait_target",
    "wait_until",
]

T = TypeVar("T")

logger = logging.getLogger("aura_async")

# How long a 404 may mean "created but not visible yet" to a waiter.
_NOT_FOUND_GRACE = 20.0
# What a waiter rides out: the next poll may well succeed.
_TRANSIENT = (AuraConnectionError, ServerError, RateLimitError, ResponseValidationError)


class Resource:
    """Base of the resource namespaces (``client.instances``, ...).

    Args:
        client: The client whose pipeline the calls go through.
    """

    def __init__(self, client: AuraClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _one(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> T:
        raw = await self._send(method, path, body=body, params=params, idempotent=idempotent)
        return self._one_from(raw, model, idempotent=idempotent)

    async def _poll_until(
        self,
        path: str,
        model: type[T],
        *,
        done: Callable[[T], bool],
        failed: Callable[[T], bool],
        timeout: float,
        interval: float,
        what: str,
    ) -> T:
        """Poll ``GET path`` until ``done`` (see :func:`wait_until`), after checking the options.

        A 404 is tolerated for the first 20 seconds: a just-created resource may briefly
        answer it. A poll that fails transiently (see :func:`wait_until`) is logged and
        the next one follows.

        Raises:
            AuraValidationError: ``timeout`` or ``interval`` is not a positive number.
        """
        check_wait_options(timeout, interval)
        return await wait_until(
            lambda: self._one("GET", path, model),
            done=done,
            failed=failed,
            timeout=timeout,
            interval=interval,
            not_found_grace=min(timeout, _NOT_FOUND_GRACE),
            what=what,
        )

    def _one_from(self, raw: Response, model: type[T], *, idempotent: bool | None = None) -> T:
        """Read a 2xx answer as ``model``.

        Raises:
            UnreadableResultError: A non-idempotent call's answer does not read (the
                server acted: the error keeps the body).
            ResponseValidationError: Another call's answer does not read.
        """
        acted = raw.method not in IDEMPOTENT_METHODS if idempotent is None else not idempotent
        return _parse(raw, lambda data: structure_data(data, model), acted=acted)

    async def _many(
        self, path: str, model: type[T], *, params: Mapping[str, str] | None = None
    ) -> tuple[T, ...]:
        raw = await self._send("GET", path, params=params)
        request_id = raw.request_id
        return _parse(raw, lambda data: structure_list(data, model, request_id=request_id))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        converges_on: frozenset[int] = frozenset(),
    ) -> Response:
        json_body = None if body is None else unstructure_body(body)
        return await self._client._request(
            method,
            path,
            json=json_body,
            params=params,
            idempotent=idempotent,
            converges_on=converges_on,
        )


def _parse(raw: Response, structure: Callable[[Any], T], *, acted: bool = False) -> T:
    try:
        data = decode_json(raw)
    except ResponseValidationError:
        if acted:
            raise unreadable_result(raw, "the response body is not JSON") from None
        raise
    try:
        return structure(data)
    except ResponseValidationError as exc:
        if acted:
            raise unreadable_result(raw, str(exc)) from None
        raise invalid_body(raw, str(exc)) from None


def unreadable_result(raw: Response, problem: str) -> UnreadableResultError:
    """Return the error for an accepted non-idempotent call whose answer does not read.

    Args:
        raw: The 2xx answer.
        problem: What does not read (paths and types, never values).

    Returns:
        The error, carrying the decoded body (JSON, or text when it is not JSON).
    """
    try:
        body: object = json.loads(raw.body)
    except (ValueError, UnicodeDecodeError):
        body = raw.body.decode("utf-8", "replace")
    return UnreadableResultError(
        f"{raw.method} {raw.url}: the server accepted the request (HTTP {raw.status}) but its "
        f"answer does not read ({problem}). It was not re-sent: before trying again, "
        f"{reconcile_step(raw.method, raw.url)}; .body holds the answer.",
        method=raw.method,
        url=raw.url,
        request_id=raw.request_id,
        body=body,
    )


def segment(name: str, value: object) -> str:
    """Return ``/value`` for a path, after checking the id (see :func:`path_segment`)."""
    return "/" + path_segment(name, value)


def check_wait_options(timeout: float, interval: float) -> None:
    """Validate a waiter's timeout and poll interval.

    Raises:
        AuraValidationError: Either is not a positive number.
    """
    for name, value in (("timeout", timeout), ("interval", interval)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise AuraValidationError(f"{name} must be a positive number, got {value!r}")


async def wait_until(
    fetch: Callable[[], Awaitable[T]],
    *,
    done: Callable[[T], bool],
    failed: Callable[[T], bool],
    timeout: float,
    interval: float,
    not_found_grace: float,
    what: str,
) -> T:
    """Poll ``fetch`` until ``done`` (or ``failed``), within ``timeout`` seconds.

    A poll that fails transiently (a connection failure or 5xx left after the client's
    retries, a 429, an answer that does not read, a 404 within ``not_found_grace``) is
    logged and the waiter polls again: only ``done``, ``failed``, another error (e.g. a
    4xx) or the deadline ends the wait. Cancelling the waiter only stops the polling:
    nothing is cancelled on the server.

    Args:
        fetch: Reads the current state (one API call).
        done: True when the wait is over.
        failed: True when the operation failed.
        timeout: Seconds before giving up.
        interval: Seconds between polls.
        not_found_grace: Seconds during which a 404 means "not visible yet" (a
            just-created resource may briefly answer 404).
        what: Describes the wait, for error messages.

    Returns:
        The state that satisfied ``done``.

    Raises:
        OperationFailedError: ``failed`` was true; ``.last`` holds the state.
        WaitTimeoutError: The timeout passed; ``.last`` holds the last state seen (read).
        NotFoundError: The resource was still missing after the grace period.
        AuraError: A poll failed otherwise (e.g. 403).
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen: list[T] = []
    limit = asyncio.timeout_at(started + timeout)
    try:
        async with limit:
            while True:
                grace_over = loop.time() - started > not_found_grace
                state = await _poll_once(fetch, seen, grace_over, what)
                if state is not None and failed(state):
                    raise OperationFailedError(f"{what}: the operation failed", last=state)
                if state is not None and done(state):
                    return state
                await asyncio.sleep(interval)
    except TimeoutError:
        if not limit.expired():
            raise
        last = seen[-1] if seen else None
        raise WaitTimeoutError(
            f"{what}: gave up after {timeout:g}s; {_last_seen(last)}", last=last
        ) from None


def _last_seen(last: object) -> str:
    """Describe the last state a waiter read, for its timeout message."""
    if last is None:
        return "no state was read (not found yet, or every poll failed)"
    status = getattr(last, "status", None)
    return f"the last status seen was {str(status)!r}" if status is not None else "no status"


def wait_target(
    until: object, known: type[enum.StrEnum], *, allow_unknown: bool = False
) -> enum.StrEnum | str:
    """Return the status a waiter waits for: a member of ``known``, or an opted-in string.

    A known status matches whatever its case (``"completed"`` is ``Completed``), so
    that a waiter never polls for a status that cannot come.

    Args:
        until: The status asked for.
        known: The statuses this release knows.
        allow_unknown: Accept a non-empty string outside ``known`` (a status the
            API added after this release), exactly as given.

    Returns:
        The member of ``known``, or ``until`` itself when opted in.

    Raises:
        AuraValidationError: ``until`` is not a known status (and not opted in), or
            not a non-empty string; the message suggests the closest known one.
    """
    if isinstance(until, known):
        return until
    if isinstance(until, str) and until.strip():
        by_fold = {member.value.casefold(): member for member in known}
        member = by_fold.get(until.casefold())
        if member is not None:
            return member
        if allow_unknown:
            return until
    raise AuraValidationError(_unknown_target(until, known))


def _unknown_target(until: object, known: type[enum.StrEnum]) -> str:
    values = [member.value for member in known]
    close = difflib.get_close_matches(str(until), values, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"until must be a known {known.__name__}: {', '.join(map(repr, values))}; "
        f"got {until!r}{hint}. Pass allow_unknown=True to wait for a status this "
        "release does not know."
    )


def deprecated_alias(old: str, new: str) -> None:
    """Warn that ``old`` is a deprecated alias of ``new`` (removed after 0.1)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in 0.2; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


async def _poll_once(
    fetch: Callable[[], Awaitable[T]], seen: list[T], grace_over: bool, what: str
) -> T | None:
    """Fetch once; None after a transient failure or a 404 within the grace period."""
    try:
        state = await fetch()
    except NotFoundError:
        if grace_over:
            raise
        logger.debug("%s: not found yet (a 404 within the grace after a create)", what)
        return None
    except _TRANSIENT as exc:
        logger.info("%s: a poll failed (%s), polling again: %s", what, type(exc).__name__, exc)
        return None
    seen[:] = [state]
    return state
