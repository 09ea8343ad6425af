"""What every route module shares: the route record, error rendering, request readers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from attrs import frozen

from aura_async.testing._http import ApiError, read_json_object

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CLIENT_ID_STRING_KEY = "aura_client_id"


@frozen
class Route:
    """One API operation: its method, its path as the spec writes it (no ``/v1``), its handler."""

    method: str
    path: str
    handler: Handler


def renders_api_errors(handler: Handler) -> Handler:
    """Wrap a handler so that an :class:`ApiError` it raises becomes the API's error answer.

    The routes thus answer correctly on a bare application too; the app's own error
    middleware only sees what the handlers did not anticipate.
    """

    @functools.wraps(handler)
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error.response()

    return handle


async def read_optional_object(request: web.Request) -> dict[str, Any]:
    """Read the JSON object body of an operation whose body may be left out.

    Pause, resume, snapshot and restore take an empty object; the API accepts the
    request without a body, and checks a body that is sent like any other.

    Raises:
        ApiError: 415 / 400 as :func:`read_json_object` does, when a body is sent.
    """
    if not request.body_exists:
        return {}
    return await read_json_object(request)


def query_value(request: web.Request, name: str) -> str | None:
    """Return the query parameter ``name``, or None when absent or empty."""
    return request.query.get(name) or None


def client_id(request: web.Request) -> str | None:
    """Return the authenticated client id the auth middleware stored, if any."""
    value = request.get(CLIENT_ID_STRING_KEY)
    return value if isinstance(value, str) else None
