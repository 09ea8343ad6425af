"""Customer managed keys: the details, the list rows, and the create request."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from aura_async.models._common import (
    CloudProvider,
    InstanceType,
    member_of,
    resource_name,
    text,
    to_cloud_provider,
    to_instance_type,
)


class CustomerManagedKeyStatus(enum.StrEnum):
    """The status of a key (``pending -> ready``). Other values arrive as plain strings."""

    PENDING = "pending"
    READY = "ready"


@attrs.frozen(kw_only=True)
class CustomerManagedKey:
    """The details of a key (GET /customer-managed-keys/{id}, and the 202 create answer).

    ``key_id`` is the key's id at the cloud provider (the ARN on AWS), not a secret.
    """

    id: str
    name: str
    tenant_id: str
    cloud_provider: CloudProvider | str
    region: str
    instance_type: InstanceType | str
    key_id: str
    created: datetime
    status: CustomerManagedKeyStatus | str


@attrs.frozen(kw_only=True)
class CustomerManagedKeySummary:
    """One row of the key list (GET /customer-managed-keys)."""

    id: str
    name: str
    tenant_id: str


@attrs.frozen(kw_only=True)
class CustomerManagedKeyCreateRequest:
    """The body of POST /customer-managed-keys.

    Raises:
        AuraValidationError: when the name is empty, longer than 30 characters or padded
            with whitespace, the instance type or cloud provider is unknown, or a required
            string is empty.
    """

    name: str = attrs.field(validator=resource_name())
    key_id: str = attrs.field(validator=text())
    region: str = attrs.field(validator=text())
    instance_type: InstanceType = attrs.field(
        converter=to_instance_type, validator=member_of(InstanceType)
    )
    tenant_id: str = attrs.field(validator=text())
    cloud_provider: CloudProvider = attrs.field(
        converter=to_cloud_provider, validator=member_of(CloudProvider)
    )
