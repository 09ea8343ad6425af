"""The wire rules of the one converter, on small test models and on real ones."""

from __future__ import annotations

import json
import logging
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest

from aura_async._convert import converter, structure_data, structure_list, unstructure_body
from aura_async._errors import ResponseValidationError
from aura_async.models import (
    CloudProvider,
    CreatedInstance,
    Instance,
    InstanceConfiguration,
    InstanceCreateRequest,
    InstanceStatus,
    InstanceSummary,
    InstanceType,
    Tenant,
    TenantSummary,
)
from aura_async.models._wire import WireModel, identity


@attrs.frozen(kw_only=True)
class Sample:
    """One field of each kind the models use, all optional."""

    text: str | None = None
    flag: bool | None = None
    number: int | None = None
    when: datetime | None = None
    status: InstanceStatus | str | None = None
    kind: InstanceType | None = None
    names: tuple[str, ...] | None = None
    mixed: str | int | None = None


@attrs.frozen(kw_only=True)
class Strict:
    """A required enum-or-string field, for the non-nullable union."""

    status: InstanceStatus | str


WHEN = datetime(2023, 1, 20, 13, 44, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("text", "a", "a"),
        ("text", "", ""),
        ("flag", False, False),
        ("number", 3, 3),
        ("number", 2.0, 2),
        ("when", "2023-01-20T13:44:42Z", WHEN),
        ("when", "2023-01-20T13:44:42+00:00", WHEN),
        ("when", "2023-01-20T15:44:42+02:00", WHEN),
        ("when", "2023-01-20T13:44:42", WHEN),
        ("when", "2023-01-20T13:44:42.5Z", WHEN + timedelta(milliseconds=500)),
        ("when", "2023-01-20T13:44:42.123456789Z", WHEN + timedelta(microseconds=123456)),
        ("when", "2023-01-20T13:44:42.5z", WHEN + timedelta(milliseconds=500)),
        ("when", "2023-01-20t13:44:42z", WHEN),
        ("when", "2023-01-20 13:44:42 +0000 UTC", WHEN),
        ("when", "2023-01-20 15:44:42.5 +0200 CEST", WHEN + timedelta(milliseconds=500)),
        (
            "when",
            "2023-01-20 13:44:42.123456789 +0000 UTC m=+0.000000001",
            WHEN + timedelta(microseconds=123456),
        ),
        ("status", "running", InstanceStatus.RUNNING),
        ("status", "loading failed", InstanceStatus.LOADING_FAILED),
        ("status", "resizing", InstanceStatus.RESIZING),
        ("status", "migrating", "migrating"),
        ("kind", "free-db", InstanceType.FREE_DB),
        ("names", ["a", "b"], ("a", "b")),
        ("names", [], ()),
        ("mixed", "8m", "8m"),
        ("mixed", 480, 480),
        ("text", None, None),
        ("status", None, None),
    ],
)
def test_a_fitting_value_is_structured(field: str, value: object, expected: object) -> None:
    sample = structure_data({"data": {field: value}}, Sample)
    assert getattr(sample, field) == expected
    assert type(getattr(sample, field)) is type(expected)


