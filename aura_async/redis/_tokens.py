"""The shared access token: one fetch for every process of a credential.

The token is a credential. It is stored in Redis sealed (AES-256-GCM under a key
derived from the client secret, see :mod:`aura_async.redis._sealing`), as a hash
with the sealed value, its lifetime and a keyed fingerprint, with a TTL equal to
its remaining lifetime, so that it disappears when it expires. Reading Redis (or
its files, replicas and backups) does not reveal it; it is never logged. Its
expiry is read back as the key's remaining TTL (measured by the Redis server)
and converted to this process's monotonic clock.

A process that finds no token (or one due for refresh) takes a short lock
(``SET NX PX``, extended while the fetch runs) and fetches; the others wait and
read what it stored. A rejected token is deleted only if it is still the stored
one (compare-and-delete on the fingerprint), so a newer token is never thrown away.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import math
import time
import uuid

from aura_async._auth import SharedFetch, Token, TokenCache, TokenFetch, consume_exception
from aura_async._errors import AuraError
from aura_async.redis._calls import RedisBackendError, RedisCalls, as_text
from aura_async.redis._scripts import CredentialKeys, seconds
from aura_async.redis._sealing import TokenSeal

__all__ = ["RedisTokenProvider"]

_log = logging.getLogger("aura_async")

# A process waiting for another's fetch reads the token again after this long,
# doubling up to the maximum.
_POLL_FIRST = 0.01
_POLL_MAX = 0.1
# Rejected tokens remembered, so that a stale read cannot bring one back.
_REJECTED_KEPT = 8


class RedisTokenProvider:
    """A :class:`~aura_async.TokenProvider` sharing one token through Redis.

    Build it with :meth:`aura_async.redis.RedisBackend.token_provider`.

    Args:
        calls: Bounded calls to the Redis server.
        keys: The credential's keys.
        seal: Seals the token for Redis and opens it again.
        lock_timeout: Seconds the fetch lock lives unless its holder extends it
            (a crashed holder blocks the others this long at most).
        wait_limit: Longest wait for another process's fetch.
        fallback: On a Redis failure, use a token of this process's own instead
            of raising :class:`RedisBackendError`.
        probe_interval: While falling back, how often Redis is tried again.

    Attributes:
        fetches: Tokens this process fetched.
    """

    def __init__(
        self,
        calls: RedisCalls,
        keys: CredentialKeys,
        seal: TokenSeal,
        *,
        lock_timeout: float,
        wait_limit: float,
        fallback: bool,
        probe_interval: float,
    ) -> None:
        self.fetches = 0
        self._calls = calls
        self._keys = keys
        self._seal = seal
        self._foreign_warned = False
        self._lock_timeout = lock_timeout
        self._wait_limit = wait_limit
        self._fallback = fallback
        self._probe_interval = probe_interval
        self._local: TokenCache | None = None
        self._retry_redis_at = 0.0
        self._reading: asyncio.Task[Token | None] | None = None
        self._refresh_flight = SharedFetch(self._refresh)
        self._invalidations: set[asyncio.Task[None]] = set()
        self._rejected: collections.deque[str] = collections.deque(maxlen=_REJECTED_KEPT)
        self._closed = False

    def __repr__(self) -> str:
        return f"<RedisTokenProvider at {self._calls.where}, {self.fetches} fetches>"

    async def token(self, fetch: TokenFetch) -> Token:
        """Return the shared token, fetching it if no process has a current one.

        Args:
            fetch: Fetches a new token (called by one process at a time).

        Raises:
            RedisBackendError: Redis failed, and no fallback is configured.
            AuraError: The fetch failed and no usable token exists.
        """
        if self._local is not None and time.monotonic() < self._retry_redis_at:
            return await self._local.token(fetch)
        try:
            token = await self._shared_token(fetch)
        except RedisBackendError as exc:
            if not self._fallback:
                raise
            return await self._fall_back(exc).token(fetch)
        if self._local is not None:
            self._local = None
            self._calls.note_recovery()
        return token

    def invalidate(self, token: Token) -> None:
        """Delete ``token`` everywhere if it is still the stored one."""
        self._rejected.append(_digest(token.value))
        if self._local is not None:
            self._local.invalidate(token)
        if self._closed:
            return
        fingerprint = self._seal.fingerprint(token.value)
        task = asyncio.get_running_loop().create_task(self._delete(fingerprint))
        self._invalidations.add(task)
        task.add_done_callback(self._invalidations.discard)

    async def aclose(self) -> None:
        """Stop the background tasks."""
        self._closed = True
        refreshing = self._refresh_flight.task
        tasks = [t for t in (self._reading, refreshing, *self._invalidations) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- reading and refreshing ---------------------------------------------------

    async def _shared_token(self, fetch: TokenFetch) -> Token:
        if self._invalidations:
            await asyncio.wait(set(self._invalidations), timeout=self._calls.timeout)
        current = await self._single_flight_read()
        if current is not None and time.monotonic() < current.refresh_at:
            return current
        try:
            return await self._refresh_flight(fetch)
        except AuraError:
            if current is not None and current.usable(time.monotonic()):
                _log.warning("token refresh failed; using the current token until it expires")
                return current
            raise

    async def _single_flight_read(self) -> Token | None:
        """One read in flight, however many coroutines ask."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read())
            self._reading.add_done_callback(consume_exception)
        return await asyncio.shield(self._reading)

    async def _read(self) -> Token | None:
        """Return the stored token, or None if there is none (or it was rejected here)."""
        started = time.monotonic()
        reply = await self._calls.script("token_read", [self._keys.token], [])
        if reply is None:
            return None
        sealed, lifetime, remaining_ms = as_text(reply[0]), float(as_text(reply[1])), int(reply[2])
        value = self._seal.open(sealed)
        if value is None:
            self._warn_foreign()
            return None
        if remaining_ms <= 0 or _digest(value) in self._rejected:
            return None
        return Token(value=value, expires_at=started + remaining_ms / 1000, lifetime=lifetime)

    async def _refresh(self, fetch: TokenFetch) -> Token:
        """Fetch under the lock, or wait for the process holding it (bounded)."""
        owner = uuid.uuid4().hex
        give_up_at = time.monotonic() + self._wait_limit
        pause = _POLL_FIRST
        while True:
            if await self._lock(owner):
                return await self._fetch_locked(fetch, owner)
            token = await self._read()
            if token is not None and token.usable(time.monotonic()):
                return token  # another process is refreshing it; this one still works
            if time.monotonic() >= give_up_at:
                raise RedisBackendError(
                    f"no access token appeared in the Redis server at {self._calls.where} "
                    f"within {self._wait_limit:g}s while another process was fetching it"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)

    async def _lock(self, owner: str) -> bool:
        lock_ms = math.ceil(self._lock_timeout * 1000)
        client = self._calls.client
        return bool(
            await self._calls.run(client.set(self._keys.token_lock, owner, nx=True, px=lock_ms))
        )

    async def _fetch_locked(self, fetch: TokenFetch, owner: str) -> Token:
        keeper = asyncio.get_running_loop().create_task(self._keep_lock(owner))
        try:
            token = await self._read()  # stored by another process just before
            if token is not None and time.monotonic() < token.refresh_at:
                return token
            return await self._fetch_and_share(fetch)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            await self._unlock(owner)

    async def _fetch_and_share(self, fetch: TokenFetch) -> Token:
        self.fetches += 1
        started = time.monotonic()
        grant = await fetch()
        token = Token(
            value=grant.value, expires_at=started + grant.lifetime, lifetime=grant.lifetime
        )
        remaining_ms = math.floor((token.expires_at - time.monotonic()) * 1000)
        if remaining_ms > 0:
            try:
                sealed = self._seal.seal(grant.value)
                fingerprint = self._seal.fingerprint(grant.value)
                await self._calls.script(
                    "token_store",
                    [self._keys.token],
                    [sealed, seconds(grant.lifetime), fingerprint, remaining_ms],
                )
            except RedisBackendError:
                _log.debug("could not share the new access token through Redis")
        return token

    async def _keep_lock(self, owner: str) -> None:
        """Extend the lock while the fetch runs (it may wait for a rate-limit slot)."""
        lock_ms = math.ceil(self._lock_timeout * 1000)
        while True:
            await asyncio.sleep(self._lock_timeout / 3)
            try:
                await self._calls.script("lock_extend", [self._keys.token_lock], [owner, lock_ms])
            except RedisBackendError:
                _log.debug("could not extend the token lock; it may expire")

    async def _unlock(self, owner: str) -> None:
        try:
            await self._calls.script("lock_release", [self._keys.token_lock], [owner])
        except RedisBackendError:
            _log.debug("could not release the token lock; it expires by itself")

    def _warn_foreign(self) -> None:
        if not self._foreign_warned:
            self._foreign_warned = True
            _log.warning(
                "the access token shared in the Redis server at %s does not open with this "
                "client secret (sealed with another secret for this client id?); replacing it",
                self._calls.where,
            )

    async def _delete(self, fingerprint: str) -> None:
        try:
            await self._calls.script("token_invalidate", [self._keys.token], [fingerprint])
        except RedisBackendError:
            _log.debug("could not delete a rejected token from Redis; it expires by itself")

    def _fall_back(self, error: RedisBackendError) -> TokenCache:
        self._retry_redis_at = time.monotonic() + self._probe_interval
        if self._local is None:
            self._local = TokenCache()
            self._calls.note_outage(error)
        return self._local


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
