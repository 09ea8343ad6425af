"""The one place where aiohttp and asyncio exceptions become aura_async errors.

Also the pure pieces of sending: classifying a transport failure for the retry
policy, and building the request URL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import aiohttp
import attrs
from aiohttp import ClientRequest, ClientResponse, hdrs
from multidict import CIMultiDictProxy

from aura_async._errors import (
    AuraConnectionError,
    AuraError,
    AuraTimeoutError,
    OutcomeUnknownError,
    ResponseValidationError,
    error_from_response,
)

__all__ = [
    "PipelineError",
    "Response",
    "classify_exception",
    "connection_error",
    "decode_json",
    "invalid_body",
    "outcome_unknown",
    "send",
]

FailureKind = Literal["not_sent", "lost"]


class PipelineError(Exception):
    """Carries a final :class:`AuraError` out of the middlewares, through aiohttp.

    Not an ``OSError``, so aiohttp passes it through unchanged.
    """

    def __init__(self, error: AuraError) -> None:
        super().__init__(error)
        self.error = error


@attrs.frozen
class Response:
    """A complete answer of the API, as :meth:`AuraClient.request` returns it.

    Immutable; the connection is already released. The body is left out of
    ``repr`` (it may hold an instance's initial password).

    Attributes:
        status: The HTTP status.
        headers: The response headers (case-insensitive, read-only).
        body: The raw body.
        method: The request's HTTP method.
        url: The request's URL.
    """

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes = attrs.field(repr=False)
    method: str
    url: str

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` the API sent, if any."""
        return self.headers.get("X-Request-Id")

    def json(self) -> Any:
        """Return the body parsed as JSON.

        Raises:
            ResponseValidationError: The body is not JSON.
        """
        return decode_json(self)


def classify_exception(exc: BaseException) -> FailureKind:
    """Say whether a failed attempt provably sent nothing, or may have been received.

    Connect errors (DNS, refused, connect timeout, TLS handshake) sent nothing; every
    other failure (timeout, reset, disconnect, cancellation) may have reached the server.
    """
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return "not_sent"
    return "lost"


def connection_error(req: ClientRequest, exc: BaseException | None) -> AuraConnectionError:
    """Return the error for a request that failed on the network after all retries."""
    where = f"{req.method} {req.url}"
    if isinstance(exc, TimeoutError):
        return AuraTimeoutError(
            f"{where}: timed out waiting for the API", method=req.method, url=str(req.url)
        )
    detail = f"{type(exc).__name__}: {exc}" if exc is not None else "connection failed"
    return AuraConnectionError(f"{where}: {detail}", method=req.method, url=str(req.url))


def outcome_unknown(req: ClientRequest, resp: ClientResponse | None) -> OutcomeUnknownError:
    """Return the error for a non-idempotent request the server may have applied."""
    what = f"HTTP {resp.status}" if resp is not None else "the connection failed"
    return OutcomeUnknownError(
        f"{req.method} {req.url}: {what} after the request was sent; the server may or "
        "may not have applied it. It was not re-sent: check the resource's state "
        "(e.g. instances.find(name=...)) before trying again.",
        method=req.method,
        url=str(req.url),
        request_id=resp.headers.get("X-Request-Id") if resp is not None else None,
    )


def invalid_body(response: Response, problem: str) -> ResponseValidationError:
    """Return the error for a 2xx answer whose body is not what was expected."""
    return ResponseValidationError(
        f"{response.method} {response.url}: {problem}",
        method=response.method,
        url=response.url,
        request_id=response.request_id,
    )


def decode_json(response: Response) -> Any:
    """Parse a 2xx body as JSON.

    Raises:
        ResponseValidationError: The body is not JSON.
    """
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        raise invalid_body(response, "the response body is not JSON") from None


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    middlewares: Sequence[aiohttp.ClientMiddlewareType],
    deadline: float | None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    maybe_sent: Callable[[], bool] = lambda: True,
    idempotent: bool = True,
) -> Response:
    """Send one API call through the middlewares within one overall deadline.

    Args:
        session: The aiohttp session.
        method: The HTTP method.
        url: The absolute URL.
        middlewares: The call's middlewares, outermost first.
        deadline: Seconds for the whole call (token, limiter wait, attempts,
            backoff), or None.
        json_body: A JSON body, if any.
        params: Query parameters.
        headers: Extra headers.
        form: A form body (the token endpoint), if any.
        maybe_sent: Tells, when the deadline passes, whether a request may have
            reached the server.
        idempotent: Whether the call is safe to repeat.

    Returns:
        The final answer (any status the backoff middleware let through).

    Raises:
        AuraError: Every failure, as its typed subclass.
    """
    data: Any = form
    all_headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body, separators=(",", ":")).encode()
        all_headers[hdrs.CONTENT_TYPE] = "application/json"
    try:
        async with asyncio.timeout(deadline):
            async with session.request(
                method,
                url,
                data=data,
                params=params,
                headers=all_headers,
                middlewares=tuple(middlewares),
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                return Response(resp.status, resp.headers, body, method, url)
    except PipelineError as failure:
        raise failure.error from failure.__cause__
    except TimeoutError as exc:
        raise _deadline_error(method, url, deadline, maybe_sent(), idempotent) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise AuraConnectionError(
            f"{method} {url}: {type(exc).__name__}: {exc}", method=method, url=url
        ) from exc


def _deadline_error(
    method: str, url: str, deadline: float | None, maybe_sent: bool, idempotent: bool
) -> AuraError:
    if maybe_sent and not idempotent:
        return OutcomeUnknownError(
            f"{method} {url}: the call's deadline of {deadline}s passed after the request "
            "was sent; the server may or may not have applied it.",
            method=method,
            url=url,
        )
    return AuraTimeoutError(
        f"{method} {url}: no answer within the call's deadline of {deadline}s",
        method=method,
        url=url,
    )


def api_error(response: Response) -> AuraError:
    """Return the typed error for a non-2xx answer."""
    return error_from_response(
        status=response.status,
        body=response.body,
        content_type=response.headers.get(hdrs.CONTENT_TYPE),
        method=response.method,
        url=response.url,
        request_id=response.request_id,
    )
