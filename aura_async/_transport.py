"""The one boundary where aiohttp, asyncio and OS failures become aura_async errors.

Every error the pipeline raises is built here, one builder per error:
:func:`transport_error`, :func:`deadline_error`, :func:`outcome_unknown`,
:func:`api_error`, :func:`invalid_body` and :func:`too_large`. None of them chains a foreign
exception: aiohttp's ``ClientResponseError`` holds the request's headers
(``Authorization: Bearer ...``) in ``request_info``, so a failure is chained as a
:class:`SanitisedTransportError` that keeps only the original type's name and a redacted
one-line description, and :func:`send` raises outside any ``except`` block, so no
``__context__`` carries one either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import aiohttp
import attrs
from aiohttp import ClientResponse, hdrs
from aiohttp.http_exceptions import HttpProcessingError
from multidict import CIMultiDictProxy

from aura_async._error_body import redact
from aura_async._errors import (
    AdmissionTimeoutError,
    AuraConnectionError,
    AuraError,
    AuraTimeoutError,
    OutcomeUnknownError,
    ResponseTooLargeError,
    ResponseValidationError,
    error_from_response,
)
from aura_async._reconcile import reconcile_step
from aura_async._retry import parse_retry_after
from aura_async._urls import wire_url

__all__ = [
    "TRANSPORT_ERRORS",
    "PipelineError",
    "Response",
    "SanitisedTransportError",
    "api_error",
    "classify_exception",
    "deadline_error",
    "decode_json",
    "describe_exception",
    "invalid_body",
    "outcome_unknown",
    "read_bounded",
    "send",
    "too_large",
    "transport_error",
]

FailureKind = Literal["not_sent", "lost"]
E = TypeVar("E", bound=AuraError)

# What a network attempt can raise besides our own errors: aiohttp's errors, the
# HTTP parser's, OS errors (resets, TLS) and timeouts.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    HttpProcessingError,
    OSError,
    TimeoutError,
)
_DETAIL_MAX_CHARS = 200


class PipelineError(Exception):
    """Carries a final :class:`AuraError` out of the middlewares, through aiohttp.

    Not an ``OSError``, so aiohttp passes it through unchanged.
    """

    def __init__(self, error: AuraError) -> None:
        super().__init__(error)
        self.error = error


class SanitisedTransportError(Exception):
    """The sanitised stand-in chained as ``__cause__`` for an aiohttp, asyncio or OS error.

    It keeps the original exception's type name and a redacted one-line
    description, never the exception itself, its ``request_info`` (which holds the
    request's headers) or its own chain.

    Args:
        type_name: The original exception's class name, e.g. ``ClientResponseError``.
        detail: The redacted description.
    """

    def __init__(self, type_name: str, detail: str) -> None:
        super().__init__(f"{type_name}: {detail}" if detail else type_name)
        self.type_name = type_name
        self.detail = detail


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


def describe_exception(exc: BaseException) -> str:
    """Return ``TypeName: detail``: one redacted line of at most ~200 characters."""
    detail = redact(" ".join(str(exc).split()))
    if len(detail) > _DETAIL_MAX_CHARS:
        detail = detail[: _DETAIL_MAX_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _sanitised(exc: BaseException) -> SanitisedTransportError:
    detail = describe_exception(exc).removeprefix(type(exc).__name__).removeprefix(": ")
    return SanitisedTransportError(type(exc).__name__, detail)


def _caused_by(error: E, cause: BaseException | None) -> E:
    """Chain ``cause`` (ours or sanitised) as the error's ``__cause__``."""
    error.__cause__ = cause
    return error


def transport_error(method: str, url: str, exc: BaseException) -> AuraConnectionError:
    """Return the error for a request that failed on the network after all retries.

    A timeout gives :class:`AuraTimeoutError`; anything else
    :class:`AuraConnectionError` naming the original type. Chains a
    :class:`SanitisedTransportError`, never ``exc`` itself.
    """
    where = f"{method} {url}"
    error: AuraConnectionError
    if isinstance(exc, TimeoutError):
        message = f"{where}: timed out waiting for the API ({type(exc).__name__})"
        error = AuraTimeoutError(message, method=method, url=url)
    else:
        error = AuraConnectionError(f"{where}: {describe_exception(exc)}", method=method, url=url)
    return _caused_by(error, _sanitised(exc))


def outcome_unknown(
    method: str,
    url: str,
    *,
    what: str,
    request_id: str | None = None,
    cause: BaseException | None = None,
) -> OutcomeUnknownError:
    """Return the error for a non-idempotent request the server may have applied.

    Args:
        method: The HTTP method.
        url: The URL.
        what: What happened after sending, e.g. ``HTTP 503``.
        request_id: The answer's ``X-Request-Id``, if one came back.
        cause: Our error for the answer, or the failure (sanitised here when foreign).
    """
    if cause is not None and not isinstance(cause, AuraError | SanitisedTransportError):
        cause = _sanitised(cause)
    step = reconcile_step(method, url)
    error = OutcomeUnknownError(
        f"{method} {url}: {what} after the request was sent; the server may or "
        f"may not have applied it. It was not re-sent: before trying again, {step}.",
        method=method,
        url=url,
        request_id=request_id,
        reconcile=step,
    )
    return _caused_by(error, cause)


def deadline_error(
    method: str, url: str, deadline: float | None, maybe_sent: bool, idempotent: bool
) -> AuraError:
    """Return the error for a call whose overall deadline passed.

    :class:`OutcomeUnknownError` when a non-idempotent request may have reached the
    server, else :class:`AuraTimeoutError`.
    """
    if maybe_sent and not idempotent:
        return outcome_unknown(method, url, what=f"the call's deadline of {deadline}s passed")
    return AuraTimeoutError(
        f"{method} {url}: no answer within the call's deadline of {deadline}s",
        method=method,
        url=url,
    )


def api_error(response: Response) -> AuraError:
    """Return the typed error for a non-2xx answer, with its parsed ``Retry-After``."""
    retry_after = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER), now=datetime.now(UTC))
    return error_from_response(
        status=response.status,
        body=response.body,
        content_type=response.headers.get(hdrs.CONTENT_TYPE),
        method=response.method,
        url=response.url,
        request_id=response.request_id,
        retry_after=retry_after,
    )


