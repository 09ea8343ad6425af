"""FastAPI integration: one shared ``AuraClient`` per app, a dependency, and error answers.

Needs the ``fastapi`` extra (``pip install 'aura-async[fastapi]'``)::

    from fastapi import FastAPI
    from aura_async.fastapi import AuraClientDep, aura_lifespan, install_exception_handlers

    app = FastAPI(lifespan=aura_lifespan(check=True))  # AuraClient.from_env() at startup
    install_exception_handlers(app)


    @app.get("/instances/{instance_id}")
    async def get_instance(instance_id: str, aura: AuraClientDep) -> dict[str, str]:
        instance = await aura.instances.get(instance_id)
        return {"id": instance.id, "status": str(instance.status)}

The client is created when the app starts, inside the server's event loop (a
client built at import time would be bound to no loop, or to the wrong one), and
closed when the app stops. Every request shares it, so they share one token and
one rate limiter. The limiter lives in the process: with several worker
processes, give each its share of the credential's allowance.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, TypeVar, overload

import attrs
from fastapi import Depends
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request

from aura_async._backend import Backend
from aura_async._client import AuraClient
from aura_async._errors import AppClientError, AuraConfigurationError, AuraError
from aura_async._http_errors import (
    ERROR_STATUSES,
    ErrorAnswer,
    ErrorStatuses,
    error_answer,
    merged_statuses,
    status_for,
)

__all__ = [
    "ERROR_STATUSES",
    "STATE_ATTRIBUTE",
    "AuraClientDep",
    "ClientFactory",
    "ErrorAnswer",
    "ErrorStatuses",
    "aura_lifespan",
    "error_answer",
    "get_aura_client",
    "install_exception_handlers",
    "limiter_health",
    "merged_statuses",
    "open_aura_client",
    "status_for",
]

STATE_ATTRIBUTE = "aura_client"
"""The ``app.state`` attribute holding the shared client while the app runs."""

ClientFactory = Callable[[], AuraClient | Awaitable[AuraClient]]
"""Builds the app's client at startup: a plain or an async function of no arguments."""

BackendFactory = Callable[[], AbstractAsyncContextManager[Backend]]
"""Opens a shared backend at startup, e.g. ``lambda: RedisBackend.from_url(url)``."""

AppT = TypeVar("AppT", bound=Starlette)

_logger = logging.getLogger("aura_async.fastapi")


def _factory_of(
    client_factory: ClientFactory | None,
    client_options: Mapping[str, Any],
    backend: BackendFactory | None = None,
) -> ClientFactory:
    if client_factory is None:
        return lambda: AuraClient.from_env(**client_options)
    if client_options or backend is not None:
        given = sorted([*client_options, *(["backend"] if backend is not None else [])])
        raise AuraConfigurationError(
            f"pass either client_factory or AuraClient options, not both (got options {given})"
        )
    return client_factory


async def _build_client(client_factory: ClientFactory) -> AuraClient:
    client = client_factory()
    if inspect.isawaitable(client):
        client = await client
    if not isinstance(client, AuraClient):
        raise AuraConfigurationError(
            f"client_factory must return an AuraClient, got {type(client).__name__}"
        )
    return client


@contextlib.asynccontextmanager
async def open_aura_client(
    app: Starlette,
    client_factory: ClientFactory | None = None,
    *,
    backend: BackendFactory | None = None,
    check: bool = False,
    **client_options: Any,
) -> AsyncIterator[AuraClient]:
    """Open the app's shared client, store it on ``app.state``, close it on exit.

    For use inside an app's own lifespan, when :func:`aura_lifespan` does not fit::

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            async with open_aura_client(app, check=True) as aura:
                await aura.tenants.list()  # e.g. warm up
                yield

    Args:
        app: The application; the client is stored as ``app.state.aura_client``.
        client_factory: Builds the client (plain or async); default
            ``AuraClient.from_env(**client_options)``.
        backend: Opens a shared backend for the default client, e.g.
            ``lambda: RedisBackend.from_url(url)``: opened in the worker's event loop
            before the client, closed after it (only without ``client_factory``).
        check: Fetch the access token before yielding (:meth:`AuraClient.authenticate`),
            so that a wrong client id or secret fails the app's startup.
        **client_options: Keyword options of :meth:`AuraClient.from_env`, e.g.
            ``rate_limit=RateLimit(62, per=60)``; only without ``client_factory``.

    Returns:
        An async context manager yielding the open client.

    Raises:
        AuraConfigurationError: Both a factory and options were given, the factory
            did not return an ``AuraClient``, or the environment lacks credentials.
        AppClientError: The app already has an open shared client (also a
            ``RuntimeError``, as before 0.1.0).
        AuthenticationError: With ``check``, the API rejected the credential.
        AuraError: With ``check``, the token could not be fetched.
    """
    _factory_of(client_factory, client_options, backend)  # fail before opening anything
    if getattr(app.state, STATE_ATTRIBUTE, None) is not None:
        raise AppClientError(f"app.state.{STATE_ATTRIBUTE} is already set: open one client per app")
    async with contextlib.AsyncExitStack() as stack:
        if backend is not None:
            client_options = {
                **client_options,
                "backend": await stack.enter_async_context(backend()),
            }
        factory = _factory_of(client_factory, client_options)
        client = await stack.enter_async_context(await _build_client(factory))
        if check:
            await client.authenticate()
        setattr(app.state, STATE_ATTRIBUTE, client)
        try:
            yield client
        finally:
            delattr(app.state, STATE_ATTRIBUTE)


