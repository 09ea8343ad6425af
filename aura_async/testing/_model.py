"""The emulator's records (tenants, instances, snapshots, keys, GDS sessions) and their wire form.

Records are mutable: the state changes them in place as operations run. ``summary()``
and ``detail()`` return fresh JSON-ready dicts in the API's shapes.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Container
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import define, field

from aura_async.testing._validation import format_duration

FREE_TYPE = "free-db"
VDC_TYPE = "enterprise-db"
CDC_TYPES = frozenset({"enterprise-db", "business-critical"})
METRICS_TYPES = frozenset({"enterprise-db", "enterprise-ds", "business-critical"})
METRICS_HOST = "https://customer-metrics-api.neo4j.io/api/v1"
SESSION_LIFETIME = timedelta(days=7)


def iso_utc(moment: datetime) -> str:
    """Return ``moment`` as the API writes timestamps: ISO-8601 UTC with ``Z``, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uuid() -> str:
    """Return a random UUID string (the id format of tenants, snapshots and keys)."""
    return str(uuid.uuid4())


def new_instance_id(taken: Container[str]) -> str:
    """Return a random 8-lowercase-hex instance id that is not in ``taken``."""
    while True:
        candidate = secrets.token_hex(4)
        if candidate not in taken:
            return candidate


def new_password() -> str:
    """Return a random initial instance password."""
    return secrets.token_urlsafe(32)


@define
class Tenant:
    """A tenant (project) and the instance configurations it offers."""

    id: str
    name: str
    organization_id: str
    instance_configurations: list[dict[str, str]]

    def summary(self) -> dict[str, Any]:
        """Return the tenant as listed by ``GET /tenants``."""
        return {"id": self.id, "name": self.name}

    def detail(self) -> dict[str, Any]:
        """Return the tenant as ``GET /tenants/{tenantId}`` shows it."""
        configurations = [dict(config) for config in self.instance_configurations]
        return {**self.summary(), "instance_configurations": configurations}

    def offers_location(self, cloud_provider: str, region: str) -> bool:
        """Return whether any configuration is hosted on ``cloud_provider`` in ``region``."""
        return any(
            config["cloud_provider"] == cloud_provider and config["region"] == region
            for config in self.instance_configurations
        )


@define
class Instance:
    """An AuraDB or AuraDS instance.

    ``locked_by`` names the operation (on another instance) that is reading this one,
    such as a clone or an overwrite; mutations get 409 until it ends.
    """

    id: str
    name: str
    tenant_id: str
    cloud_provider: str
    region: str
    type: str
    memory: str
    storage: str
    version: str
    created_at: datetime
    status: str = "creating"
    customer_managed_key_id: str | None = None
    vector_optimized: bool = False
    graph_analytics_plugin: bool = False
    secondaries_count: int = 0
    cdc_enrichment_mode: str = "OFF"
    locked_by: str | None = None

    @property
    def connection_url(self) -> str:
        """The Bolt URL clients connect to."""
        return f"neo4j+s://{self.id}.databases.neo4j.io"

    def summary(self) -> dict[str, Any]:
        """Return the instance as listed by ``GET /instances``."""
        return {
            "id": self.id,
            "name": self.name,
            "tenant_id": self.tenant_id,
            "cloud_provider": self.cloud_provider,
            "created_at": iso_utc(self.created_at),
        }

    def detail(self) -> dict[str, Any]:
        """Return the instance as ``GET /instances/{instanceId}`` shows it.

        Like the live API: no ``storage`` for free instances, no ``memory`` while
        destroying, and the tier-specific fields only on their tiers.
        """
        body = {
            **self.summary(),
            "status": self.status,
            "connection_url": self.connection_url,
            "region": self.region,
            "type": self.type,
            "memory": self.memory,
            "storage": self.storage,
            "vector_optimized": self.vector_optimized,
            "graph_analytics_plugin": self.graph_analytics_plugin,
        }
        body.update(self._tier_fields())
        if self.type == FREE_TYPE:
            del body["storage"]
        if self.status == "destroying":
            del body["memory"]
        return body

    def _tier_fields(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.customer_managed_key_id is not None:
            extra["customer_managed_key_id"] = self.customer_managed_key_id
        if self.type == FREE_TYPE:
            extra.update(graph_nodes="0", graph_relationships="0")
        if self.type == VDC_TYPE:
            extra["secondaries_count"] = self.secondaries_count
        if self.type in CDC_TYPES:
            extra["cdc_enrichment_mode"] = self.cdc_enrichment_mode
        if self.type in METRICS_TYPES:
            extra["metrics_integration_url"] = f"{METRICS_HOST}/{self.tenant_id}/{self.id}/metrics"
        return extra


@define
class Snapshot:
    """A snapshot of an instance."""

    snapshot_id: str
    instance_id: str
    profile: str
    timestamp: datetime
    exportable: bool
    status: str = "Pending"

    def detail(self) -> dict[str, Any]:
        """Return the snapshot in the API's shape (the same in lists and alone)."""
        return {
            "snapshot_id": self.snapshot_id,
            "instance_id": self.instance_id,
            "profile": self.profile,
            "status": self.status,
            "timestamp": iso_utc(self.timestamp),
            "exportable": self.exportable,
        }


@define
class CustomerManagedKey:
    """A customer managed encryption key registered with a tenant."""

    id: str
    name: str
    tenant_id: str
    cloud_provider: str
    region: str
    instance_type: str
    key_id: str
    created: datetime
    status: str = "pending"

    def summary(self) -> dict[str, Any]:
        """Return the key as listed by ``GET /customer-managed-keys``."""
        return {"id": self.id, "name": self.name, "tenant_id": self.tenant_id}

    def detail(self) -> dict[str, Any]:
        """Return the key as ``GET /customer-managed-keys/{id}`` shows it."""
        return {
            **self.summary(),
            "cloud_provider": self.cloud_provider,
            "region": self.region,
            "instance_type": self.instance_type,
            "key_id": self.key_id,
            "created": iso_utc(self.created),
            "status": self.status,
        }


@define
class GdsSession:
    """A Graph Data Science session, standalone or attached to an instance."""

    id: str
    name: str
    tenant_id: str
    memory: str
    user_id: str
    cloud_provider: str
    region: str
    created_at: datetime
    ttl_seconds: float
    instance_id: str | None = None
    database_uuid: str | None = None
    status: str = "Creating"
    expiry_date: datetime = field()

    @expiry_date.default
    def _expiry_from_creation(self) -> datetime:
        return self.created_at + SESSION_LIFETIME

    @property
    def host(self) -> str:
        """The host the session's Bolt endpoint listens on."""
        return f"{self.id}.sessions.neo4j.io"

    def settings(self) -> dict[str, str | None]:
        """Return the settings a get-or-create compares (the TTL is not one of them)."""
        return {
            "memory": self.memory,
            "instance_id": self.instance_id,
            "cloud_provider": self.cloud_provider,
            "region": self.region,
        }

    def detail(self) -> dict[str, Any]:
        """Return the session in the API's shape (the same in lists and alone)."""
        return {
            "id": self.id,
            "name": self.name,
            "memory": self.memory,
            "status": self.status,
            "host": self.host,
            "tenant_id": self.tenant_id,
            "user_id": self.user_id,
            "cloud_provider": self.cloud_provider,
            "region": self.region,
            "instance_id": self.instance_id,
            "database_uuid": self.database_uuid,
            "created_at": iso_utc(self.created_at),
            "expiry_date": iso_utc(self.expiry_date),
            "ttl": format_duration(self.ttl_seconds),
        }
