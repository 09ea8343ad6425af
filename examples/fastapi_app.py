"""A FastAPI service managing Aura instances through one shared ``AuraClient``.

Run it with uvicorn (``pip install 'aura-async[fastapi]' uvicorn``)::

    export AURA_CLIENT_ID=... AURA_CLIENT_SECRET=...   # AURA_BASE_URL for the emulator
    AURA_WORKERS=2 uvicorn examples.fastapi_app:app --workers 2

Endpoints: ``GET /instances``, ``GET /instances/{id}``, ``POST /instances`` (202 and
a ``Location``), ``POST /instances/{id}/pause``, ``POST /instances/{id}/resume``,
``POST /instances/pause`` (many at once) and ``GET /health/aura`` (the rate
limiter's statistics).

The client is built when each worker process starts, from ``AURA_CLIENT_ID``,
``AURA_CLIENT_SECRET`` and ``AURA_BASE_URL``. Every worker has its own rate limiter,
so each takes ``125 // AURA_WORKERS`` requests a minute (``AURA_WORKERS`` defaults to
uvicorn's ``WEB_CONCURRENCY``, else 1): keep it equal to ``--workers``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field

from aura_async import AuraClient, AuraConfigurationError, AuraError, BulkResult, RateLimit
from aura_async.fastapi import (
    AuraClientDep,
    ClientFactory,
    aura_lifespan,
    error_answer,
    install_exception_handlers,
    limiter_health,
)
from aura_async.models import CreatedInstance, Instance

# The Aura API's documented allowance for one credential.
CREDENTIAL_ALLOWANCE = RateLimit(125, per=60.0)
BULK_MAX_ITEMS = 100
BULK_CONCURRENCY = 8


def worker_count(environ: Mapping[str, str]) -> int:
    """Return how many worker processes share the credential.

    Args:
        environ: The environment: ``AURA_WORKERS``, else ``WEB_CONCURRENCY``, else 1.

    Raises:
        AuraConfigurationError: The value is not a positive integer.
    """
    name = "AURA_WORKERS" if environ.get("AURA_WORKERS") else "WEB_CONCURRENCY"
    text = environ.get(name) or "1"
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise AuraConfigurationError(f"{name} must be a positive integer, got {text!r}")
    return count


def worker_rate_limit(environ: Mapping[str, str]) -> RateLimit:
    """Return this worker's share of the credential's allowance.

    Each worker process has its own limiter, so ``N`` workers each take ``1/N``.

    Raises:
        AuraConfigurationError: Bad worker count, or more workers than requests.
    """
    workers = worker_count(environ)
    share = CREDENTIAL_ALLOWANCE.requests // workers
    if share < 1:
        raise AuraConfigurationError(
            f"{workers} workers cannot share {CREDENTIAL_ALLOWANCE.requests} requests a window"
        )
    return RateLimit(share, per=CREDENTIAL_ALLOWANCE.per)


def client_from_env() -> AuraClient:
    """Build the worker's client from the environment (called at startup, in the loop)."""
    return AuraClient.from_env(rate_limit=worker_rate_limit(os.environ))


class NewInstance(BaseModel):
    """The body of ``POST /instances`` (the SDK validates the values)."""

    name: str
    tenant_id: str
    cloud_provider: str
    region: str
    type: str
    version: str
    memory: str
    storage: str | None = None


class InstanceIds(BaseModel):
    """The body of ``POST /instances/pause``."""

    instance_ids: list[str] = Field(min_length=1, max_length=BULK_MAX_ITEMS)


def created_view(created: CreatedInstance) -> dict[str, Any]:
    """Return the creation answer without its one-time password.

    A real service would hand the password to its secret store here; echoing it
    in a response body would spread it to logs and proxies.
    """
    return attrs.asdict(created, filter=lambda field, _: field.name != "password")


def bulk_row(result: BulkResult[str, Instance]) -> dict[str, Any]:
    """Return one item of a bulk answer: the instance's new status, or its error.

    Raises:
        Exception: An item failed with something other than an ``AuraError`` (a bug).
    """
    if isinstance(result.error, AuraError):
        answer = error_answer(result.error)
        return {"instance_id": result.item, "status": answer.status, **answer.body}
    instance = result.unwrap()
    return {"instance_id": result.item, "status": 202, "instance_status": instance.status}


router = APIRouter()


@router.get("/instances")
async def list_instances(aura: AuraClientDep, tenant_id: str | None = None) -> list[dict[str, Any]]:
    """List the instances, of one project if ``tenant_id`` is given."""
    return [attrs.asdict(row) for row in await aura.instances.list(tenant_id=tenant_id)]


@router.get("/instances/{instance_id}")
async def get_instance(instance_id: str, aura: AuraClientDep) -> dict[str, Any]:
    """Get one instance (404 if there is none)."""
    return attrs.asdict(await aura.instances.get(instance_id))


@router.post("/instances", status_code=202)
async def create_instance(
    body: NewInstance, aura: AuraClientDep, request: Request, response: Response
) -> dict[str, Any]:
    """Start creating an instance; ``Location`` names where to watch it."""
    created = await aura.instances.create(**body.model_dump(exclude_none=True))
    response.headers["Location"] = str(request.url_for("get_instance", instance_id=created.id))
    return created_view(created)


@router.post("/instances/pause")
async def pause_instances(body: InstanceIds, aura: AuraClientDep) -> list[dict[str, Any]]:
    """Pause many instances at once; one row per id, in order, failures included."""
    results = await aura.map(aura.instances.pause, body.instance_ids, concurrency=BULK_CONCURRENCY)
    return [bulk_row(result) for result in results]


@router.post("/instances/{instance_id}/pause", status_code=202)
async def pause_instance(instance_id: str, aura: AuraClientDep) -> dict[str, Any]:
    """Start pausing a running instance."""
    return attrs.asdict(await aura.instances.pause(instance_id))


@router.post("/instances/{instance_id}/resume", status_code=202)
async def resume_instance(instance_id: str, aura: AuraClientDep) -> dict[str, Any]:
    """Start resuming a paused instance."""
    return attrs.asdict(await aura.instances.resume(instance_id))


def create_app(client_factory: ClientFactory = client_from_env) -> FastAPI:
    """Build the app; its client is built by ``client_factory`` when the app starts.

    Args:
        client_factory: Builds the shared client (default: from the environment).

    Returns:
        The app, with the SDK's errors answered as HTTP errors.
    """
    # check=True: a wrong secret fails the startup, not the first request.
    app = FastAPI(title="Aura instances", lifespan=aura_lifespan(client_factory, check=True))
    install_exception_handlers(app)
    app.include_router(router)
    app.add_api_route("/health/aura", limiter_health)
    return app


app = create_app()
