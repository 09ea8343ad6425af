"""``AuraEmulator`` over loopback, the package's exports, and the standalone server."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

import aura_async.testing
from aura_async.testing import AuraEmulator, Fault, ServerRateLimit
from aura_async.testing.__main__ import parse_args, rate_limit_from_args
from aura_async.testing._banner import BANNER_END, banner_lines, environ_of, parse_banner_line
from aura_async.testing._clock import ManualClock

FORM = {"grant_type": "client_credentials"}


async def _token(session: aiohttp.ClientSession, emu: AuraEmulator) -> dict[str, str]:
    auth = aiohttp.encode_basic_auth(emu.client_id, emu.client_secret)
    async with session.post(
        f"{emu.url}/oauth/token", data=FORM, headers={"Authorization": auth}
    ) as response:
        assert response.status == 200
        return {"Authorization": f"Bearer {(await response.json())['access_token']}"}


async def test_serves_the_api_with_a_seeded_project(http_session: aiohttp.ClientSession) -> None:
    async with AuraEmulator() as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.url.rsplit(":", 1)[1].isdigit()
        headers = await _token(http_session, emu)
        async with http_session.get(f"{emu.url}/v1/tenants", headers=headers) as response:
            assert response.status == 200
            tenants = (await response.json())["data"]
    assert [tenant["id"] for tenant in tenants] == [emu.tenant_id]
    assert emu.journal.count("GET", "/v1/tenants", 200, emu.client_id) == 1
    assert emu.journal.token_requests(emu.client_id) == 1
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url


async def test_unseeded_emulator_has_no_project(http_session: aiohttp.ClientSession) -> None:
    async with AuraEmulator(seed=False, rate_limit=None) as emu:
        assert emu.tenant_id is None
        headers = await _token(http_session, emu)
        async with http_session.get(f"{emu.url}/v1/tenants", headers=headers) as response:
            assert (await response.json()) == {"data": []}


def test_repr_hides_the_secret() -> None:
    emu = AuraEmulator(credentials={"alice": "top-secret-value"})
    assert (emu.client_id, emu.client_secret) == ("alice", "top-secret-value")
    assert "top-secret-value" not in repr(emu)
    assert "not started" in repr(emu)


async def test_start_twice_fails_and_close_is_idempotent() -> None:
    emu = AuraEmulator()
    await emu.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            await emu.start()
    finally:
        await emu.close()
    await emu.close()


async def test_a_taken_port_raises_and_leaks_nothing() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        emu = AuraEmulator(port=taken.getsockname()[1])
        with pytest.raises(OSError):
            await emu.start()
    await emu.start()  # the failed start left it startable
    await emu.close()


async def test_credential_controls(http_session: aiohttp.ClientSession) -> None:
    async with AuraEmulator(expired_token_status=403, rate_limit=None) as emu:
        bob, bob_secret = emu.add_credentials("bob")
        headers = await _token(http_session, emu)
        emu.expire_tokens(emu.client_id)
        async with http_session.get(f"{emu.url}/v1/tenants", headers=headers) as response:
            assert response.status == 403
            assert await response.json() == {"error": "Token has expired"}
        auth = aiohttp.encode_basic_auth(bob, bob_secret)
        emu.revoke(bob)
        async with http_session.post(
            f"{emu.url}/oauth/token", data=FORM, headers={"Authorization": auth}
        ) as response:
            assert response.status == 401


async def test_injected_fault_and_clear(http_session: aiohttp.ClientSession) -> None:
    async with AuraEmulator() as emu:
        headers = await _token(http_session, emu)
        fault = emu.inject(Fault("GET", "/v1/tenants", status=502, times=None))
        assert isinstance(fault, Fault)
        async with http_session.get(f"{emu.url}/v1/tenants", headers=headers) as response:
            assert response.status == 502
        emu.clear_faults()
        async with http_session.get(f"{emu.url}/v1/tenants", headers=headers) as response:
            assert response.status == 200


async def _create_instance(
    session: aiohttp.ClientSession, emu: AuraEmulator, headers: dict[str, str], name: str
) -> aiohttp.ClientResponse:
    configuration = await _a_configuration(session, emu, headers)
    body = {**configuration, "name": name, "tenant_id": emu.tenant_id}
    return await session.post(f"{emu.url}/v1/instances", json=body, headers=headers)


async def _a_configuration(
    session: aiohttp.ClientSession, emu: AuraEmulator, headers: dict[str, str]
) -> dict[str, Any]:
    async with session.get(f"{emu.url}/v1/tenants/{emu.tenant_id}", headers=headers) as response:
        configurations = (await response.json())["data"]["instance_configurations"]
    chosen = next(c for c in configurations if c["type"] == "professional-db")
    keys = ("type", "region", "cloud_provider", "memory", "version")
    return {key: chosen[key] for key in keys}


async def test_after_apply_creates_the_instance_but_the_client_sees_a_500(
    http_session: aiohttp.ClientSession,
) -> None:
    async with AuraEmulator() as emu:
        headers = await _token(http_session, emu)
        emu.inject(Fault("POST", "/v1/instances", status=500, after_apply=True))
        async with await _create_instance(http_session, emu, headers, "ambiguous") as response:
            assert response.status == 500
        assert emu.state.instance_names() == {"ambiguous": 1}


async def test_the_manual_clock_drives_state_transitions(
    manual_clock: ManualClock, http_session: aiohttp.ClientSession
) -> None:
    async with AuraEmulator(clock=manual_clock, transition_delay=30.0) as emu:
        headers = await _token(http_session, emu)
        async with await _create_instance(http_session, emu, headers, "stepped") as response:
            assert response.status == 202
            instance_id = (await response.json())["data"]["id"]
        assert emu.state.instances[instance_id].status == "creating"
        manual_clock.advance(30.0)
        async with http_session.get(
            f"{emu.url}/v1/instances/{instance_id}", headers=headers
        ) as response:
            assert (await response.json())["data"]["status"] == "running"


async def test_settle_completes_pending_transitions(http_session: aiohttp.ClientSession) -> None:
    async with AuraEmulator(transition_delay=None) as emu:
        headers = await _token(http_session, emu)
        async with await _create_instance(http_session, emu, headers, "settled") as response:
            instance_id = (await response.json())["data"]["id"]
        assert emu.state.instances[instance_id].status == "creating"
        emu.settle()
        assert emu.state.instances[instance_id].status == "running"


def test_exports_are_pinned() -> None:
    assert sorted(aura_async.testing.__all__) == [
        "AuraEmulator",
        "Fault",
        "Journal",
        "JournalEntry",
        "ServerRateLimit",
    ]
    for name in aura_async.testing.__all__:
        assert getattr(aura_async.testing, name).__name__ == name
        assert name in dir(aura_async.testing)
    with pytest.raises(AttributeError):
        _ = aura_async.testing.NoSuchThing


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ServerRateLimit()),
        (["--rate-limit", "off"], None),
        (
            ["--rate-limit", "10/0.5", "--algorithm", "token-bucket"],
            ServerRateLimit(algorithm="token-bucket", requests=10, per=0.5),
        ),
        (["--retry-after", "fractional"], ServerRateLimit(retry_after="fractional")),
    ],
)
def test_rate_limit_arguments(argv: list[str], expected: ServerRateLimit | None) -> None:
    assert rate_limit_from_args(parse_args(argv)) == expected


@pytest.mark.parametrize(
    "argv",
    [["--rate-limit", "125"], ["--rate-limit", "x/60"], ["--transition-delay", "soon"]],
)
def test_bad_arguments_exit(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_transition_delay_argument() -> None:
    assert parse_args(["--transition-delay", "none"]).transition_delay is None
    assert parse_args(["--transition-delay", "0.5"]).transition_delay == 0.5


async def _read_banner(process: asyncio.subprocess.Process) -> dict[str, str]:
    assert process.stdout is not None
    banner: dict[str, str] = {}
    for _ in range(10):
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        banner["raw"] = banner.get("raw", "") + line
        if not line or line.strip() == BANNER_END:
            break
        parsed = parse_banner_line(line)
        if parsed is not None:
            banner[parsed[0]] = parsed[1]
    return banner


async def banner_tenant(
    http_session: aiohttp.ClientSession, banner: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """Get a token with the banner's credential, then GET its demo project: status, body."""
    url = banner["AURA_BASE_URL"]
    auth = aiohttp.encode_basic_auth(banner["AURA_CLIENT_ID"], banner["AURA_CLIENT_SECRET"])
    async with http_session.post(
        f"{url}/oauth/token", data=FORM, headers={"Authorization": auth}
    ) as response:
        token = (await response.json())["access_token"]
    async with http_session.get(
        f"{url}/v1/tenants/{banner['tenant_id']}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_standalone_server(
    stop_signal: signal.Signals, http_session: aiohttp.ClientSession
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aura_async.testing",
        "--port",
        "0",
        "--client-id",
        "demo",
        "--client-secret",
        "demo-secret",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        banner = await _read_banner(process)
        url = banner["AURA_BASE_URL"]
        assert banner["raw"].splitlines()[:3] == [
            "export AURA_CLIENT_ID=demo",
            "export AURA_CLIENT_SECRET=demo-secret",
            f"export AURA_BASE_URL={url}",
        ]
        status, _ = await banner_tenant(http_session, banner)
        assert status == 200
        process.send_signal(stop_signal)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("export AURA_CLIENT_ID=demo\n", ("AURA_CLIENT_ID", "demo")),
        ("export AURA_CLIENT_SECRET='a b$c'", ("AURA_CLIENT_SECRET", "a b$c")),
        ("export AURA_BASE_URL=http://127.0.0.1:8080", ("AURA_BASE_URL", "http://127.0.0.1:8080")),
        ("# demo project (tenant) id: 1a2b3c4d", ("tenant_id", "1a2b3c4d")),
        (BANNER_END, None),
        ("export NOTHING", None),
        ("export A=1 B=2", None),
        ("url: http://127.0.0.1:8080", None),
    ],
)
def test_parse_banner_line(line: str, parsed: tuple[str, str] | None) -> None:
    assert parse_banner_line(line) == parsed


