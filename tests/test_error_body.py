"""Error bodies: both documented shapes, and whatever else a proxy may answer."""

from __future__ import annotations

import json

import pytest

from aura_async._error_body import (
    EXCERPT_MAX_CHARS,
    ErrorDetail,
    body_details,
    parse_error_body,
)

NOT_FOUND = ErrorDetail("Instance abc12345 not found", "db-not-found")
BAD_NAME = ErrorDetail("Name is too long", "invalid-field", "name")
BAD_MEMORY = ErrorDetail("Memory is not available", "invalid-field", "memory")


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("detail", "described"),
    [
        (ErrorDetail("Gone"), "Gone"),
        (NOT_FOUND, "Instance abc12345 not found (reason: db-not-found)"),
        (BAD_NAME, "Name is too long (reason: invalid-field, field: name)"),
        (ErrorDetail("Bad", field="name"), "Bad (field: name)"),
        (ErrorDetail("", "ongoing-database-operation"), "reason: ongoing-database-operation"),
        (ErrorDetail(""), ""),
    ],
)
def test_describe(detail: ErrorDetail, described: str) -> None:
    assert detail.describe() == described


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title>\r\n<style>body { color: red; }</style>"
    b"</head>\r\n<body>\r\n<center><h1>502 Bad   Gateway</h1></center>\r\n"
    b"<!-- a comment -->\r\n<hr><center>nginx &amp; friends</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "message", "errors"),
    [
        pytest.param(
            404,
            _json(
                {"errors": [{"message": "Instance abc12345 not found", "reason": "db-not-found"}]}
            ),
            "application/json",
            "Instance abc12345 not found",
            (NOT_FOUND,),
            id="structured",
        ),
        pytest.param(
            400,
            _json(
                {
                    "errors": [
                        {"message": "Name is too long", "reason": "invalid-field", "field": "name"},
                        {
                            "message": "Memory is not available",
                            "reason": "invalid-field",
                            "field": "memory",
                        },
                    ]
                }
            ),
            "application/json",
            "Name is too long; Memory is not available",
            (BAD_NAME, BAD_MEMORY),
            id="structured-several",
        ),
        pytest.param(
            400,
            _json(
                {"errors": ["junk", 3, {"message": 7}, {"message": "ok", "reason": 5, "field": []}]}
            ),
            "application/json",
            "ok",
            (ErrorDetail("ok"),),
            id="structured-with-junk-items",
        ),
        pytest.param(
            409,
            _json({"errors": [{"reason": "ongoing-database-operation"}]}),
            "application/json",
            "Conflict",
            (ErrorDetail("", "ongoing-database-operation"),),
            id="structured-reason-only",
        ),
        pytest.param(
            401,
            _json({"error": "Token has expired"}),
            "application/json",
            "Token has expired",
            (ErrorDetail("Token has expired"),),
            id="gateway",
        ),
        pytest.param(502, b"", None, "Bad Gateway", (), id="empty"),
        pytest.param(503, b"  \r\n ", "text/plain", "Service Unavailable", (), id="blank"),
        pytest.param(
            502,
            NGINX_502,
            "text/html",
            "Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx & friends",
            (),
            id="html",
        ),
        pytest.param(
            502,
            b"<!DOCTYPE html><p>upstream down</p>",
            None,
            "Bad Gateway: upstream down",
            (),
            id="html-without-content-type",
        ),
        pytest.param(
            500, b"<html></html>", "text/html", "Internal Server Error", (), id="html-empty"
        ),
        pytest.param(
            500,
            b"upstream\n\tconnect  error",
            "text/plain",
            "Internal Server Error: upstream connect error",
            (),
            id="plain-text",
        ),
        pytest.param(
            400, _json([1, 2]), "application/json", "Bad Request: [1, 2]", (), id="json-list"
        ),
        pytest.param(
            400,
            _json({"message": "bad input"}),
            "application/json",
            "bad input",
            (),
            id="json-message",
        ),
        pytest.param(
            400,
            _json({"message": "  "}),
            "application/json",
            'Bad Request: {"message": " "}',
            (),
            id="json-blank-message",
        ),
        pytest.param(
            400,
            _json({"errors": []}),
            "application/json",
            'Bad Request: {"errors": []}',
            (),
            id="json-no-errors",
        ),
        pytest.param(
            400,
            _json({"error": 42}),
            "application/json",
            'Bad Request: {"error": 42}',
            (),
            id="json-odd-error",
        ),
        pytest.param(400, b"null", "application/json", "Bad Request: null", (), id="json-null"),
        pytest.param(
            404,
            b'{"error": "caf\xc3\xa9 \xff closed"}',
            "application/json",
            "café \ufffd closed",
            (ErrorDetail("café \ufffd closed"),),
            id="invalid-utf8-in-json",
        ),
        pytest.param(
            502, b"\xff\xfe\xfa", None, "Bad Gateway: \ufffd\ufffd\ufffd", (), id="invalid-utf8"
        ),
        pytest.param(420, b"", None, "HTTP 420", (), id="unknown-status"),
    ],
)
def test_body_is_parsed(
    status: int,
    body: bytes,
    content_type: str | None,
    message: str,
    errors: tuple[ErrorDetail, ...],
) -> None:
    assert parse_error_body(status, body, content_type) == (message, errors)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>" + b"<p>overloaded, try again later</p>\n" * 200 + b"</body></html>",
        b"x" * 10_000,
        _json(list(range(5_000))),
    ],
    ids=["long-html", "long-text", "long-json"],
)
def test_long_bodies_give_a_short_single_line_excerpt(body: bytes) -> None:
    message, details = parse_error_body(502, body, None)
    excerpt = message.removeprefix("Bad Gateway: ")
    assert EXCERPT_MAX_CHARS / 2 <= len(excerpt) <= EXCERPT_MAX_CHARS
    assert excerpt.endswith("…")
    assert "<" not in excerpt
    assert "\n" not in excerpt
    assert details == ()


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            _json({"errors": [{"message": "Token expired", "reason": "unauthorized"}]}),
            (ErrorDetail("Token expired", "unauthorized"),),
        ),
        (_json({"error": "Token expired"}), (ErrorDetail("Token expired"),)),
        (_json({"error": ""}), ()),
        (_json({"message": "Token expired"}), ()),
        (b"Token expired", ()),
        (b"", ()),
    ],
)
def test_body_details_reads_only_the_documented_shapes(
    body: bytes, details: tuple[ErrorDetail, ...]
) -> None:
    assert body_details(body) == details
