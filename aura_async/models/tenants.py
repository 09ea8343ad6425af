"""Tenants (projects): the list rows, the details with instance configurations, and the
project's metrics integration endpoint."""

from __future__ import annotations

import attrs

from aura_async.models._common import CloudProvider, InstanceType


@attrs.frozen(kw_only=True)
class InstanceConfiguration:
    """One instance configuration a project supports: what POST /instances accepts there."""

    region: str
    region_name: str
    type: InstanceType | str
    memory: str
    storage: str
    version: str
    cloud_provider: CloudProvider | str


@attrs.frozen(kw_only=True)
class TenantSummary:
    """One row of the project list (GET /tenants)."""

    id: str
    name: str


@attrs.frozen(kw_only=True)
class Tenant:
    """The details of a project (GET /tenants/{id}), with the instance configurations it
    supports."""

    id: str
    name: str
    instance_configurations: tuple[InstanceConfiguration, ...]


@attrs.frozen(kw_only=True)
class MetricsIntegration:
    """A project's metrics integration (GET /tenants/{id}/metrics-integration)."""

    endpoint: str
