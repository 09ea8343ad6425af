"""The README's code runs as written: each block is read from README.md at test time."""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from fastapi import FastAPI
from markdown_it import MarkdownIt

import aura_async as aura
from aura_async import RateLimit
from aura_async.fastapi import aura_lifespan
from aura_async.testing import AuraEmulator
from tests.standalone_emulator import EmulatorServer

README = Path(__file__).resolve().parent.parent / "README.md"
SCRIPT_TIMEOUT = 60.0
WORKERS = "Several worker processes (`uvicorn --workers N`, gunicorn)"
EVOLUTION = "Evolution mode: test against tomorrow's API"


@attrs.frozen
class Block:
    """A fenced code block of the README: its section heading, language and code."""

    section: str
    language: str
    code: str
    line: int


def code_blocks(markdown: str) -> list[Block]:
    """Return every fenced block of ``markdown`` with the heading it sits under."""
    tokens = MarkdownIt().parse(markdown)
    blocks: list[Block] = []
    section = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            section = tokens[index + 1].content
        elif token.type == "fence":
            line = token.map[0] + 1 if token.map else 0
            blocks.append(Block(section, token.info.strip(), token.content, line))
    return blocks


def python_block(section: str) -> Block:
    """Return the one Python block of a README section."""
    found = [b for b in code_blocks(README.read_text()) if b.section == section]
    python = [block for block in found if block.language == "python"]
    assert len(python) == 1, f"{section!r} has {len(python)} python blocks"
    return python[0]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("no code", []),
        ("# A\n```python\nx = 1\n```\n", [Block("A", "python", "x = 1\n", 2)]),
        (
            "# A\n## B c\n\n```console\n$ ls\n```\n````python\n```\n````\n",
            [Block("B c", "console", "$ ls\n", 4), Block("B c", "python", "```\n", 7)],
        ),
    ],
)
def test_code_blocks(markdown: str, expected: list[Block]) -> None:
    assert code_blocks(markdown) == expected


@pytest.fixture
def standalone_emulator() -> Iterator[dict[str, str]]:
    """``python -m aura_async.testing`` with its default settings; yields its exports."""
    server = EmulatorServer(options=())
    try:
        settings = server.settings()
        yield settings.environ()
    finally:
        server.stop()


def run_as_script(section: str, environ: dict[str, str], tmp_path: Path) -> str:
    """Run a section's Python block as a script, warnings as errors; return its stdout."""
    script = tmp_path / "readme_block.py"
    script.write_text(python_block(section).code)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_the_quickstart_runs_as_written_against_the_emulator(
    standalone_emulator: dict[str, str], tmp_path: Path
) -> None:
    lines = run_as_script("Quickstart", standalone_emulator, tmp_path).splitlines()
    assert lines[0].startswith("created ")
    assert "password (shown once): " in lines[0]
    assert lines[1] == "orders is running"
    assert lines[2].startswith("snapshot ")
    assert lines[2].endswith(" is Completed")
    assert lines[3:] == ["orders is pausing"]


def test_the_observability_example_prints_spans_and_metrics(
    standalone_emulator: dict[str, str], tmp_path: Path
) -> None:
    out = run_as_script("Observability", standalone_emulator, tmp_path)
    assert "Demo project has 0 instances" in out
    decoder = json.JSONDecoder()
    documents = []
    index = out.find("{")
    while index != -1:
        document, end = decoder.raw_decode(out, index)
        documents.append(document)
        index = out.find("{", end)
    names = [document.get("name") for document in documents]
    assert names[:4] == [
        "aura oauth.token",
        "aura tenants.list",
        "aura instances.list",
        "inventory",
    ]
    listed, job = documents[1], documents[3]
    assert listed["attributes"]["aura.operation_id"] == "get-projects"
    assert listed["parent_id"] == job["context"]["span_id"]
    metrics = {
        metric["name"]
        for document in documents[4:]
        for resource in document.get("resource_metrics", [])
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
    }
    assert {"aura.client.calls", "aura.client.call.duration"} <= metrics


# -- every other Python block: run against an emulator, or compiled where it cannot run --

Setup = Callable[[AuraEmulator], Awaitable[dict[str, Any]]]

SHAPE = {
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "type": "enterprise-db",
    "version": "5",
    "memory": "8GB",
}


async def _with_client(emu: AuraEmulator) -> dict[str, Any]:
    """``client`` (closed by the test), ``project_id``, two running instances, ``names``,
    ``create_one`` and ``shape`` (an instance's create arguments but its name)."""
    client = aura.AuraClient(emu.client_id, emu.client_secret, base_url=emu.url)
    assert emu.tenant_id is not None
    for name in ("bulk-1", "bulk-2"):
        await client.instances.create(name=name, tenant_id=emu.tenant_id, **SHAPE)
    emu.settle()

    async def create_one(name: str) -> Any:
        return await client.instances.create(name=name, tenant_id=emu.tenant_id, **SHAPE)

    shape = {"tenant_id": emu.tenant_id, **SHAPE}
    names = ["n-1", "n-2"]
    return {"client": client, "project_id": emu.tenant_id, "names": names, "shape": shape} | {
        "create_one": create_one
    }


