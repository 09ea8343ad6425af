"""Issue 10, "Why": each answer the live API may send today or tomorrow, tried as a user
would. None of them may fail a whole call; a create never loses its answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aura_async import (
    AuraClient,
    OutcomeUnknownError,
    PermissionDeniedError,
    UnreadableResultError,
    WaitTimeoutError,
)
from aura_async.models import InstanceStatus
from aura_async.testing import AuraEmulator
from tests.conftest import INSTANCE_SPEC, create_instance
from tests.resources.scripted_api import scripted_api

ID = "2f49c2b3"
PASSWORD = "pw-letMeIn123!"
CREATED_AT = datetime(2023, 1, 20, 13, 44, 42, tzinfo=UTC)
INSTANCE: dict[str, Any] = {
    "id": ID,
    "name": "Production",
    "status": "running",
    "tenant_id": "t",
    "cloud_provider": "gcp",
    "connection_url": "neo4j+s://2f49c2b3.databases.neo4j.io",
    "region": "europe-west1",
    "type": "enterprise-db",
    "memory": "8GB",
    "storage": "16GB",
    "created_at": "2023-01-20T13:44:42Z",
}
CREATED: dict[str, Any] = {
    **{key: INSTANCE[key] for key in ("id", "name", "tenant_id", "cloud_provider", "region")},
    **{key: INSTANCE[key] for key in ("type", "connection_url", "created_at")},
    "username": "neo4j",
    "password": PASSWORD,
}
CREATE = {"name": "Production", "tenant_id": "t", **INSTANCE_SPEC}
POLL = 0.001


def configuration(**changes: Any) -> dict[str, Any]:
    """An instance configuration as the spec shows it, with ``changes`` (``...``: left out)."""
    base = {
        "region": "europe-west1",
        "region_name": "Belgium (europe-west1)",
        "type": "professional-db",
        "memory": "4GB",
        "storage": "8GB",
        "version": "5",
        "cloud_provider": "gcp",
    }
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not ...}


async def test_a_free_configuration_without_storage_does_not_fail_tenants_get() -> None:
    free = configuration(type="free-db", memory="1GB", storage=...)
    async with scripted_api() as (api, client):
        api.data(
            "GET", "/tenants/t", {"id": "t", "instance_configurations": [free, configuration()]}
        )
        tenant = await client.tenants.get("t")
    first, second = tenant.instance_configurations or ()
    assert (first.type, first.memory, first.storage) == ("free-db", "1GB", None)
    assert second.storage == "8GB"


async def test_one_instance_of_100_with_a_null_created_at_fails_neither_list_nor_find() -> None:
    rows = [{**INSTANCE, "id": f"{n:08x}", "name": f"db-{n}"} for n in range(100)]
    rows[37] = {**rows[37], "name": "target", "created_at": None}
    rows[10] = {**rows[10], "name": "target"}
    rows[60] = {**rows[60], "name": "only-null", "created_at": None}
    async with scripted_api() as (api, client):
        api.data("GET", "/instances", rows)
        listed = await client.instances.list()
        found = await client.instances.find(name="target")
        only = await client.instances.find(name="only-null")
    assert len(listed) == 100
    assert listed[37].created_at is None
    assert found is not None
    assert found.id == rows[10]["id"]
    assert only is not None
    assert only.id == rows[60]["id"]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2023-01-20T13:44:42.5z", CREATED_AT + timedelta(milliseconds=500)),
        ("2023-01-20 13:44:42 +0000 UTC", CREATED_AT),
    ],
)
async def test_a_created_at_in_rfc3339_lower_case_or_go_form_reads(
    sent: str, expected: datetime
) -> None:
    async with scripted_api() as (api, client):
        api.data("GET", f"/instances/{ID}", {**INSTANCE, "created_at": sent})
        instance = await client.instances.get(ID)
    assert instance.created_at == expected


async def test_a_created_at_that_does_not_parse_is_none_with_its_text_kept() -> None:
    async with scripted_api() as (api, client):
        api.data("GET", f"/instances/{ID}", {**INSTANCE, "created_at": "Friday"})
        instance = await client.instances.get(ID)
    assert instance.created_at is None
    assert instance.raw["created_at"] == "Friday"


@pytest.mark.parametrize("field", ["region", "name"])
@pytest.mark.parametrize("how", ["missing", "null"])
async def test_a_missing_or_null_region_or_name_does_not_fail_instances_get(
    field: str, how: str
) -> None:
    data = {**INSTANCE, field: None}
    if how == "missing":
        del data[field]
    async with scripted_api() as (api, client):
        api.data("GET", f"/instances/{ID}", data)
        instance = await client.instances.get(ID)
    assert getattr(instance, field) is None
    assert (instance.id, instance.status) == (ID, InstanceStatus.RUNNING)


async def test_an_accepted_create_with_odd_fields_returns_its_id_and_credentials() -> None:
    odd = {"region": None, "name": 7, "created_at": "soon", "new_field": {"x": 1}}
    async with scripted_api() as (api, client):
        api.data("POST", "/instances", {**CREATED, **odd}, status=202)
        created = await client.instances.create(**CREATE)
    assert (created.id, created.username, created.password) == (ID, "neo4j", PASSWORD)
    assert (created.region, created.name, created.created_at) == (None, None, None)
    assert created.extra == {"new_field": {"x": 1}}


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {key: value for key, value in CREATED.items() if key != "id"}},
        {"data": {**CREATED, "id": None}},
        {"result": CREATED},
        {"data": [CREATED]},
        b"<html>" + PASSWORD.encode() + b"</html>",
    ],
)
async def test_an_accepted_create_that_does_not_read_keeps_its_body_in_an_outcome_error(
    answer: object,
) -> None:
    async with scripted_api() as (api, client):
        api.answer("POST", "/instances", answer, status=202)
        with pytest.raises(UnreadableResultError) as caught:
            await client.instances.create(**CREATE)
        assert api.count("POST", "/instances") == 1  # never re-sent
    error = caught.value
    assert isinstance(error, OutcomeUnknownError)
    expected = answer.decode() if isinstance(answer, bytes) else answer
    assert error.body == expected
    assert (error.method, error.request_id) == ("POST", "req-1")
    assert "instances.find" in str(error)
    for text in (str(error), repr(error), repr(error.args)):
        assert PASSWORD not in text
    assert error.__cause__ is None
    assert error.__context__ is None or PASSWORD not in str(error.__context__)


async def test_catalogue_values_this_release_does_not_know_reach_the_server() -> None:
    key = {"id": "k", "name": "key", "tenant_id": "t"}
    session = {"id": "s", "name": "s"}
    estimate = {"recommended_size": "16GB"}
    async with scripted_api() as (api, client):
        api.data("POST", "/instances", CREATED, status=202)
        api.data("PATCH", f"/instances/{ID}", INSTANCE)
        api.data("POST", "/customer-managed-keys", key, status=202)
        api.data("POST", "/instances/sizing", estimate)
        api.data("POST", "/graph-analytics/sessions", session, status=202)
        api.data("POST", "/graph-analytics/sessions/sizing", estimate)
        new = {"type": "enterprise-gds", "cloud_provider": "oracle"}
        await client.instances.create(**{**CREATE, **new})
        await client.instances.update(ID, cdc_enrichment_mode="PARTIAL")
        await client.customer_managed_keys.create(
            name="key", key_id="arn", region="r", tenant_id="t",
            instance_type="enterprise-gds", cloud_provider="oracle",
        )  # fmt: skip
        categories = ["graph-wizardry", "pathfinding"]
        await client.instances.estimate_size(
            node_count=1, relationship_count=1, instance_type="enterprise-gds",
            algorithm_categories=categories,
        )  # fmt: skip
        await client.graph_analytics.create(name="s", cloud_provider="oracle", region="r")
        await client.graph_analytics.estimate_size(
            node_count=1, relationship_count=1, algorithm_categories=categories
        )
    bodies = [sent.body for sent in api.sent]
    assert bodies[0] is not None
    assert {**bodies[0], **new} == bodies[0]
    assert bodies[1] == {"cdc_enrichment_mode": "PARTIAL"}
    assert bodies[2]["instance_type"] == "enterprise-gds"
    assert bodies[2]["cloud_provider"] == "oracle"
    assert bodies[3]["instance_type"] == "enterprise-gds"
    assert bodies[3]["algorithm_categories"] == categories
    assert bodies[4]["cloud_provider"] == "oracle"
    assert bodies[5]["algorithm_categories"] == categories


async def test_a_waiter_rides_out_odd_bodies_and_a_failing_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aura_async")
    path = f"/instances/{ID}"
    async with scripted_api() as (api, client):
        api.answer("GET", path, b"<html>proxy</html>")
        api.answer("GET", path, {"data": "odd"})
        api.data("GET", path, {**INSTANCE, "id": None})
        for _ in range(4):  # the client's own 3 retries, then the waiter's turn
            api.answer("GET", path, {"errors": [{"message": "down"}]}, status=503)
        api.data("GET", path, {**INSTANCE, "status": "updating"})
        api.data("GET", path, INSTANCE)
        running = await client.instances.wait(ID, until="running", timeout=10, interval=POLL)
        assert running.status == InstanceStatus.RUNNING
        assert api.count("GET", path) == 9
    polls = [r.getMessage() for r in caplog.records if "a poll failed" in r.getMessage()]
    assert len(polls) == 4
    assert "(ResponseValidationError)" in polls[0]
    assert "(ServerError)" in polls[3]
    assert "proxy" not in caplog.text  # the body is never logged


async def test_a_waiter_ends_at_once_on_a_4xx_other_than_the_brief_404() -> None:
    path = f"/instances/{ID}"
    async with scripted_api() as (api, client):
        api.data("GET", path, {**INSTANCE, "status": "updating"})
        api.answer("GET", path, {"errors": [{"message": "no"}]}, status=403)
        with pytest.raises(PermissionDeniedError):
            await client.instances.wait(ID, until="running", timeout=10, interval=POLL)
        assert api.count("GET", path) == 2


async def test_a_waiter_that_never_reads_a_body_ends_at_its_deadline() -> None:
    async with scripted_api() as (api, client):
        api.answer("GET", f"/instances/{ID}", b"not json")
        with pytest.raises(WaitTimeoutError) as caught:
            await client.instances.wait(ID, until="running", timeout=0.05, interval=POLL)
    assert caught.value.last is None


async def test_update_reads_an_empty_202_answer_itself_and_sends_no_get() -> None:
    async with scripted_api() as (api, client):
        api.answer("PATCH", f"/instances/{ID}", {}, status=202)
        api.answer("GET", f"/instances/{ID}", {"errors": [{"message": "boom"}]}, status=500)
        accepted = await client.instances.update(ID, memory="16GB")
        assert api.count("GET", f"/instances/{ID}") == 0
    assert accepted.id == ID
    assert accepted.status is None


async def test_update_returns_the_patch_answer_of_a_resize(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await create_instance(client, emu)
    emu.settle()
    before = emu.journal.count("GET")
    accepted = await client.instances.update(created.id, memory="16GB")
    assert accepted.status == InstanceStatus.UPDATING
    assert emu.journal.count("PATCH", f"/v1/instances/{created.id}", 202) == 1
    assert emu.journal.count("GET") == before
