"""Attacks that already held when issue 15 was filed, kept as tests so they keep holding.

Redirects are never followed (and no ``Authorization`` goes elsewhere), every
``Retry-After`` form is honoured or refused as documented, and 200 creates with
random apply-then-fail never make a duplicate once reconciled.
"""

from __future__ import annotations

import collections
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from aura_async import (
    AuraAPIError,
    AuraClient,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from aura_async.models import CreatedInstance
from aura_async.testing import AuraEmulator, Fault
from tests.adversarial.conftest import (
    RawRequest,
    http_answer,
    raw_server,
    serve_app,
    token_route,
)
from tests.conftest import FAST_RETRY, INSTANCE_SPEC, make_client


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_redirect_is_never_followed_and_no_credential_goes_elsewhere(
    status: int, method: str
) -> None:
    async with raw_server(lambda _request: http_answer(200, b'{"data": []}')) as elsewhere:

        async def redirect(request: web.Request) -> web.Response:
            location = f"{elsewhere.url}/v1/tenants"
            return web.Response(status=status, headers={"Location": location})

        app = web.Application()
        app.router.add_post("/oauth/token", token_route)
        app.router.add_route("*", "/v1/tenants", redirect)
        async with (
            serve_app(app) as url,
            AuraClient("id", "secret", base_url=url, retry=FAST_RETRY) as client,
        ):
            with pytest.raises(AuraAPIError) as caught:
                await client.request(method, "/tenants", json={} if method == "POST" else None)
        assert caught.value.status == status
        assert elsewhere.requests == []


async def test_a_redirecting_token_endpoint_sends_the_basic_header_nowhere_else() -> None:
    async with raw_server(lambda _request: http_answer(200, b"{}")) as elsewhere:

        def answer(request: RawRequest) -> bytes:
            return http_answer(307, headers=[("Location", f"{elsewhere.url}/oauth/token")])

        async with (
            raw_server(answer) as server,
            AuraClient("id", "secret", base_url=server.url, retry=FAST_RETRY) as client,
        ):
            with pytest.raises(AuraAPIError):
                await client.tenants.list()
        assert elsewhere.requests == []
        assert [r.path for r in server.requests] == ["/oauth/token"]


def _http_date(offset: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + offset, usegmt=True)


@pytest.mark.parametrize(
    "retry_after",
    [
        "0",
        "0.01",
        " 0.02 ",
        ".01",
        "an HTTP date an hour ago",  # a date in the past: at once (made in the test, so
        # that every pytest-xdist worker collects the same parameter)
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850, past
        "Sun Nov  6 08:49:37 1994",  # asctime, past
        "soon",  # unreadable: the backoff instead
        "-5",  # negative: the backoff instead
        "1e400",  # not delay-seconds: the backoff instead
    ],
)
async def test_a_short_or_unreadable_retry_after_is_waited_then_retried(
    emu: AuraEmulator, retry_after: str
) -> None:
    if retry_after.startswith("an HTTP date"):
        retry_after = _http_date(-timedelta(hours=1))
    emu.inject(Fault("GET", "/v1/tenants", status=503, retry_after=retry_after, times=2))
    async with make_client(emu) as client:
        assert len(await client.tenants.list()) >= 1
    assert emu.journal.count(path="/v1/tenants", status=503) == 2
    assert emu.journal.count(path="/v1/tenants", status=200) == 1


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("3600", 3600.0), ("120.5", 120.5), ("an HTTP date an hour ahead", 3600.0)],
)
@pytest.mark.parametrize(("status", "cls"), [(429, RateLimitError), (503, ServerError)])
async def test_a_long_retry_after_is_raised_with_its_value_not_slept(
    emu: AuraEmulator, retry_after: str, expected: float, status: int, cls: type[AuraAPIError]
) -> None:
    if retry_after.startswith("an HTTP date"):
        retry_after = _http_date(timedelta(hours=1))
    emu.inject(Fault("GET", "/v1/tenants", status=status, retry_after=retry_after))
    async with make_client(emu) as client:
        with pytest.raises(cls) as caught:
            await client.tenants.list()
    assert caught.value.retry_after == pytest.approx(expected, abs=5.0)
    assert emu.journal.count(path="/v1/tenants") == 1


@pytest.mark.parametrize("seed", [1, 2])
async def test_creates_with_random_apply_then_fail_reconcile_without_a_duplicate(
    seed: int,
) -> None:
    names = [f"app-{seed}-{number:03d}" for number in range(200)]
    async with AuraEmulator(rate_limit=None, transition_delay=None, instance_limit=500) as emu:
        emu.inject(
            Fault(
                "POST",
                "/v1/instances",
                status=500,
                after_apply=True,
                probability=0.3,
                times=None,
                seed=seed,
            )
        )
        async with make_client(emu, retry=RetryPolicy(max_retries=2, backoff_base=0.001)) as c:
            assert emu.tenant_id is not None
            tenant_id = emu.tenant_id

            async def create_once(name: str) -> CreatedInstance | None:
                try:
                    return await c.instances.create(name=name, tenant_id=tenant_id, **INSTANCE_SPEC)
                except OutcomeUnknownError:
                    # The server may have acted: look before creating again.
                    if await c.instances.find(name=name, tenant_id=tenant_id) is not None:
                        return None
                    return await create_once(name)

            results = await c.map(create_once, names, concurrency=16)
            assert all(result.ok for result in results)
            listed = await c.instances.list(tenant_id=tenant_id)
    created = collections.Counter(instance.name for instance in listed)
    assert {name: created[name] for name in names} == dict.fromkeys(names, 1)
    assert emu.journal.count("POST", "/v1/instances", status=500) > 20  # the fault fired
