"""One worker process of the multi-process Redis tests: an ``AuraClient`` on a ``RedisBackend``.

Started by ``redis_support.run_workers`` with its settings as JSON in the
``AURA_DRIVER`` environment variable and the client secret in
``AURA_CLIENT_SECRET`` (never on the command line). It prints ``ready <wall
clock>`` once connected, waits for ``go`` on stdin (so that every worker starts
at once), makes its calls, and prints one JSON line: its outcome.

Settings: ``url``, ``client_id``, ``redis_url``, ``requests``, ``per``,
``calls``, ``mode`` (``burst``: all calls at once; ``sequential``: one after
another; ``for``: ``calls`` callers, each calling one after another for
``seconds``; ``map``: ``client.map`` over ``calls`` items, all at once, in the
bulk lane; ``every``: one call every ``interval`` seconds on a fixed schedule
for ``seconds``, each started on its own, reporting when each started on
``time.monotonic()`` as ``starts``), ``timeout``, and optionally ``reserve``
(``RateLimit.reserve``), ``authenticate`` (get a token before ``ready``),
``shift`` (seconds added to this process's wall clock, with time-machine),
``reject_path`` (a path requested first, once), ``path`` (requested instead
of listing tenants), ``heartbeat`` and ``fallback_share``.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import functools
import json
import os
import sys
import time
from typing import Any

import time_machine

from aura_async import AuraClient, AuraError, RateLimit, RetryPolicy
from aura_async.redis import RedisBackend

# Quick retries: a test's 429 cooldown comes from Retry-After, not from backoff.
_RETRY = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.05)
# Bounds each caller of the ``for`` mode.
_MAX_CALLS = 10_000


async def _one(call: Any, errors: collections.Counter[str]) -> bool:
    try:
        await call()
    except AuraError as exc:
        errors[type(exc).__name__] += 1
        return False
    return True


async def _until(ends: float, call: Any, errors: collections.Counter[str]) -> int:
    ok = 0
    for _ in range(_MAX_CALLS):
        if time.monotonic() >= ends:
            break
        ok += await _one(call, errors)
    return ok


async def _calls(client: AuraClient, settings: dict[str, Any]) -> dict[str, Any]:
    errors: collections.Counter[str] = collections.Counter()
    ok = 0
    if settings.get("reject_path"):
        ok += await _one(lambda: client.request("GET", settings["reject_path"]), errors)
    call = client.tenants.list
    if settings.get("path"):
        call = functools.partial(client.request, "GET", settings["path"])
    if settings["mode"] == "burst":
        done = await asyncio.gather(*(_one(call, errors) for _ in range(settings["calls"])))
        ok += sum(done)
    elif settings["mode"] == "for":
        ends = time.monotonic() + settings["seconds"]
        done = await asyncio.gather(*(_until(ends, call, errors) for _ in range(settings["calls"])))
        ok += sum(done)
    elif settings["mode"] == "map":
        results = await client.map(lambda _: call(), range(settings["calls"]), concurrency=10_000)
        ok += sum(result.ok for result in results)
        errors.update(type(result.error).__name__ for result in results if not result.ok)
    elif settings["mode"] == "every":
        starts, done = await _every(call, settings["interval"], settings["seconds"], errors)
        return {"ok": sum(done), "errors": dict(errors), "starts": starts}
    else:
        for _ in range(settings["calls"]):
            ok += await _one(call, errors)
    return {"ok": ok, "errors": dict(errors)}


async def _every(
    call: Any, interval: float, seconds: float, errors: collections.Counter[str]
) -> tuple[list[float], list[bool]]:
    """Start ``call`` every ``interval`` seconds for ``seconds``; return the starts and outcomes."""
    calls: list[asyncio.Task[bool]] = []
    starts: list[float] = []
    begin = time.monotonic()
    for tick in range(min(_MAX_CALLS, int(seconds / interval))):
        starts.append(time.monotonic())
        calls.append(asyncio.create_task(_one(call, errors)))
        await asyncio.sleep(max(0.0, begin + (tick + 1) * interval - time.monotonic()))
    return starts, list(await asyncio.gather(*calls))


async def _run(settings: dict[str, Any]) -> dict[str, Any]:
    rate = RateLimit(settings["requests"], per=settings["per"], reserve=settings.get("reserve"))
    async with RedisBackend.from_url(
        settings["redis_url"],
        fallback_share=settings.get("fallback_share"),
        heartbeat=settings.get("heartbeat", 5.0),
    ) as backend:
        await backend.ping()
        async with AuraClient(
            settings["client_id"],
            os.environ["AURA_CLIENT_SECRET"],
            base_url=settings["url"],
            rate_limit=rate,
            retry=_RETRY,
            timeout=settings["timeout"],
            backend=backend,
        ) as client:
            if settings.get("authenticate"):
                await client.authenticate()  # the first call then waits for no token
            print(f"ready {time.time()}", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            outcome = await _calls(client, settings)
        outcome["redis_calls"] = backend.redis_calls
        return outcome


def main() -> None:
    """Run one worker (see the module docstring)."""
    settings = json.loads(os.environ["AURA_DRIVER"])
    shift = settings.get("shift", 0.0)
    if shift:
        now = datetime.datetime.now(datetime.UTC)
        time_machine.travel(now + datetime.timedelta(seconds=shift), tick=True).start()
    print(json.dumps(asyncio.run(_run(settings))), flush=True)


if __name__ == "__main__":
    main()
