"""Instance changes: ``PATCH`` (rename, resize, features) and the upgrade to Business Critical."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from attrs import frozen

from aura_async.testing._model import CDC_TYPES, FREE_TYPE, VDC_TYPE, Instance
from aura_async.testing._state import EmulatorState
from aura_async.testing._state_guards import (
    UNSUPPORTED_TIER,
    ensure_idle,
    ensure_status,
    start_operation,
)
from aura_async.testing._state_instances import check_features
from aura_async.testing._validation import (
    check_name,
    invalid,
    match_configuration,
    optional_bool,
    optional_choice,
    optional_count,
    optional_str,
    parse_size_gb,
)

_T = TypeVar("_T")

CDC_MODES = ("OFF", "DIFF", "FULL")
UPGRADABLE_TYPE = "professional-db"
UPGRADED_TYPE = "business-critical"


@frozen
class PatchRequest:
    """A validated ``PATCH /instances/{instanceId}`` body."""

    name: str | None
    cdc_enrichment_mode: str | None
    memory: str | None
    storage: str | None
    vector_optimized: bool | None
    graph_analytics_plugin: bool | None
    secondaries_count: int | None

    def changes_topology(self) -> bool:
        """Return whether the change is asynchronous (202, ``updating``) rather than a rename."""
        slow = (
            self.memory,
            self.storage,
            self.vector_optimized,
            self.graph_analytics_plugin,
            self.secondaries_count,
        )
        return any(value is not None for value in slow)


def parse_patch_request(body: dict[str, Any]) -> PatchRequest:
    """Validate a ``PATCH`` body on its own.

    Raises:
        ApiError: 400 naming a malformed field, or when the body changes nothing.
    """
    name = optional_str(body, "name")
    request = PatchRequest(
        name=None if name is None else check_name(name),
        cdc_enrichment_mode=optional_choice(body, "cdc_enrichment_mode", CDC_MODES),
        memory=optional_str(body, "memory"),
        storage=optional_str(body, "storage"),
        vector_optimized=optional_bool(body, "vector_optimized"),
        graph_analytics_plugin=optional_bool(body, "graph_analytics_plugin"),
        secondaries_count=optional_count(body, "secondaries_count"),
    )
    quick = (request.name, request.cdc_enrichment_mode)
    if all(value is None for value in quick) and not request.changes_topology():
        raise invalid("The request changes nothing")
    return request


def patch_instance(
    state: EmulatorState, instance_id: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """``PATCH /instances/{instanceId}``: 200 for a rename, 202 (``updating``) otherwise.

    Returns:
        The HTTP status and the instance.

    Raises:
        ApiError: 400 bad body, unsupported change or not running; 404 unknown
            instance; 409 during another operation.
    """
    request = parse_patch_request(body)
    instance = state.instance(instance_id)
    ensure_idle(instance)
    if request.cdc_enrichment_mode is not None and instance.type not in CDC_TYPES:
        raise invalid(
            "CDC enrichment needs a VDC or Business Critical instance", field="cdc_enrichment_mode"
        )
    if not request.changes_topology():
        _apply_now(instance, request)
        return 200, instance.detail()
    apply_later = _planned_change(state, instance, request)
    _apply_now(instance, request)
    start_operation(state, instance, "updating", on_done=apply_later)
    return 202, instance.detail()


def _apply_now(instance: Instance, request: PatchRequest) -> None:
    if request.name is not None:
        instance.name = request.name
    if request.cdc_enrichment_mode is not None:
        instance.cdc_enrichment_mode = request.cdc_enrichment_mode


def _planned_change(
    state: EmulatorState, instance: Instance, request: PatchRequest
) -> Callable[[], None]:
    ensure_status(instance, "running", "change")
    if instance.type == FREE_TYPE:
        raise invalid("Free instances cannot be changed", reason=UNSUPPORTED_TIER)
    if request.secondaries_count is not None and instance.type != VDC_TYPE:
        raise invalid("Secondaries need a VDC instance", field="secondaries_count")
    memory, storage = resized(state, instance, request.memory, request.storage, instance.type)
    vector = _or(request.vector_optimized, instance.vector_optimized)
    plugin = _or(request.graph_analytics_plugin, instance.graph_analytics_plugin)
    check_features(instance.type, memory, vector, plugin)
    secondaries = _or(request.secondaries_count, instance.secondaries_count)

    def apply() -> None:
        instance.memory, instance.storage = memory, storage
        instance.vector_optimized, instance.graph_analytics_plugin = vector, plugin
        instance.secondaries_count = secondaries

    return apply


def _or(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def resized(
    state: EmulatorState,
    instance: Instance,
    memory: str | None,
    storage: str | None,
    instance_type: str,
) -> tuple[str, str]:
    """Return the (memory, storage) an instance of ``instance_type`` would have after a resize.

    Args:
        state: The emulator state.
        instance: The instance (its tenant's configurations bound the choice).
        memory: The requested memory, or None to keep the current one.
        storage: The requested storage, or None for the configuration's default.
        instance_type: The type after the change.

    Raises:
        ApiError: 400 naming ``memory``/``storage`` when no configuration offers it.
    """
    wanted_memory = memory or instance.memory
    parse_size_gb(wanted_memory, "memory")
    wanted = {
        "type": instance_type,
        "cloud_provider": instance.cloud_provider,
        "region": instance.region,
        "version": instance.version,
        "memory": wanted_memory,
    }
    configs = state.tenant(instance.tenant_id).instance_configurations
    if storage is not None:
        parse_size_gb(storage, "storage")
        configs = [config for config in configs if config["storage"] == storage]
        if not configs:
            raise invalid(f"No configuration offers storage {storage}", field="storage")
    config = match_configuration(configs, wanted)
    return wanted_memory, config["storage"]


def upgrade_instance(
    state: EmulatorState, instance_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``POST /instances/{instanceId}/upgrade``: Professional to Business Critical, at once (200).

    Raises:
        ApiError: 400 bad body, not Professional, not running, or no Business
            Critical configuration; 404 unknown; 409 during another operation.
    """
    memory = optional_str(body, "memory")
    storage = optional_str(body, "storage")
    if (memory is None) != (storage is None):
        missing = "storage" if storage is None else "memory"
        raise invalid("memory and storage must be given together", field=missing)
    instance = state.instance(instance_id)
    ensure_idle(instance)
    if instance.type != UPGRADABLE_TYPE:
        raise invalid("Only AuraDB Professional instances can be upgraded", reason=UNSUPPORTED_TIER)
    ensure_status(instance, "running", "upgrade")
    instance.memory, instance.storage = resized(state, instance, memory, storage, UPGRADED_TYPE)
    instance.type = UPGRADED_TYPE
    return instance.detail()
