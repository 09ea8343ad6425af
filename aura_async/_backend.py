"""The ``Backend`` protocol: where a client gets a shared limiter and token provider.

The core never imports a backend; :class:`aura_async.redis.RedisBackend` is one.
"""

from __future__ import annotations

from typing import Protocol

from aura_async._auth import TokenProvider
from aura_async._config import RateLimit
from aura_async._ratelimit import Limiter

__all__ = ["Backend"]


class Backend(Protocol):
    """Provides the limiter and the token provider of a credential, shared beyond one process."""

    def limiter(self, rate: RateLimit, *, origin: str, client_id: str) -> Limiter:
        """Return the limiter of ``client_id`` at the API ``origin``, for allowance ``rate``."""

    def token_provider(self, *, origin: str, client_id: str, client_secret: str) -> TokenProvider:
        """Return the token provider of ``client_id`` at the API ``origin``.

        ``client_secret`` is the credential's secret, e.g. to derive a key that
        seals the token in a shared store; a backend must never log or store it.
        """
