"""Bounded calls to Redis: every call has a timeout, and every failure one error type."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio
import redis.exceptions

from aura_async._errors import AuraConnectionError
from aura_async.redis._scripts import (
    ACQUIRE,
    COOLDOWN,
    LOCK_EXTEND,
    LOCK_RELEASE,
    RECORD,
    TOKEN_INVALIDATE,
    TOKEN_READ,
    TOKEN_STORE,
)

__all__ = ["RedisBackendError", "RedisCalls", "as_text", "describe_server"]

T = TypeVar("T")

_log = logging.getLogger("aura_async")

_SCRIPTS = {
    "acquire": ACQUIRE,
    "record": RECORD,
    "cooldown": COOLDOWN,
    "token_read": TOKEN_READ,
    "token_store": TOKEN_STORE,
    "token_invalidate": TOKEN_INVALIDATE,
    "lock_release": LOCK_RELEASE,
    "lock_extend": LOCK_EXTEND,
}


class RedisBackendError(AuraConnectionError):
    """Redis, which holds the shared rate limit and token, failed or is too slow.

    Raised by calls through a :class:`~aura_async.redis.RedisBackend` without a
    fallback. The message names the Redis server (host and port, never the
    password) and what went wrong.
    """


def describe_server(client: redis.asyncio.Redis) -> str:
    """Return ``host:port`` (or the socket path) of ``client``'s server, without credentials."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return str(kwargs["path"])
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


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
        self, client: redis.asyncio.Redis, *, timeout: float, fallback_share: float | None = None
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.where = describe_server(client)
        self.count = 0
        self._fallback_share = fallback_share
        self._outage = False
        self._scripts = {name: client.register_script(text) for name, text in _SCRIPTS.items()}
        password = client.connection_pool.connection_kwargs.get("password")
        self._password = str(password) if password else None

    async def script(self, name: str, keys: Sequence[str], args: Sequence[object]) -> Any:
        """Run the backend script ``name`` (loaded again by itself after a Redis restart).

        Raises:
            RedisBackendError: Redis failed or did not answer within the timeout.
        """
        script = self._scripts[name]
        return await self.run(script(keys=list(keys), args=[str(arg) for arg in args]))

    async def run(self, call: Awaitable[T]) -> T:
        """Await one Redis call within the timeout.

        Raises:
            RedisBackendError: Redis failed or did not answer within the timeout.
        """
        self.count += 1
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except TimeoutError as exc:
            raise self._error(f"no answer within {self.timeout:g}s") from exc
        except (redis.exceptions.RedisError, OSError) as exc:
            raise self._error(f"{type(exc).__name__}: {self._redact(str(exc))}") from exc

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
        if self._password:
            text = text.replace(self._password, "***")
        return text
