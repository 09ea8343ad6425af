"""The emulator's ``aiohttp`` application: middlewares, token endpoint and routes.

Middlewares, outermost first, in the order the real gateway applies them:

1. request id and journal: every answer carries ``X-Request-Id``; every request
   is journaled (dropped connections with status ``None``);
2. error rendering: :class:`ApiError` becomes its JSON answer, an unknown path a
   404 and a wrong method a 405 in the API's error shape, any other exception a
   500; never an HTML error page;
3. authentication: bearer token on ``/v1``, Basic attribution on the token endpoint;
4. rate limit, per credential: a 429 is decided before any fault, as the gateway
   limits before the backend sees the request;
5. faults; then the handler.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aura_async.testing._auth import TokenAuthority, auth_middleware, token_endpoint
from aura_async.testing._evolve import Evolution, evolve_middleware
from aura_async.testing._faults import FaultScript, drop_connection, fault_middleware
from aura_async.testing._http import ApiError
from aura_async.testing._journal import TOKEN_PATH, Journal, JournalEntry
from aura_async.testing._keys import (
    CLIENT_ID_KEY,
    DROPPED_KEY,
    FAULT_KEY,
    RATE_LIMITED_KEY,
    RECEIVED_KEY,
)
from aura_async.testing._ratelimit import (
    RateLimiterRegistry,
    ServerRateLimit,
    rate_limit_middleware,
)

if TYPE_CHECKING:
    from aura_async.testing._state import EmulatorState

logger = logging.getLogger("aura_async.testing")

REQUEST_ID_HEADER = "X-Request-Id"
DEFAULT_RATE_LIMIT = ServerRateLimit()

STATE_KEY: web.AppKey[EmulatorState | None] = web.AppKey("aura_state")
"""The app's ``EmulatorState`` (``None`` when built with ``routes=False``)."""
AUTHORITY_KEY = web.AppKey("aura_authority", TokenAuthority)
JOURNAL_KEY = web.AppKey("aura_journal", Journal)
FAULTS_KEY = web.AppKey("aura_faults", FaultScript)
LIMITER_KEY = web.AppKey("aura_rate_limiter", RateLimiterRegistry)
"""The rate limiters (absent when the rate limit is off)."""


def build_app(
    state: EmulatorState | None = None,
    *,
    authority: TokenAuthority | None = None,
    rate_limit: ServerRateLimit | None = DEFAULT_RATE_LIMIT,
    journal: Journal | None = None,
    faults: FaultScript | None = None,
    clock: Callable[[], float] = time.monotonic,
    routes: bool = True,
    setup: Callable[[web.Application], None] | None = None,
    evolution: Evolution | None = None,
) -> web.Application:
    """Create the emulator's application.

    Args:
        state: The resources; default: an empty ``EmulatorState`` on ``clock``.
        authority: The credentials and tokens; default: one random pair on ``clock``.
        rate_limit: The per-credential rate limit, or ``None`` for none.
        journal: Where requests are recorded; default: a new, unbounded journal.
        faults: The fault script; default: a new, empty one.
        clock: The monotonic clock of the journal and the rate limit.
        routes: Register the API's operations (``False``: only the token endpoint,
            for testing the middlewares alone).
        setup: Called with the app after the routes are added, to add more.
        evolution: Perturb every success answer as a later API may send it (see
            :mod:`aura_async.testing._evolve`); ``None``: answer as the spec says.

    Returns:
        The application; its parts are reachable through ``STATE_KEY``,
        ``AUTHORITY_KEY``, ``JOURNAL_KEY``, ``FAULTS_KEY`` and ``LIMITER_KEY``.
    """
    authority = authority if authority is not None else TokenAuthority(clock=clock)
    journal = journal if journal is not None else Journal()
    faults = faults if faults is not None else FaultScript()
    limiter = RateLimiterRegistry(rate_limit, clock) if rate_limit is not None else None
    middlewares = _middlewares(clock, journal, authority, limiter, faults)
    if evolution is not None:
        middlewares.append(evolve_middleware(evolution))
    app = web.Application(middlewares=middlewares)
    app[AUTHORITY_KEY] = authority
    app[JOURNAL_KEY] = journal
    app[FAULTS_KEY] = faults
    if limiter is not None:
        app[LIMITER_KEY] = limiter
    app.router.add_post(TOKEN_PATH, token_endpoint(authority), name="post-oauth-token")
    app[STATE_KEY] = _add_api_routes(app, state, clock) if routes else state
    if setup is not None:
        setup(app)
    return app


