"""aura_async: an asyncio SDK for the Neo4j Aura management API.

Import the client, its configuration and the errors from here; models from
:mod:`aura_async.models`; the emulator from :mod:`aura_async.testing`.
"""

from aura_async import _logging
from aura_async._auth import Token, TokenProvider
from aura_async._backend import Backend
from aura_async._bulk import BulkProgress, BulkResult, Err, Ok
from aura_async._client import DEFAULT_BASE_URL, AuraClient
from aura_async._config import RateLimit, RetryPolicy, Timeout
from aura_async._errors import (
    AdmissionTimeoutError,
    AppClientError,
    AuraAPIError,
    AuraConfigurationError,
    AuraConnectionError,
    AuraError,
    AuraTimeoutError,
    AuraValidationError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ErrorDetail,
    NotFoundError,
    OperationFailedError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
    UnreadableResultError,
    WaitTimeoutError,
)
from aura_async._lanes import Lane, LimiterStats
from aura_async._ratelimit import Limiter, Permit
from aura_async._transport import Response
from aura_async._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "AdmissionTimeoutError",
    "AppClientError",
    "AuraAPIError",
    "AuraClient",
    "AuraConfigurationError",
    "AuraConnectionError",
    "AuraError",
    "AuraTimeoutError",
    "AuraValidationError",
    "AuthenticationError",
    "Backend",
    "BadRequestError",
    "BulkProgress",
    "BulkResult",
    "ClientClosedError",
    "ConflictError",
    "Err",
    "ErrorDetail",
    "Lane",
    "Limiter",
    "LimiterStats",
    "NotFoundError",
    "Ok",
    "OperationFailedError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "Permit",
    "RateLimit",
    "RateLimitError",
    "Response",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "Token",
    "TokenProvider",
    "UnreadableResultError",
    "WaitTimeoutError",
    "__version__",
]

# AURA_ASYNC_LOG=debug|info shows the client's log records on stderr (quick debugging).
_logging.install_handler_from_env()
