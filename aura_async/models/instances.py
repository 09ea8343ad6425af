"""Instances: the details, the list rows, the create answer, and the request bodies.

Field names are the wire names. Status-like fields are typed ``Enum | str``: a value the
enum knows becomes its member, any other (the live API has statuses outside the spec)
stays a plain string. Timestamps are timezone-aware datetimes.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from aura_async._errors import AuraValidationError
from aura_async.models._common import (
    CloudProvider,
    InstanceType,
    coerce_member,
    count,
    flag,
    invalid,
    member_of,
    resource_name,
    text,
    to_cloud_provider,
    to_instance_type,
)


class InstanceStatus(enum.StrEnum):
    """The status of an instance: the spec's values plus those seen live (``resizing``,
    ``deleting``). A status outside this enum arrives as a plain string."""

    CREATING = "creating"
    DESTROYING = "destroying"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    SUSPENDING = "suspending"
    SUSPENDED = "suspended"
    RESUMING = "resuming"
    LOADING = "loading"
    LOADING_FAILED = "loading failed"
    RESTORING = "restoring"
    UPDATING = "updating"
    OVERWRITING = "overwriting"
    RESIZING = "resizing"
    DELETING = "deleting"


class CdcEnrichmentMode(enum.StrEnum):
    """The change data capture mode of a Virtual Dedicated Cloud or Business Critical instance."""

    OFF = "OFF"
    DIFF = "DIFF"
    FULL = "FULL"


@attrs.frozen(kw_only=True)
class Instance:
    """The details of an instance (GET, DELETE, PATCH rename, pause, resume, overwrite,
    restore, upgrade).

    ``connection_url``, ``memory`` and ``type`` are optional although the spec requires
    them: the live API can send ``connection_url`` null, omit ``memory`` while deleting and
    omit ``type`` for some instances. ``storage`` is absent for free instances.
    """

    id: str
    name: str
    status: InstanceStatus | str
    tenant_id: str
    cloud_provider: CloudProvider | str
    region: str
    created_at: datetime
    connection_url: str | None = None
    memory: str | None = None
    storage: str | None = None
    type: InstanceType | str | None = None
    metrics_integration_url: str | None = None
    customer_managed_key_id: str | None = None
    graph_nodes: str | None = None
    graph_relationships: str | None = None
    secondaries_count: int | None = None
    cdc_enrichment_mode: CdcEnrichmentMode | str | None = None
    vector_optimized: bool | None = None
    graph_analytics_plugin: bool | None = None


@attrs.frozen(kw_only=True)
class InstanceSummary:
    """One row of the instance list (GET /instances)."""

    id: str
    name: str
    tenant_id: str
    cloud_provider: CloudProvider | str
    created_at: datetime


@attrs.frozen(kw_only=True)
class CreatedInstance:
    """The answer to an instance create (202): the new instance and its initial credentials.

    The password is shown only once by the API; it is left out of ``repr``.
    ``connection_url`` and ``type`` are optional for the same live-API reasons as in
    :class:`Instance`.
    """

    id: str
    name: str
    tenant_id: str
    cloud_provider: CloudProvider | str
    region: str
    created_at: datetime
    username: str
    password: str = attrs.field(repr=False)
    connection_url: str | None = None
    type: InstanceType | str | None = None
    vector_optimized: bool | None = None
    graph_analytics_plugin: bool | None = None


def to_cdc_enrichment_mode(
    value: CdcEnrichmentMode | str | None,
) -> CdcEnrichmentMode | str | None:
    """Turn a known CDC mode string into its member; leave anything else to validation.

    Args:
        value: a CdcEnrichmentMode, its string value, or None.

    Returns:
        The member for a known string, otherwise the value unchanged.
    """
    return coerce_member(CdcEnrichmentMode, value)


def _needs_source_instance(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and instance.source_instance_id is None:
        raise invalid(attribute, "needs source_instance_id as well")


@attrs.frozen(kw_only=True)
class InstanceCreateRequest:
    """The body of POST /instances (create, or clone with ``source_instance_id``).

    Raises:
        AuraValidationError: when built with a name that is empty, longer than 30
            characters or padded with whitespace, an unknown type or cloud provider, an
            empty required string, or a ``source_snapshot_id`` without a
            ``source_instance_id``.
    """

    name: str = attrs.field(validator=resource_name())
    version: str = attrs.field(validator=text())
    region: str = attrs.field(validator=text())
    memory: str = attrs.field(validator=text())
    type: InstanceType = attrs.field(converter=to_instance_type, validator=member_of(InstanceType))
    tenant_id: str = attrs.field(validator=text())
    cloud_provider: CloudProvider = attrs.field(
        converter=to_cloud_provider, validator=member_of(CloudProvider)
    )
    storage: str | None = attrs.field(default=None, validator=text(optional=True))
    source_instance_id: str | None = attrs.field(default=None, validator=text(optional=True))
    source_snapshot_id: str | None = attrs.field(
        default=None, validator=[text(optional=True), _needs_source_instance]
    )
    customer_managed_key_id: str | None = attrs.field(default=None, validator=text(optional=True))
    vector_optimized: bool | None = attrs.field(default=None, validator=flag())
    graph_analytics_plugin: bool | None = attrs.field(default=None, validator=flag())


@attrs.frozen(kw_only=True)
class InstanceUpdateRequest:
    """The body of PATCH /instances/{id}: rename, resize, secondaries, CDC, plugins.

    Only the fields that are set are sent.

    Raises:
        AuraValidationError: when no field is set, or a field fails its check (name as in
            :class:`InstanceCreateRequest`, a negative ``secondaries_count``, an unknown
            ``cdc_enrichment_mode``).
    """

    name: str | None = attrs.field(default=None, validator=resource_name(optional=True))
    memory: str | None = attrs.field(default=None, validator=text(optional=True))
    storage: str | None = attrs.field(default=None, validator=text(optional=True))
    vector_optimized: bool | None = attrs.field(default=None, validator=flag())
    graph_analytics_plugin: bool | None = attrs.field(default=None, validator=flag())
    secondaries_count: int | None = attrs.field(default=None, validator=count(optional=True))
    cdc_enrichment_mode: CdcEnrichmentMode | None = attrs.field(
        default=None,
        converter=to_cdc_enrichment_mode,
        validator=member_of(CdcEnrichmentMode, optional=True),
    )

    def __attrs_post_init__(self) -> None:
        if all(value is None for value in attrs.astuple(self, recurse=False)):
            raise AuraValidationError("InstanceUpdateRequest needs at least one field to change")


@attrs.frozen(kw_only=True)
class InstanceOverwriteRequest:
    """The body of POST /instances/{id}/overwrite: the source instance, and optionally
    which of its snapshots to use (otherwise a new snapshot is taken).

    Raises:
        AuraValidationError: when an id is not a non-empty string.
    """

    source_instance_id: str = attrs.field(validator=text())
    source_snapshot_id: str | None = attrs.field(default=None, validator=text(optional=True))


def _together_with_memory(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if (value is None) != (instance.memory is None):
        raise invalid(attribute, "and memory must be given together, or neither")


@attrs.frozen(kw_only=True)
class InstanceUpgradeRequest:
    """The body of POST /instances/{id}/upgrade (Professional to Business Critical),
    optionally resizing at the same time.

    Raises:
        AuraValidationError: when only one of ``memory`` and ``storage`` is given.
    """

    memory: str | None = attrs.field(default=None, validator=text(optional=True))
    storage: str | None = attrs.field(
        default=None, validator=[text(optional=True), _together_with_memory]
    )
