"""The operation table: every spec operation, named after the SDK method that calls it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aura_async import AuraClient
from aura_async._operations import ROUTES, Operation, operation_for

CONTRACT = Path(__file__).resolve().parent.parent / "spec_contract.json"


def test_the_table_is_the_specs_operations() -> None:
    contract = json.loads(CONTRACT.read_text())
    spec = {(o["method"], o["path"], o["operationId"]) for o in contract["operations"]}
    assert {(method, template, op_id) for method, template, op_id, _ in ROUTES} == spec


@pytest.mark.parametrize("name", sorted({name for *_, name in ROUTES}))
def test_every_name_is_a_client_method(name: str) -> None:
    client = AuraClient("id", "secret")
    resource, method = name.split(".")
    assert callable(getattr(getattr(client, resource), method))


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/instances", Operation("instances.list", "get-instances", "/instances")),
        (
            "POST",
            "/instances/sizing",
            Operation("instances.estimate_size", "post-instances-sizing", "/instances/sizing"),
        ),
        (
            "POST",
            "/instances/abc/pause",
            Operation(
                "instances.pause", "post-pause-instance", "/instances/{instanceId}/pause", "abc"
            ),
        ),
        (
            "GET",
            "/instances/abc/snapshots/s1",
            Operation(
                "snapshots.get",
                "get-snapshot-snapshotid",
                "/instances/{instanceId}/snapshots/{snapshotId}",
                "s1",
            ),
        ),
        ("PUT", "/instances/abc", Operation("request", None, None)),
        ("GET", "/instances/abc/unknown", Operation("request", None, None)),
        ("GET", "/", Operation("request", None, None)),
    ],
)
def test_operation_for(method: str, path: str, expected: Operation) -> None:
    assert operation_for(method, path) == expected
