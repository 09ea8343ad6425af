"""Error mapping as a pure table: each transport failure, its one typed error."""

from __future__ import annotations

import errno
import ssl

import aiohttp
import pytest
from aiohttp.http_exceptions import BadStatusLine, ContentLengthError
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aura_async import AuraConnectionError, AuraError, AuraTimeoutError
from aura_async._error_body import redact
from aura_async._transport import (
    Response,
    SanitisedTransportError,
    api_error,
    outcome_unknown,
    transport_error,
)
from tests.adversarial.conftest import HOSTILE_TOKEN, assert_no_secret, exception_texts

BEARER_HEADERS = {"Authorization": f"Bearer {HOSTILE_TOKEN}", "Host": "h"}


def _request_info() -> aiohttp.RequestInfo:
    url = URL("http://127.0.0.1/v1/instances")
    return aiohttp.RequestInfo(url, "GET", BEARER_HEADERS, url)  # type: ignore[arg-type]


def _response_error() -> aiohttp.ClientResponseError:
    error = aiohttp.ClientResponseError(
        _request_info(), (), status=400, message=f"Invalid header: Bearer {HOSTILE_TOKEN}"
    )
    error.__cause__ = BadStatusLine(f"Authorization: Bearer {HOSTILE_TOKEN}")
    return error


# (the exception a send raised, the class it becomes, the type name its message keeps)
TRANSPORT_TABLE = [
    (_response_error(), AuraConnectionError, "ClientResponseError"),
    (aiohttp.ClientPayloadError("cut short"), AuraConnectionError, "ClientPayloadError"),
    (aiohttp.ServerDisconnectedError(), AuraConnectionError, "ServerDisconnectedError"),
    (ContentLengthError("short"), AuraConnectionError, "ContentLengthError"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), AuraConnectionError, "ConnectionResetError"),
    (ssl.SSLError("handshake"), AuraConnectionError, "SSLError"),
    (aiohttp.ConnectionTimeoutError("connect"), AuraTimeoutError, "ConnectionTimeoutError"),
    (aiohttp.SocketTimeoutError("read"), AuraTimeoutError, "SocketTimeoutError"),
    (TimeoutError(), AuraTimeoutError, "TimeoutError"),
]


@pytest.mark.parametrize(("exc", "cls", "type_name"), TRANSPORT_TABLE)
def test_every_transport_failure_has_one_typed_error(
    exc: BaseException, cls: type[AuraError], type_name: str
) -> None:
    error = transport_error("GET", "http://127.0.0.1/v1/instances", exc)
    assert type(error) is cls
    assert type_name in str(error)
    assert isinstance(error.__cause__, SanitisedTransportError)
    assert error.__cause__.type_name == type_name
    assert error.__cause__.__cause__ is None
    assert error.__cause__.__context__ is None
    assert_no_secret(exception_texts(error), [HOSTILE_TOKEN])


@pytest.mark.parametrize(("exc", "_cls", "type_name"), TRANSPORT_TABLE)
def test_an_ambiguous_failure_keeps_a_sanitised_cause(
    exc: BaseException, _cls: type[AuraError], type_name: str
) -> None:
    error = outcome_unknown("POST", "http://h/v1/instances", what="lost", cause=exc)
    assert isinstance(error.__cause__, SanitisedTransportError)
    assert error.__cause__.type_name == type_name
    assert_no_secret(exception_texts(error), [HOSTILE_TOKEN])


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Authorization: Basic aWQ6c2VjcmV0", "Authorization: Basic [redacted]"),
        ("bad header bearer abc.def-ghi_~+/==", "bad header bearer [redacted]"),
        ('{"access_token": "tok123", "x": 1}', '{"access_token": "[redacted]", "x": 1}'),
        ("client_secret=s3cr3t&grant_type=x", "client_secret=[redacted]&grant_type=x"),
        ("password: hunter2", "password: [redacted]"),
        ("Password='hunter2'", "Password='[redacted]'"),
        ("token expired", "token expired"),
        ("the password must be 8 characters", "the password must be 8 characters"),
        ("Instance abc12345 not found", "Instance abc12345 not found"),
        ("", ""),
    ],
)
def test_redact(text: str, redacted: str) -> None:
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": "invalid_client: Basic aWQ6c2VjcmV0"}',
        b'{"errors": [{"message": "rejected Bearer aWQ6c2VjcmV0", "reason": "x"}]}',
        b'{"message": "client_secret=aWQ6c2VjcmV0 is wrong"}',
        b"<html><body>Authorization: Basic aWQ6c2VjcmV0</body></html>",
        b'{"error": "Basic\\u0020aWQ6c2VjcmV0"}',
    ],
)
def test_an_error_body_echoing_a_credential_is_redacted(body: bytes) -> None:
    error = api_error(Response(401, CIMultiDictProxy(CIMultiDict()), body, "POST", "u"))
    assert_no_secret(exception_texts(error), ["aWQ6c2VjcmV0"])
