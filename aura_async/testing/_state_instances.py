"""Instance operations: list, get, create (and clone), pause, resume, delete."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from aura_async.testing._http import ApiError
from aura_async.testing._model import CustomerManagedKey, Instance, new_instance_id, new_password
from aura_async.testing._state import EmulatorState, Step
from aura_async.testing._state_guards import (
    ensure_idle,
    ensure_status,
    instance_key,
    start_operation,
)
from aura_async.testing._state_snapshots import begin_copy, clone_source
from aura_async.testing._validation import (
    CLOUD_PROVIDERS,
    INSTANCE_TYPES,
    check_name,
    db_not_found,
    invalid,
    key_not_found,
    match_configuration,
    optional_bool,
    optional_str,
    parse_size_gb,
    required_choice,
    required_str,
)

VECTOR_TYPES = frozenset({"professional-db", "enterprise-db", "business-critical"})
VECTOR_MIN_MEMORY_GB = 4
GRAPH_ANALYTICS_TYPES = VECTOR_TYPES
USERNAME = "neo4j"


@frozen
class CreateRequest:
    """A validated ``POST /instances`` body."""

    tenant_id: str
    name: str
    type: str
    cloud_provider: str
    region: str
    version: str
    memory: str
    source_instance_id: str | None
    source_snapshot_id: str | None
    customer_managed_key_id: str | None
    vector_optimized: bool
    graph_analytics_plugin: bool

    def configuration(self) -> dict[str, str]:
        """Return the fields a tenant's instance configuration must match."""
        return {
            "type": self.type,
            "cloud_provider": self.cloud_provider,
            "region": self.region,
            "version": self.version,
            "memory": self.memory,
        }


def parse_create_request(body: dict[str, Any]) -> CreateRequest:
    """Validate a ``POST /instances`` body on its own (no state needed).

    Raises:
        ApiError: 400 naming the first missing or malformed field.
    """
    request = CreateRequest(
        tenant_id=required_str(body, "tenant_id"),
        name=check_name(required_str(body, "name")),
        type=required_choice(body, "type", INSTANCE_TYPES),
        cloud_provider=required_choice(body, "cloud_provider", CLOUD_PROVIDERS),
        region=required_str(body, "region"),
        version=required_str(body, "version"),
        memory=required_str(body, "memory"),
        source_instance_id=optional_str(body, "source_instance_id"),
        source_snapshot_id=optional_str(body, "source_snapshot_id"),
        customer_managed_key_id=optional_str(body, "customer_managed_key_id"),
        vector_optimized=bool(optional_bool(body, "vector_optimized")),
        graph_analytics_plugin=bool(optional_bool(body, "graph_analytics_plugin")),
    )
    parse_size_gb(request.memory, "memory")
    if request.source_snapshot_id is not None and request.source_instance_id is None:
        raise invalid("source_snapshot_id requires source_instance_id", field="source_instance_id")
    check_features(
        request.type, request.memory, request.vector_optimized, request.graph_analytics_plugin
    )
    return request


def check_features(instance_type: str, memory: str, vector: bool, graph_analytics: bool) -> None:
    """Raise 400 if vector optimization or the Graph Analytics plugin is not available.

    Vector optimization needs an AuraDB tier other than Free and at least 4GB; the
    plugin needs an AuraDB tier other than Free (AuraDS has the library built in).
    """
    if vector and (
        instance_type not in VECTOR_TYPES or parse_size_gb(memory, "memory") < VECTOR_MIN_MEMORY_GB
    ):
        message = (
            f"Vector optimization needs {VECTOR_MIN_MEMORY_GB}GB on AuraDB Professional or above"
        )
        raise invalid(message, field="vector_optimized")
    if graph_analytics and instance_type not in GRAPH_ANALYTICS_TYPES:
        message = "The Graph Analytics plugin is not available for this instance type"
        raise invalid(message, field="graph_analytics_plugin")


def list_instances(state: EmulatorState, tenant_id: str | None) -> list[dict[str, Any]]:
    """``GET /instances``: summaries, optionally of one tenant.

    Raises:
        ApiError: 404 ``tenant-not-found`` for an unknown ``tenant_id``.
    """
    if tenant_id is not None:
        state.tenant(tenant_id)
    return [
        instance.summary()
        for instance in state.instances.values()
        if tenant_id is None or instance.tenant_id == tenant_id
    ]


def get_instance(state: EmulatorState, instance_id: str) -> dict[str, Any]:
    """``GET /instances/{instanceId}``.

    Raises:
        ApiError: 404 ``db-not-found``.
    """
    return state.instance(instance_id).detail()


