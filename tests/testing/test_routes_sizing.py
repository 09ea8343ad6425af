"""The two sizing operations over HTTP (the formulas are tabled in test_state_sizing)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from spec_check import ContractClient, serve_routes

from aura_async.testing._state import EmulatorState

INSTANCE_SIZING = "/instances/sizing"
SESSION_SIZING = "/graph-analytics/sessions/sizing"
GRAPH = {"node_count": 1_000_000, "relationship_count": 5_000_000}


@pytest.fixture
def state() -> EmulatorState:
    """A state whose transitions move only when the test steps or settles them."""
    return EmulatorState(transition_delay=None)


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[ContractClient]:
    """A contract-checking client of the routes, served on a loopback port."""
    async with serve_routes(state) as client:
        yield client


async def test_instance_sizing_answers_the_estimate_and_changes_nothing(
    api: ContractClient, state: EmulatorState
) -> None:
    body = {**GRAPH, "instance_type": "professional-ds", "algorithm_categories": ["pathfinding"]}
    first = await api.post(INSTANCE_SIZING, body)
    second = await api.post(INSTANCE_SIZING, body)
    assert (first.status, first.data) == (200, second.data)
    assert first.data == {
        "did_exceed_maximum": False,
        "min_required_memory": "3GB",
        "recommended_size": "4GB",
    }
    assert state.instance_names() == {}


async def test_session_sizing_answers_the_estimate(api: ContractClient) -> None:
    answer = await api.post(SESSION_SIZING, {**GRAPH, "node_property_count": 512})
    assert (answer.status, answer.data) == (
        200,
        {"estimated_memory": "6GB", "recommended_size": "8GB"},
    )


@pytest.mark.parametrize("path", [INSTANCE_SIZING, SESSION_SIZING])
async def test_sizing_validates_the_body(api: ContractClient, path: str) -> None:
    missing = await api.post(path, {"node_count": 5})
    unlabelled = await api.call("POST", path, data=b"{}", headers={"Content-Type": "text/plain"})
    assert (missing.status, missing.error["field"]) == (400, "relationship_count")
    assert unlabelled.status == 415


async def test_the_literal_sizing_path_does_not_shadow_instance_ids(api: ContractClient) -> None:
    answer = await api.get(INSTANCE_SIZING)  # GET /instances/{instanceId} with id "sizing"
    assert (answer.status, answer.error["reason"]) == (404, "db-not-found")
