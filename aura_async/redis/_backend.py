"""``RedisBackend``: one rate limit and one token per credential, shared through Redis."""

from __future__ import annotations

import logging
import math
from types import TracebackType
from typing import Any, Self

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from aura_async._auth import TokenProvider
from aura_async._config import RateLimit
from aura_async._errors import AuraConfigurationError
from aura_async._ratelimit import Limiter
from aura_async.redis._calls import RedisCalls
from aura_async.redis._limiter import RedisLimiter
from aura_async.redis._scripts import credential_keys
from aura_async.redis._tokens import RedisTokenProvider

__all__ = ["RedisBackend"]

_log = logging.getLogger("aura_async")


def _positive(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise AuraConfigurationError(f"RedisBackend.{name} must be a number > 0, got {value!r}")
    return float(value)


def _share(value: object) -> float | None:
    if value is None:
        return None
    share = _positive("fallback_share", value)
    if share > 1:
        raise AuraConfigurationError(f"RedisBackend.fallback_share must be <= 1, got {value!r}")
    return share


class RedisBackend:
    """Shares the rate limit, the 429 cooldown and the access token through Redis.

    Every process (and host) whose clients use a backend on the same Redis
    database shares one allowance per credential: at most ``requests`` sends in
    any window of ``per`` seconds, in total. Pass it to the client::

        async with RedisBackend.from_url("redis://localhost:6379/0") as backend:
            async with AuraClient(client_id, client_secret, backend=backend) as client:
                ...

    Every process must use the same ``RateLimit``. Use one backend per event
    loop; clients of one credential built on one backend share its limiter.
    ``RateLimit.burst`` (paced sending) is not applied across processes: a burst
    may use the whole shared window, and a 429 starts the shared cooldown.

    The access token is stored in Redis (as a hash, with a TTL equal to its
    remaining lifetime), so that one fetch serves every process: treat that
    Redis database as holding a credential. The token and the client secret
    are never logged; keys name the API host and a hash of the client id.

    Args:
        client: A ``redis.asyncio.Redis`` client (never closed by the backend,
            unless built by :meth:`from_url`).
        prefix: The namespace of the keys.
        timeout: Bound of every Redis call, in seconds. A call slower than this
            counts as a Redis failure.
        lease: Longest time a send in flight holds its slot, in seconds: the slot
            of a process that crashed mid-request is free this long (plus a
            window) later. Keep it above the client's attempt timeout.
        fallback_share: None (default): when Redis fails, calls fail with
            :class:`~aura_async.redis.RedisBackendError`. A fraction in (0, 1]:
            each process falls back to a local limiter with this share of the
            allowance (after waiting one window, since the last window's sends
            are unknown), logs one WARNING, and goes back to Redis by itself
            when it answers again. With ``N`` processes, use at most ``1 / N``.
        probe_interval: While falling back, how often Redis is tried again.
        lock_timeout: Lifetime of the token-fetch lock, extended while the fetch
            runs; a crashed fetcher blocks the others this long at most.
        token_wait: Longest wait for another process's token fetch.
        owns_client: Close ``client`` in :meth:`aclose`.

    Raises:
        AuraConfigurationError: An option is out of range.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = "aura_async",
        timeout: float = 1.0,
        lease: float = 120.0,
        fallback_share: float | None = None,
        probe_interval: float = 1.0,
        lock_timeout: float = 10.0,
        token_wait: float = 120.0,
        owns_client: bool = False,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise AuraConfigurationError("RedisBackend.prefix must be a non-empty string")
        self.prefix = prefix
        self.fallback_share = _share(fallback_share)
        self._lease = _positive("lease", lease)
        self._probe_interval = _positive("probe_interval", probe_interval)
        self._lock_timeout = _positive("lock_timeout", lock_timeout)
        self._token_wait = _positive("token_wait", token_wait)
        self._calls = RedisCalls(
            client, timeout=_positive("timeout", timeout), fallback_share=self.fallback_share
        )
        self._owns_client = owns_client
        self._limiters: dict[tuple[str, str], RedisLimiter] = {}
        self._providers: dict[tuple[str, str], RedisTokenProvider] = {}

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Connect to the Redis server at ``url`` (e.g. ``redis://host:6379/0``).

        Each command gives up after ``timeout`` seconds; redis-py re-sends it once
        on a broken connection only (a pooled connection left over from before a
        Redis restart), and the backend decides what any other failure means.

        Args:
            url: A ``redis://``, ``rediss://`` or ``unix://`` URL (a password in it
                is never shown).
            **options: Keyword options of :class:`RedisBackend`.

        Raises:
            AuraConfigurationError: The URL or an option is invalid.
        """
        timeout = _positive("timeout", options.get("timeout", 1.0))
        try:
            client = redis.asyncio.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
            )
        except ValueError as exc:
            raise AuraConfigurationError(f"not a usable Redis URL: {exc}") from None
        return cls(client, owns_client=True, **options)

    def __repr__(self) -> str:
        return f"<RedisBackend redis={self._calls.where} prefix={self.prefix!r}>"

    @property
    def redis_calls(self) -> int:
        """How many calls this backend has made to Redis (for measurements)."""
        return self._calls.count

    async def ping(self) -> None:
        """Check that Redis answers (e.g. in a readiness probe), within ``timeout``.

        Raises:
            RedisBackendError: It does not.
        """
        await self._calls.run(self._calls.client.ping())

    def limiter(self, rate: RateLimit, *, origin: str, client_id: str) -> Limiter:
        """Return the shared limiter of ``client_id`` at ``origin`` (one per backend).

        Args:
            rate: The credential's allowance; every process must use the same.
            origin: The API origin, e.g. ``https://api.neo4j.io``.
            client_id: The API client id (only its hash reaches Redis).
        """
        key = (origin, client_id)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RedisLimiter(
                self._calls,
                credential_keys(self.prefix, origin, client_id),
                rate,
                lease=self._lease,
                fallback_share=self.fallback_share,
                probe_interval=self._probe_interval,
            )
        elif limiter.rate != rate:
            _log.warning(
                "another client of this credential set %r; sharing its limiter, not %r",
                limiter.rate,
                rate,
            )
        return limiter

    def token_provider(self, *, origin: str, client_id: str) -> TokenProvider:
        """Return the shared token provider of ``client_id`` at ``origin`` (one per backend)."""
        key = (origin, client_id)
        provider = self._providers.get(key)
        if provider is None:
            provider = self._providers[key] = RedisTokenProvider(
                self._calls,
                credential_keys(self.prefix, origin, client_id),
                lock_timeout=self._lock_timeout,
                wait_limit=self._token_wait,
                fallback=self.fallback_share is not None,
                probe_interval=self._probe_interval,
            )
        return provider

    async def aclose(self) -> None:
        """Send pending releases, stop background tasks, close the client if owned."""
        for limiter in self._limiters.values():
            await limiter.aclose()
        for provider in self._providers.values():
            await provider.aclose()
        if self._owns_client:
            await self._calls.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
