"""GDS session models: the spec's example bodies, its null status, and the create request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aura_async._convert import structure_data, structure_list, unstructure_body
from aura_async._errors import AuraValidationError, ResponseValidationError
from aura_async.models import (
    CloudProvider,
    DeletedGraphAnalyticsSession,
    GraphAnalyticsSession,
    GraphAnalyticsSessionCreateRequest,
    SessionStatus,
)

ATTACHED: dict[str, Any] = {
    "id": "559c94c7-15de43fg",
    "name": "people-and-fruit-with-db",
    "memory": "4GB",
    "instance_id": "559c94c7",
    "database_uuid": "ea408a62-c991-490c-96db-2b947003eece",
    "status": "Ready",
    "created_at": "2025-04-04T09:32:35Z",
    "host": "559c94c7-15de43fg.<ORCHESTRA>.neo4j.io",
    "expiry_date": "2025-04-11T09:32:35Z",
    "ttl": "8m",
    "user_id": "YOUR_USER_ID",
    "tenant_id": "YOUR_PROJECT_ID",
    "cloud_provider": "gcp",
    "region": "europe-west1",
}


def test_the_spec_session_example_fits() -> None:
    session = structure_data({"data": ATTACHED}, GraphAnalyticsSession)
    assert session.status is SessionStatus.READY
    assert session.cloud_provider is CloudProvider.GCP
    assert session.created_at == datetime(2025, 4, 4, 9, 32, 35, tzinfo=UTC)
    assert session.expiry_date == datetime(2025, 4, 11, 9, 32, 35, tzinfo=UTC)
    assert (session.ttl, session.instance_id, session.user_id) == ("8m", "559c94c7", "YOUR_USER_ID")


def test_the_spec_session_list_example_fits() -> None:
    standalone = {
        **ATTACHED,
        "id": "s-04de43fe-67ab-4",
        "name": "people-and-fruit",
        "memory": "8GB",
        "instance_id": None,
        "ttl": "20m0s",
        "cloud_provider": "azure",
        "region": "francecentral",
    }
    creating = {**ATTACHED, "status": "Creating", "expiry_date": None, "ttl": None}
    sessions = structure_list({"data": [standalone, creating]}, GraphAnalyticsSession)
    assert sessions[0].instance_id is None
    assert sessions[0].ttl == "20m0s"
    assert sessions[0].cloud_provider is CloudProvider.AZURE
    assert sessions[1].status is SessionStatus.CREATING
    assert (sessions[1].expiry_date, sessions[1].ttl) == (None, None)


def test_the_spec_202_example_with_a_null_status_fits() -> None:
    data = {key: value for key, value in ATTACHED.items() if key not in ("expiry_date", "ttl")}
    session = structure_data({"data": {**data, "status": None}}, GraphAnalyticsSession)
    assert session.status is None
    assert session.expiry_date is None


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"status": "Expired"}, "status", SessionStatus.EXPIRED),
        ({"status": "Failed"}, "status", SessionStatus.FAILED),
        ({"status": "Terminating"}, "status", "Terminating"),
        ({"ttl": 3600}, "ttl", 3600),
        ({"instance_id": ""}, "instance_id", ""),
        ({"cloud_provider": "oci"}, "cloud_provider", "oci"),
    ],
)
def test_session_fields_keep_what_the_api_sends(
    changes: dict[str, Any], field: str, expected: object
) -> None:
    session = structure_data({"data": {**ATTACHED, **changes}}, GraphAnalyticsSession)
    assert getattr(session, field) == expected
    assert type(getattr(session, field)) is type(expected)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"host": None}, "host"), ({"ttl": False}, "ttl"), ({"expiry_date": "never"}, "expiry_date")],
)
def test_an_odd_session_field_reads_as_none(changes: dict[str, Any], field: str) -> None:
    session = structure_data({"data": {**ATTACHED, **changes}}, GraphAnalyticsSession)
    assert getattr(session, field) is None
    assert session.raw[field] == changes[field]


def test_a_session_without_id_does_not_fit() -> None:
    with pytest.raises(ResponseValidationError, match=r"got null @ \$\.data\.id"):
        structure_data({"data": {**ATTACHED, "id": None}}, GraphAnalyticsSession)


def test_the_spec_delete_answer_fits() -> None:
    body = {"data": {"id": "s-f5138f3b-7956-4"}}
    assert structure_data(body, DeletedGraphAnalyticsSession).id == "s-f5138f3b-7956-4"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "people-and-fruit", "memory": "8GB", "ttl": "30m", "instance_id": "559c94c7"},
        {
            "name": "people-and-fruit",
            "memory": "8GB",
            "tenant_id": "YOUR_PROJECT_ID",
            "cloud_provider": "azure",
            "region": "francecentral",
        },
        {"name": "people"},
    ],
)
def test_a_create_request_is_sent_as_written(body: dict[str, Any]) -> None:
    assert unstructure_body(GraphAnalyticsSessionCreateRequest(**body)) == body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        (
            {"name": "s", "cloud_provider": ""},
            "cloud_provider must be a non-empty string",
        ),
        ({"name": "s", "memory": ""}, "memory must be a non-empty string"),
    ],
)
def test_a_bad_create_request_fails_before_sending(body: dict[str, Any], message: str) -> None:
    with pytest.raises(AuraValidationError) as caught:
        GraphAnalyticsSessionCreateRequest(**body)
    assert str(caught.value).startswith(message)
