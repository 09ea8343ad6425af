"""AuraClient's lifecycle, options, error surface and secrecy, against the emulator."""

from __future__ import annotations

import gc
import logging
import pickle

import aiohttp
import pytest

from aura_async import (
    AuraClient,
    AuraConfigurationError,
    AuraValidationError,
    ClientClosedError,
    NotFoundError,
    RateLimit,
    ResponseValidationError,
    ServerError,
    Timeout,
)
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import create_instance, make_client

SECRET = "very-secret-client-secret-value"


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"base_url": "http://api.example.com"}, "http"),
        ({"base_url": "ftp://127.0.0.1"}, "https"),
        ({"base_url": "https://api.neo4j.io?x=1"}, "query"),
        ({"api_version": "one"}, "api_version"),
        ({"rate_limit": 125}, "rate_limit"),
        ({"retry": 3}, "retry"),
        ({"timeout": "soon"}, "timeout"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(AuraConfigurationError, match=complaint):
        AuraClient("id", SECRET, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("client_id", "secret"), [("", SECRET), ("id", ""), ("id", "  ")])
def test_empty_credentials_fail_at_construction(client_id: str, secret: str) -> None:
    with pytest.raises(AuraConfigurationError):
        AuraClient(client_id, secret)


def test_loopback_http_is_accepted_for_the_emulator() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"):
        assert AuraClient("id", SECRET, base_url=url + "/").base_url == url


def test_from_env_reads_the_three_variables() -> None:
    env = {
        "AURA_CLIENT_ID": "cid",
        "AURA_CLIENT_SECRET": SECRET,
        "AURA_BASE_URL": "http://127.0.0.1:9",
    }
    client = AuraClient.from_env(env)
    assert (client.client_id, client.base_url) == ("cid", "http://127.0.0.1:9")
    with pytest.raises(AuraConfigurationError, match="AURA_CLIENT_SECRET"):
        AuraClient.from_env({"AURA_CLIENT_ID": "cid"})


async def test_a_closed_client_raises_a_clear_error(emu: AuraEmulator) -> None:
    client = make_client(emu)
    await client.close()
    await client.close()  # idempotent
    with pytest.raises(ClientClosedError, match="closed"):
        await client.tenants.list()
    assert emu.journal.count() == 0


def _forget(holder: list[AuraClient]) -> None:
    holder.clear()
    gc.collect()


async def test_a_client_collected_while_open_warns(emu: AuraEmulator) -> None:
    holder = [make_client(emu)]
    await holder[0].tenants.list()
    session = holder[0]._core.session
    assert session is not None
    with pytest.warns(ResourceWarning, match="unclosed"):
        _forget(holder)
    await session.close()


async def test_a_caller_owned_session_is_left_open(emu: AuraEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with make_client(emu, session=session) as client:
            await client.tenants.list()
        assert not session.closed


async def test_with_options_shares_the_token_and_only_the_origin_closes(
    emu: AuraEmulator,
) -> None:
    async with make_client(emu) as client:
        quick = client.with_options(timeout=Timeout(total=5.0))
        await client.tenants.list()
        await quick.tenants.list()
        await quick.close()  # a view: does nothing
        await client.tenants.list()
    assert emu.journal.token_requests() == 1


async def test_an_api_error_carries_status_reason_request_id_method_and_url(
    client: AuraClient,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.instances.get("0000beef")
    err = caught.value
    assert err.status == 404
    assert err.method == "GET"
    assert err.url is not None
    assert err.url.endswith("/v1/instances/0000beef")
    assert err.request_id
    assert err.errors
    assert err.errors[0].reason == "db-not-found"
    assert "0000beef" in str(err)
    assert pickle.loads(pickle.dumps(err)).request_id == err.request_id


async def test_an_html_proxy_page_still_gives_a_readable_server_error(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("GET", "/v1/tenants", status=502, html=True, times=None))
    with pytest.raises(ServerError) as caught:
        await client.with_options(retry=client._retry.__class__(max_retries=0)).tenants.list()
    assert caught.value.status == 502
    assert "<" not in str(caught.value)
    assert "Bad Gateway" in str(caught.value)


async def test_a_malformed_success_body_raises_response_validation_error(
    emu: AuraEmulator, client: AuraClient
) -> None:
    assert emu.tenant_id is not None
    emu.state.tenants[emu.tenant_id].id = 42  # type: ignore[assignment]  # a number, not a string
    with pytest.raises(ResponseValidationError) as caught:
        await client.tenants.get(emu.tenant_id)
    assert caught.value.method == "GET"
    assert "$.data.id" in str(caught.value)
    assert await client.tenants.list() == ()  # a list skips the item instead


@pytest.mark.parametrize("instance_id", ["", "a/b", "../tenants", " 1234abcd", "1234abcd\n", "."])
async def test_bad_ids_are_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, instance_id: str
) -> None:
    with pytest.raises(AuraValidationError):
        await client.instances.get(instance_id)
    assert emu.journal.count() == 0


@pytest.mark.parametrize("name", ["", " padded", "padded ", "x" * 31])
async def test_bad_instance_names_are_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, name: str
) -> None:
    with pytest.raises(AuraValidationError, match="name"):
        await create_instance(client, emu, name)
    assert emu.journal.count() == 0


async def test_secrets_never_reach_repr_errors_or_logs(
    emu: AuraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aura_async")
    secrets: list[str] = [emu.client_secret]
    async with make_client(emu, rate_limit=RateLimit(125, per=60.0)) as client:
        created = await create_instance(client, emu, "secretive")
        secrets.append(created.password)
        token = await client._core.credential.tokens.token(client._fetch_token)  # type: ignore[union-attr]
        secrets.append(token.value)
        emu.expire_tokens()
        await client.instances.list()  # a token rejection and refresh, logged
        with pytest.raises(NotFoundError) as caught:
            await client.instances.get("0000beef")
        texts = [repr(client), repr(created), str(caught.value), repr(caught.value)]
    texts.append(caplog.text)
    assert "POST /v1/instances" in caplog.text  # the run was logged at all
    for secret in secrets:
        for text in texts:
            assert secret not in text


async def test_a_deprecated_api_version_is_announced_once_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="aura_async")
    async with (
        AuraEmulator(rate_limit=None, api_expires="2027-01-31") as emu,
        make_client(emu) as client,
    ):
        for _ in range(3):
            await client.tenants.list()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027-01-31" in warnings[0].getMessage()


def test_the_secret_is_absent_from_the_clients_attributes_repr() -> None:
    client = AuraClient("id", SECRET)
    assert SECRET not in repr(client)
    assert SECRET not in repr(vars(client))