StatelessLifespan = Callable[[AppT], AbstractAsyncContextManager[None]]
StatefulLifespan = Callable[[AppT], AbstractAsyncContextManager[Mapping[str, Any]]]


@overload
def aura_lifespan(
    client_factory: ClientFactory | None = None,
    *,
    lifespan: None = None,
    backend: BackendFactory | None = None,
    check: bool = False,
    **client_options: Any,
) -> StatelessLifespan[Starlette]: ...


@overload
def aura_lifespan(
    client_factory: ClientFactory | None = None,
    *,
    lifespan: StatelessLifespan[AppT],
    backend: BackendFactory | None = None,
    check: bool = False,
    **client_options: Any,
) -> StatelessLifespan[AppT]: ...


@overload
def aura_lifespan(
    client_factory: ClientFactory | None = None,
    *,
    lifespan: StatefulLifespan[AppT],
    backend: BackendFactory | None = None,
    check: bool = False,
    **client_options: Any,
) -> StatefulLifespan[AppT]: ...


def aura_lifespan(
    client_factory: ClientFactory | None = None,
    *,
    lifespan: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None,
    backend: BackendFactory | None = None,
    check: bool = False,
    **client_options: Any,
) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    """Return a lifespan for ``FastAPI(lifespan=...)`` that owns one shared ``AuraClient``.

    At startup it builds the client (see :func:`open_aura_client`) and stores it as
    ``app.state.aura_client``; then it runs ``lifespan``, the app's own, if given.
    At shutdown the app's own lifespan ends first (so it may still use the client),
    then the client is closed. Whatever state the app's lifespan yields is passed on.

    Args:
        client_factory: Builds the client at startup (plain or async); default
            ``AuraClient.from_env(**client_options)``.
        lifespan: The app's own lifespan, run inside this one.
        backend: Opens a shared limiter/token backend in each worker, e.g.
            ``lambda: RedisBackend.from_url(url)`` (see :func:`open_aura_client`).
        check: Fetch the access token at startup, so that a wrong client id or secret
            fails the deploy (the server does not start) instead of the first request.
        **client_options: Keyword options of :meth:`AuraClient.from_env`; only
            without ``client_factory``.

    Returns:
        The lifespan function, ``app -> async context manager``; at startup it raises
        what :func:`open_aura_client` raises.

    Raises:
        AuraConfigurationError: Both ``client_factory`` and options were given.
    """
    _factory_of(client_factory, client_options, backend)  # fail at definition, not startup

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[Any]:
        async with open_aura_client(
            app, client_factory, backend=backend, check=check, **client_options
        ):
            if lifespan is None:
                yield None
                return
            async with lifespan(app) as state:
                yield state

    return run


async def get_aura_client(connection: HTTPConnection) -> AuraClient:
    """FastAPI dependency: the app's shared client (use :data:`AuraClientDep`).

    Args:
        connection: The current request or websocket (FastAPI passes it).

    Returns:
        The client opened by :func:`aura_lifespan` or :func:`open_aura_client`.

    Raises:
        AppClientError: The app was not started with either of them (also a
            ``RuntimeError``, as before 0.1.0).
    """
    client = getattr(connection.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(client, AuraClient):
        raise AppClientError(
            "no shared AuraClient on app.state: create the app with "
            "FastAPI(lifespan=aura_lifespan(...)), and run its lifespan"
        )
    return client


AuraClientDep = Annotated[AuraClient, Depends(get_aura_client)]
"""An endpoint parameter annotated with this receives the app's shared client."""


async def limiter_health(aura: AuraClientDep) -> dict[str, Any]:
    """A health endpoint: the shared client's rate limiter, as JSON.

    Mount it on the app, e.g. ``app.add_api_route("/health/aura", limiter_health)``.
    It sends nothing to the Aura API.

    Args:
        aura: The app's shared client (FastAPI passes it).

    Returns:
        ``{"rate_limited": false}`` when rate limiting is off, else
        ``{"rate_limited": true, ...}`` with every field of
        :class:`~aura_async.LimiterStats` (calls queued per lane, sends in the
        window, limit, per, cooldown remaining, paced, ramping, and the counts of
        429s, re-sends and admission timeouts).
    """
    stats = await aura.limiter_stats()
    if stats is None:
        return {"rate_limited": False}
    return {"rate_limited": True, **attrs.asdict(stats)}


def _handler(statuses: ErrorStatuses) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer_aura_error(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, AuraError):  # only registered for AuraError
            raise error
        answer = error_answer(error, statuses)
        if answer.status >= 500:
            # str(error) names the call and the request id, never a secret.
            _logger.warning(
                "%s %s answered %d: %s", request.method, request.url.path, answer.status, error
            )
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    return answer_aura_error


def install_exception_handlers(
    app: Starlette, *, statuses: Mapping[type[AuraError], int] | None = None
) -> None:
    """Answer every ``AuraError`` an endpoint raises as :func:`error_answer` maps it.

    Override entries of :data:`ERROR_STATUSES` with ``statuses``, e.g.
    ``install_exception_handlers(app, statuses={ConflictError: 423})``; an error takes
    the entry of its nearest class, so an entry for a base class covers its subclasses
    that have none. Handlers the app registers for narrower error classes still take
    precedence (Starlette picks the most specific class).

    Args:
        app: The application.
        statuses: Entries replacing or adding to the default mapping.

    Raises:
        AuraConfigurationError: A bad ``statuses`` entry (see :func:`merged_statuses`).
    """
    app.add_exception_handler(AuraError, _handler(merged_statuses(statuses)))
