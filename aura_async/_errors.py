"""The exception tree of aura_async (every failure the public API raises is an AuraError).

::

    AuraError
      AuraConfigurationError (ValueError)   bad client options
      AuraValidationError (ValueError)      bad arguments, nothing was sent
      ClientClosedError (RuntimeError)      the client was used after close()
      AppClientError (RuntimeError)         a web app's shared client is missing or doubled
      AuraConnectionError (ConnectionError) network failure after retries
        AuraTimeoutError (TimeoutError)
      OutcomeUnknownError                   a POST/PATCH that may or may not have been applied
        UnreadableResultError               it was accepted (2xx), but the answer is unreadable
      ResponseValidationError               a 2xx body that does not match the model
        ResponseTooLargeError               a 2xx body over the client's max_body_size
      WaitTimeoutError (TimeoutError)       a waiter gave up; .last holds the last state
      OperationFailedError                  a waiter saw the operation fail
      AuraAPIError                          non-2xx: .status, .errors, .request_id, .method, .url
        BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403,
        NotFoundError 404, ConflictError 409, RateLimitError 429 (.retry_after),
        ServerError 5xx

Every error pickles with its attributes intact, and ``str(err)`` is a one-line
summary. :func:`error_from_response` turns any non-2xx answer into the right class
without ever raising; :func:`is_token_expired_response` tells the auth layer when
a rejected request deserves a fresh token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from aura_async._error_body import (
    ErrorDetail,
    body_details,
    fallback_message,
    joined_messages,
    parse_error_body,
    status_phrase,
)
from aura_async._reconcile import reconcile_step

__all__ = [
    "AdmissionTimeoutError",
    "AppClientError",
    "AuraAPIError",
    "AuraConfigurationError",
    "AuraConnectionError",
    "AuraError",
    "AuraTimeoutError",
    "AuraValidationError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ErrorDetail",
    "NotFoundError",
    "OperationFailedError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "UnreadableResultError",
    "WaitTimeoutError",
    "error_from_response",
    "is_token_expired_response",
]


def _restore_error(cls: type[AuraError], args: tuple[Any, ...]) -> AuraError:
    """Unpickling helper: build an error without calling ``__init__`` (state comes next)."""
    error = cls.__new__(cls, *args)
    error.args = args
    return error


class AuraError(Exception):
    """Base class of every error raised by aura_async.

    Args:
        message: The human-readable explanation, also available as ``.message``.
    """

    # Names of the keyword attributes shown in repr and str, per class.
    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce re-calls __init__ with args only, which loses (or
        # fails on) keyword-only attributes; restore the instance dict instead.
        return (_restore_error, (type(self), self.args), dict(self.__dict__))

    def __repr__(self) -> str:
        shown = [repr(self.message)]
        shown += [f"{name}={value!r}" for name, value in self._present_fields()]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __str__(self) -> str:
        context = ", ".join(_context_parts(self))
        return f"{self.message} [{context}]" if context else self.message

    def _present_fields(self) -> Iterator[tuple[str, object]]:
        for name in self._repr_fields:
            value = getattr(self, name, None)
            if value is not None and value != ():
                yield name, value


def _context_parts(error: AuraError) -> list[str]:
    """Return ``method url`` and ``request id ...`` of an error, those that are set."""
    parts = [_location(getattr(error, "method", None), getattr(error, "url", None))]
    request_id = getattr(error, "request_id", None)
    if request_id is not None:
        parts.append(f"request id {request_id}")
    return [part for part in parts if part]


def _location(method: str | None, url: str | None) -> str:
    return " ".join(part for part in (method, url) if part)


class AuraConfigurationError(AuraError, ValueError):
    """A client option is invalid (raised when the client or a config object is built)."""


class AuraValidationError(AuraError, ValueError):
    """An argument is invalid; nothing was sent to the API."""


class ClientClosedError(AuraError, RuntimeError):
    """The client was closed: before the call (nothing was sent), or while it ran.

    A call still running when ``close()`` is called ends with this error at once;
    its message says when a POST or PATCH may already have reached the server.
    """


class AppClientError(AuraError, RuntimeError):
    """A web app's shared client is not there, or is opened twice (``aura_async.fastapi``).

    Also a ``RuntimeError``, which is what these failures raised before 0.1.0.
    """


class AuraConnectionError(AuraError, ConnectionError):
    """The network failed (after any retries): no usable answer came back.

    Args:
        message: What went wrong.
        method: The HTTP method of the failed request, if known.
        url: The URL of the failed request, if known.
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("method", "url")

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class AuraTimeoutError(AuraConnectionError, TimeoutError):
    """A request (or the whole call, retries included) ran out of time."""


