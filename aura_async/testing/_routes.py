"""Registers every operation of the Aura API v1 on an aiohttp application."""

from __future__ import annotations

from aiohttp import web

from aura_async.testing._routes_common import Route, renders_api_errors
from aura_async.testing._routes_instances import InstanceHandlers
from aura_async.testing._routes_other import OtherHandlers
from aura_async.testing._state import EmulatorState

BASE_PATH = "/v1"


def api_routes(state: EmulatorState) -> list[Route]:
    """Return the 26 operations of the spec, bound to ``state``, in registration order."""
    return [*InstanceHandlers(state).routes(), *OtherHandlers(state).routes()]


def add_routes(app: web.Application, state: EmulatorState) -> None:
    """Register every API operation under ``/v1`` with the spec's path templates.

    Handlers render the :class:`~aura_async.testing._http.ApiError`\\ s they raise
    themselves, so the routes also work on a bare application.

    Args:
        app: The application (not yet frozen).
        state: The emulator state the handlers read and change.
    """
    for route in api_routes(state):
        app.router.add_route(
            route.method, BASE_PATH + route.path, renders_api_errors(route.handler)
        )
