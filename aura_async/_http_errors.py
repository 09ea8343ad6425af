"""How an SDK error answers over HTTP: one table of statuses, and the answer (pure).

:data:`ERROR_STATUSES` maps error classes to statuses; an error takes the entry of
its nearest class (its own, else its closest base), so a new error class needs an
entry only when its base's status does not fit it. ``aura_async.fastapi`` answers
with it; it imports no web framework, so any other can use it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import attrs

from aura_async._errors import (
    AdmissionTimeoutError,
    AuraConfigurationError,
    AuraError,
    AuraTimeoutError,
    AuraValidationError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    WaitTimeoutError,
)

__all__ = [
    "ERROR_STATUSES",
    "ErrorAnswer",
    "ErrorStatuses",
    "error_answer",
    "merged_statuses",
    "status_for",
]

T = TypeVar("T")

ErrorStatuses = Mapping[type[AuraError], int]
"""SDK error class -> HTTP status; an error takes the entry of its nearest class."""

ERROR_STATUSES: ErrorStatuses = MappingProxyType(
    {
        AuraError: 502,  # the upstream API failed, or our use of it did
        AuraValidationError: 422,  # the end user's argument; nothing was sent
        BadRequestError: 400,  # Aura refused the request as given (e.g. a bad region)
        NotFoundError: 404,
        ConflictError: 409,  # another operation is running on the resource
        AuraTimeoutError: 504,  # the call's deadline passed
        AdmissionTimeoutError: 503,  # the limiter's queue is too long; Retry-After: its wait
        WaitTimeoutError: 504,  # a waiter gave up
        RateLimitError: 503,  # a wait the deadline cannot meet; Retry-After when known
        AuthenticationError: 502,  # our own credential: never the end user's fault
        PermissionDeniedError: 502,
        OutcomeUnknownError: 502,  # with a hint to check before trying again
    }
)
"""The default mapping of :func:`error_answer`; override entries with ``statuses=``."""

# What the answer adds to the error's own message, by class (same lookup as the statuses).
_HINTS: Mapping[type[AuraError], str] = {
    OutcomeUnknownError: (
        "The operation may or may not have happened: "
        "check the resource's state before trying again."
    ),
    AuthenticationError: "The service's Aura API credential was rejected.",
    PermissionDeniedError: "The service's Aura API credential may not do this.",
}
# Statuses that tell the caller to come back later: they carry Retry-After when known.
_RETRY_LATER = frozenset({429, 503})


@attrs.frozen(kw_only=True)
class ErrorAnswer:
    """The HTTP answer for an SDK error: status, JSON body and headers.

    Attributes:
        status: The HTTP status.
        detail: The error's message (never a secret).
        request_id: The Aura API's request id, if the error carries one.
        retry_after: Whole seconds for the ``Retry-After`` header, if known.
    """

    status: int
    detail: str
    request_id: str | None = None
    retry_after: int | None = None

    @property
    def body(self) -> dict[str, str | None]:
        """The JSON body: ``{"detail": ..., "request_id": ...}``, nothing else."""
        return {"detail": self.detail, "request_id": self.request_id}

    @property
    def headers(self) -> dict[str, str]:
        """The headers to send: ``Retry-After`` when known."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def _nearest(error: AuraError, table: Mapping[type[AuraError], T]) -> T | None:
    """Return the entry of the error's nearest class in ``table`` (None if none)."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


def status_for(error: AuraError, statuses: ErrorStatuses = ERROR_STATUSES) -> int:
    """Return the HTTP status of an SDK error: the entry of its nearest class.

    Args:
        error: The error.
        statuses: The mapping (default :data:`ERROR_STATUSES`).

    Returns:
        The status; 502 if no class of the error is in ``statuses``.
    """
    status = _nearest(error, statuses)
    return 502 if status is None else status


def _retry_after_of(error: AuraError, status: int) -> int | None:
    seconds = getattr(error, "retry_after", None)
    if isinstance(error, AdmissionTimeoutError):
        seconds = error.estimated_wait
    if status not in _RETRY_LATER or not isinstance(seconds, int | float):
        return None
    if not math.isfinite(seconds):
        return None
    return max(0, math.ceil(seconds))


def error_answer(error: AuraError, statuses: ErrorStatuses = ERROR_STATUSES) -> ErrorAnswer:
    """Map an SDK error to its HTTP answer (pure; the handlers use it).

    The default :data:`ERROR_STATUSES`: ``BadRequestError`` -> 400,
    ``AuraValidationError`` -> 422, ``NotFoundError`` -> 404, ``ConflictError`` -> 409,
    ``AuraTimeoutError`` and ``WaitTimeoutError`` -> 504, ``RateLimitError`` -> 503
    with ``Retry-After`` (the API's wait rounded up, when known),
    ``AdmissionTimeoutError`` -> 503 with ``Retry-After`` (the limiter's estimated
    wait rounded up),
    ``AuthenticationError`` and ``PermissionDeniedError`` (the service's own
    credential) -> 502, ``OutcomeUnknownError`` -> 502 saying to check before trying
    again, any other ``AuraError`` -> 502.

    Args:
        error: The error an endpoint raised.
        statuses: The mapping to use (see :func:`~aura_async.fastapi.install_exception_handlers`).

    Returns:
        The answer; its body holds only the error's message, a hint, and the request id.
    """
    detail = error.message or type(error).__name__
    hint = _nearest(error, _HINTS)
    status = status_for(error, statuses)
    return ErrorAnswer(
        status=status,
        detail=detail if hint is None else f"{hint} ({detail})",
        request_id=getattr(error, "request_id", None),
        retry_after=_retry_after_of(error, status),
    )


def merged_statuses(overrides: Mapping[type[AuraError], int] | None) -> ErrorStatuses:
    """Return :data:`ERROR_STATUSES` with ``overrides`` applied (checked).

    Raises:
        AuraConfigurationError: A key is not an ``AuraError`` class, or a value is
            not an HTTP error status (400-599).
    """
    for cls, status in (overrides or {}).items():
        if not (isinstance(cls, type) and issubclass(cls, AuraError)):
            raise AuraConfigurationError(f"statuses keys must be AuraError classes, got {cls!r}")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise AuraConfigurationError(
                f"statuses[{cls.__name__}] must be an HTTP status 400-599, got {status!r}"
            )
    return MappingProxyType({**ERROR_STATUSES, **(overrides or {})})