class AdmissionTimeoutError(AuraTimeoutError):
    """The rate limiter's queue could not admit the call before its deadline; nothing was sent.

    Raised at once, instead of waiting to time out: the estimated wait (the calls
    ahead of it in its lane, the window, a 429 cooldown, paced sending) is longer
    than the time the call had left. Try again later (e.g. after
    ``estimated_wait``), or with a longer ``timeout``.

    Args:
        message: What was refused.
        estimated_wait: The estimated wait for a send slot, in seconds.
        deadline: The seconds the call had left.
        method: The HTTP method of the call, if known.
        url: The URL of the call, if known.
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("estimated_wait", "deadline", "method", "url")

    def __init__(
        self,
        message: str,
        *,
        estimated_wait: float,
        deadline: float,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.estimated_wait = estimated_wait
        self.deadline = deadline


class OutcomeUnknownError(AuraError):
    """A non-idempotent request (POST/PATCH) may or may not have been applied.

    The request was sent, and then the connection broke or the server answered
    500/502/503/504; it was not re-sent, because that could act twice (e.g. create
    a second, billed instance). The raiser chains the underlying error as
    ``__cause__``. Reconcile before trying again: ``.reconcile`` names the step
    that fits the operation (e.g. ``instances.find(name=...)`` after a create).

    Args:
        message: What went wrong.
        method: The HTTP method of the request.
        url: The URL of the request.
        request_id: The ``X-Request-Id`` of the answer, if one came back.
        reconcile: What to call to learn whether the request took effect
            (default: the step the operation's table gives).
    """

    _repr_fields = ("method", "url", "request_id")

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        request_id: str | None = None,
        reconcile: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_id = request_id
        self.reconcile = reconcile if reconcile is not None else reconcile_step(method, url)


class ResponseValidationError(AuraError):
    """A 2xx response body does not match the expected model.

    Args:
        message: What does not match.
        method: The HTTP method of the request, if known.
        url: The URL of the request, if known.
        request_id: The ``X-Request-Id`` of the answer, if known.
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("method", "url", "request_id")

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_id = request_id


class UnreadableResultError(OutcomeUnknownError):
    """A non-idempotent call (e.g. a create) was accepted (2xx) but its answer is unreadable.

    The server acted: the resource may exist (and be billed), so do not simply retry;
    reconcile (e.g. ``instances.find(name=...)``) as after any :class:`OutcomeUnknownError`.
    ``.body`` holds the decoded answer (the parsed JSON, or the text when it is not JSON), so
    that nothing it carried is lost, such as a one-time password; it is kept out of ``str``
    and ``repr`` for that reason.

    Args:
        message: What could not be read (field paths and types, never values).
        method: The HTTP method of the request.
        url: The URL of the request.
        request_id: The ``X-Request-Id`` of the answer, if any.
        body: The decoded answer.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        request_id: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, method=method, url=url, request_id=request_id)
        self.body = body


class ResponseTooLargeError(ResponseValidationError):
    """A 2xx answer's body is larger than the client's ``max_body_size``.

    Its reading stopped at the limit (before decompressing any more). A POST or
    PATCH that gets one raises :class:`OutcomeUnknownError` with this error as its
    cause instead: the server acted, but its answer (the new id, the password) is lost.

    Args:
        message: What was too large.
        limit: The ``max_body_size`` in bytes.
        method: The HTTP method of the request, if known.
        url: The URL of the request, if known.
        request_id: The ``X-Request-Id`` of the answer, if known.
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("limit", "method", "url", "request_id")

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, request_id=request_id)
        self.limit = limit


class WaitTimeoutError(AuraError, TimeoutError):
    """A waiter gave up before the resource reached the wanted state.

    Args:
        message: What was awaited.
        last: The last state seen (e.g. the last ``Instance`` read), for inspection.
    """

    _repr_fields = ("last",)

    def __init__(self, message: str, *, last: object) -> None:
        super().__init__(message)
        self.last = last


class OperationFailedError(AuraError):
    """A waiter saw the operation fail (e.g. an instance went to ``loading failed``).

    Args:
        message: What failed.
        last: The last state seen, showing the failure.
    """

    _repr_fields = ("last",)

    def __init__(self, message: str, *, last: object) -> None:
        super().__init__(message)
        self.last = last