def _middlewares(
    clock: Callable[[], float],
    journal: Journal,
    authority: TokenAuthority,
    limiter: RateLimiterRegistry | None,
    faults: FaultScript,
) -> list[Middleware]:
    """Return the middlewares, outermost first (see the module docstring)."""
    middlewares = [journal_middleware(journal, clock), error_middleware()]
    middlewares.append(auth_middleware(authority))
    if limiter is not None:
        middlewares.append(rate_limit_middleware(limiter))
    middlewares.append(fault_middleware(faults))
    return middlewares


def _add_api_routes(
    app: web.Application, state: EmulatorState | None, clock: Callable[[], float]
) -> EmulatorState:
    # Imported here so that the middlewares can be built and tested on their own.
    from aura_async.testing._routes import add_routes
    from aura_async.testing._state import EmulatorState

    state = state if state is not None else EmulatorState(clock=clock)
    add_routes(app, state)
    return state


def journal_middleware(journal: Journal, clock: Callable[[], float]) -> Middleware:
    """Return the outermost middleware: request id on the answer, one journal entry."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        received = request[RECEIVED_KEY] = clock()
        request_id = str(uuid.uuid4())
        status: int | None = None
        try:
            response = await handler(request)
            if not response.prepared:
                response.headers[REQUEST_ID_HEADER] = request_id
            status = response.status
            return response
        finally:
            journal.append(_entry(request, received, request_id, status))

    return record


def _entry(
    request: web.Request, received: float, request_id: str, status: int | None
) -> JournalEntry:
    return JournalEntry(
        time=received,
        method=request.method,
        path=request.path,
        status=None if request.get(DROPPED_KEY) else status,
        client_id=request.get(CLIENT_ID_KEY),
        request_id=request_id,
        rate_limited=request.get(RATE_LIMITED_KEY, False),
        fault=request.get(FAULT_KEY),
        operation=operation_name(request),
    )


def operation_name(request: web.Request) -> str | None:
    """Return the matched route's name (``"METHOD /template"`` if unnamed), or ``None``."""
    route = request.match_info.route
    resource = route.resource
    if resource is None:
        return None
    return route.name or f"{request.method} {resource.canonical}"


def error_middleware() -> Middleware:
    """Return the middleware rendering every error as a JSON answer."""

    @web.middleware
    async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error.response()
        except web.HTTPException as exception:
            return http_exception_response(request, exception)
        except ConnectionError:
            # The client went away mid-request: journal it as dropped, log nothing.
            return drop_connection(request)
        except Exception:
            logger.exception("Unexpected error in %s %s", request.method, request.path)
            internal = ApiError(500, "Internal error in the emulator", reason="internal-error")
            return internal.response()

    return render_errors


def http_exception_response(request: web.Request, exception: web.HTTPException) -> web.Response:
    """Render an aiohttp HTTP exception (no route, wrong method, ...) as a JSON answer."""
    kept = {
        name: exception.headers[name] for name in ("Allow", "Location") if name in exception.headers
    }
    status = exception.status
    if status < 400:
        return web.Response(status=status, headers=kept)
    if status == HTTPStatus.NOT_FOUND:
        message, reason = f"No such endpoint: {request.method} {request.path}", "not-found"
    elif status == HTTPStatus.METHOD_NOT_ALLOWED:
        message = f"Method {request.method} is not allowed on {request.path}"
        reason = "method-not-allowed"
    else:
        message, reason = exception.reason, exception.reason.lower().replace(" ", "-")
    return ApiError(status, message, reason=reason, headers=kept).response()
