"""Bounded calls to Redis: every call has a timeout, and every failure one error type."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.exceptions

from aura_async._errors import AuraConnectionError
from aura_async.redis._inspect import (
    AnyRedis,
    describe_server,
    is_cluster,
    secrets_of,
    server_problem,
)
from aura_async.redis._limit_scripts import ACQUIRE, COOLDOWN, PEEK, RECORD
from aura_async.redis._scripts import (
    LOCK_EXTEND,
    LOCK_RELEASE,
    PROBE,
    TOKEN_INVALIDATE,
    TOKEN_READ,
    TOKEN_STORE,
)

__all__ = ["RedisBackendError", "RedisCalls", "RedisSetupError", "as_text", "describe_server"]

T = TypeVar("T")

_log = logging.getLogger("aura_async")

_SCRIPTS = {
    "acquire": ACQUIRE,
    "record": RECORD,
    "cooldown": COOLDOWN,
    "peek": PEEK,
    "token_read": TOKEN_READ,
    "token_store": TOKEN_STORE,
    "token_invalidate": TOKEN_INVALIDATE,
    "lock_release": LOCK_RELEASE,
    "lock_extend": LOCK_EXTEND,
    "probe": PROBE,
}

# Answers that mean Redis works but is not set up for the backend (retrying
# does not help): an ACL that denies a command or a key, rejected credentials.
_SETUP_ANSWERS: tuple[type[Exception], ...] = (
    redis.exceptions.NoPermissionError,
    redis.exceptions.AuthenticationError,
    redis.exceptions.AuthenticationWrongNumberOfArgsError,
)
# How an ACL refusal of a command called inside a script reads (Redis 6 and 7).
_SETUP_PHRASES = ("NOPERM", "can't run this command", "no permissions to")


class RedisBackendError(AuraConnectionError):
    """Redis, which holds the shared rate limit and token, failed or is too slow.

    Raised by calls through a :class:`~aura_async.redis.RedisBackend` without a
    fallback. The message names the Redis servers (host and port, the Cluster's
    nodes or the Sentinel service, never a password) and what went wrong.
    """


class RedisSetupError(RedisBackendError):
    """Redis answers, but cannot serve the backend as it is set up.

    The server is older than the backend needs (Redis 6.0), an ACL denies a
    command or the key prefix, the credentials are rejected, or the client does
    not fit the server (a plain client on a Cluster node, which answers MOVED;
    a Sentinel given as a data server). Retrying does not help; the message says
    what to change.
    """


def as_text(value: object) -> str:
    """Return a Redis reply as text, whether the client decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisCalls:
    """Runs Redis commands and the backend's scripts, each within ``timeout`` seconds.

    Also logs a Redis outage once, whichever part of the backend notices it first.

    Args:
        client: The redis-py asyncio client.
        timeout: The bound of each call, in seconds.
        fallback_share: The share of the allowance each process falls back to.

    Attributes:
        count: Calls made so far (for benchmarks and tests).
    """

    def __init__(
        self, client: AnyRedis, *, timeout: float, fallback_share: float | None = None
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.where = describe_server(client)
        self.count = 0
        self._fallback_share = fallback_share
        self._outage = False
        self._cluster = is_cluster(client)
        self._scripts = {name: client.register_script(text) for name, text in _SCRIPTS.items()}
        self._secrets = secrets_of(client)
        self._checked = False
        self._checking: asyncio.Lock | None = None

    async def script(self, name: str, keys: Sequence[str], args: Sequence[object]) -> Any:
        """Run the backend script ``name`` (loaded again by itself after a Redis restart).

        The first call checks the server first (see :meth:`check_server`).

        Raises:
            RedisSetupError: The server cannot serve the backend as it is set up.
            RedisBackendError: Redis failed or did not answer within the timeout.
        """
        if not self._checked:
            await self.check_server()
        script = self._scripts[name]
        return await self.run(script(keys=list(keys), args=[str(arg) for arg in args]))

    async def check_server(self) -> None:
        """Check, once per connection to a server that passes, its version and kind.

        Reads ``INFO server`` (skipped if an ACL denies INFO): the version must be
        at least 6.0, a Cluster node needs a Cluster client, and a Sentinel is no
        data server. Not counted in :attr:`count`.

        Raises:
            RedisSetupError: The server cannot serve the backend.
            RedisBackendError: Redis failed or did not answer within the timeout.
        """
        if self._checking is None:
            self._checking = asyncio.Lock()
        async with self._checking:
            if self._checked:
                return
            info = await self._server_info()
            problem = server_problem(info, cluster_client=self._cluster)
            if problem is not None:
                raise RedisSetupError(f"the Redis server at {self.where} {problem}")
            self._checked = True

    async def _server_info(self) -> dict[str, Any]:
        try:
            info = await self.run(self.client.info("server"))
        except RedisSetupError as exc:
            if not isinstance(exc.__cause__, redis.exceptions.NoPermissionError):
                raise
            _log.debug("INFO is not allowed at %s; the Redis version is not checked", self.where)
            return {}
        finally:
            self.count -= 1
        if self._cluster and info and all(isinstance(v, dict) for v in info.values()):
            return dict(next(iter(info.values())))  # one answer per node: any one
        return dict(info)

    async def run(self, call: Awaitable[T]) -> T:
        """Await one Redis call within the timeout.

        Raises:
            RedisSetupError: Redis answered that it is not set up for the backend.
            RedisBackendError: Redis failed or did not answer within the timeout.
        """
        self.count += 1
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except TimeoutError as exc:
            raise self._error(f"no answer within {self.timeout:g}s") from exc
        except (
            redis.exceptions.RedisError,
            redis.exceptions.RedisClusterException,
            OSError,
        ) as exc:
            raise self._classify(exc) from exc

    def _classify(self, exc: Exception) -> RedisBackendError:
        detail = f"{type(exc).__name__}: {self._redact(str(exc))}"
        refused = isinstance(exc, redis.exceptions.ResponseError) and any(
            phrase in str(exc) for phrase in _SETUP_PHRASES
        )
        if refused or isinstance(exc, _SETUP_ANSWERS):
            return RedisSetupError(f"the Redis server at {self.where} refused: {detail}")
        if isinstance(exc, redis.exceptions.MovedError) and not self._cluster:
            return RedisSetupError(
                f"the Redis server at {self.where} is a Redis Cluster node that does not "
                f"serve this credential's keys ({detail}): pass a redis.asyncio.RedisCluster, "
                "or use a redis+cluster:// URL"
            )
        return self._error(detail)

    def note_outage(self, error: RedisBackendError) -> None:
        """Log, once per outage, that this process falls back (one WARNING)."""
        if not self._outage:
            self._outage = True
            _log.warning(
                "%s; until it answers again, this process falls back to %g of the allowance "
                "(after waiting one window) and to an access token of its own",
                error.message,
                self._fallback_share,
            )

    def note_recovery(self) -> None:
        """Log, once, that Redis answers again after an outage."""
        if self._outage:
            self._outage = False
            _log.info("the Redis server at %s answers again; sharing through it again", self.where)

    def _error(self, detail: str) -> RedisBackendError:
        return RedisBackendError(f"the Redis server at {self.where} failed: {detail}")

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
