"""The public surface of ``aura_async`` is pinned: a change to it is deliberate."""

import re

import aura_async


def test_version_is_a_pep440_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", aura_async.__version__)


def test_all_is_pinned() -> None:
    assert sorted(aura_async.__all__) == sorted(
        [
            "DEFAULT_BASE_URL",
            "AuraAPIError",
            "AuraClient",
            "AuraConfigurationError",
            "AuraConnectionError",
            "AuraError",
            "AuraTimeoutError",
            "AuraValidationError",
            "AuthenticationError",
            "BadRequestError",
            "BulkProgress",
            "BulkResult",
            "ClientClosedError",
            "ConflictError",
            "ErrorDetail",
            "GraphAnalyticsSessionCreateResult",
            "Limiter",
            "NotFoundError",
            "OperationFailedError",
            "OutcomeUnknownError",
            "Permit",
            "PermissionDeniedError",
            "RateLimit",
            "RateLimitError",
            "ResponseValidationError",
            "RetryPolicy",
            "ServerError",
            "Timeout",
            "Token",
            "TokenProvider",
            "WaitTimeoutError",
            "__version__",
        ]
    )


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in aura_async.__all__:
        value = getattr(aura_async, name)
        if name not in ("__version__", "DEFAULT_BASE_URL"):
            assert value.__doc__, name


def test_every_error_is_an_aura_error() -> None:
    errors = [getattr(aura_async, n) for n in aura_async.__all__ if n.endswith("Error")]
    assert errors
    assert all(issubclass(e, aura_async.AuraError) for e in errors)
