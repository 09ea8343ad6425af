"""The example FastAPI app's routes, with one RedisBackend per worker (the README's pattern).

Answers name the worker process that served them (``X-Worker-Pid``).

Served by ``test_redis_uvicorn.py`` with ``uvicorn --workers 2``. Settings from
the environment: ``AURA_CLIENT_ID``, ``AURA_CLIENT_SECRET``, ``AURA_BASE_URL``,
``AURA_REDIS_URL``, and the allowance ``AURA_RATE_REQUESTS`` per
``AURA_RATE_PER`` seconds, the same in every worker: Redis makes it one
allowance for all of them.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from aura_async import RateLimit
from aura_async.fastapi import aura_lifespan, install_exception_handlers
from aura_async.redis import RedisBackend
from examples.fastapi_app import router


def _backend() -> RedisBackend:
    return RedisBackend.from_url(os.environ["AURA_REDIS_URL"])


RATE = RateLimit(int(os.environ["AURA_RATE_REQUESTS"]), per=float(os.environ["AURA_RATE_PER"]))
# One backend and one client per worker, opened in its event loop at startup.
app = FastAPI(lifespan=aura_lifespan(backend=_backend, rate_limit=RATE))
install_exception_handlers(app)
app.include_router(router)


@app.middleware("http")
async def name_the_worker(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Tell the test which worker process answered (both must have sent calls)."""
    response = await call_next(request)
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
