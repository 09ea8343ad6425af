"""The attrs models of the Aura API: responses, request bodies and enums.

Every model is frozen and keyword-only; field names are the wire names. The client
builds the responses from the API's JSON and reads them tolerantly: only a resource's
identity is sure to be set; any other field is None when the API left it out, nulled it
or sent a shape this release cannot read, and ``obj.extra`` / ``obj.raw`` keep the unknown
fields and the object as sent. Request models check their fields when built and raise
:class:`~aura_async.AuraValidationError` naming the field; values from an open catalogue
(the enums here list the known ones) take any non-empty string.
"""

from aura_async.models._common import AlgorithmCategory, CloudProvider, InstanceType
from aura_async.models.customer_managed_keys import (
    CustomerManagedKey,
    CustomerManagedKeyCreateRequest,
    CustomerManagedKeyStatus,
    CustomerManagedKeySummary,
)
from aura_async.models.graph_analytics import (
    CreatedGraphAnalyticsSession,
    DeletedGraphAnalyticsSession,
    GraphAnalyticsSession,
    GraphAnalyticsSessionCreateRequest,
    SessionStatus,
)
from aura_async.models.instances import (
    CdcEnrichmentMode,
    CreatedInstance,
    Instance,
    InstanceCreateRequest,
    InstanceOverwriteRequest,
    InstanceStatus,
    InstanceSummary,
    InstanceUpdateRequest,
    InstanceUpgradeRequest,
)
from aura_async.models.sizing import (
    GraphAnalyticsSessionSizeEstimate,
    GraphAnalyticsSessionSizingRequest,
    InstanceSizeEstimate,
    InstanceSizingRequest,
)
from aura_async.models.snapshots import (
    CreatedSnapshot,
    Snapshot,
    SnapshotProfile,
    SnapshotStatus,
)
from aura_async.models.tenants import (
    InstanceConfiguration,
    MetricsIntegration,
    Tenant,
    TenantSummary,
)

__all__ = [
    "AlgorithmCategory",
    "CdcEnrichmentMode",
    "CloudProvider",
    "CreatedGraphAnalyticsSession",
    "CreatedInstance",
    "CreatedSnapshot",
    "CustomerManagedKey",
    "CustomerManagedKeyCreateRequest",
    "CustomerManagedKeyStatus",
    "CustomerManagedKeySummary",
    "DeletedGraphAnalyticsSession",
    "GraphAnalyticsSession",
    "GraphAnalyticsSessionCreateRequest",
    "GraphAnalyticsSessionSizeEstimate",
    "GraphAnalyticsSessionSizingRequest",
    "Instance",
    "InstanceConfiguration",
    "InstanceCreateRequest",
    "InstanceOverwriteRequest",
    "InstanceSizeEstimate",
    "InstanceSizingRequest",
    "InstanceStatus",
    "InstanceSummary",
    "InstanceType",
    "InstanceUpdateRequest",
    "InstanceUpgradeRequest",
    "MetricsIntegration",
    "SessionStatus",
    "Snapshot",
    "SnapshotProfile",
    "SnapshotStatus",
    "Tenant",
    "TenantSummary",
]
