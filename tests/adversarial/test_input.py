"""Bad input fails at once, typed, with nothing sent (issue 15, break 7)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from aiohttp import web

from aura_async import (
    AuraClient,
    AuraConfigurationError,
    AuraValidationError,
    NotFoundError,
    RetryPolicy,
)
from aura_async.testing import AuraEmulator
from tests.adversarial.conftest import (
    http_answer,
    raw_server,
    serve_app,
    token_route,
)
from tests.conftest import make_client

NO_RETRY = RetryPolicy(max_retries=0)


@pytest.mark.parametrize(
    ("base_url", "complaint"),
    [
        ("https://api.neo4j.io\r\n", r"'\\r' at position 20"),
        ("https://api.neo\r\n4j.io", r"'\\r' at position 15"),
        ("https://api.neo4j.io:99999", "port must be in 1..65535"),
        ("https://api.neo4j.io:abc", "port must be in 1..65535"),
        ("https://api.neo4j.io:0", "port must be in 1..65535"),
        ("https://api.neo4j.io:", "port must be in 1..65535"),
        ("https://api.neo4j .io", "' ' at position 17"),
        (" https://api.neo4j.io", "' ' at position 0"),
        ("https://api.neo4j.io\x00", r"'\\x00' at position 20"),
        ("https://api.neo4j.io\t", r"'\\t'"),
        ("https://api.neo4j.io\\@evil.example", r"'\\\\'"),
        ("https://api.neo4j.io/v1", r"without the version: use 'https://api.neo4j.io'"),
        ("https://api.neo4j.io/v1/", r"without the version: use 'https://api.neo4j.io'"),
        ("https://api.neo4j.io/v1beta5", "without the version"),
        ("https://api.neo4j.io/api", "without a path"),
        ("https://api.neo4j.io/?", "query"),
        ("https://api.neo4j.io#frag", "fragment"),
        ("https://user:pw@api.neo4j.io", "credentials"),
        ("https://@api.neo4j.io", "credentials"),
        ("https://", "absolute https URL"),
        ("https:api.neo4j.io", "absolute https URL"),
        ("https://[zz]", "absolute https URL"),
        ("https://-api.neo4j.io", "no valid host"),
        ("https://api..neo4j.io", "no valid host"),
        ("https://bücher.example", "xn--"),
        ("ftp://api.neo4j.io", "absolute https URL"),
        ("http://api.neo4j.io", "only loopback"),
        (b"https://api.neo4j.io", "must be a string"),
    ],
)
def test_a_bad_base_url_fails_at_construction(base_url: str, complaint: str) -> None:
    with pytest.raises(AuraConfigurationError, match=complaint):
        AuraClient("id", "secret", base_url=base_url)


@pytest.mark.parametrize(
    ("base_url", "kept"),
    [
        ("https://api.neo4j.io", "https://api.neo4j.io"),
        ("https://api.neo4j.io/", "https://api.neo4j.io"),
        ("https://API.neo4j.io:443", "https://API.neo4j.io:443"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:65535/", "http://127.0.0.1:65535"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://localhost:1", "http://localhost:1"),
    ],
)
def test_a_good_base_url_is_kept(base_url: str, kept: str) -> None:
    assert AuraClient("id", "secret", base_url=base_url).base_url == kept


# Every reserved character but "/" (and ".", ".." alone), which is refused.
RESERVED_IDS = ["a;b=c", "a?b", "a#b", "a@b:c", "a,b!c", "a$b&c", "a'(b)*", "a+b", "a[b]", "a%2Fb"]


async def test_ids_stay_inside_their_path_segment_on_the_wire() -> None:
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.json_response({"errors": [{"message": "no such instance"}]}, status=404)

    app = web.Application()
    app.router.add_post("/oauth/token", token_route)
    app.router.add_route("*", "/{tail:.*}", record)
    async with (
        serve_app(app) as url,
        AuraClient("id", "secret", base_url=url, retry=NO_RETRY) as client,
    ):
        for instance_id in RESERVED_IDS:
            with pytest.raises(NotFoundError):
                await client.instances.get(instance_id)
    assert seen == [f"/v1/instances/{quote(i, safe='')}" for i in RESERVED_IDS]
    assert all(path.count("/") == 3 and ";" not in path for path in seen)


@pytest.mark.parametrize("instance_id", ["a/b", "..", ".", "a b", "a\r\nb", "", "a\x00"])
async def test_an_id_that_would_leave_its_segment_is_refused_and_nothing_sent(
    instance_id: str,
) -> None:
    async with raw_server(lambda _request: http_answer(500)) as server:
        async with AuraClient("id", "secret", base_url=server.url) as client:
            with pytest.raises(AuraValidationError):
                await client.instances.get(instance_id)
        assert server.requests == []


@pytest.mark.parametrize("expires_in", ["1" + "0" * 400, "1e308", "1.7976931348623157e308"])
async def test_an_absurd_token_lifetime_is_clamped_to_a_day(expires_in: str) -> None:
    answer = f'{{"access_token": "t", "token_type": "bearer", "expires_in": {expires_in}}}'

    async def token(request: web.Request) -> web.Response:
        return web.Response(text=answer, content_type="application/json")

    async def tenants(request: web.Request) -> web.Response:
        return web.json_response({"data": []})

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    app.router.add_get("/v1/tenants", tenants)
    async with (
        serve_app(app) as url,
        AuraClient("id", "secret", base_url=url, retry=NO_RETRY) as client,
    ):
        assert await client.tenants.list() == ()


class Bail(BaseException):
    """A BaseException that is not an Exception (like KeyboardInterrupt)."""


@pytest.mark.parametrize("failing_index", [0, 5, 19])
async def test_map_finishes_when_fn_raises_a_base_exception(
    emu: AuraEmulator, failing_index: int
) -> None:
    async def fn(index: int) -> int:
        await asyncio.sleep(0)
        if index == failing_index:
            raise Bail(index)
        return index

    async with make_client(emu) as client:
        with pytest.raises(Bail):
            await asyncio.wait_for(client.map(fn, range(20), concurrency=4), 5.0)
        unordered = client.map_unordered(fn, range(20), concurrency=4)

        async def drain() -> None:
            async for _result in unordered:
                pass

        with pytest.raises(Bail):
            await asyncio.wait_for(drain(), 5.0)
        await unordered.aclose()