class AuraAPIError(AuraError):
    """The API answered with a non-2xx status (the base of the per-status classes).

    ``str(err)`` reads like ``404 Not Found: GET /v1/instances/abc12345: Instance
    abc12345 not found (reason: db-not-found) [request id 7f3a]``: when the error
    has structured details they are shown (prefixed by ``message`` if that says
    something else), otherwise ``message`` is.

    Args:
        message: The human-readable summary (``error_from_response`` joins the
            messages of all details with ``"; "``).
        status: The HTTP status.
        errors: The structured details of the body, possibly empty.
        request_id: The ``X-Request-Id`` header, if present.
        method: The HTTP method of the request.
        url: The URL of the request.
        retry_after: The parsed ``Retry-After`` in seconds, if the answer had one.
    """

    _repr_fields = ("status", "errors", "method", "url", "request_id", "retry_after")

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: tuple[ErrorDetail, ...] = (),
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = tuple(errors)
        self.request_id = request_id
        self.method = method
        self.url = url
        self.retry_after = retry_after

    @property
    def reason(self) -> str | None:
        """The first detail's machine-readable reason, or None."""
        return self.errors[0].reason if self.errors else None

    def __str__(self) -> str:
        head = f"{self.status} {status_phrase(self.status)}".rstrip()
        parts = [head, _location(self.method, self.url), self._summary()]
        line = ": ".join(part for part in parts if part)
        return f"{line} [request id {self.request_id}]" if self.request_id else line

    def _summary(self) -> str:
        described = "; ".join(detail.describe() for detail in self.errors)
        redundant = ("", fallback_message(self.status), joined_messages(self.errors))
        if self.message in redundant:
            return described
        return f"{self.message}: {described}" if described else self.message


class BadRequestError(AuraAPIError):
    """400: the request is malformed or invalid (see ``.errors[i].field``)."""


class AuthenticationError(AuraAPIError):
    """401: the credentials or the token were rejected."""


class PermissionDeniedError(AuraAPIError):
    """403: the credentials may not do this."""


class NotFoundError(AuraAPIError):
    """404: the resource does not exist (or does not exist yet / any more)."""


class ConflictError(AuraAPIError):
    """409: another operation is running on the resource (``ongoing-database-operation``)."""


class RateLimitError(AuraAPIError):
    """429: too many requests; ``.retry_after`` holds the server's wait, if it sent one."""


class ServerError(AuraAPIError):
    """5xx: the server failed."""


_CLASS_BY_STATUS: dict[int, type[AuraAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _error_class(status: int) -> type[AuraAPIError]:
    if 500 <= status <= 599:
        return ServerError
    return _CLASS_BY_STATUS.get(status, AuraAPIError)


def error_from_response(
    *,
    status: int,
    body: bytes,
    content_type: str | None,
    method: str,
    url: str,
    request_id: str | None,
    retry_after: float | None = None,
) -> AuraAPIError:
    """Build the error for a non-2xx answer; never raises.

    Args:
        status: The HTTP status; picks the class (400, 401, 403, 404, 409, 429,
            any 5xx; any other status gives a plain ``AuraAPIError``).
        body: The raw response body: the structured ``{"errors": [...]}`` shape,
            the gateway's ``{"error": "..."}``, or anything else (empty, an HTML
            page from a proxy, other JSON, invalid UTF-8).
        content_type: The ``Content-Type`` header, used to recognise HTML.
        method: The HTTP method of the request.
        url: The URL of the request.
        request_id: The ``X-Request-Id`` header, if present.
        retry_after: The parsed ``Retry-After`` seconds, if the answer had one.

    Returns:
        An instance of the class for ``status``, with ``.errors`` parsed from the
        body and a readable ``.message`` even for unparseable bodies.
    """
    message, errors = parse_error_body(status, body, content_type)
    return _error_class(status)(
        message,
        status=status,
        errors=errors,
        request_id=request_id,
        method=method,
        url=url,
        retry_after=retry_after,
    )


def is_token_expired_response(status: int, body: bytes) -> bool:
    """Tell whether an answer means "get a new token and re-send".

    Args:
        status: The HTTP status.
        body: The raw response body.

    Returns:
        True for any 401, and for a 403 whose message (either body shape) mentions
        an expired or invalid token ("expired" or "token", case-insensitive).
    """
    if status == 401:
        return True
    if status != 403:
        return False
    texts = [f"{detail.message} {detail.reason or ''}".lower() for detail in body_details(body)]
    return any("expired" in text or "token" in text for text in texts)