async def _fastapi_imports(emu: AuraEmulator) -> dict[str, Any]:
    """What the FastAPI fragment imports in the block before it."""
    return {"os": os, "FastAPI": FastAPI, "aura_lifespan": aura_lifespan, "RateLimit": RateLimit}


async def _nothing(emu: AuraEmulator) -> dict[str, Any]:
    return {}


class _MyService:
    """The user's own service of the evolution example."""

    @staticmethod
    async def inventory(client: aura.AuraClient) -> tuple[Any, ...]:
        return await client.tenants.list()


# (section, first line) -> how the block runs: a setup giving its free names, or the
# reason it is only compiled. Every Python block must be listed.
RUN: dict[tuple[str, str], Setup | str] = {
    ("Quickstart", "import asyncio"): "run as a script by the Quickstart test above",
    ("Observability", "import asyncio"): (
        "run as a script by the Observability test above"
    ),
    ("Bulk operations", "rows = await client.instances.list(tenant_id=project_id)"): (
        _with_client
    ),
    ("Lanes and deadlines", "import asyncio"): _nothing,
    ("Several processes", "from aura_async import AuraClient, RateLimit"): (
        "needs a Redis server at localhost:6379"
    ),
    ("Deploying the Redis backend", "from redis.asyncio import RedisCluster"): (
        "needs a Redis cluster"
    ),
    ("Errors", "try:"): _with_client,
    ("FastAPI", "from fastapi import FastAPI"): _nothing,
    ("Traces: from the request to its Aura calls",
     "from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor"): (
        "instruments an app defined above; tests/telemetry/test_fastapi_spans.py does it"
    ),
    (WORKERS, "import os"): "needs a Redis server at AURA_REDIS_URL",
    (WORKERS, 'workers = int(os.environ.get("WEB_CONCURRENCY", "1"))'): _fastapi_imports,
    ("Testing with the emulator", "# 1. In a test, as an async context manager"): _nothing,
    ("Testing with the emulator", "# 2. As a pytest fixture (registered automatically when "
     "aura-async is installed)"): _nothing,
    (EVOLUTION, "async def test_my_service_copes_with_a_later_api(aura_evolving_emulator):"): (
        _nothing
    ),
}  # fmt: skip


def _python_blocks() -> list[Block]:
    return [b for b in code_blocks(README.read_text()) if b.language == "python"]


def _key(block: Block) -> tuple[str, str]:
    return block.section, block.code.splitlines()[0]


def test_every_python_block_is_run_or_said_why_not() -> None:
    assert sorted(map(_key, _python_blocks())) == sorted(RUN)


@pytest.mark.parametrize("block", _python_blocks(), ids=lambda b: f"line-{b.line}")
def test_every_python_block_compiles(block: Block) -> None:
    compile(block.code, f"README.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


RUNNABLE = [b for b in _python_blocks() if callable(RUN.get(_key(b)))]


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: f"line-{b.line}")
async def test_a_readme_block_runs_against_the_emulator(
    block: Block, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = RUN[_key(block)]
    assert callable(setup)
    async with AuraEmulator(transition_delay=0) as emu:
        for name, value in emu.environ.items():
            monkeypatch.setenv(name, value)
        namespace = {"aura": aura, "my_service": _MyService} | await setup(emu)
        try:
            await _run_block(block, namespace)
            await _call_what_it_defines(namespace, emu)
        finally:
            if isinstance(namespace.get("client"), aura.AuraClient):
                await namespace["client"].close()


async def _run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Execute the block's code in ``namespace``, awaiting it if it awaits at top level."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code = compile(block.code, f"README.md:{block.line}", "exec", flags=flags)
    result = eval(code, namespace)
    if inspect.isawaitable(result):
        await result


async def _call_what_it_defines(namespace: dict[str, Any], emu: AuraEmulator) -> None:
    """Drive what a block defines: an app's lifespan and routes, a test function."""
    app = namespace.get("app")
    if isinstance(app, FastAPI):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
                if any(getattr(r, "path", "") == "/instances/{instance_id}" for r in app.routes):
                    assert (await http.get("/instances/0dead")).status_code == 404
    for name, value in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(value):
            await value(emu)
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, aura.Ok | aura.Err) for v in value)
        ):
            assert [v for v in value if not v.ok] == [], name  # bulk results: every item ok
