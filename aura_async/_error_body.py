"""Parsing of the API's error bodies (pure): both documented shapes and anything else.

The API answers errors as ``{"errors": [{"message", "reason", "field"}]}``; its
gateway as ``{"error": "..."}``; a proxy in front of it may answer an HTML page or
nothing at all. :func:`parse_error_body` turns any of these into a readable
message plus the structured details, and never raises. Every text taken from a
body passes through :func:`redact`: a server that echoes the request's
``Authorization`` header must not put a credential into an error message.
"""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from typing import Any

import attrs

EXCERPT_MAX_CHARS = 200
REDACTED = "[redacted]"
# Only the start of a non-JSON body is scanned: bounds the regex work on a huge page.
_EXCERPT_SOURCE_MAX_CHARS = 8_192


@attrs.frozen
class ErrorDetail:
    """One entry of an error body's ``errors`` list.

    Attributes:
        message: The human-readable explanation.
        reason: The machine-readable category (e.g. ``db-not-found``), if given.
        field: The request field the error refers to, if any.
    """

    message: str
    reason: str | None = None
    field: str | None = None

    def describe(self) -> str:
        """Return the message with its reason and field, e.g. ``msg (reason: r, field: f)``."""
        notes = [("reason", self.reason), ("field", self.field)]
        shown = ", ".join(f"{name}: {value}" for name, value in notes if value is not None)
        if not self.message or not shown:
            return self.message or shown
        return f"{self.message} ({shown})"


# An HTTP credential ("Basic <base64>", "Bearer <token>"), and a secret-bearing field
# written as JSON (`"password": "x"`), a form (`client_secret=x`) or prose (`token: x`).
_CREDENTIAL = re.compile(r"\b(basic|bearer)(\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r"\b((?:access_token|client_secret|password|secret|token)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\"'&,;\s}\]]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Return ``text`` with credentials and secret-bearing fields replaced by ``[redacted]``.

    Covers ``Basic``/``Bearer`` credentials and ``access_token``, ``client_secret``,
    ``password``, ``secret`` or ``token`` followed by ``:`` or ``=`` and a value, in
    JSON, form or prose. Pure; applied to every server- or exception-provided text
    that goes into an error.
    """
    text = _CREDENTIAL.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    return _SECRET_FIELD.sub(lambda m: f"{m[1]}{REDACTED}", text)


def status_phrase(status: int) -> str:
    """Return the standard reason phrase of an HTTP status (``Not Found``), or ``""``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def fallback_message(status: int) -> str:
    """Return the message for a body that says nothing: the status phrase, or ``HTTP <n>``."""
    return status_phrase(status) or f"HTTP {status}"


def joined_messages(details: tuple[ErrorDetail, ...]) -> str:
    """Return the non-empty messages of some details, joined by ``"; "``."""
    return "; ".join(detail.message for detail in details if detail.message)


def body_details(body: bytes) -> tuple[ErrorDetail, ...]:
    """Return the details of a body in either documented shape; empty for anything else."""
    return _details_from_json(_load_json(_decode(body)))


def parse_error_body(
    status: int, body: bytes, content_type: str | None
) -> tuple[str, tuple[ErrorDetail, ...]]:
    """Return ``(message, details)`` for any error body; never raises.

    Args:
        status: The HTTP status, for the fallback message.
        body: The raw body (any bytes, invalid UTF-8 included).
        content_type: The ``Content-Type`` header, used to recognise HTML.

    Returns:
        The messages of the details joined by ``"; "`` (or, for a body without
        details, a ``message`` member, or the status phrase, followed for a
        non-empty body by a short tag-free excerpt of its text), and the details;
        every text redacted (see :func:`redact`).
    """
    text = _decode(body)
    if not text.strip():
        return fallback_message(status), ()
    document = _load_json(text)
    details = _details_from_json(document)
    if details:
        return joined_messages(details) or fallback_message(status), details
    if isinstance(document, dict) and _is_text(document.get("message")):
        return redact(document["message"]), ()
    excerpt = _excerpt(text, content_type)
    fallback = fallback_message(status)
    return (f"{fallback}: {excerpt}" if excerpt else fallback), ()


def _decode(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _load_json(text: str) -> object:
    """Parse JSON, or return None if the text is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _details_from_json(document: object) -> tuple[ErrorDetail, ...]:
    """Read the structured or the gateway shape; empty for anything else."""
    if not isinstance(document, dict):
        return ()
    if isinstance(document.get("errors"), list):
        return tuple(_detail(item) for item in document["errors"] if _is_detail(item))
    if _is_text(document.get("error")):
        return (ErrorDetail(redact(document["error"])),)
    return ()


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_detail(item: object) -> bool:
    return isinstance(item, dict) and (
        _is_text(item.get("message")) or _is_text(item.get("reason"))
    )


def _detail(item: dict[str, Any]) -> ErrorDetail:
    message = _str_or_none(item.get("message")) or ""
    return ErrorDetail(message, _str_or_none(item.get("reason")), _str_or_none(item.get("field")))


def _str_or_none(value: object) -> str | None:
    return redact(value) if isinstance(value, str) else None


_HIDDEN_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_WHITESPACE = re.compile(r"\s+")


def _excerpt(text: str, content_type: str | None) -> str:
    """Return a short, single-line, tag-free excerpt of a body for messages."""
    text = text[:_EXCERPT_SOURCE_MAX_CHARS]
    looks_html = "html" in (content_type or "").lower() or text.lstrip().startswith("<")
    if looks_html:
        text = html.unescape(_TAG.sub(" ", _HIDDEN_BLOCKS.sub(" ", text)))
    text = redact(_WHITESPACE.sub(" ", text).strip())
    if len(text) <= EXCERPT_MAX_CHARS:
        return text
    return text[: EXCERPT_MAX_CHARS - 1].rstrip() + "…"
