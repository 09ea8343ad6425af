"""Graph Analytics (GDS) sessions: the details, the delete answer, and the create request."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from aura_async.models._common import CloudProvider, text, to_cloud_provider
from aura_async.models._wire import WireModel, identity


class SessionStatus(enum.StrEnum):
    """The status of a GDS session. Other values arrive as plain strings."""

    CREATING = "Creating"
    READY = "Ready"
    EXPIRED = "Expired"
    FAILED = "Failed"


@attrs.frozen(kw_only=True, slots=False)
class GraphAnalyticsSession(WireModel):
    """A GDS session (list rows, GET, and the get-or-create answer).

    ``status`` is optional although the spec requires it: the spec's own 202 example sends
    it null. ``ttl`` is an integer in the spec's schema but a duration string such as
    ``"20m0s"`` in its examples: it is kept as sent. ``instance_id`` and ``database_uuid``
    are empty or null for a standalone session. Only ``id`` is sure to be set.
    """

    id: str = identity()
    name: str | None = None
    memory: str | None = None
    host: str | None = None
    tenant_id: str | None = None
    user_id: str | None = None
    status: SessionStatus | str | None = None
    instance_id: str | None = None
    database_uuid: str | None = None
    cloud_provider: CloudProvider | str | None = None
    region: str | None = None
    created_at: datetime | None = None
    expiry_date: datetime | None = None
    ttl: str | int | None = None


@attrs.frozen(kw_only=True, slots=False)
class CreatedGraphAnalyticsSession(GraphAnalyticsSession):
    """The session ``graph_analytics.create`` found or made (the API's get-or-create).

    Attributes:
        created: True if the API answered 202 (this call created it), False if it
            answered 200 (a session of that name existed with the same settings, or an
            earlier attempt of the same call created it before failing in transit).
    """

    created: bool = False


@attrs.frozen(kw_only=True, slots=False)
class DeletedGraphAnalyticsSession(WireModel):
    """The answer to a session delete (202): the id of the session being deleted."""

    id: str | None = None


@attrs.frozen(kw_only=True)
class GraphAnalyticsSessionCreateRequest:
    """The body of POST /graph-analytics/sessions (get or create by name and project).

    Give ``instance_id`` (and optionally ``database_uuid``) for a session attached to an
    instance, or ``tenant_id``, ``cloud_provider`` and ``region`` for a standalone one.
    ``ttl`` is a duration such as ``"30m"`` (the server's default is one hour).

    Raises:
        AuraValidationError: when the name or another given string is empty (any
            non-empty cloud provider is sent: the catalogue is open).
    """

    name: str = attrs.field(validator=text())
    memory: str | None = attrs.field(default=None, validator=text(optional=True))
    ttl: str | None = attrs.field(default=None, validator=text(optional=True))
    instance_id: str | None = attrs.field(default=None, validator=text(optional=True))
    database_uuid: str | None = attrs.field(default=None, validator=text(optional=True))
    tenant_id: str | None = attrs.field(default=None, validator=text(optional=True))
    cloud_provider: CloudProvider | str | None = attrs.field(
        default=None, converter=to_cloud_provider, validator=text(optional=True)
    )
    region: str | None = attrs.field(default=None, validator=text(optional=True))
