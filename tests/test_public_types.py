"""Public types in public signatures: Response, Backend, Ok/Err, BulkProgress, with_options."""

from __future__ import annotations

import attrs
import pytest

from aura_async import (
    AuraClient,
    AuraConfigurationError,
    ResponseValidationError,
    RetryPolicy,
    Timeout,
)
from aura_async.testing import AuraEmulator
from tests.conftest import create_instance, make_client
from tests.typing.user_bulk_script import names_of


async def test_request_returns_an_immutable_response_without_its_body_in_repr(
    emu: AuraEmulator, client: AuraClient
) -> None:
    created = await create_instance(client, emu, "shown")
    response = await client.request("GET", f"/instances/{created.id}")
    assert response.status == 200
    assert response.method == "GET"
    assert response.url.endswith(f"/v1/instances/{created.id}")
    assert response.request_id
    assert response.json()["data"]["id"] == created.id
    assert b"shown" in response.body
    assert "shown" not in repr(response)
    assert "body" not in repr(response)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        response.status = 500  # type: ignore[misc]


async def test_response_json_of_a_non_json_body_is_a_typed_error(client: AuraClient) -> None:
    response = await client.request("GET", "/tenants")
    broken = attrs.evolve(response, body=b"<html>")
    with pytest.raises(ResponseValidationError, match="not JSON"):
        broken.json()


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -1},
        {"timeout": "soon"},
        {"timeout": float("nan")},
        {"retry": "never"},
        {"retry": None},
    ],
    ids=repr,
)
def test_with_options_checks_its_options_like_the_constructor(options: dict[str, object]) -> None:
    client = AuraClient("id", "secret")
    with pytest.raises(AuraConfigurationError) as from_view:
        client.with_options(**options)  # type: ignore[arg-type]
    with pytest.raises(AuraConfigurationError) as from_constructor:
        AuraClient("id", "secret", **options)  # type: ignore[arg-type]
    assert str(from_view.value) == str(from_constructor.value)


async def test_a_view_keeps_unset_options_and_shares_the_session(
    emu: AuraEmulator, client: AuraClient
) -> None:
    policy = RetryPolicy(max_retries=0)
    view = client.with_options(retry=policy)
    assert view._retry is policy
    assert view._timeout == client._timeout
    untimed = view.with_options(timeout=None)
    assert untimed._timeout == Timeout(total=None)
    assert untimed._retry is policy
    await client.tenants.list()
    await untimed.tenants.list()
    assert untimed._core.session is client._core.session
    assert emu.journal.token_requests() == 1
    assert repr(untimed) == repr(client)


async def test_the_user_style_bulk_script_runs(emu: AuraEmulator) -> None:
    async with make_client(emu) as client:
        real = await create_instance(client, emu, "typed")
        names, failed = await names_of(client, [real.id, "0000dead"])
    assert names == ["typed"]
    assert failed == ["0000dead"]
