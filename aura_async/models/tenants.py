"""Tenants (projects): the list rows, the details with instance configurations, and the
project's metrics integration endpoint."""

from __future__ import annotations

import attrs

from aura_async.models._common import CloudProvider, InstanceType
from aura_async.models._wire import WireModel, identity


@attrs.frozen(kw_only=True, slots=False)
class InstanceConfiguration(WireModel):
    """One instance configuration a project supports: what POST /instances accepts there.

    Every field may be None (e.g. ``storage``, which the API does not return for Free).
    """

    region: str | None = None
    region_name: str | None = None
    type: InstanceType | str | None = None
    memory: str | None = None
    storage: str | None = None
    version: str | None = None
    cloud_provider: CloudProvider | str | None = None


@attrs.frozen(kw_only=True, slots=False)
class TenantSummary(WireModel):
    """One row of the project list (GET /tenants); only ``id`` is sure to be set."""

    id: str = identity()
    name: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class Tenant(WireModel):
    """The details of a project (GET /tenants/{id}), with the instance configurations it
    supports (a configuration that is not an object is skipped); only ``id`` is sure to be
    set."""

    id: str = identity()
    name: str | None = None
    instance_configurations: tuple[InstanceConfiguration, ...] | None = None


@attrs.frozen(kw_only=True, slots=False)
class MetricsIntegration(WireModel):
    """A project's metrics integration (GET /tenants/{id}/metrics-integration)."""

    endpoint: str | None = None
