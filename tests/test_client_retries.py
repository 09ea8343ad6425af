"""The retry matrix end to end: what is re-sent, what never is, and what is raised."""

from __future__ import annotations

import email.utils
import time

import pytest

from aura_async import (
    AuraClient,
    AuraConnectionError,
    NotFoundError,
    OutcomeUnknownError,
    RetryPolicy,
    ServerError,
)
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import create_instance, make_client


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", "/v1/instances", status=500, after_apply=True),
        Fault("POST", "/v1/instances", status=504, after_apply=True),
        Fault("POST", "/v1/instances", status=503, retry_after=0, after_apply=True),
        Fault("POST", "/v1/instances", drop=True, after_apply=True),
    ],
    ids=["500", "504", "503-retry-after", "dropped"],
)
async def test_an_ambiguous_create_is_never_resent_and_can_be_reconciled(
    emu: AuraEmulator, client: AuraClient, fault: Fault
) -> None:
    emu.inject(fault)
    with pytest.raises(OutcomeUnknownError) as caught:
        await create_instance(client, emu, "ambiguous")
    assert caught.value.method == "POST"
    assert caught.value.__cause__ is not None
    assert emu.journal.count(method="POST", path="/v1/instances") == 1
    assert emu.state.instance_names() == {"ambiguous": 1}
    found = await client.instances.find(name="ambiguous")
    assert found is not None
    assert found.name == "ambiguous"


async def test_an_unknown_outcome_can_reconcile_to_nothing(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("POST", "/v1/instances", status=500))  # not applied
    with pytest.raises(OutcomeUnknownError):
        await create_instance(client, emu, "maybe")
    assert await client.instances.find(name="maybe") is None


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_get_recovers_from_transient_server_errors(
    emu: AuraEmulator, client: AuraClient, status: int
) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=status, times=2))
    tenants = await client.tenants.list()
    assert [t.id for t in tenants] == [emu.tenant_id]
    assert emu.journal.count(method="GET", path="/v1/tenants") == 3


async def test_a_get_recovers_from_dropped_connections(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("GET", "/v1/tenants", drop=True, times=2))
    assert len(await client.tenants.list()) == 1
    assert emu.journal.count(method="GET", path="/v1/tenants") == 3


async def test_retry_after_in_seconds_is_honoured(emu: AuraEmulator, client: AuraClient) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=503, retry_after=0.05))
    started = time.monotonic()
    await client.tenants.list()
    assert time.monotonic() - started >= 0.05


async def test_retry_after_as_an_http_date_is_understood(
    emu: AuraEmulator, client: AuraClient
) -> None:
    past = email.utils.formatdate(time.time() - 5, usegmt=True)
    emu.inject(Fault("GET", "/v1/tenants", status=503, retry_after=past))
    await client.tenants.list()
    assert emu.journal.count(method="GET", path="/v1/tenants") == 2


async def test_a_retry_after_beyond_the_maximum_raises_at_once(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=503, retry_after=3600))
    with pytest.raises(ServerError) as caught:
        await client.tenants.list()
    assert caught.value.retry_after == 3600
    assert emu.journal.count(method="GET", path="/v1/tenants") == 1


async def test_retries_stop_at_max_retries(emu: AuraEmulator) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=503, times=None))
    async with make_client(emu, retry=RetryPolicy(max_retries=2, backoff_base=0.001)) as client:
        with pytest.raises(ServerError) as caught:
            await client.tenants.list()
    assert caught.value.status == 503
    assert emu.journal.count(method="GET", path="/v1/tenants") == 3


async def test_other_client_errors_are_never_retried(emu: AuraEmulator, client: AuraClient) -> None:
    with pytest.raises(NotFoundError):
        await client.instances.get("0000dead")
    assert emu.journal.count(method="GET", path="/v1/instances/0000dead") == 1


async def test_a_delete_retried_into_a_404_is_a_success() -> None:
    async with (
        AuraEmulator(rate_limit=None, transition_delay=0.0) as quick,
        make_client(quick) as client,
    ):
        created = await create_instance(client, quick, "doomed")
        quick.settle()
        path = f"/v1/instances/{created.id}"
        quick.inject(Fault("DELETE", path, drop=True, after_apply=True))
        assert await client.instances.delete(created.id) is None
        assert quick.journal.count(method="DELETE", path=path) == 2


async def test_a_refused_connection_raises_a_connection_error_after_retries() -> None:
    async with AuraEmulator(rate_limit=None) as gone:
        url, client_id, secret = gone.url, gone.client_id, gone.client_secret
    async with AuraClient(
        client_id, secret, base_url=url, rate_limit=None, retry=RetryPolicy(backoff_base=0.001)
    ) as client:
        with pytest.raises(AuraConnectionError):
            await client.tenants.list()
