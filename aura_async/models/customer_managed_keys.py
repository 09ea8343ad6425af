"""Customer managed keys: the details, the list rows, and the create request."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from aura_async.models._common import (
    CloudProvider,
    InstanceType,
    resource_name,
    text,
    to_cloud_provider,
    to_instance_type,
)
from aura_async.models._wire import WireModel, identity


class CustomerManagedKeyStatus(enum.StrEnum):
    """The status of a key (``pending -> ready``). Other values arrive as plain strings."""

    PENDING = "pending"
    READY = "ready"


@attrs.frozen(kw_only=True, slots=False)
class CustomerManagedKey(WireModel):
    """The details of a key (GET /customer-managed-keys/{id}, and the 202 create answer).

    ``key_id`` is the key's id at the cloud provider (the ARN on AWS), not a secret. Only
    ``id`` is sure to be set.
    """

    id: str = identity()
    name: str | None = None
    tenant_id: str | None = None
    cloud_provider: CloudProvider | str | None = None
    region: str | None = None
    instance_type: InstanceType | str | None = None
    key_id: str | None = None
    created: datetime | None = None
    status: CustomerManagedKeyStatus | str | None = None


@attrs.frozen(kw_only=True, slots=False)
class CustomerManagedKeySummary(WireModel):
    """One row of the key list (GET /customer-managed-keys); only ``id`` is sure to be set."""

    id: str = identity()
    name: str | None = None
    tenant_id: str | None = None


@attrs.frozen(kw_only=True)
class CustomerManagedKeyCreateRequest:
    """The body of POST /customer-managed-keys.

    Raises:
        AuraValidationError: when the name is empty, longer than 30 characters or padded
            with whitespace, or a required string is empty (any non-empty instance type
            or cloud provider is sent: the catalogue is open).
    """

    name: str = attrs.field(validator=resource_name())
    key_id: str = attrs.field(validator=text())
    region: str = attrs.field(validator=text())
    instance_type: InstanceType | str = attrs.field(converter=to_instance_type, validator=text())
    tenant_id: str = attrs.field(validator=text())
    cloud_provider: CloudProvider | str = attrs.field(converter=to_cloud_provider, validator=text())
