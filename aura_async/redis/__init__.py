"""Share one rate limit, one 429 cooldown and one token across processes, through Redis.

Needs the ``redis`` extra (``pip install 'aura-async[redis]'``)::

    from aura_async import AuraClient
    from aura_async.redis import RedisBackend

    async with RedisBackend.from_url("redis://localhost:6379/0") as backend:
        async with AuraClient(client_id, client_secret, backend=backend) as client:
            ...

Every process (uvicorn workers, Celery workers, several hosts) using the same
Redis database and credential then stays under one allowance together, and
fetches one token for all (sealed in Redis with a key derived from the client
secret). A plain server, a Redis Cluster (``redis+cluster://``) and a
Sentinel-managed master (``redis+sentinel://``) all work; see
:meth:`RedisBackend.from_url`.
"""

from __future__ import annotations

try:
    import redis.asyncio  # noqa: F401 - fail early, with a hint, if the extra is missing
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("aura_async.redis needs redis-py: pip install 'aura-async[redis]'") from exc

from aura_async.redis._backend import RedisBackend
from aura_async.redis._calls import RedisBackendError, RedisSetupError

__all__ = ["RedisBackend", "RedisBackendError", "RedisSetupError"]
