"""Customer managed key models: the spec's example bodies and the create request checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aura_async._convert import structure_data, structure_list, unstructure_body
from aura_async._errors import AuraValidationError, ResponseValidationError
from aura_async.models import (
    CloudProvider,
    CustomerManagedKey,
    CustomerManagedKeyCreateRequest,
    CustomerManagedKeyStatus,
    CustomerManagedKeySummary,
    InstanceType,
)

KEY: dict[str, Any] = {
    "id": "8c764aed-8eb3-4a1c-92f6-e4ef0c7a6ed9",
    "name": "Instance01",
    "created": "2024-01-31T14:06:57Z",
    "cloud_provider": "aws",
    "key_id": "arn:aws:kms:us-east-1:123456789:key/11111-a222-1212-x789-1212f1212f",
    "region": "us-east-1",
    "type": "enterprise-db",
    "tenant_id": "YOUR_PROJECT_ID",
    "status": "pending",
    "instance_type": "enterprise-db",
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", CustomerManagedKeyStatus.PENDING),
        ("ready", CustomerManagedKeyStatus.READY),
        ("revoked", "revoked"),
    ],
)
def test_the_spec_key_examples_fit(status: str, expected: object) -> None:
    key = structure_data({"data": {**KEY, "status": status}}, CustomerManagedKey)
    assert key.status == expected
    assert type(key.status) is type(expected)
    assert key.cloud_provider is CloudProvider.AWS
    assert key.instance_type is InstanceType.ENTERPRISE_DB
    assert key.created == datetime(2024, 1, 31, 14, 6, 57, tzinfo=UTC)
    assert key.key_id == KEY["key_id"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"status": None}, "status"), ({"created": None}, "created"), ({"key_id": 7}, "key_id")],
)
def test_an_odd_key_field_reads_as_none(changes: dict[str, Any], field: str) -> None:
    key = structure_data({"data": {**KEY, **changes}}, CustomerManagedKey)
    assert getattr(key, field) is None
    assert key.raw[field] == changes[field]


def test_a_key_without_id_does_not_fit() -> None:
    data = {name: value for name, value in KEY.items() if name != "id"}
    with pytest.raises(ResponseValidationError, match=r"required field missing @ \$\.data\.id"):
        structure_data({"data": data}, CustomerManagedKey)


def test_the_spec_key_list_example_fits() -> None:
    body = {
        "data": [
            {
                "id": "f15cc45b-1c29-44e8-911f-3ba719f70ed7",
                "name": "Production Key",
                "tenant_id": "T",
            },
            {"id": "0d971cc4-f703-40fd-8c5c-f5ec134f6c84", "name": "Dev Key", "tenant_id": "T"},
        ]
    }
    keys = structure_list(body, CustomerManagedKeySummary)
    assert [k.name for k in keys] == ["Production Key", "Dev Key"]
    assert keys[0] == CustomerManagedKeySummary(
        id="f15cc45b-1c29-44e8-911f-3ba719f70ed7", name="Production Key", tenant_id="T"
    )


CREATE: dict[str, Any] = {
    "key_id": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "name": "Production Key",
    "cloud_provider": "aws",
    "instance_type": "enterprise-db",
    "region": "us-west-2",
    "tenant_id": "YOUR_PROJECT_ID",
}


def test_the_spec_create_example_is_sent_as_written() -> None:
    request = CustomerManagedKeyCreateRequest(**CREATE)
    assert request.instance_type is InstanceType.ENTERPRISE_DB
    assert request.cloud_provider is CloudProvider.AWS
    assert unstructure_body(request) == CREATE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be a string of 1 to 30 characters"),
        ({"name": "k" * 31}, "name must be a string of 1 to 30 characters"),
        ({"name": "Key "}, "name must not start or end with whitespace"),
        ({"key_id": ""}, "key_id must be a non-empty string"),
        ({"instance_type": ""}, "instance_type must be a non-empty string"),
        ({"cloud_provider": 3}, "cloud_provider must be a non-empty string"),
        ({"region": None}, "region must be a non-empty string"),
    ],
)
def test_a_bad_create_request_fails_before_sending(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AuraValidationError) as caught:
        CustomerManagedKeyCreateRequest(**{**CREATE, **changes})
    assert str(caught.value).startswith(message)
