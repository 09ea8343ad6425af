"""Sizing estimates for a new instance and a new GDS session: requests and answers.

Both estimates are pure computations on the server, safe to repeat.
"""

from __future__ import annotations

import attrs

from aura_async.models._common import (
    InstanceType,
    count,
    member_of,
    texts,
    to_instance_type,
    to_tuple,
)


@attrs.frozen(kw_only=True)
class InstanceSizingRequest:
    """The body of POST /instances/sizing.

    ``algorithm_categories`` takes names such as ``"pathfinding"`` or
    ``"community-detection"``; a list is accepted and stored as a tuple.

    Raises:
        AuraValidationError: when a count is not a non-negative integer, the instance type
            is unknown, or a category is not a non-empty string.
    """

    node_count: int = attrs.field(validator=count())
    relationship_count: int = attrs.field(validator=count())
    instance_type: InstanceType | None = attrs.field(
        default=None,
        converter=to_instance_type,
        validator=member_of(InstanceType, optional=True),
    )
    algorithm_categories: tuple[str, ...] | None = attrs.field(
        default=None, converter=to_tuple, validator=texts()
    )


@attrs.frozen(kw_only=True)
class InstanceSizeEstimate:
    """The answer of POST /instances/sizing."""

    recommended_size: str
    min_required_memory: str
    did_exceed_maximum: bool


@attrs.frozen(kw_only=True)
class GraphAnalyticsSessionSizingRequest:
    """The body of POST /graph-analytics/sessions/sizing.

    Raises:
        AuraValidationError: when a count is not a non-negative integer or a category is
            not a non-empty string.
    """

    node_count: int = attrs.field(validator=count())
    relationship_count: int = attrs.field(validator=count())
    node_property_count: int | None = attrs.field(default=None, validator=count(optional=True))
    node_label_count: int | None = attrs.field(default=None, validator=count(optional=True))
    relationship_property_count: int | None = attrs.field(
        default=None, validator=count(optional=True)
    )
    algorithm_categories: tuple[str, ...] | None = attrs.field(
        default=None, converter=to_tuple, validator=texts()
    )


@attrs.frozen(kw_only=True)
class GraphAnalyticsSessionSizeEstimate:
    """The answer of POST /graph-analytics/sessions/sizing."""

    recommended_size: str
    estimated_memory: str
