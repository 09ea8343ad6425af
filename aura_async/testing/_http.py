"""HTTP helpers shared by the emulator's middlewares and route handlers.

Handlers raise :class:`ApiError`; the error middleware renders it in the API's
error shape. Success bodies go through :func:`data_response`, which wraps them in
the ``{"data": ...}`` envelope.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON_CONTENT_TYPE = "application/json"
# The spec's Error shape requires a reason on every error.
INVALID_BODY = "invalid-request"


class ApiError(Exception):
    """An error answer of the emulated API.

    Args:
        status: The HTTP status.
        message: The human-readable message.
        reason: The machine-readable reason (e.g. ``db-not-found``), if any.
        field: The offending request field, for 400s on bad input.
        gateway: Render the gateway shape ``{"error": message}`` instead of
            ``{"errors": [...]}`` (the real gateway answers 401/403/429 so).
        headers: Extra response headers (e.g. ``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str | None = None,
        field: str | None = None,
        gateway: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.field = field
        self.gateway = gateway
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body of this error, in the shape the API uses."""
        if self.gateway:
            return {"error": self.message}
        item: dict[str, Any] = {"message": self.message}
        if self.reason is not None:
            item["reason"] = self.reason
        if self.field is not None:
            item["field"] = self.field
        return {"errors": [item]}

    def response(self) -> web.Response:
        """Return the aiohttp response for this error."""
        return json_response(self.body(), status=self.status, headers=self.headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a JSON response with compact encoding."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        headers=headers,
    )


def data_response(data: Any, *, status: int = 200) -> web.Response:
    """Return a success response wrapped in the API's ``{"data": ...}`` envelope."""
    return json_response({"data": data}, status=status)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Read a JSON object body the way the API does.

    Raises:
        ApiError: 415 when the Content-Type is not ``application/json``; 400 when
            the body is not valid JSON or not a JSON object.
    """
    if request.content_type != JSON_CONTENT_TYPE:
        raise ApiError(
            415, "Content-Type must be application/json", reason="unsupported-media-type"
        )
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc.msg}", reason=INVALID_BODY) from None
    except UnicodeDecodeError:
        raise ApiError(400, "The request body is not UTF-8", reason=INVALID_BODY) from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object", reason=INVALID_BODY)
    return body
