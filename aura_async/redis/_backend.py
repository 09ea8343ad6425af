"""``RedisBackend``: one rate limit and one token per credential, shared through Redis."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import SentinelConnectionPool

from aura_async._auth import TokenCache, TokenProvider
from aura_async._config import RateLimit
from aura_async._errors import AuraConfigurationError
from aura_async._ratelimit import Limiter
from aura_async.redis._calls import RedisBackendError, RedisCalls, RedisSetupError
from aura_async.redis._inspect import AnyRedis
from aura_async.redis._limiter import RedisLimiter
from aura_async.redis._scripts import CredentialKeys, credential_keys
from aura_async.redis._sealing import TokenSeal
from aura_async.redis._tokens import RedisTokenProvider
from aura_async.redis._urls import connect
from aura_async.resources._base import deprecated_alias

__all__ = ["RedisBackend"]

_log = logging.getLogger("aura_async")

# The default heartbeat, in seconds.
_HEARTBEAT = 5.0


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


def _heartbeat(heartbeat: float | None, lease: float | None) -> float:
    if lease is None:
        return _positive("heartbeat", _HEARTBEAT if heartbeat is None else heartbeat)
    if heartbeat is not None:
        raise AuraConfigurationError("RedisBackend: give heartbeat= or lease= (old name), not both")
    return _positive("lease", lease)


class RedisBackend:
    """Shares the rate limit, the 429 cooldown and the access token through Redis.

    Every process (and host) whose clients use a backend on the same Redis
    database shares one allowance per credential: at most ``requests`` sends in
    any window of ``per`` seconds, in total. Pass it to the client::

        async with RedisBackend.from_url("redis://localhost:6379/0") as backend:
            async with AuraClient(client_id, client_secret, backend=backend) as client:
                ...

    Every process should use the same ``RateLimit``; where they differ, every
    process applies the strictest in use (and the others log one WARNING). Use
    one backend per event loop; clients of one credential built on one backend
    share its limiter.
    ``RateLimit.burst`` (paced sending) is not applied across processes: a burst
    may use the whole shared window, and a 429 starts the shared cooldown.

    A plain server, a Redis Cluster (``redis.asyncio.RedisCluster``; all keys of
    a credential share one hash tag, so one slot) and a Sentinel-managed master
    (``Sentinel(...).master_for(service)``) all work; see :meth:`from_url` for
    their URLs. The server must run Redis 6.0 or later; this is checked once, at
    the first call (or on entering ``async with``).

    The access token is shared through Redis (with a TTL equal to its remaining
    lifetime) so that one fetch serves every process, sealed with AES-256-GCM
    under a key derived from the client secret: what Redis stores (and its
    snapshots, replicas and backups) does not reveal it. ``share_token=False``
    keeps the token in each process instead. The token and the client secret
    are never logged; keys name the API host and a hash of the client id.

    Args:
        client: A ``redis.asyncio.Redis`` (plain or Sentinel-managed) or
            ``redis.asyncio.RedisCluster`` client (never closed by the backend,
            unless built by :meth:`from_url`).
        prefix: The namespace of the keys.
        timeout: Bound of every Redis call, in seconds. A call slower than this
            counts as a Redis failure.
        heartbeat: Seconds (default 5) within which each process renews the
            slots of its sends in flight (it renews them every three quarters of a
            heartbeat, so a renewal may run a quarter heartbeat late; a later
            one logs a WARNING). The slots of a process that dies mid-request
            are free at most one heartbeat and one window after its death.
        lease: Deprecated alias of ``heartbeat`` (same meaning: how long a send
            in flight holds its slot without a renewal).
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
        share_token: Share the access token through Redis (sealed). False: each
            process fetches and keeps its own; nothing about it reaches Redis.
        owns_client: Close ``client`` in :meth:`aclose` (and, for a
            Sentinel-managed client, the Sentinel connections it came from).

    Raises:
        AuraConfigurationError: An option is out of range.
    """

    def __init__(
        self,
        client: AnyRedis,
        *,
        prefix: str = "aura_async",
        timeout: float = 1.0,
        heartbeat: float | None = None,
        lease: float | None = None,
        fallback_share: float | None = None,
        probe_interval: float = 1.0,
        lock_timeout: float = 10.0,
        token_wait: float = 120.0,
        share_token: bool = True,
        owns_client: bool = False,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise AuraConfigurationError("RedisBackend.prefix must be a non-empty string")
        if not isinstance(share_token, bool):
            raise AuraConfigurationError("RedisBackend.share_token must be True or False")
        self.prefix = prefix
        self.fallback_share = _share(fallback_share)
        self.share_token = share_token
        if lease is not None:
            deprecated_alias("RedisBackend(lease=...)", "RedisBackend(heartbeat=...)")
        self._heartbeat = _heartbeat(heartbeat, lease)
        self._probe_interval = _positive("probe_interval", probe_interval)
        self._lock_timeout = _positive("lock_timeout", lock_timeout)
        self._token_wait = _positive("token_wait", token_wait)
        self._calls = RedisCalls(
            client, timeout=_positive("timeout", timeout), fallback_share=self.fallback_share
        )
        self._owns_client = owns_client
        self._limiters: dict[tuple[str, str], RedisLimiter] = {}
        self._providers: dict[tuple[str, str], TokenProvider] = {}

    @classmethod
    def from_url(
        cls, url: str, *, connection_options: Mapping[str, Any] | None = None, **options: Any
    ) -> Self:
        """Connect to the Redis server, Cluster or Sentinel-managed master at ``url``.

        - ``redis://[user:password@]host:6379/0``, ``rediss://...`` (TLS),
          ``unix:///path/redis.sock``: one server.
        - ``redis+cluster://[user:password@]host:port[,host:port...]`` (or
          ``rediss+cluster://``): a Redis Cluster, found through any node named.
        - ``redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]``
          (or ``rediss+sentinel://``): the master the Sentinels at ``host:port``
          (default port 26379) know as ``service``, followed across failovers.
          The user and password are the master's; Sentinels with their own take
          ``?sentinel_username=...&sentinel_password=...``.

        Each command gives up after ``timeout`` seconds; redis-py re-sends it once
        on a broken connection only (a pooled connection left over from before a
        Redis restart or failover), and the backend decides what any other
        failure means.

        Args:
            url: The URL (a password in it is never shown).
            connection_options: More keyword arguments of the redis-py client,
                e.g. ``{"ssl_ca_certs": "/etc/ssl/redis-ca.pem"}``.
            **options: Keyword options of :class:`RedisBackend`.

        Raises:
            AuraConfigurationError: The URL or an option is invalid.
        """
        timeout = _positive("timeout", options.get("timeout", 1.0))
        client = connect(url, timeout=timeout, options=connection_options or {})
        return cls(client, owns_client=True, **options)

    def __repr__(self) -> str:
        return f"<RedisBackend redis={self._calls.where} prefix={self.prefix!r}>"

    @property
    def redis_calls(self) -> int:
        """How many calls this backend has made to Redis (for measurements)."""
        return self._calls.count

    async def ping(self) -> None:
        """Check that Redis can serve the backend (e.g. in a readiness probe).

        Checks the server once (version 6.0 or later, the right kind of client),
        then runs a script that reads ``TIME`` and writes a key of every
        credential this backend serves (or of the prefix, before any), as the
        backend's scripts do: so an ACL that denies the scripts, the commands
        they call or the key prefix fails it, and so does a Cluster node that
        answers MOVED to a plain client. Each call within ``timeout``.

        Raises:
            RedisSetupError: Redis answers but cannot serve the backend as set up.
            RedisBackendError: Redis failed or did not answer in time.
        """
        probes = {keys.probe for keys in self._credential_keys()}
        probes = probes or {credential_keys(self.prefix, "readiness", "probe").probe}
        for probe in sorted(probes):
            await self._calls.script("probe", [probe], [])

    def _credential_keys(self) -> list[CredentialKeys]:
        credentials = {*self._limiters, *self._providers}
        return [credential_keys(self.prefix, origin, cid) for origin, cid in credentials]

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
                heartbeat=self._heartbeat,
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

    def token_provider(self, *, origin: str, client_id: str, client_secret: str) -> TokenProvider:
        """Return the token provider of ``client_id`` at ``origin`` (one per backend).

        Args:
            origin: The API origin, e.g. ``https://api.neo4j.io``.
            client_id: The API client id (only its hash reaches Redis).
            client_secret: Its secret: the shared token is sealed under a key
                derived from it (the secret itself never reaches Redis).
        """
        key = (origin, client_id)
        provider = self._providers.get(key)
        if provider is None:
            provider = self._providers[key] = self._new_provider(origin, client_id, client_secret)
        return provider

    def _new_provider(self, origin: str, client_id: str, client_secret: str) -> TokenProvider:
        if not self.share_token:
            return TokenCache()
        keys = credential_keys(self.prefix, origin, client_id)
        return RedisTokenProvider(
            self._calls,
            keys,
            TokenSeal(client_secret, keys.token),
            lock_timeout=self._lock_timeout,
            wait_limit=self._token_wait,
            fallback=self.fallback_share is not None,
            probe_interval=self._probe_interval,
        )

    async def aclose(self) -> None:
        """Send pending releases, stop background tasks, close the client if owned."""
        for limiter in self._limiters.values():
            await limiter.aclose()
        for provider in self._providers.values():
            if isinstance(provider, RedisTokenProvider):
                await provider.aclose()
        if self._owns_client:
            await _close(self._calls.client)

    async def __aenter__(self) -> Self:
        """Check the server (see :meth:`ping`'s first step), if it answers.

        A server that does not answer is no reason to fail here: calls fail (or
        fall back) while it is down, and it is checked at the first call.

        Raises:
            RedisSetupError: The server cannot serve the backend.
        """
        try:
            await self._calls.check_server()
        except RedisSetupError:
            await self.aclose()
            raise
        except RedisBackendError as exc:
            _log.debug("not checked at start: %s", exc.message)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _close(client: AnyRedis) -> None:
    """Close ``client``, and the Sentinel connections of a Sentinel-managed one."""
    pool = None if isinstance(client, RedisCluster) else client.connection_pool
    await client.aclose()
    if isinstance(pool, SentinelConnectionPool):
        await pool.sentinel_manager.aclose()
