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
    resource_name,
    text,
    to_cloud_provider,
    to_instance_type,
)
from aura_async.models._wire import WireModel, identity


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


@attrs.frozen(kw_only=True, slots=False)
class Instance(WireModel):
    """The details of an instance (GET, DELETE, PATCH, pause, resume, overwrite, restore,
    upgrade).

    Only ``id`` is sure to be set: any other field the API leaves out, nulls or sends in a
    shape the SDK cannot read is None (the live API sends ``connection_url`` null, omits
    ``memory`` while deleting and ``type`` for some instances; ``storage`` is absent for
    free instances). ``extra`` holds fields the SDK does not know, ``raw`` the object as sent.
    """

    id: str = identity()
    name: str | None = None
    status: InstanceStatus | str | None = None
    tenant_id: str | None = None
    cloud_provider: CloudProvider | str | None = None
    region: str | None = None
    created_at: datetime | None = None
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


@attrs.frozen(kw_only=True, slots=False)
class InstanceSummary(WireModel):
    """One row of the instance list (GET /instances); only ``id`` is sure to be set."""

    id: str = identity()
    name: str | None = None
    tenant_id: str | None = None
    cloud_provider: CloudProvider | str | None = None
    created_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class CreatedInstance(WireModel):
    """The answer to an instance create (202): the new instance and its initial credentials.

    The password is shown only once by the API; it is left out of ``repr``. Only ``id`` is
    essential: ``username`` and ``password`` are returned whenever they read, whatever
    else in the answer is odd (other fields read as in :class:`Instance`).
    """

    id: str = identity()
    name: str | None = None
    tenant_id: str | None = None
    cloud_provider: CloudProvider | str | None = None
    region: str | None = None
    created_at: datetime | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    connection_url: str | None = None
    type: InstanceType | str | None = None
    vector_optimized: bool | None = None
    graph_analytics_plugin: bool | None = None


def to_cdc_enrichment_mode(
    value: CdcEnrichmentMode | str | None,
) -> CdcEnrichmentMode | str | None:
    """Turn a known CDC mode string into its member; leave anything else as it is.

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
            characters or padded with whitespace, an empty required string (any other
            string is fine for ``type`` and ``cloud_provider``: the catalogue is open), or
            a ``source_snapshot_id`` without a ``source_instance_id``.
    """

    name: str = attrs.field(validator=resource_name())
    version: str = attrs.field(validator=text())
    region: str = attrs.field(validator=text())
    memory: str = attrs.field(validator=text())
    type: InstanceType | str = attrs.field(converter=to_instance_type, validator=text())
    tenant_id: str = attrs.field(validator=text())
    cloud_provider: CloudProvider | str = attrs.field(converter=to_cloud_provider, validator=text())
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
            :class:`InstanceCreateRequest`, a negative ``secondaries_count``, an empty
            ``cdc_enrichment_mode``).
    """

    name: str | None = attrs.field(default=None, validator=resource_name(optional=True))
    memory: str | None = attrs.field(default=None, validator=text(optional=True))
    storage: str | None = attrs.field(default=None, validator=text(optional=True))
    vector_optimized: bool | None = attrs.field(default=None, validator=flag())
    graph_analytics_plugin: bool | None = attrs.field(default=None, validator=flag())
    secondaries_count: int | None = attrs.field(default=None, validator=count(optional=True))
    cdc_enrichment_mode: CdcEnrichmentMode | str | None = attrs.field(
        default=None, converter=to_cdc_enrichment_mode, validator=text(optional=True)
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