def invalid_body(response: Response, problem: str) -> ResponseValidationError:
    """Return the error for a 2xx answer whose body is not what was expected."""
    return ResponseValidationError(
        f"{response.method} {response.url}: {problem}",
        method=response.method,
        url=response.url,
        request_id=response.request_id,
    )


def too_large(
    method: str, url: str, *, status: int, request_id: str | None, limit: int, idempotent: bool
) -> AuraError:
    """Return the error for a 2xx answer whose body exceeds ``max_body_size``.

    :class:`ResponseTooLargeError`; for a non-idempotent request
    :class:`OutcomeUnknownError` caused by it, since the server acted and its answer
    (the new resource's id) is lost.
    """
    error = ResponseTooLargeError(
        f"{method} {url}: the body of the HTTP {status} answer exceeds max_body_size "
        f"({limit} bytes); it was not read",
        limit=limit,
        method=method,
        url=url,
        request_id=request_id,
    )
    if idempotent:
        return error
    what = f"HTTP {status} with a body over max_body_size ({limit} bytes)"
    return outcome_unknown(method, url, what=what, request_id=request_id, cause=error)


async def read_bounded(resp: ClientResponse, limit: int) -> tuple[bytes, bool]:
    """Read an answer's body, decompressed, up to ``limit`` bytes.

    A declared ``Content-Length`` over the limit is not read at all; otherwise the
    body is read chunk by chunk (aiohttp inflates a compressed body as it is read,
    a chunk at a time), so memory stays bounded by the limit whatever the server sends.

    Returns:
        ``(body, False)`` for a complete body; ``(prefix, True)`` when it exceeds
        ``limit``: at most its first ``limit`` bytes, the connection closed.
    """
    declared = resp.content_length
    if declared is not None and declared > limit:
        resp.close()
        return b"", True
    body = bytearray()
    async for chunk in resp.content.iter_any():
        if len(body) + len(chunk) > limit:
            body += chunk[: limit - len(body)]
            resp.close()
            return bytes(body), True
        body += chunk
    return bytes(body), False


def decode_json(response: Response) -> Any:
    """Parse a 2xx body as JSON.

    Raises:
        ResponseValidationError: The body is not JSON.
    """
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        pass
    # Raised outside the handler: the decode error's ``.doc`` holds the whole body.
    raise invalid_body(response, "the response body is not JSON")


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
    body: Callable[[], bytes],
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
        body: Returns the final answer's body, read (within the body limit) by
            the middlewares.
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
    error: AuraError
    try:
        async with asyncio.timeout(deadline):
            async with session.request(
                method,
                wire_url(url),
                data=data,
                params=params,
                headers=all_headers,
                middlewares=tuple(middlewares),
                allow_redirects=False,
            ) as resp:
                return Response(resp.status, resp.headers, body(), method, url)
    except PipelineError as failure:
        error = _located(failure.error, method, url)
    except TimeoutError:
        error = deadline_error(method, url, deadline, maybe_sent(), idempotent)
    except TRANSPORT_ERRORS as exc:
        error = transport_error(method, url, exc)
    # Raised here, outside the handlers, so that no foreign exception becomes its
    # __context__ (aiohttp's would carry the request headers).
    raise _without_foreign_links(error)


def _located(error: AuraError, method: str, url: str) -> AuraError:
    """Name the call in the limiter's refusal (raised before the request existed)."""
    if isinstance(error, AdmissionTimeoutError) and error.method is None:
        error.method, error.url = method, url
    return error


def _without_foreign_links(error: AuraError) -> AuraError:
    """Replace every foreign exception in ``error``'s chain by its sanitised stand-in.

    Our builders chain nothing foreign, but a pluggable limiter or token provider may.
    """
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        link = pending.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        if link.__cause__ is not None and not _is_ours(link.__cause__):
            link.__cause__ = _sanitised(link.__cause__)
        if link.__context__ is not None and not _is_ours(link.__context__):
            link.__context__ = _sanitised(link.__context__)
        pending += [e for e in (link.__cause__, link.__context__) if e is not None]
    return error


def _is_ours(exc: BaseException) -> bool:
    return isinstance(exc, AuraError | SanitisedTransportError)
