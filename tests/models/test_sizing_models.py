"""Sizing models: the spec's request and answer examples, and the request checks."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async._convert import structure_data, unstructure_body
from aura_async._errors import AuraValidationError
from aura_async.models import (
    GraphAnalyticsSessionSizeEstimate,
    GraphAnalyticsSessionSizingRequest,
    InstanceSizeEstimate,
    InstanceSizingRequest,
    InstanceType,
)


@pytest.mark.parametrize(
    "body",
    [
        {
            "node_count": 1000000,
            "relationship_count": 5000000,
            "instance_type": "professional-ds",
            "algorithm_categories": ["pathfinding", "community-detection"],
        },
        {
            "node_count": 1000000,
            "relationship_count": 5000000,
            "instance_type": "enterprise-ds",
            "algorithm_categories": ["node-embedding"],
        },
        {"node_count": 0, "relationship_count": 0},
    ],
)
def test_the_spec_instance_sizing_examples_are_sent_as_written(body: dict[str, Any]) -> None:
    request = InstanceSizingRequest(**body)
    assert request.algorithm_categories is None or isinstance(request.algorithm_categories, tuple)
    assert request.instance_type is None or isinstance(request.instance_type, InstanceType)
    assert unstructure_body(request) == body


def test_the_spec_instance_sizing_answer_fits() -> None:
    body = {
        "data": {
            "did_exceed_maximum": False,
            "min_required_memory": "14GB",
            "recommended_size": "16GB",
        }
    }
    assert structure_data(body, InstanceSizeEstimate) == InstanceSizeEstimate(
        did_exceed_maximum=False, min_required_memory="14GB", recommended_size="16GB"
    )
    body["data"]["did_exceed_maximum"] = "false"
    assert structure_data(body, InstanceSizeEstimate).did_exceed_maximum is None


def test_the_spec_session_sizing_example_is_sent_as_written() -> None:
    body: dict[str, Any] = {
        "node_count": 1000000,
        "node_property_count": 512,
        "node_label_count": 3,
        "relationship_count": 5000000,
        "relationship_property_count": 5,
        "algorithm_categories": ["similarity", "community-detection"],
    }
    assert unstructure_body(GraphAnalyticsSessionSizingRequest(**body)) == body


def test_the_spec_session_sizing_answer_fits() -> None:
    body = {"data": {"estimated_memory": "6GB", "recommended_size": "8GB"}}
    assert structure_data(body, GraphAnalyticsSessionSizeEstimate) == (
        GraphAnalyticsSessionSizeEstimate(estimated_memory="6GB", recommended_size="8GB")
    )
    partial = structure_data(
        {"data": {"estimated_memory": "6GB"}}, GraphAnalyticsSessionSizeEstimate
    )
    assert (partial.recommended_size, partial.estimated_memory) == (None, "6GB")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"node_count": -1}, "node_count must be a non-negative integer"),
        ({"relationship_count": "5"}, "relationship_count must be a non-negative integer"),
        ({"node_count": True}, "node_count must be a non-negative integer"),
        ({"node_count": 1.0}, "node_count must be a non-negative integer"),
        ({"instance_type": ""}, "instance_type must be a non-empty string"),
        ({"algorithm_categories": ["pathfinding", ""]}, "algorithm_categories must be a tuple"),
        (
            {"algorithm_categories": "pathfinding"},
            "algorithm_categories must be a tuple of non-empty strings",
        ),
        (
            {"algorithm_categories": [""]},
            "algorithm_categories must be a tuple of non-empty strings",
        ),
    ],
)
def test_a_bad_instance_sizing_request_fails_before_sending(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuraValidationError) as caught:
        InstanceSizingRequest(**{"node_count": 1, "relationship_count": 1, **changes})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"node_property_count": -3}, "node_property_count must be a non-negative integer"),
        (
            {"node_label_count": None, "relationship_count": None},
            "relationship_count must be a non-negative",
        ),
        (
            {"relationship_property_count": "5"},
            "relationship_property_count must be a non-negative",
        ),
    ],
)
def test_a_bad_session_sizing_request_fails_before_sending(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuraValidationError) as caught:
        GraphAnalyticsSessionSizingRequest(**{"node_count": 1, "relationship_count": 1, **changes})
    assert str(caught.value).startswith(message)
