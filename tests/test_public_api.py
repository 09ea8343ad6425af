"""The public surface of ``aura_async`` is pinned: a change to it is deliberate."""

import re
import typing

import aura_async


def test_version_is_a_pep440_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", aura_async.__version__)


def test_all_is_pinned() -> None:
    assert sorted(aura_async.__all__) == sorted(
        [
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
            "Permit",
            "PermissionDeniedError",
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
    )


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in aura_async.__all__:
        value = getattr(aura_async, name)
        if typing.get_origin(value) is typing.Union:  # an alias: its members are documented
            members = [typing.get_origin(m) or m for m in typing.get_args(value)]
            assert all(member.__doc__ for member in members), name
        elif name not in ("__version__", "DEFAULT_BASE_URL"):
            assert value.__doc__, name


def test_every_error_is_an_aura_error() -> None:
    errors = [getattr(aura_async, n) for n in aura_async.__all__ if n.endswith("Error")]
    assert errors
    assert all(issubclass(e, aura_async.AuraError) for e in errors)


def _aura_classes(annotation: object) -> set[type]:
    """The aura_async classes an annotation mentions, at any depth."""
    found: set[type] = set()
    if isinstance(annotation, type) and annotation.__module__.startswith("aura_async"):
        found.add(annotation)
    for arg in typing.get_args(annotation):
        found |= _aura_classes(arg)
    origin = typing.get_origin(annotation)
    if origin is not None:
        found |= _aura_classes(origin)
    return found


def _public_names() -> set[object]:
    modules = (aura_async, aura_async.models, aura_async.testing)
    return {getattr(module, name) for module in modules for name in module.__all__}


def test_public_signatures_use_only_public_types() -> None:
    public = _public_names()
    owners = [aura_async.AuraClient, *(type(r) for r in _resources())]
    private: list[str] = []
    for owner in owners:
        for name, member in vars(owner).items():
            if (name.startswith("_") and name != "__init__") or not callable(member):
                continue
            hints = typing.get_type_hints(member)
            for cls in set().union(*map(_aura_classes, hints.values())) - public:
                private.append(f"{owner.__name__}.{name}: {cls.__module__}.{cls.__qualname__}")
    assert private == []


def _resources() -> list[object]:
    client = aura_async.AuraClient("id", "secret")
    resources = [client.tenants, client.instances, client.snapshots]
    resources += [client.customer_managed_keys, client.graph_analytics]
    return resources


def test_request_returns_the_public_response_and_backend_is_public() -> None:
    hints = typing.get_type_hints(aura_async.AuraClient.request)
    assert hints["return"] is aura_async.Response
    init = typing.get_type_hints(aura_async.AuraClient.__init__)
    assert init["backend"] == aura_async.Backend | None
