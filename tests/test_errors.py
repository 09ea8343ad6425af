"""The exception tree: hierarchy, pickling, one-line str/repr, and error bodies."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from aura_async._errors import (
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
    error_from_response,
    is_token_expired_response,
)

URL = "https://api.neo4j.io/v1/instances/abc12345"
NOT_FOUND = ErrorDetail("Instance abc12345 not found", "db-not-found")
BAD_NAME = ErrorDetail("Name is too long", "invalid-field", "name")
BAD_MEMORY = ErrorDetail("Memory is not available", "invalid-field", "memory")


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


# --- the hierarchy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (AuraConfigurationError, (AuraError, ValueError)),
        (AuraValidationError, (AuraError, ValueError)),
        (ClientClosedError, (AuraError, RuntimeError)),
        (AuraConnectionError, (AuraError, ConnectionError)),
        (AuraTimeoutError, (AuraConnectionError, TimeoutError)),
        (OutcomeUnknownError, (AuraError,)),
        (UnreadableResultError, (OutcomeUnknownError,)),
        (ResponseValidationError, (AuraError,)),
        (ResponseTooLargeError, (ResponseValidationError,)),
        (WaitTimeoutError, (AuraError, TimeoutError)),
        (OperationFailedError, (AuraError,)),
        (AuraAPIError, (AuraError,)),
        (BadRequestError, (AuraAPIError,)),
        (AuthenticationError, (AuraAPIError,)),
        (PermissionDeniedError, (AuraAPIError,)),
        (NotFoundError, (AuraAPIError,)),
        (ConflictError, (AuraAPIError,)),
        (RateLimitError, (AuraAPIError,)),
        (ServerError, (AuraAPIError,)),
    ],
)
def test_hierarchy(cls: type[AuraError], bases: tuple[type[BaseException], ...]) -> None:
    assert all(issubclass(cls, base) for base in bases)
    assert issubclass(cls, AuraError)


@pytest.mark.parametrize(
    ("cls", "not_a"),
    [
        (OutcomeUnknownError, ConnectionError),
        (AuraAPIError, ConnectionError),
        (AuraAPIError, ValueError),
        (OperationFailedError, TimeoutError),
        (ServerError, OutcomeUnknownError),
    ],
)
def test_hierarchy_does_not_overlap(cls: type[AuraError], not_a: type[BaseException]) -> None:
    assert not issubclass(cls, not_a)


# --- pickling, copying, repr -------------------------------------------------------

EXAMPLES: list[AuraError] = [
    AuraError("plain"),
    AuraConfigurationError("RetryPolicy.max_retries must be an integer >= 0, got -1"),
    AuraValidationError("instance_id must be 8 hex characters"),
    ClientClosedError("this AuraClient is closed; create a new one"),
    AuraConnectionError("Cannot connect", method="GET", url=URL),
    AuraConnectionError("Cannot connect"),
    AuraTimeoutError("Timed out after 120.0s", method="POST", url=URL),
    OutcomeUnknownError("create may have been applied", method="POST", url=URL, request_id="r-1"),
    ResponseValidationError("missing 'id'", method="GET", url=URL, request_id="r-2"),
    ResponseTooLargeError("too large", limit=4096, method="GET", url=URL, request_id="r-4"),
    UnreadableResultError(
        "answer does not read", method="POST", url=URL, request_id="r-3", body={"data": [1]}
    ),
    WaitTimeoutError("instance never became running", last=NOT_FOUND),
    OperationFailedError("loading failed", last={"status": "loading failed"}),
    AuraAPIError("Teapot", status=418, method="GET", url=URL),
    NotFoundError(
        "Instance abc12345 not found",
        status=404,
        errors=(NOT_FOUND,),
        request_id="7f3a",
        method="GET",
        url=URL,
    ),
    RateLimitError("Too many requests", status=429, retry_after=2.5, method="GET", url=URL),
    ServerError("Bad Gateway", status=502),
]


def _state(error: AuraError) -> tuple[object, ...]:
    return (type(error), error.args, vars(error), str(error), repr(error))


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda error: type(error).__name__)
def test_pickle_round_trip_keeps_type_and_attributes(error: AuraError) -> None:
    restored = pickle.loads(pickle.dumps(error))
    assert _state(restored) == _state(error)


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda error: type(error).__name__)
def test_copy_and_deepcopy_keep_attributes(error: AuraError) -> None:
    assert _state(copy.copy(error)) == _state(error)
    assert _state(copy.deepcopy(error)) == _state(error)


def test_pickle_keeps_notes() -> None:
    error = NotFoundError("gone", status=404)
    error.add_note("while waiting for abc12345")
    assert pickle.loads(pickle.dumps(error)).__notes__ == ["while waiting for abc12345"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AuraError("plain"), "AuraError('plain')"),
        (
            AuraConnectionError("Cannot connect", method="GET", url=URL),
            f"AuraConnectionError('Cannot connect', method='GET', url='{URL}')",
        ),
        (
            WaitTimeoutError("never ready", last=NOT_FOUND),
            f"WaitTimeoutError('never ready', last={NOT_FOUND!r})",
        ),
        (
            RateLimitError("slow down", status=429, retry_after=2.5),
            "RateLimitError('slow down', status=429, retry_after=2.5)",
        ),
        (
            NotFoundError("gone", status=404, errors=(NOT_FOUND,), request_id="7f3a"),
            f"NotFoundError('gone', status=404, errors=({NOT_FOUND!r},), request_id='7f3a')",
        ),
    ],
)
def test_repr(error: AuraError, expected: str) -> None:
    assert repr(error) == expected


# --- str ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AuraError("plain"), "plain"),
        (
            AuraConnectionError("Cannot connect", method="GET", url="/v1/tenants"),
            "Cannot connect [GET /v1/tenants]",
        ),
        (
            OutcomeUnknownError(
                "may be applied", method="POST", url="/v1/instances", request_id="r"
            ),
            "may be applied [POST /v1/instances, request id r]",
        ),
        (
            NotFoundError(
                "Instance abc12345 not found",
                status=404,
                errors=(NOT_FOUND,),
                request_id="7f3a",
                method="GET",
                url="/v1/instances/abc12345",
            ),
            "404 Not Found: GET /v1/instances/abc12345: Instance abc12345 not found"
            " (reason: db-not-found) [request id 7f3a]",
        ),
        (
            BadRequestError(
                "Name is too long; Memory is not available",
                status=400,
                errors=(BAD_NAME, BAD_MEMORY),
                method="POST",
                url="/v1/instances",
            ),
            "400 Bad Request: POST /v1/instances: Name is too long (reason: invalid-field,"
            " field: name); Memory is not available (reason: invalid-field, field: memory)",
        ),
        (
            RateLimitError(
                "Retry-After 120s exceeds retry_after_max",
                status=429,
                errors=(ErrorDetail("Too many requests"),),
            ),
            "429 Too Many Requests: Retry-After 120s exceeds retry_after_max: Too many requests",
        ),
        (
            ServerError("Bad Gateway", status=502, method="GET", url="/v1/x"),
            "502 Bad Gateway: GET /v1/x",
        ),
        (AuraAPIError("HTTP 420", status=420), "420"),
        (AuraAPIError("Enhance your calm", status=420), "420: Enhance your calm"),
        (
            ConflictError(
                "Conflict", status=409, errors=(ErrorDetail("", "ongoing-database-operation"),)
            ),
            "409 Conflict: reason: ongoing-database-operation",
        ),
    ],
)
def test_str_is_a_readable_one_liner(error: AuraError, expected: str) -> None:
    assert str(error) == expected


@pytest.mark.parametrize(
    ("errors", "reason"),
    [((), None), ((NOT_FOUND,), "db-not-found"), ((ErrorDetail("x"), NOT_FOUND), None)],
)
def test_reason_is_the_first_details_reason(
    errors: tuple[ErrorDetail, ...], reason: str | None
) -> None:
    assert NotFoundError("m", status=404, errors=errors).reason == reason


# --- error_from_response: the class ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, AuraAPIError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, AuraAPIError),
        (409, ConflictError),
        (415, AuraAPIError),
        (420, AuraAPIError),
        (429, RateLimitError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (599, ServerError),
        (308, AuraAPIError),
    ],
)
def test_class_is_picked_by_status(status: int, cls: type[AuraAPIError]) -> None:
    error = error_from_response(
        status=status, body=b"", content_type=None, method="GET", url=URL, request_id=None
    )
    assert type(error) is cls
    assert error.status == status


def test_context_is_carried_over() -> None:
    error = error_from_response(
        status=429,
        body=_json({"error": "Too many requests"}),
        content_type="application/json",
        method="POST",
        url=URL,
        request_id="7f3a",
        retry_after=2.5,
    )
    assert (error.method, error.url, error.request_id, error.retry_after) == (
        "POST",
        URL,
        "7f3a",
        2.5,
    )


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"errors": {"message": "not a list"}}',
        b'{"errors": [{"message": "x"}',
        b"\x00\x01\x02",
        b"<" * 1_000,
        b"<script>" + b"a" * 1_000,
        _json("just a string"),
        _json(1e308),
    ],
)
@pytest.mark.parametrize("status", [0, 199, 400, 403, 429, 502, 999])
def test_never_raises_on_odd_input(body: bytes, status: int) -> None:
    error = error_from_response(
        status=status, body=body, content_type="text/html", method="GET", url=URL, request_id=None
    )
    assert isinstance(error, AuraAPIError)
    assert error.message
    assert "\n" not in str(error)
    assert len(str(error)) < 400


# --- is_token_expired_response --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b"", True),
        (401, _json({"errors": [{"message": "Permission denied", "reason": "forbidden"}]}), True),
        (403, _json({"error": "Token expired"}), True),
        (403, _json({"error": "The access TOKEN is invalid"}), True),
        (
            403,
            _json({"errors": [{"message": "Token has EXPIRED", "reason": "unauthorized"}]}),
            True,
        ),
        (403, _json({"errors": [{"message": "Denied", "reason": "token-expired"}]}), True),
        (403, _json({"errors": [{"message": "Not allowed to create instances"}]}), False),
        (403, _json({"error": "Forbidden"}), False),
        (403, b"", False),
        (403, b"<html>token expired</html>", False),
        (403, b"\xff", False),
        (400, _json({"error": "Token expired"}), False),
        (404, _json({"error": "Token expired"}), False),
        (200, b"", False),
    ],
)
def test_is_token_expired_response(status: int, body: bytes, expected: bool) -> None:
    assert is_token_expired_response(status, body) is expected