def create_instance(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /instances``: create (or clone) an instance, ``creating`` then ``running``.

    Returns:
        The creation answer, which holds the one-time initial password.

    Raises:
        ApiError: 400 bad body or no matching configuration; 404 unknown tenant,
            source, snapshot or key; 405 instance limit reached; 409 busy source.
    """
    request = parse_create_request(body)
    tenant = state.tenant(request.tenant_id)
    config = match_configuration(tenant.instance_configurations, request.configuration())
    _check_instance_limit(state, tenant.id)
    if request.customer_managed_key_id is not None:
        _check_key(state, request, request.customer_managed_key_id)
    source = None
    if request.source_instance_id is not None:
        source = clone_source(state, request.source_instance_id, request.source_snapshot_id)
    instance = _new_instance(state, request, config["storage"])
    state.record_created_instance(instance)
    release = begin_copy(state, source, instance, request.source_snapshot_id) if source else None
    state.start(instance_key(instance.id), instance, [Step("running", release)])
    return _creation_answer(instance)


def _check_instance_limit(state: EmulatorState, tenant_id: str) -> None:
    held = sum(1 for instance in state.instances.values() if instance.tenant_id == tenant_id)
    if held >= state.instance_limit:
        message = f"Creating instances is not permitted: the project holds {held} instances"
        raise ApiError(405, message, reason="instance-limit-reached")


def _check_key(state: EmulatorState, request: CreateRequest, key_id: str) -> CustomerManagedKey:
    key = state.customer_managed_keys.get(key_id)
    if key is None or key.tenant_id != request.tenant_id:
        raise key_not_found(key_id)
    if key.status != "ready":
        raise invalid(f"Key {key_id} is {key.status}, not ready", field="customer_managed_key_id")
    wanted = (request.type, request.cloud_provider, request.region)
    if (key.instance_type, key.cloud_provider, key.region) != wanted:
        message = f"Key {key_id} is for {key.instance_type} on {key.cloud_provider} {key.region}"
        raise invalid(message, field="customer_managed_key_id")
    return key


def _new_instance(state: EmulatorState, request: CreateRequest, storage: str) -> Instance:
    return Instance(
        id=new_instance_id(state.instances),
        name=request.name,
        tenant_id=request.tenant_id,
        cloud_provider=request.cloud_provider,
        region=request.region,
        type=request.type,
        memory=request.memory,
        storage=storage,
        version=request.version,
        created_at=state.now(),
        customer_managed_key_id=request.customer_managed_key_id,
        vector_optimized=request.vector_optimized,
        graph_analytics_plugin=request.graph_analytics_plugin,
    )


def _creation_answer(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "connection_url": instance.connection_url,
        "username": USERNAME,
        "password": new_password(),
        "tenant_id": instance.tenant_id,
        "cloud_provider": instance.cloud_provider,
        "region": instance.region,
        "type": instance.type,
        "name": instance.name,
        "created_at": instance.summary()["created_at"],
        "vector_optimized": instance.vector_optimized,
        "graph_analytics_plugin": instance.graph_analytics_plugin,
    }


def pause_instance(state: EmulatorState, instance_id: str) -> dict[str, Any]:
    """``POST /instances/{instanceId}/pause``: ``pausing``, then ``paused``.

    Raises:
        ApiError: 404 unknown; 409 during another operation; 400 unless running.
    """
    instance = state.instance(instance_id)
    ensure_idle(instance)
    ensure_status(instance, "running", "pause")
    start_operation(state, instance, "pausing", final_status="paused")
    return instance.detail()


def resume_instance(state: EmulatorState, instance_id: str) -> dict[str, Any]:
    """``POST /instances/{instanceId}/resume``: ``resuming``, then ``running``.

    Raises:
        ApiError: 404 unknown; 409 during another operation; 400 unless paused.
    """
    instance = state.instance(instance_id)
    ensure_idle(instance)
    ensure_status(instance, "paused", "resume")
    start_operation(state, instance, "resuming")
    return instance.detail()


def delete_instance(state: EmulatorState, instance_id: str) -> dict[str, Any]:
    """``DELETE /instances/{instanceId}``: ``destroying``, then gone (404).

    Raises:
        ApiError: 404 unknown, also while the instance is being destroyed (the live API
            answers a repeated delete so); 409 during another operation.
    """
    instance = state.instance(instance_id)
    if instance.status == "destroying":
        raise db_not_found(instance_id)
    ensure_idle(instance)
    instance.status = "destroying"

    def forget() -> None:
        state.forget_instance(instance.id)

    state.start(instance_key(instance.id), instance, [Step(None, forget)])
    return instance.detail()
