"""A process that takes slots of a shared limiter and holds them until it is killed.

Started by the lease tests with its settings as JSON in ``AURA_HOLDER``: ``url``
(Redis), ``origin``, ``client_id``, ``requests``, ``per``, ``heartbeat`` and
``slots``. It prints ``held`` once it holds its slots, then sleeps (its
heartbeat renewing them) until killed.
"""

from __future__ import annotations

import asyncio
import json
import os

from aura_async import RateLimit
from aura_async.redis import RedisBackend

_HOLD_LIMIT = 120.0


async def _hold(settings: dict[str, float | str]) -> None:
    rate = RateLimit(int(settings["requests"]), per=float(settings["per"]))
    url, heartbeat = str(settings["url"]), float(settings["heartbeat"])
    async with RedisBackend.from_url(url, heartbeat=heartbeat) as ends:
        limiter = ends.limiter(
            rate, origin=str(settings["origin"]), client_id=str(settings["client_id"])
        )
        for _ in range(int(settings["slots"])):
            await limiter.acquire()
        print("held", flush=True)
        await asyncio.sleep(_HOLD_LIMIT)


if __name__ == "__main__":
    asyncio.run(_hold(json.loads(os.environ["AURA_HOLDER"])))
