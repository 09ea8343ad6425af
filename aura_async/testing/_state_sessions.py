"""GDS (Graph Analytics) session operations: get-or-create, list, get, delete."""

from __future__ import annotations

import uuid
from typing import Any

from attrs import frozen

from aura_async.testing._http import ApiError
from aura_async.testing._model import GdsSession, Tenant
from aura_async.testing._state import EmulatorState, Step
from aura_async.testing._validation import (
    CLOUD_PROVIDERS,
    format_gb,
    invalid,
    optional_choice,
    optional_str,
    parse_duration,
    parse_size_gb,
    required_str,
    session_not_found,
)

SESSION_MEMORY_GB = (2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384)
DEFAULT_TTL_SECONDS = 3600.0
MAX_TTL_SECONDS = 7 * 24 * 3600.0
DEFAULT_USER_ID = "emulator-user"
SETTING_LABELS = {
    "memory": "Memory",
    "instance_id": "InstanceId",
    "cloud_provider": "CloudProvider",
    "region": "Region",
}


@frozen
class SessionRequest:
    """A validated ``POST /graph-analytics/sessions`` body."""

    name: str
    memory: str
    tenant_id: str
    ttl_seconds: float
    instance_id: str | None
    database_uuid: str | None
    cloud_provider: str | None
    region: str | None


def parse_session_request(body: dict[str, Any]) -> SessionRequest:
    """Validate a session body on its own (no state needed).

    Raises:
        ApiError: 400 naming the first missing or malformed field.
    """
    request = SessionRequest(
        name=required_str(body, "name"),
        memory=required_str(body, "memory"),
        tenant_id=required_str(body, "tenant_id"),
        ttl_seconds=_ttl(optional_str(body, "ttl")),
        instance_id=optional_str(body, "instance_id"),
        database_uuid=optional_str(body, "database_uuid"),
        cloud_provider=optional_choice(body, "cloud_provider", CLOUD_PROVIDERS),
        region=optional_str(body, "region"),
    )
    if parse_size_gb(request.memory, "memory") not in SESSION_MEMORY_GB:
        sizes = ", ".join(format_gb(size) for size in SESSION_MEMORY_GB)
        raise invalid(f"memory must be one of: {sizes}", field="memory")
    return request


def _ttl(text: str | None) -> float:
    if text is None:
        return DEFAULT_TTL_SECONDS
    seconds = parse_duration(text, "ttl")
    if seconds > MAX_TTL_SECONDS:
        raise invalid("ttl must be at most 7 days", field="ttl")
    return seconds


def create_session(
    state: EmulatorState, body: dict[str, Any], user_id: str | None
) -> tuple[int, dict[str, Any]]:
    """``POST /graph-analytics/sessions``: get or create a session by (tenant, name).

    Returns:
        200 and the existing session when one has the same name and settings; 202
        and a new session (``Creating``, then ``Ready``) otherwise.

    Raises:
        ApiError: 400 bad body or location; 404 unknown tenant or instance; 409 when
            a session of that name exists with other settings.
    """
    request = parse_session_request(body)
    tenant = state.tenant(request.tenant_id)
    cloud_provider, region = _location(state, tenant, request)
    session = _new_session(state, request, user_id, cloud_provider, region)
    existing = _find_by_name(state, tenant.id, request.name)
    if existing is not None:
        _check_same_settings(existing, session)
        return 200, existing.detail()
    state.sessions[session.id] = session
    state.start(f"session:{session.id}", session, [Step("Ready")])
    return 202, session.detail()


def _location(state: EmulatorState, tenant: Tenant, request: SessionRequest) -> tuple[str, str]:
    if request.instance_id is None:
        cloud_provider = request.cloud_provider
        if cloud_provider is None:
            raise invalid("cloud_provider is required without instance_id", field="cloud_provider")
        if request.region is None:
            raise invalid("region is required without instance_id", field="region")
        if not tenant.offers_location(cloud_provider, request.region):
            raise invalid(
                f"The project offers no {cloud_provider} {request.region}", field="region"
            )
        return cloud_provider, request.region
    instance = state.instance(request.instance_id)
    if instance.tenant_id != tenant.id:
        raise invalid("The instance belongs to another project", field="instance_id")
    for field, value in (("cloud_provider", instance.cloud_provider), ("region", instance.region)):
        if getattr(request, field) not in (None, value):
            raise invalid(f"{field} must match the instance's ({value})", field=field)
    return instance.cloud_provider, instance.region


def _new_session(
    state: EmulatorState,
    request: SessionRequest,
    user_id: str | None,
    cloud_provider: str,
    region: str,
) -> GdsSession:
    # Ids look like the live ones: "s-04de43fe-67ab-4" standalone, "<instance>-15de43fg" attached.
    random_part = str(uuid.uuid4())
    session_id = (
        f"s-{random_part[:15]}"
        if request.instance_id is None
        else f"{request.instance_id}-{random_part[:8]}"
    )
    return GdsSession(
        id=session_id,
        name=request.name,
        tenant_id=request.tenant_id,
        memory=request.memory,
        user_id=user_id or DEFAULT_USER_ID,
        cloud_provider=cloud_provider,
        region=region,
        created_at=state.now(),
        ttl_seconds=request.ttl_seconds,
        instance_id=request.instance_id,
        database_uuid=request.database_uuid,
    )


def _find_by_name(state: EmulatorState, tenant_id: str, name: str) -> GdsSession | None:
    for session in state.sessions.values():
        if session.tenant_id == tenant_id and session.name == name:
            return session
    return None


def _check_same_settings(existing: GdsSession, requested: GdsSession) -> None:
    have, want = existing.settings(), requested.settings()
    differences = [
        f"{SETTING_LABELS[key]} (is: {have[key]}, requested: {want[key]})"
        for key in SETTING_LABELS
        if have[key] != want[key]
    ]
    if differences:
        message = (
            f"session `{existing.name}` already exists for project `{existing.tenant_id}`"
            f" with different parameters: {', '.join(differences)}"
        )
        raise ApiError(409, message, reason="")


def list_sessions(
    state: EmulatorState,
    *,
    instance_id: str | None = None,
    tenant_id: str | None = None,
    organization_id: str | None = None,
) -> list[dict[str, Any]]:
    """``GET /graph-analytics/sessions``: the sessions that pass every given filter.

    Raises:
        ApiError: 404 ``tenant-not-found`` for an unknown ``tenant_id``.
    """
    if tenant_id is not None:
        state.tenant(tenant_id)
    if organization_id not in (None, state.organization_id):
        return []
    return [
        session.detail()
        for session in state.sessions.values()
        if instance_id in (None, session.instance_id) and tenant_id in (None, session.tenant_id)
    ]


def find_session(state: EmulatorState, session_id: str) -> GdsSession:
    """Return the session, or raise the API's 404 (with an empty reason)."""
    session = state.sessions.get(session_id)
    if session is None:
        raise session_not_found(session_id)
    return session


def get_session(state: EmulatorState, session_id: str) -> dict[str, Any]:
    """``GET /graph-analytics/sessions/{sessionId}``.

    Raises:
        ApiError: 404 unknown session.
    """
    return find_session(state, session_id).detail()


def delete_session(state: EmulatorState, session_id: str) -> dict[str, Any]:
    """``DELETE /graph-analytics/sessions/{sessionId}`` (202): the session is gone at once.

    Raises:
        ApiError: 404 unknown session (also for a repeated delete).
    """
    session = find_session(state, session_id)
    del state.sessions[session.id]
    return {"id": session.id}
