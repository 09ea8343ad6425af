"""A small Aura-shaped server answering scripted bodies, for the answers the emulator never
gives (a field null, a timestamp in Go's form, a create answer that does not read)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
from aiohttp import web

from aura_async import AuraClient
from tests.conftest import FAST_RETRY

TOKEN = {"access_token": "scripted-token", "expires_in": 3600, "token_type": "Bearer"}


@attrs.frozen
class Sent:
    """One request the server received."""

    method: str
    path: str
    body: Any


@attrs.define
class ScriptedApi:
    """Answers ``(method, path)`` from a script: each answer once, the last one for good."""

    url: str = ""
    sent: list[Sent] = attrs.field(factory=list)
    _script: dict[tuple[str, str], list[tuple[int, bytes]]] = attrs.field(
        factory=lambda: defaultdict(list)
    )

    def answer(self, method: str, path: str, body: object, *, status: int = 200) -> None:
        """Add an answer: ``body`` as JSON, or as is when it is bytes."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._script[(method, "/v1" + path)].append((status, raw))

    def data(self, method: str, path: str, data: object, *, status: int = 200) -> None:
        """Add a success answer ``{"data": data}``."""
        self.answer(method, path, {"data": data}, status=status)

    def count(self, method: str, path: str) -> int:
        """How many ``method path`` requests arrived."""
        return sum(1 for s in self.sent if (s.method, s.path) == (method, "/v1" + path))

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request and give the next scripted answer (404 when none)."""
        if request.path == "/oauth/token":
            return web.json_response(TOKEN)
        raw = await request.read()
        self.sent.append(Sent(request.method, request.path, json.loads(raw) if raw else None))
        script = self._script.get((request.method, request.path))
        if not script:
            return web.json_response({"errors": [{"message": "none", "reason": "x"}]}, status=404)
        status, body = script.pop(0) if len(script) > 1 else script[0]
        headers = {"X-Request-Id": f"req-{len(self.sent)}"}
        return web.Response(
            status=status, body=body, content_type="application/json", headers=headers
        )


@asynccontextmanager
async def scripted_api() -> AsyncIterator[tuple[ScriptedApi, AuraClient]]:
    """Serve a ScriptedApi on a free loopback port; yield it with a client pointed at it."""
    api = ScriptedApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        api.url = f"http://127.0.0.1:{port}"
        options: dict[str, Any] = {"rate_limit": None, "retry": FAST_RETRY}
        async with AuraClient("id", "secret", base_url=api.url, **options) as client:
            yield api, client
    finally:
        await runner.cleanup()