def test_a_timestamp_is_aware_and_keeps_its_offset() -> None:
    sample = structure_data({"data": {"when": "2023-01-20T15:44:42+02:00"}}, Sample)
    assert sample.when is not None
    assert sample.when.utcoffset() == timedelta(hours=2)
    naive = structure_data({"data": {"when": "2023-01-20T13:44:42"}}, Sample)
    assert naive.when is not None
    assert naive.when.tzinfo is UTC


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("text", 5, "expected a string, got number @ $.data.text"),
        ("text", ["a"], "expected a string, got array @ $.data.text"),
        ("flag", "no", "expected a boolean, got string @ $.data.flag"),
        ("flag", 1, "expected a boolean, got number @ $.data.flag"),
        ("number", "5", "expected an integer, got string @ $.data.number"),
        ("number", 2.5, "expected an integer, got number @ $.data.number"),
        ("number", True, "expected an integer, got boolean @ $.data.number"),
        ("when", "yesterday", "expected an ISO 8601 timestamp @ $.data.when"),
        ("when", 1674222282, "expected an ISO 8601 timestamp string, got number @ $.data.when"),
        ("status", 3, "expected a string, got number @ $.data.status"),
        ("kind", "free", "expected one of 'enterprise-db', "),
        ("names", "ab", "expected an array, got string @ $.data.names"),
        ("names", [1], "expected a string, got number @ $.data.names[0]"),
        ("mixed", True, "expected string or number or null, got boolean @ $.data.mixed"),
        ("mixed", {}, "expected string or number or null, got object @ $.data.mixed"),
    ],
)
def test_a_misfit_names_the_model_and_the_path(field: str, value: object, problem: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_data({"data": {field: value}}, Sample)
    message = str(caught.value)
    assert message.startswith("response body does not fit Sample: ")
    assert problem in message
    assert not isinstance(caught.value, cattrs.BaseValidationError)


def test_a_required_union_rejects_null() -> None:
    with pytest.raises(ResponseValidationError, match=r"got null @ \$\.data\.status"):
        structure_data({"data": {"status": None}}, Strict)
    with pytest.raises(ResponseValidationError, match=r"required field missing @ \$\.data\.status"):
        structure_data({"data": {}}, Strict)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (None, "expected an object with a 'data' key, got null @ $"),
        ([], "expected an object with a 'data' key, got array @ $"),
        ("data", "expected an object with a 'data' key, got string @ $"),
        ({}, "expected an object with a 'data' key, got object @ $"),
        ({"errors": []}, "expected an object with a 'data' key, got object @ $"),
        ({"data": "x"}, "expected an object, got string @ $.data"),
        ({"data": None}, "expected an object, got null @ $.data"),
        ({"data": [{"text": "a"}]}, "expected an object, got array @ $.data"),
    ],
)
def test_a_body_without_data_object_does_not_fit(body: object, problem: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_data(body, Sample)
    assert str(caught.value) == f"response body does not fit Sample: {problem}"
    assert caught.value.__cause__ is None


def test_unknown_keys_are_ignored() -> None:
    body = {"data": {"text": "a", "added_later": {"nested": [1, 2]}, "other": None}}
    assert structure_data(body, Sample) == Sample(text="a")


def test_a_misfit_message_never_quotes_the_value() -> None:
    secret = "s3cr3t-Pa55word"
    with pytest.raises(ResponseValidationError) as caught:
        structure_data({"data": {"id": [secret]}}, CreatedInstance)
    assert secret not in str(caught.value)
    assert "expected a string, got array @ $.data.id" in str(caught.value)


@attrs.frozen(kw_only=True, slots=False)
class Credentials(WireModel):
    """A model of its own, so that no other test has logged its fields yet."""

    id: str = identity()
    name: str | None = None
    region: str | None = None
    created_at: datetime | None = None
    password: str | None = attrs.field(default=None, repr=False)


def test_the_tolerance_log_names_fields_never_values(caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-Pa55word"
    data = {"id": "db1d1234", "created_at": secret, "password": [secret], "region": None}
    caplog.set_level(logging.DEBUG, logger="aura_async")
    created = structure_data({"data": data}, Credentials)
    assert (created.created_at, created.password, created.region) == (None, None, None)
    assert secret not in caplog.text
    assert "Credentials.created_at read as None: expected an ISO 8601 timestamp" in caplog.text
    assert "Credentials.password read as None: expected a string, got array" in caplog.text
    assert "Credentials.region read as None: null" in caplog.text
    assert "Credentials.name read as None: missing" in caplog.text


@attrs.frozen(kw_only=True, slots=False)
class OnceLogged(WireModel):
    """A model of its own, so that no other test has logged its fields yet."""

    id: str = identity()
    when: datetime | None = None


def test_a_tolerated_field_is_logged_once_per_model_and_field(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aura_async")
    for _ in range(3):
        structure_data({"data": {"id": "a", "when": "later"}}, OnceLogged)
    lines = [r for r in caplog.records if "OnceLogged.when" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.DEBUG


def test_unknown_fields_are_kept_in_extra_read_only_and_out_of_repr() -> None:
    data = {"id": "a", "name": "A", "added_later": {"nested": [1]}, "token": "s3cr3t"}
    summary = structure_data({"data": data}, TenantSummary)
    assert dict(summary.extra) == {"added_later": {"nested": [1]}, "token": "s3cr3t"}
    assert dict(summary.raw) == data
    assert summary == TenantSummary(id="a", name="A")
    assert attrs.asdict(summary) == {"id": "a", "name": "A"}
    assert "s3cr3t" not in repr(summary)
    assert "s3cr3t" not in repr(summary.extra)
    with pytest.raises(TypeError):
        summary.extra["token"] = "x"  # type: ignore[index]
    assert pickle.loads(pickle.dumps(summary)).extra == summary.extra


def test_a_raw_timestamp_that_does_not_parse_stays_reachable() -> None:
    summary = structure_data({"data": {"id": "a", "created_at": "the 5th"}}, InstanceSummary)
    assert summary.created_at is None
    assert summary.raw["created_at"] == "the 5th"


def test_a_list_skips_items_without_identity_and_warns_with_index_and_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cr3t-name"
    items: list[Any] = [{"id": "a"}, {"name": secret}, "x", {"id": None}, {"id": "b", "name": 1}]
    rows = structure_list({"data": items}, TenantSummary, request_id="req-42")
    assert [(row.id, row.name) for row in rows] == [("a", None), ("b", None)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"Skipped item {index} of a list of TenantSummary: it does not read (request id req-42)"
        for index in (1, 2, 3)
    ]
    assert secret not in caplog.text


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ()),
        ([{"id": "a", "name": "A"}], (TenantSummary(id="a", name="A"),)),
        (
            [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "new": 1}],
            (TenantSummary(id="a", name="A"), TenantSummary(id="b", name="B")),
        ),
    ],
)
def test_a_list_body_becomes_a_tuple(items: list[Any], expected: tuple[TenantSummary]) -> None:
    assert structure_list({"data": items}, TenantSummary) == expected


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"data": {"id": "a", "name": "A"}}, "expected an array, got object @ $.data"),
        ({"data": None}, "expected an array, got null @ $.data"),
        ([{"id": "a", "name": "A"}], "expected an object with a 'data' key, got array @ $"),
    ],
)
def test_a_list_body_that_does_not_fit(body: object, problem: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_list(body, TenantSummary)
    assert str(caught.value).startswith("response body does not fit a list of TenantSummary: ")
    assert problem in str(caught.value)


def test_unstructure_omits_none_and_writes_plain_json_types() -> None:
    sample = Sample(
        text="a",
        when=datetime(2023, 1, 20, 15, 44, 42, tzinfo=timezone(timedelta(hours=2))),
        status=InstanceStatus.LOADING_FAILED,
        kind=InstanceType.FREE_DB,
        names=("x", "y"),
    )
    body = unstructure_body(sample)
    assert body == {
        "text": "a",
        "when": "2023-01-20T15:44:42+02:00",
        "status": "loading failed",
        "kind": "free-db",
        "names": ["x", "y"],
    }
    assert type(body["status"]) is str
    assert type(body["kind"]) is str
    assert json.loads(json.dumps(body)) == body


def test_unstructure_keeps_false_zero_and_empty_values() -> None:
    body = unstructure_body(Sample(text="", flag=False, number=0, names=()))
    assert body == {"text": "", "flag": False, "number": 0, "names": []}


def test_unstructure_nests_models_as_objects_in_lists() -> None:
    configuration = InstanceConfiguration(
        region="europe-west1",
        region_name="Belgium (europe-west1)",
        type=InstanceType.ENTERPRISE_DB,
        memory="4GB",
        storage="8GB",
        version="5",
        cloud_provider=CloudProvider.GCP,
    )
    body = unstructure_body(Tenant(id="p", name="P", instance_configurations=(configuration,)))
    assert body["instance_configurations"] == [
        {
            "region": "europe-west1",
            "region_name": "Belgium (europe-west1)",
            "type": "enterprise-db",
            "memory": "4GB",
            "storage": "8GB",
            "version": "5",
            "cloud_provider": "gcp",
        }
    ]


@pytest.mark.parametrize("not_a_model", [{"name": "x"}, None, "body", [1]])
def test_unstructure_body_takes_only_models(not_a_model: object) -> None:
    with pytest.raises(TypeError, match="expected an attrs model instance"):
        unstructure_body(not_a_model)


@pytest.mark.parametrize(
    "model",
    [
        Sample(),
        Sample(text="a", flag=True, number=7, when=WHEN, status="migrating", names=("a",)),
        Sample(status=InstanceStatus.PAUSED, kind=InstanceType.BUSINESS_CRITICAL, mixed=5),
        Instance(
            id="2f49c2b3",
            name="Production",
            status=InstanceStatus.RUNNING,
            tenant_id="t",
            cloud_provider=CloudProvider.AZURE,
            region="westeurope",
            created_at=WHEN,
            connection_url=None,
            secondaries_count=0,
        ),
    ],
)
def test_a_model_survives_a_round_trip(model: object) -> None:
    assert structure_data({"data": unstructure_body(model)}, type(model)) == model


def test_the_converter_builds_request_models_through_their_checks() -> None:
    body = {
        "name": "Instance01",
        "version": "5",
        "region": "europe-west1",
        "memory": "1GB",
        "type": "free-db",
        "tenant_id": "t",
        "cloud_provider": "gcp",
    }
    request = converter.structure(body, InstanceCreateRequest)
    assert request.type is InstanceType.FREE_DB
    assert unstructure_body(request) == body
