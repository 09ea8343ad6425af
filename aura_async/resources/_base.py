"""What every resource shares: typed calls through the client, and the waiter loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from aura_async._convert import structure_data, structure_list, unstructure_body
from aura_async._errors import (
    AuraValidationError,
    NotFoundError,
    OperationFailedError,
    ResponseValidationError,
    WaitTimeoutError,
)
from aura_async._transport import Response, decode_json, invalid_body
from aura_async._urls import path_segment

if TYPE_CHECKING:
    from aura_async._client import AuraClient

__all__ = ["Resource", "check_wait_options", "wait_until"]

T = TypeVar("T")

# How long a 404 may mean "created but not visible yet" to a waiter.
_NOT_FOUND_GRACE = 20.0


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
        return self._one_from(raw, model)

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
        answer it.

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

    def _one_from(self, raw: Response, model: type[T]) -> T:
        return _parse(raw, lambda data: structure_data(data, model))

    async def _many(
        self, path: str, model: type[T], *, params: Mapping[str, str] | None = None
    ) -> tuple[T, ...]:
        raw = await self._send("GET", path, params=params)
        return _parse(raw, lambda data: structure_list(data, model))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        json_body = None if body is None else unstructure_body(body)
        return await self._client.request(
            method, path, json=json_body, params=params, idempotent=idempotent
        )


def _parse(raw: Response, structure: Callable[[Any], T]) -> T:
    data = decode_json(raw)
    try:
        return structure(data)
    except ResponseValidationError as exc:
        raise invalid_body(raw, str(exc)) from None


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

    Cancelling the waiter only stops the polling: nothing is cancelled on the server.

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
        WaitTimeoutError: The timeout passed; ``.last`` holds the last state seen.
        NotFoundError: The resource was still missing after the grace period.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen: list[T] = []
    limit = asyncio.timeout_at(started + timeout)
    try:
        async with limit:
            while True:
                state = await _poll_once(fetch, seen, loop.time() - started > not_found_grace)
                if state is not None and failed(state):
                    raise OperationFailedError(f"{what}: the operation failed", last=state)
                if state is not None and done(state):
                    return state
                await asyncio.sleep(interval)
    except TimeoutError:
        if not limit.expired():
            raise
        last = seen[-1] if seen else None
        raise WaitTimeoutError(f"{what}: gave up after {timeout:g}s", last=last) from None


async def _poll_once(
    fetch: Callable[[], Awaitable[T]], seen: list[T], grace_over: bool
) -> T | None:
    """Fetch once; None while a 404 is still within the grace period."""
    try:
        state = await fetch()
    except NotFoundError:
        if grace_over:
            raise
        return None
    seen[:] = [state]
    return state
