"""Snapshot models: the spec's example bodies, an all-optional shape, the create answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aura_async._convert import structure_data, structure_list
from aura_async._errors import ResponseValidationError
from aura_async.models import CreatedSnapshot, Snapshot, SnapshotProfile, SnapshotStatus


def test_the_spec_snapshot_details_example_fits() -> None:
    body = {
        "data": {
            "instance_id": "Instance01",
            "profile": "Scheduled",
            "snapshot_id": "2023-01-20T13:44:42Z",
            "status": "Completed",
            "timestamp": "2023-01-20T13:44:42Z",
            "exportable": False,
        }
    }
    assert structure_data(body, Snapshot) == Snapshot(
        instance_id="Instance01",
        profile=SnapshotProfile.SCHEDULED,
        snapshot_id="2023-01-20T13:44:42Z",
        status=SnapshotStatus.COMPLETED,
        timestamp=datetime(2023, 1, 20, 13, 44, 42, tzinfo=UTC),
        exportable=False,
    )


def test_the_spec_snapshot_list_example_fits() -> None:
    body = {
        "data": [
            {
                "instance_id": "9o2he2a1",
                "profile": "Scheduled",
                "snapshot_id": "2023-01-20T13:44:42Z",
                "status": "Completed",
                "timestamp": "2023-01-20T13:44:42Z",
                "exportable": False,
            },
            {
                "instance_id": "415ced99",
                "profile": "AdHoc",
                "snapshot_id": "2023-01-20T18:07:25Z-adhoc",
                "status": "Completed",
                "timestamp": "2023-01-20T18:07:25Z",
                "exportable": True,
            },
        ]
    }
    snapshots = structure_list(body, Snapshot)
    assert [s.snapshot_id for s in snapshots] == [
        "2023-01-20T13:44:42Z",
        "2023-01-20T18:07:25Z-adhoc",
    ]
    assert snapshots[1].profile is SnapshotProfile.AD_HOC
    assert snapshots[1].exportable is True
    assert snapshots[1].timestamp == datetime(2023, 1, 20, 18, 7, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Pending", SnapshotStatus.PENDING),
        ("InProgress", SnapshotStatus.IN_PROGRESS),
        ("Failed", SnapshotStatus.FAILED),
        ("Cancelled", SnapshotStatus.CANCELLED),
        ("Expired", "Expired"),
        ("completed", "completed"),
    ],
)
def test_snapshot_statuses(status: str, expected: object) -> None:
    snapshot = structure_data({"data": {"snapshot_id": "s", "status": status}}, Snapshot)
    assert snapshot.status == expected
    assert type(snapshot.status) is type(expected)


def test_every_snapshot_field_but_its_id_is_optional() -> None:
    assert structure_data({"data": {"snapshot_id": "s"}}, Snapshot) == Snapshot(snapshot_id="s")
    with pytest.raises(ResponseValidationError, match=r"missing @ \$\.data\.snapshot_id"):
        structure_data({"data": {}}, Snapshot)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"timestamp": "today"}, "timestamp"),
        ({"exportable": "false"}, "exportable"),
        ({"profile": 1}, "profile"),
    ],
)
def test_an_odd_snapshot_field_reads_as_none(data: dict[str, Any], field: str) -> None:
    snapshot = structure_data({"data": {"snapshot_id": "s", **data}}, Snapshot)
    assert getattr(snapshot, field) is None
    assert snapshot.raw[field] == data[field]


def test_the_snapshot_create_answer_fits() -> None:
    snapshot_id = "3e5e6e27-bf0a-4898-abb8-5f3050cac418"
    body = {"data": {"snapshot_id": snapshot_id}}
    assert structure_data(body, CreatedSnapshot) == CreatedSnapshot(snapshot_id=snapshot_id)
    with pytest.raises(
        ResponseValidationError, match=r"required field missing @ \$\.data\.snapshot_id"
    ):
        structure_data({"data": {}}, CreatedSnapshot)
