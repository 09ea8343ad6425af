"""Instance models: the spec's example bodies, the live API's gaps, and the request checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aura_async._convert import structure_data, structure_list, unstructure_body
from aura_async._errors import AuraValidationError, ResponseValidationError
from aura_async.models import (
    CdcEnrichmentMode,
    CloudProvider,
    CreatedInstance,
    Instance,
    InstanceCreateRequest,
    InstanceOverwriteRequest,
    InstanceStatus,
    InstanceSummary,
    InstanceType,
    InstanceUpdateRequest,
    InstanceUpgradeRequest,
)

CREATED_AT = datetime(2023, 1, 20, 13, 44, 42, tzinfo=UTC)

# The spec's "Instance details" example (GET /instances/{id}); the others differ by a few keys.
DETAILS: dict[str, Any] = {
    "id": "2f49c2b3",
    "name": "Production",
    "status": "running",
    "tenant_id": "YOUR_PROJECT_ID",
    "cloud_provider": "gcp",
    "connection_url": "YOUR_CONNECTION_URL",
    "metrics_integration_url": "YOUR_METRICS_INTEGRATION_ENDPOINT",
    "region": "europe-west1",
    "type": "enterprise-db",
    "memory": "8GB",
    "storage": "16GB",
    "created_at": "2023-01-20T13:44:42Z",
    "vector_optimized": False,
}
BASE = {key: value for key, value in DETAILS.items() if key != "metrics_integration_url"}


def details(**changes: Any) -> dict[str, Any]:
    """The base example with keys changed (a value of ... drops the key)."""
    merged = {**BASE, **changes}
    return {"data": {key: value for key, value in merged.items() if value is not ...}}


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"data": DETAILS}, "metrics_integration_url", "YOUR_METRICS_INTEGRATION_ENDPOINT"),
        (
            details(customer_managed_key_id="UUID_OF_YOUR_KEY"),
            "customer_managed_key_id",
            "UUID_OF_YOUR_KEY",
        ),
        (details(secondaries_count=0), "secondaries_count", 0),
        (details(cdc_enrichment_mode="FULL"), "cdc_enrichment_mode", CdcEnrichmentMode.FULL),
        (details(cdc_enrichment_mode="OFF"), "cdc_enrichment_mode", CdcEnrichmentMode.OFF),
        (
            details(type="professional-db", graph_analytics_plugin=True),
            "graph_analytics_plugin",
            True,
        ),
        (details(status="destroying"), "status", InstanceStatus.DESTROYING),
        (details(status="updating"), "status", InstanceStatus.UPDATING),
        (details(status="overwriting", vector_optimized=...), "status", InstanceStatus.OVERWRITING),
        (details(status="pausing"), "status", InstanceStatus.PAUSING),
        (details(status="resuming"), "status", InstanceStatus.RESUMING),
        (details(status="restoring"), "status", InstanceStatus.RESTORING),
        (details(type="business-critical", storage=...), "type", InstanceType.BUSINESS_CRITICAL),
        (details(graph_nodes="100", graph_relationships="250"), "graph_nodes", "100"),
    ],
)
def test_the_spec_instance_examples_fit(body: dict[str, Any], field: str, expected: object) -> None:
    instance = structure_data(body, Instance)
    assert getattr(instance, field) == expected
    assert instance.id == "2f49c2b3"
    assert instance.cloud_provider is CloudProvider.GCP
    assert instance.created_at == CREATED_AT


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("loading failed", InstanceStatus.LOADING_FAILED),
        ("suspended", InstanceStatus.SUSPENDED),
        ("resizing", InstanceStatus.RESIZING),
        ("deleting", InstanceStatus.DELETING),
        ("migrating", "migrating"),
        ("Running", "Running"),
    ],
)
def test_a_status_outside_the_enum_stays_a_string(status: str, expected: object) -> None:
    instance = structure_data(details(status=status), Instance)
    assert instance.status == expected
    assert type(instance.status) is type(expected)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"connection_url": None}, "connection_url"),
        ({"connection_url": ...}, "connection_url"),
        ({"memory": ..., "status": "destroying"}, "memory"),
        ({"type": ...}, "type"),
        ({"storage": ..., "type": "free-db"}, "storage"),
    ],
)
def test_fields_the_live_api_can_leave_out_are_none(changes: dict[str, Any], field: str) -> None:
    assert getattr(structure_data(details(**changes), Instance), field) is None


def test_an_unknown_instance_type_and_new_keys_are_kept_or_ignored() -> None:
    instance = structure_data(details(type="enterprise-gds", added_later=[1]), Instance)
    assert instance.type == "enterprise-gds"
    assert instance.customer_managed_key_id is None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": ...}, "required field missing @ $.data.id"),
        ({"id": None}, "expected a string, got null @ $.data.id"),
        ({"id": 7}, "expected a string, got number @ $.data.id"),
    ],
)
def test_an_instance_without_identity_does_not_fit(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ResponseValidationError, match="does not fit Instance: ") as caught:
        structure_data(details(**changes), Instance)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": None}, "status"),
        ({"status": 3}, "status"),
        ({"name": ...}, "name"),
        ({"name": None}, "name"),
        ({"region": ...}, "region"),
        ({"region": None}, "region"),
        ({"created_at": None}, "created_at"),
        ({"created_at": "2023-13-45"}, "created_at"),
        ({"created_at": 1674222282}, "created_at"),
        ({"secondaries_count": "2"}, "secondaries_count"),
        ({"vector_optimized": "yes"}, "vector_optimized"),
        ({"cloud_provider": {"name": "gcp"}}, "cloud_provider"),
    ],
)
def test_any_other_odd_field_reads_as_none_and_stays_in_raw(
    changes: dict[str, Any], field: str
) -> None:
    body = details(**changes)
    instance = structure_data(body, Instance)
    assert getattr(instance, field) is None
    assert instance.id == DETAILS["id"]
    assert dict(instance.raw) == body["data"]
    assert field not in instance.extra


def test_the_spec_instance_list_example_fits() -> None:
    rows = [
        ("2f49c2b3", "Production", "gcp"),
        ("b51dc964", "Instance01", "aws"),
        ("432392ae", "Recommendations", "azure"),
        ("524b7d8d", "Northwind", "gcp"),
    ]
    body = {
        "data": [
            {
                "id": id_,
                "name": name,
                "tenant_id": "YOUR_PROJECT_ID",
                "cloud_provider": cloud,
                "created_at": "2023-01-20T13:44:42Z",
            }
            for id_, name, cloud in rows
        ]
    }
    summaries = structure_list(body, InstanceSummary)
    assert [(s.id, s.name, s.cloud_provider) for s in summaries] == rows
    assert summaries[1].cloud_provider is CloudProvider.AWS
    assert {s.created_at for s in summaries} == {CREATED_AT}


CREATED: dict[str, Any] = {
    "id": "db1d1234",
    "connection_url": "YOUR_CONNECTION_URL",
    "username": "neo4j",
    "password": "letMeIn123!",
    "tenant_id": "YOUR_PROJECT_ID",
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "name": "Instance01",
    "created_at": "2023-01-20T13:44:42Z",
    "vector_optimized": False,
}


def test_the_spec_create_answer_fits_and_hides_the_password() -> None:
    created = structure_data({"data": CREATED}, CreatedInstance)
    assert (created.id, created.username, created.password) == ("db1d1234", "neo4j", "letMeIn123!")
    assert created.type is InstanceType.ENTERPRISE_DB
    assert created.graph_analytics_plugin is None
    for text in (repr(created), str(created), f"{created}", repr((created,))):
        assert "letMeIn123!" not in text
        assert "password" not in text
    assert "username='neo4j'" in repr(created)


@pytest.mark.parametrize("missing", ["connection_url", "type"])
def test_the_create_answer_tolerates_the_live_gaps(missing: str) -> None:
    body = {"data": {key: value for key, value in CREATED.items() if key != missing}}
    assert getattr(structure_data(body, CreatedInstance), missing) is None
    body["data"][missing] = None
    assert getattr(structure_data(body, CreatedInstance), missing) is None


def test_a_create_answer_keeps_its_credentials_whatever_else_is_odd() -> None:
    odd = {"name": None, "region": None, "created_at": "soon", "tenant_id": 5, "type": []}
    created = structure_data({"data": {**CREATED, **odd}}, CreatedInstance)
    assert (created.id, created.username, created.password) == ("db1d1234", "neo4j", "letMeIn123!")
    assert (created.name, created.region, created.created_at, created.tenant_id) == (None,) * 4


def test_a_create_answer_without_password_has_none() -> None:
    body = {"data": {key: value for key, value in CREATED.items() if key != "password"}}
    assert structure_data(body, CreatedInstance).password is None


FREE: dict[str, Any] = {
    "version": "5",
    "region": "europe-west1",
    "memory": "1GB",
    "name": "Instance01",
    "type": "free-db",
    "tenant_id": "YOUR_PROJECT_ID",
    "cloud_provider": "gcp",
}


@pytest.mark.parametrize(
    "body",
    [
        FREE,
        {**FREE, "version": "4", "memory": "4GB", "storage": "8GB", "type": "enterprise-db"},
        {**FREE, "memory": "4GB", "type": "professional-db", "vector_optimized": True},
        {**FREE, "memory": "4GB", "type": "professional-db", "graph_analytics_plugin": True},
        {
            **FREE,
            "memory": "8GB",
            "storage": "16GB",
            "type": "enterprise-ds",
            "source_instance_id": "db1d1234",
        },
        {
            **FREE,
            "memory": "4GB",
            "storage": "8GB",
            "type": "business-critical",
            "source_instance_id": "db1d1234",
            "source_snapshot_id": "3e5e6e27-bf0a-4898-abb8-5f3050cac418",
        },
        {**FREE, "type": "enterprise-db", "customer_managed_key_id": "UUID_OF_YOUR_KEY"},
    ],
)
def test_the_spec_create_examples_are_sent_as_written(body: dict[str, Any]) -> None:
    request = InstanceCreateRequest(**body)
    assert unstructure_body(request) == body
    assert isinstance(request.type, InstanceType)
    assert isinstance(request.cloud_provider, CloudProvider)


def test_a_create_request_takes_enum_members_too() -> None:
    request = InstanceCreateRequest(
        **{**FREE, "type": InstanceType.FREE_DB, "cloud_provider": CloudProvider.GCP}
    )
    assert unstructure_body(request) == FREE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be a string of 1 to 30 characters"),
        ({"name": "x" * 31}, "name must be a string of 1 to 30 characters"),
        ({"name": " Instance01"}, "name must not start or end with whitespace"),
        ({"name": "Instance01\n"}, "name must not start or end with whitespace"),
        ({"name": 5}, "name must be a string of 1 to 30 characters"),
        ({"type": ""}, "type must be a non-empty string"),
        ({"type": None}, "type must be a non-empty string"),
        ({"cloud_provider": ["gcp"]}, "cloud_provider must be a non-empty string, got ['gcp']"),
        ({"version": ""}, "version must be a non-empty string"),
        ({"tenant_id": None}, "tenant_id must be a non-empty string"),
        ({"storage": ""}, "storage must be a non-empty string"),
        ({"source_snapshot_id": "3e5e6e27"}, "source_snapshot_id needs source_instance_id as well"),
        ({"vector_optimized": "yes"}, "vector_optimized must be true or false"),
    ],
)
def test_a_bad_create_request_fails_before_sending(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AuraValidationError) as caught:
        InstanceCreateRequest(**{**FREE, **changes})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("name", ["x", "x" * 30, "Prod ✓ 日本", "two  words"])
def test_names_within_the_rules_are_accepted(name: str) -> None:
    assert InstanceCreateRequest(**{**FREE, "name": name}).name == name


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Instance02"},
        {"memory": "16GB"},
        {"storage": "32GB"},
        {"secondaries_count": 4},
        {"secondaries_count": 0},
        {"cdc_enrichment_mode": "FULL"},
        {"name": "Instance02", "memory": "16GB", "storage": "32GB"},
        {"memory": "16GB", "storage": "32GB", "vector_optimized": True},
        {"memory": "16GB", "storage": "32GB", "graph_analytics_plugin": False},
    ],
)
def test_the_spec_update_examples_are_sent_as_written(body: dict[str, Any]) -> None:
    assert unstructure_body(InstanceUpdateRequest(**body)) == body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "InstanceUpdateRequest needs at least one field to change"),
        ({"name": None}, "InstanceUpdateRequest needs at least one field to change"),
        ({"name": "Instance02 "}, "name must not start or end with whitespace"),
        ({"secondaries_count": -1}, "secondaries_count must be a non-negative integer"),
        ({"secondaries_count": True}, "secondaries_count must be a non-negative integer"),
        (
            {"cdc_enrichment_mode": ""},
            "cdc_enrichment_mode must be a non-empty string",
        ),
        ({"memory": ""}, "memory must be a non-empty string"),
    ],
)
def test_a_bad_update_request_fails_before_sending(body: dict[str, Any], message: str) -> None:
    with pytest.raises(AuraValidationError) as caught:
        InstanceUpdateRequest(**body)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "body",
    [
        {"source_instance_id": "191b0da2"},
        {
            "source_instance_id": "191b0da2",
            "source_snapshot_id": "3e5e6e27-bf0a-4898-abb8-5f3050cac418",
        },
    ],
)
def test_the_spec_overwrite_examples_are_sent_as_written(body: dict[str, Any]) -> None:
    assert unstructure_body(InstanceOverwriteRequest(**body)) == body


def test_an_overwrite_needs_a_source_instance() -> None:
    with pytest.raises(
        AuraValidationError, match=r"^source_instance_id must be a non-empty string"
    ):
        InstanceOverwriteRequest(source_instance_id="")


@pytest.mark.parametrize("body", [{"memory": "16GB", "storage": "32GB"}, {}])
def test_the_upgrade_examples_are_sent_as_written(body: dict[str, Any]) -> None:
    assert unstructure_body(InstanceUpgradeRequest(**body)) == body


@pytest.mark.parametrize("body", [{"memory": "16GB"}, {"storage": "32GB"}])
def test_an_upgrade_resizes_memory_and_storage_together(body: dict[str, Any]) -> None:
    with pytest.raises(AuraValidationError, match=r"^storage and memory must be given together"):
        InstanceUpgradeRequest(**body)
