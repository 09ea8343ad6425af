"""The sizing estimates as pure functions: tables of inputs and answers."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async.testing._http import ApiError
from aura_async.testing._state_sizing import (
    algorithm_factor,
    estimate_instance_size,
    estimate_session_size,
    instance_memory_gb,
    session_memory_gb,
    smallest_fitting,
)

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("categories", "factor"),
    [
        ([], 1.0),
        (["pathfinding"], 1.5),
        (["pathfinding", "community-detection"], 2.0),
        (["node-embedding"], 2.0),
        (["similarity", "similarity"], 1.5),  # a repeated category counts once
    ],
)
def test_algorithm_factor(categories: list[str], factor: float) -> None:
    assert algorithm_factor(categories) == factor


@pytest.mark.parametrize(
    ("needed", "size"), [(1, 2), (2, 2), (3, 4), (8, 8), (9, 16), (16, 16), (17, 16)]
)
def test_smallest_fitting_size_or_the_largest(needed: int, size: int) -> None:
    assert smallest_fitting((16, 2, 4, 8), needed) == size


@pytest.mark.parametrize(
    ("nodes", "relationships", "categories", "gigabytes"),
    [
        (0, 0, [], 1),
        (1, 1, [], 2),  # any data rounds up to a whole gigabyte
        (MILLION, 5 * MILLION, [], 2),
        (MILLION, 5 * MILLION, ["pathfinding", "community-detection"], 3),
        (100 * MILLION, 500 * MILLION, ["node-embedding"], 188),
    ],
)
def test_instance_memory_grows_with_the_graph_and_the_algorithms(
    nodes: int, relationships: int, categories: list[str], gigabytes: int
) -> None:
    assert instance_memory_gb(nodes, relationships, categories) == gigabytes


@pytest.mark.parametrize(
    ("kwargs", "gigabytes"),
    [
        ({}, 1),
        ({"nodes": MILLION, "relationships": 5 * MILLION}, 2),
        ({"nodes": MILLION, "relationships": 5 * MILLION, "node_properties": 512}, 6),
        (
            {
                "nodes": MILLION,
                "relationships": 5 * MILLION,
                "node_properties": 512,
                "node_labels": 3,
                "relationship_properties": 5,
                "categories": ["similarity", "community-detection"],
            },
            10,
        ),
    ],
)
def test_session_memory_grows_with_properties_labels_and_algorithms(
    kwargs: dict[str, Any], gigabytes: int
) -> None:
    nodes, relationships = kwargs.pop("nodes", 0), kwargs.pop("relationships", 0)
    assert session_memory_gb(nodes, relationships, **kwargs) == gigabytes


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            {"node_count": MILLION, "relationship_count": 5 * MILLION},
            {"did_exceed_maximum": False, "min_required_memory": "2GB", "recommended_size": "4GB"},
        ),
        (
            {"node_count": 30 * MILLION, "relationship_count": 100 * MILLION},
            {
                "did_exceed_maximum": False,
                "min_required_memory": "24GB",
                "recommended_size": "32GB",
            },
        ),
        (
            {"node_count": 100 * MILLION, "relationship_count": 500 * MILLION},
            {"did_exceed_maximum": True, "min_required_memory": "95GB", "recommended_size": "64GB"},
        ),
        (
            {
                "node_count": 100 * MILLION,
                "relationship_count": 500 * MILLION,
                "instance_type": "enterprise-ds",
            },
            {
                "did_exceed_maximum": False,
                "min_required_memory": "95GB",
                "recommended_size": "128GB",
            },
        ),
    ],
)
def test_instance_estimates(body: dict[str, Any], answer: dict[str, Any]) -> None:
    assert estimate_instance_size(body) == answer


def test_session_estimate() -> None:
    body = {"node_count": MILLION, "relationship_count": 5 * MILLION, "node_property_count": 512}
    assert estimate_session_size(body) == {"estimated_memory": "6GB", "recommended_size": "8GB"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"relationship_count": 1}, "node_count"),
        ({"node_count": 1}, "relationship_count"),
        ({"node_count": -1, "relationship_count": 1}, "node_count"),
        ({"node_count": "1", "relationship_count": 1}, "node_count"),
        (
            {"node_count": 1, "relationship_count": 1, "instance_type": "professional-db"},
            "instance_type",
        ),
        (
            {"node_count": 1, "relationship_count": 1, "algorithm_categories": ["magic"]},
            "algorithm_categories",
        ),
    ],
)
def test_invalid_instance_sizing_is_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        estimate_instance_size(body)
    assert (caught.value.status, caught.value.field) == (400, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"relationship_count": 1}, "node_count"),
        (
            {"node_count": 1, "relationship_count": 1, "node_property_count": -2},
            "node_property_count",
        ),
        ({"node_count": 1, "relationship_count": 1, "node_label_count": 1.5}, "node_label_count"),
        (
            {"node_count": 1, "relationship_count": 1, "algorithm_categories": "similarity"},
            "algorithm_categories",
        ),
    ],
)
def test_invalid_session_sizing_is_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        estimate_session_size(body)
    assert (caught.value.status, caught.value.field) == (400, field)
