"""Evolution mode: answers perturbed as a later API may send them, deterministic per seed."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from typing import Any

import aiohttp

from aura_async.testing import AuraEmulator
from aura_async.testing._evolve import KEPT, NEW_FIELDS, NEW_VALUES, Evolution
from tests.testing.test_server import FORM, _read_banner, banner_tenant

INSTANCE: dict[str, Any] = {
    "id": "2f49c2b3",
    "name": "Production",
    "status": "running",
    "tenant_id": "t",
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "memory": "8GB",
    "vector_optimized": False,
    "secondaries_count": 0,
    "created_at": "2023-01-20T13:44:42Z",
    "username": "neo4j",
    "password": "letMeIn123!",
}
DRAWS = 300


def evolved(seed: int, data: Any, times: int = DRAWS) -> list[Any]:
    evolution = Evolution(seed)
    return [evolution.envelope({"data": data})["data"] for _ in range(times)]


def test_the_same_seed_gives_the_same_answers_and_another_seed_others() -> None:
    assert evolved(7, INSTANCE, 20) == evolved(7, INSTANCE, 20)
    assert evolved(7, INSTANCE, 20) != evolved(8, INSTANCE, 20)


def test_identity_status_and_credentials_are_always_kept() -> None:
    for answer in evolved(1, INSTANCE):
        assert {key: answer[key] for key in KEPT - {"snapshot_id"}} == {
            key: INSTANCE[key] for key in KEPT - {"snapshot_id"}
        }


def test_every_object_gets_a_field_no_client_knows() -> None:
    for answer in evolved(2, INSTANCE):
        assert set(answer) & set(NEW_FIELDS)


def test_other_fields_are_dropped_nulled_retyped_or_given_new_catalogue_values() -> None:
    seen: Counter[str] = Counter()
    for answer in evolved(3, INSTANCE):
        if "region" not in answer:
            seen["dropped"] += 1
        elif answer["region"] is None:
            seen["null"] += 1
        elif not isinstance(answer["region"], str):
            seen["retyped"] += 1
        if answer.get("type") in NEW_VALUES["type"]:
            seen["new type"] += 1
        if answer.get("cloud_provider") in NEW_VALUES["cloud_provider"]:
            seen["new provider"] += 1
        if isinstance(answer.get("secondaries_count"), str):
            seen["number as string"] += 1
    expected = {"dropped", "null", "retyped", "new type", "new provider", "number as string"}
    assert set(seen) == expected
    assert seen["dropped"] < DRAWS / 3  # most answers keep most fields


def test_timestamps_come_in_every_form() -> None:
    forms = {str(answer.get("created_at")) for answer in evolved(4, INSTANCE)}
    assert "2023-01-20T13:44:42.00z" in forms
    assert "2023-01-20T13:44:42+00:00" in forms
    assert "2023-01-20 13:44:42 +0000 UTC" in forms
    assert "2023-01-20 13:44:42.000000 +0000 UTC m=+0.000000001" in forms
    assert "the day before yesterday" in forms


def test_a_list_answer_sometimes_gains_an_item_without_identity_nested_lists_never() -> None:
    tenant = {"id": "t", "instance_configurations": [{"region": "r"}]}
    lists = evolved(5, [INSTANCE, INSTANCE], 100)
    assert any(len(items) == 3 for items in lists)
    for items in lists:
        assert [item["id"] for item in items if item["id"] is not None] == [INSTANCE["id"]] * 2
    for answer in evolved(5, tenant, 100):
        assert len(answer.get("instance_configurations") or [{}]) == 1


async def test_the_emulator_evolves_success_answers_only_and_keeps_its_state(
    http_session: aiohttp.ClientSession,
) -> None:
    async with AuraEmulator(evolve=6, rate_limit=None) as emu:
        headers = {"Authorization": f"Bearer {await _token(http_session, emu)}"}
        tenant_url = f"{emu.url}/v1/tenants/{emu.tenant_id}"
        async with http_session.get(tenant_url, headers=headers) as response:
            data = (await response.json())["data"]
        assert data["id"] == emu.tenant_id
        assert set(data) & set(NEW_FIELDS)
        missing = f"{emu.url}/v1/instances/00000000"
        async with http_session.get(missing, headers=headers) as response:
            assert response.status == 404
            assert set(await response.json()) == {"errors"}
        assert emu.tenant_id is not None
        assert emu.state.tenants[emu.tenant_id].name == "Demo project"


async def _token(http_session: aiohttp.ClientSession, emu: AuraEmulator) -> str:
    auth = aiohttp.encode_basic_auth(emu.client_id, emu.client_secret)
    async with http_session.post(
        f"{emu.url}/oauth/token", data=FORM, headers={"Authorization": auth}
    ) as response:
        token: str = (await response.json())["access_token"]
        return token


async def test_the_standalone_server_takes_an_evolve_seed(
    http_session: aiohttp.ClientSession,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aura_async.testing", "--port", "0", "--evolve", "9",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        banner = await _read_banner(process)
        assert "# evolve: 9" in banner["raw"].splitlines()
        status, body = await banner_tenant(http_session, banner)
        assert status == 200
        assert set(body["data"]) & set(NEW_FIELDS)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
