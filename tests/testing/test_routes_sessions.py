"""GDS sessions over HTTP: get-or-create (200/202/409), list filters, get, delete."""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from spec_check import ContractClient, running_instance, serve_routes

from aura_async.testing._routes_common import Handler
from aura_async.testing._state import EmulatorState

SESSIONS = "/graph-analytics/sessions"


@pytest.fixture
def state() -> EmulatorState:
    """A state whose transitions move only when the test steps or settles them."""
    return EmulatorState(transition_delay=None)


@pytest.fixture
def tenant_id(state: EmulatorState) -> str:
    """The demo tenant, with the default instance configurations."""
    return state.seed_demo()


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[ContractClient]:
    """A contract-checking client of the routes, served on a loopback port."""
    async with serve_routes(state) as client:
        yield client


def session_body(tenant_id: str, /, **overrides: Any) -> dict[str, Any]:
    """Return a valid standalone session body (gcp); ``None`` drops a key."""
    body = {
        "name": "people",
        "memory": "8GB",
        "tenant_id": tenant_id,
        "cloud_provider": "gcp",
        "region": "europe-west1",
        **overrides,
    }
    return {key: value for key, value in body.items() if value is not None}


async def test_a_new_session_is_202_creating_then_ready(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    created = await api.post(SESSIONS, session_body(tenant_id, ttl="30m"))
    state.settle()
    shown = (await api.get(f"{SESSIONS}/{created.data['id']}")).data
    assert (created.status, created.data["status"], shown["status"]) == (202, "Creating", "Ready")
    assert re.fullmatch(r"s-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]", shown["id"])
    assert (shown["ttl"], shown["instance_id"], shown["user_id"]) == (
        "30m0s",
        None,
        "emulator-user",
    )
    assert shown["host"].startswith(shown["id"])


async def test_the_same_name_and_settings_get_the_existing_session_with_200(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    created = await api.post(SESSIONS, session_body(tenant_id))
    state.settle()
    again = await api.post(SESSIONS, session_body(tenant_id, ttl="2h"))  # the TTL is no setting
    assert (again.status, again.data["id"], again.data["status"]) == (
        200,
        created.data["id"],
        "Ready",
    )
    assert len(state.sessions) == 1


async def test_the_same_name_with_other_settings_is_409(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    await api.post(SESSIONS, session_body(tenant_id))
    answer = await api.post(SESSIONS, session_body(tenant_id, memory="16GB"))
    assert answer.status == 409
    assert answer.error["reason"] == ""
    assert answer.error["message"] == (
        f"session `people` already exists for project `{tenant_id}`"
        " with different parameters: Memory (is: 8GB, requested: 16GB)"
    )
    assert len(state.sessions) == 1


async def test_the_same_name_in_another_tenant_is_another_session(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    other = state.add_tenant()
    first = await api.post(SESSIONS, session_body(tenant_id))
    second = await api.post(SESSIONS, session_body(other, memory="16GB"))
    assert (first.status, second.status) == (202, 202)


async def test_an_attached_session_lives_where_its_instance_does(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    aws = {"cloud_provider": "aws", "region": "us-east-1"}
    instance_id = await running_instance(api, state, tenant_id, **aws)
    body = session_body(tenant_id, instance_id=instance_id, cloud_provider=None, region=None)
    created = (await api.post(SESSIONS, body)).data
    mismatch = await api.post(SESSIONS, {**body, "name": "other", "region": "eu-west-1"})
    assert created["id"].startswith(f"{instance_id}-")
    assert (created["cloud_provider"], created["region"]) == ("aws", "us-east-1")
    assert (mismatch.status, mismatch.error["field"]) == (400, "region")


async def test_list_filters_by_instance_tenant_and_organization(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    other = state.add_tenant()
    instance_id = await running_instance(api, state, tenant_id)
    attached = (await api.post(SESSIONS, session_body(tenant_id, instance_id=instance_id))).data
    standalone = (await api.post(SESSIONS, session_body(tenant_id, name="b"))).data
    elsewhere = (await api.post(SESSIONS, session_body(other))).data

    async def ids(**params: str) -> set[str]:
        return {s["id"] for s in (await api.get(SESSIONS, params=params)).data}

    assert await ids() == {attached["id"], standalone["id"], elsewhere["id"]}
    assert await ids(tenantId=tenant_id) == {attached["id"], standalone["id"]}
    assert await ids(instanceId=instance_id) == {attached["id"]}
    assert await ids(organizationId=state.organization_id, tenantId=other) == {elsewhere["id"]}
    assert await ids(organizationId="another-org") == set()
    unknown = await api.get(SESSIONS, params={"tenantId": "nope"})
    assert (unknown.status, unknown.error["reason"]) == (404, "tenant-not-found")


async def test_delete_is_202_with_the_id_and_the_session_is_gone(
    api: ContractClient, state: EmulatorState, tenant_id: str
) -> None:
    session_id = (await api.post(SESSIONS, session_body(tenant_id))).data["id"]
    deleted = await api.delete(f"{SESSIONS}/{session_id}")
    shown = await api.get(f"{SESSIONS}/{session_id}")
    again = await api.delete(f"{SESSIONS}/{session_id}")
    assert (deleted.status, deleted.data) == (202, {"id": session_id})
    assert (shown.status, again.status) == (404, 404)
    assert shown.error == {"message": f"session with id `{session_id}` not found", "reason": ""}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"memory": None}, "memory"),
        ({"memory": "8 GB"}, "memory"),
        ({"memory": "3GB"}, "memory"),
        ({"tenant_id": None}, "tenant_id"),
        ({"ttl": "forever"}, "ttl"),
        ({"ttl": "169h"}, "ttl"),  # over a week
        ({"cloud_provider": None}, "cloud_provider"),
        ({"cloud_provider": "ibm"}, "cloud_provider"),
        ({"region": None}, "region"),
        ({"region": "us-east-1"}, "region"),  # aws's, asked on gcp
    ],
)
async def test_invalid_session_bodies_are_400_naming_the_field(
    api: ContractClient, state: EmulatorState, tenant_id: str, change: dict[str, Any], field: str
) -> None:
    answer = await api.post(SESSIONS, session_body(tenant_id, **change))
    assert (answer.status, answer.error.get("field")) == (400, field), answer.body
    assert state.sessions == {}


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"tenant_id": "nope"}, "tenant-not-found"), ({"instance_id": "0badf00d"}, "db-not-found")],
)
async def test_sessions_on_unknown_tenants_or_instances_are_404(
    api: ContractClient, tenant_id: str, change: dict[str, str], reason: str
) -> None:
    answer = await api.post(SESSIONS, session_body(tenant_id, **change))
    assert (answer.status, answer.error["reason"]) == (404, reason)


async def test_the_session_user_is_the_authenticated_client(
    state: EmulatorState, tenant_id: str
) -> None:
    @web.middleware
    async def as_client(request: web.Request, handler: Handler) -> web.StreamResponse:
        # The auth middleware's contract: the client id under this plain string key,
        # which aiohttp warns about (it prefers typed keys).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["aura_client_id"] = "client-42"
        return await handler(request)

    async with serve_routes(state, [as_client]) as api:
        answer = await api.post(SESSIONS, session_body(tenant_id))
    assert answer.data["user_id"] == "client-42"