@pytest.mark.parametrize("secret", ["plain", "with space", "quo'te", "$(rm -rf ~)", "a\tb"])
def test_banner_lines_are_shell_safe_and_read_back(secret: str) -> None:
    environ = environ_of(url="http://127.0.0.1:1", client_id="id", client_secret=secret)
    lines = banner_lines(environ, "1a2b3c4d", notes=["evolve: 3"])
    assert [line.split("=")[0] for line in lines[:3]] == [
        "export AURA_CLIENT_ID",
        "export AURA_CLIENT_SECRET",
        "export AURA_BASE_URL",
    ]
    assert lines[3:] == ["# demo project (tenant) id: 1a2b3c4d", "# evolve: 3", BANNER_END]
    shell = subprocess.run(
        ["sh", "-c", "\n".join([*lines, 'printf %s "$AURA_CLIENT_SECRET"'])],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert shell.stdout == secret
    assert dict(filter(None, map(parse_banner_line, lines))) == {**environ, "tenant_id": "1a2b3c4d"}


async def test_environ_points_from_env_at_the_emulator() -> None:
    async with AuraEmulator() as emu:
        assert emu.environ == {
            "AURA_CLIENT_ID": emu.client_id,
            "AURA_CLIENT_SECRET": emu.client_secret,
            "AURA_BASE_URL": emu.url,
        }
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.environ
