"""Tenant (project) models: the spec's example bodies and the live API's extras."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async._convert import structure_data, structure_list
from aura_async._errors import ResponseValidationError
from aura_async.models import (
    CloudProvider,
    InstanceConfiguration,
    InstanceType,
    MetricsIntegration,
    Tenant,
    TenantSummary,
)


def configuration(**changes: Any) -> dict[str, Any]:
    """One instance configuration of the spec's example, with keys changed."""
    return {
        "region": "europe-west1",
        "region_name": "Belgium (europe-west1)",
        "type": "enterprise-db",
        "memory": "4GB",
        "storage": "8GB",
        "version": "5",
        "cloud_provider": "gcp",
        **changes,
    }


PROJECT_ID = "6981ace7-efe8-4f5c-b7c5-267b5162ce91"


def test_the_spec_project_example_fits() -> None:
    body = {
        "data": {
            "id": PROJECT_ID,
            "name": "Production",
            "instance_configurations": [
                configuration(),
                configuration(memory="8GB", storage="16GB"),
            ],
        }
    }
    tenant = structure_data(body, Tenant)
    assert (tenant.id, tenant.name) == (PROJECT_ID, "Production")
    assert isinstance(tenant.instance_configurations, tuple)
    assert [c.memory for c in tenant.instance_configurations] == ["4GB", "8GB"]
    first = tenant.instance_configurations[0]
    assert first == InstanceConfiguration(
        region="europe-west1",
        region_name="Belgium (europe-west1)",
        type=InstanceType.ENTERPRISE_DB,
        memory="4GB",
        storage="8GB",
        version="5",
        cloud_provider=CloudProvider.GCP,
    )


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"type": "free-db"}, "type", InstanceType.FREE_DB),
        ({"type": "enterprise-gds"}, "type", "enterprise-gds"),
        ({"cloud_provider": "oracle"}, "cloud_provider", "oracle"),
        ({"concurrent_instances": 3}, "version", "5"),
    ],
)
def test_a_configuration_keeps_new_values(
    changes: dict[str, Any], field: str, expected: object
) -> None:
    body = {"data": {"id": "p", "name": "P", "instance_configurations": [configuration(**changes)]}}
    assert getattr(structure_data(body, Tenant).instance_configurations[0], field) == expected


@pytest.mark.parametrize(
    "data",
    [
        {"id": "p", "name": "P"},
        {"id": "p", "name": "P", "instance_configurations": {"region": "x"}},
    ],
)
def test_a_project_with_odd_configurations_reads_them_as_none(data: dict[str, Any]) -> None:
    assert structure_data({"data": data}, Tenant).instance_configurations is None


def test_a_configuration_that_is_not_an_object_is_skipped_and_odd_fields_are_none() -> None:
    data = {"id": "p", "instance_configurations": ["x", configuration(region_name=None), 3]}
    (only,) = structure_data({"data": data}, Tenant).instance_configurations or ()
    assert (only.region, only.region_name) == ("europe-west1", None)


def test_a_project_without_id_does_not_fit() -> None:
    with pytest.raises(ResponseValidationError, match=r"missing @ \$\.data\.id"):
        structure_data({"data": {"name": "P", "instance_configurations": []}}, Tenant)


def test_a_project_without_configurations_has_an_empty_tuple() -> None:
    body = {"data": {"id": "p", "name": "P", "instance_configurations": []}}
    assert structure_data(body, Tenant).instance_configurations == ()


def test_the_spec_project_list_example_fits() -> None:
    rows = [
        (PROJECT_ID, "Production"),
        ("YOUR_PROJECT_ID", "Staging"),
        ("da045ab3-3b89-4f45-8b96-528f2e47cd13", "Development"),
    ]
    body = {"data": [{"id": id_, "name": name} for id_, name in rows]}
    assert structure_list(body, TenantSummary) == tuple(
        TenantSummary(id=id_, name=name) for id_, name in rows
    )


def test_the_spec_metrics_integration_example_fits() -> None:
    endpoint = "https://customer-metrics-api.neo4j.io/api/v1/tenantId/metrics"
    assert structure_data({"data": {"endpoint": endpoint}}, MetricsIntegration) == (
        MetricsIntegration(endpoint=endpoint)
    )
    assert structure_data({"data": {}}, MetricsIntegration).endpoint is None
