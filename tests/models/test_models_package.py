"""The public surface of ``aura_async.models`` is pinned, and its models are frozen."""

from __future__ import annotations

import enum

import attrs
import pytest

import aura_async.models as models

MODELS = [
    "CreatedInstance",
    "CreatedGraphAnalyticsSession",
    "CreatedSnapshot",
    "CustomerManagedKey",
    "CustomerManagedKeyCreateRequest",
    "CustomerManagedKeySummary",
    "DeletedGraphAnalyticsSession",
    "GraphAnalyticsSession",
    "GraphAnalyticsSessionCreateRequest",
    "GraphAnalyticsSessionSizeEstimate",
    "GraphAnalyticsSessionSizingRequest",
    "Instance",
    "InstanceConfiguration",
    "InstanceCreateRequest",
    "InstanceOverwriteRequest",
    "InstanceSizeEstimate",
    "InstanceSizingRequest",
    "InstanceSummary",
    "InstanceUpdateRequest",
    "InstanceUpgradeRequest",
    "MetricsIntegration",
    "Snapshot",
    "Tenant",
    "TenantSummary",
]
ENUMS = [
    "AlgorithmCategory",
    "CdcEnrichmentMode",
    "CloudProvider",
    "CustomerManagedKeyStatus",
    "InstanceStatus",
    "InstanceType",
    "SessionStatus",
    "SnapshotProfile",
    "SnapshotStatus",
]


def test_all_is_pinned() -> None:
    assert sorted(models.__all__) == sorted(MODELS + ENUMS)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_is_a_frozen_keyword_only_attrs_class(name: str) -> None:
    cls = getattr(models, name)
    assert attrs.has(cls)
    assert cls.__doc__
    assert all(field.kw_only for field in attrs.fields(cls))
    assert cls.__setattr__ is not object.__setattr__  # attrs' frozen guard


@pytest.mark.parametrize("name", ENUMS)
def test_every_enum_is_a_string_enum(name: str) -> None:
    cls = getattr(models, name)
    assert issubclass(cls, enum.StrEnum)
    assert all(str(member) == member.value for member in cls)


def test_a_model_cannot_be_changed() -> None:
    summary = models.TenantSummary(id="p", name="P")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        summary.name = "Q"  # type: ignore[misc]


def test_instance_status_has_every_documented_value() -> None:
    assert {member.value for member in models.InstanceStatus} == {
        "creating",
        "destroying",
        "running",
        "pausing",
        "paused",
        "suspending",
        "suspended",
        "resuming",
        "loading",
        "loading failed",
        "restoring",
        "updating",
        "overwriting",
        "resizing",
        "deleting",
    }
