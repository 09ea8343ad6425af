"""The sizing estimates: pure, deterministic functions of the request body.

The live service's formulas are not published; these are plausible stand-ins with the
right shape: memory grows with the graph and with the algorithms to run, and the
recommendation is the smallest offered size that fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aura_async.testing._model_configurations import MEMORY_GB_BY_TYPE
from aura_async.testing._state_sessions import SESSION_MEMORY_GB
from aura_async.testing._validation import (
    INSTANCE_TYPES,
    choice_list,
    format_gb,
    invalid,
    optional_choice,
    optional_count,
    required_count,
)

GIGABYTE = 1024**3
ALGORITHM_CATEGORIES = (
    "centrality",
    "community-detection",
    "machine-learning",
    "node-embedding",
    "pathfinding",
    "similarity",
)
# Extra memory per category, as a fraction of the graph: embeddings and ML hold
# a vector per node, the others a few numbers.
CATEGORY_WEIGHTS = {"machine-learning": 1.0, "node-embedding": 1.0}
DEFAULT_CATEGORY_WEIGHT = 0.5
SIZING_TYPES = ("professional-ds", "enterprise-ds")
DEFAULT_SIZING_TYPE = "professional-ds"
INSTANCE_BYTES_PER_NODE = 400
INSTANCE_BYTES_PER_RELATIONSHIP = 120
INSTANCE_BASE_GB = 1
SESSION_BYTES_PER_NODE = 64
SESSION_BYTES_PER_RELATIONSHIP = 32
SESSION_BYTES_PER_PROPERTY = 8
SESSION_BASE_GB = 1


def algorithm_factor(categories: Sequence[str]) -> float:
    """Return the memory multiplier for running the given algorithm categories."""
    return 1.0 + sum(CATEGORY_WEIGHTS.get(c, DEFAULT_CATEGORY_WEIGHT) for c in set(categories))


def smallest_fitting(sizes: Sequence[int], needed_gb: int) -> int:
    """Return the smallest size of at least ``needed_gb``, or the largest size if none is."""
    return next((size for size in sorted(sizes) if size >= needed_gb), max(sizes))


def instance_memory_gb(nodes: int, relationships: int, categories: Sequence[str]) -> int:
    """Return the whole gigabytes an AuraDS instance needs for a graph and its algorithms."""
    graph = nodes * INSTANCE_BYTES_PER_NODE + relationships * INSTANCE_BYTES_PER_RELATIONSHIP
    return INSTANCE_BASE_GB + math.ceil(graph * algorithm_factor(categories) / GIGABYTE)


def estimate_instance_size(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /instances/sizing``: the memory an AuraDS instance needs.

    Raises:
        ApiError: 400 naming a missing or malformed field, or a non-AuraDS type.
    """
    nodes = required_count(body, "node_count")
    relationships = required_count(body, "relationship_count")
    instance_type = optional_choice(body, "instance_type", INSTANCE_TYPES) or DEFAULT_SIZING_TYPE
    if instance_type not in SIZING_TYPES:
        raise invalid("Sizing supports enterprise-ds and professional-ds", field="instance_type")
    categories = choice_list(body, "algorithm_categories", ALGORITHM_CATEGORIES)
    needed = instance_memory_gb(nodes, relationships, categories)
    sizes = MEMORY_GB_BY_TYPE[instance_type]
    return {
        "did_exceed_maximum": needed > max(sizes),
        "min_required_memory": format_gb(needed),
        "recommended_size": format_gb(smallest_fitting(sizes, needed)),
    }


def session_memory_gb(
    nodes: int,
    relationships: int,
    *,
    node_properties: int = 0,
    node_labels: int = 0,
    relationship_properties: int = 0,
    categories: Sequence[str] = (),
) -> int:
    """Return the whole gigabytes a GDS session needs for a graph and its algorithms."""
    per_node = SESSION_BYTES_PER_NODE + SESSION_BYTES_PER_PROPERTY * (node_properties + node_labels)
    per_relationship = (
        SESSION_BYTES_PER_RELATIONSHIP + SESSION_BYTES_PER_PROPERTY * relationship_properties
    )
    graph = nodes * per_node + relationships * per_relationship
    return SESSION_BASE_GB + math.ceil(graph * algorithm_factor(categories) / GIGABYTE)


def estimate_session_size(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /graph-analytics/sessions/sizing``: the memory a GDS session needs.

    Raises:
        ApiError: 400 naming a missing or malformed field.
    """
    estimated = session_memory_gb(
        required_count(body, "node_count"),
        required_count(body, "relationship_count"),
        node_properties=optional_count(body, "node_property_count") or 0,
        node_labels=optional_count(body, "node_label_count") or 0,
        relationship_properties=optional_count(body, "relationship_property_count") or 0,
        categories=choice_list(body, "algorithm_categories", ALGORITHM_CATEGORIES),
    )
    return {
        "estimated_memory": format_gb(estimated),
        "recommended_size": format_gb(smallest_fitting(SESSION_MEMORY_GB, estimated)),
    }
