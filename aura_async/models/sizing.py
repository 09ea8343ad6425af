"""Sizing estimates for a new instance and a new GDS session: requests and answers.

Both estimates are pure computations on the server, safe to repeat.
"""

from __future__ import annotations

import attrs

from aura_async.models._common import (
    AlgorithmCategory,
    InstanceType,
    count,
    text,
    texts,
    to_categories,
    to_instance_type,
)
from aura_async.models._wire import WireModel


@attrs.frozen(kw_only=True)
class InstanceSizingRequest:
    """The body of POST /instances/sizing.

    ``algorithm_categories`` takes names such as ``"pathfinding"`` or
    ``"community-detection"`` (see :class:`AlgorithmCategory`; any non-empty string is
    sent); a list is accepted and stored as a tuple.

    Raises:
        AuraValidationError: when a count is not a non-negative integer, or the instance
            type or a category is not a non-empty string.
    """

    node_count: int = attrs.field(validator=count())
    relationship_count: int = attrs.field(validator=count())
    instance_type: InstanceType | str | None = attrs.field(
        default=None, converter=to_instance_type, validator=text(optional=True)
    )
    algorithm_categories: tuple[AlgorithmCategory | str, ...] | None = attrs.field(
        default=None, converter=to_categories, validator=texts()
    )


@attrs.frozen(kw_only=True, slots=False)
class InstanceSizeEstimate(WireModel):
    """The answer of POST /instances/sizing (a field that does not read is None)."""

    recommended_size: str | None = None
    min_required_memory: str | None = None
    did_exceed_maximum: bool | None = None


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
    algorithm_categories: tuple[AlgorithmCategory | str, ...] | None = attrs.field(
        default=None, converter=to_categories, validator=texts()
    )


@attrs.frozen(kw_only=True, slots=False)
class GraphAnalyticsSessionSizeEstimate(WireModel):
    """The answer of POST /graph-analytics/sessions/sizing (a field that does not read is
    None)."""

    recommended_size: str | None = None
    estimated_memory: str | None = None
