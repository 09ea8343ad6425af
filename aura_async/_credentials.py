"""What clients of one credential share: the limiter and the token provider.

Clients built in one event loop with the same credential share one limiter and one
token cache, unless given their own; a registry entry lives as long as a client uses
it. The key holds a digest of the secret, never the secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref

import attrs

from aura_async._auth import TokenCache, TokenProvider
from aura_async._config import RateLimit
from aura_async._ratelimit import Limiter, LocalLimiter

__all__ = ["Credential", "Secret", "credential_for"]


@attrs.frozen
class Secret:
    """A client secret, kept out of ``repr`` (and so out of tracebacks that show locals)."""

    value: str = attrs.field(repr=False)


class Credential:
    """The limiter and token provider one client uses.

    Attributes:
        limiter: The limiter, or None when rate limiting is off.
        tokens: The token provider.
        deprecation_warned: The API's deprecation notice was logged already.
    """

    def __init__(
        self, limiter: Limiter | None, tokens: TokenProvider, shared: object = None
    ) -> None:
        self.limiter = limiter
        self.tokens = tokens
        self._shared = shared  # keeps the registry's entry alive while this client exists
        self.deprecation_warned = False


class _SharedCredential(Credential):
    """A registry entry; its limiter is made by the first client that wants one."""

    def limiter_for(self, rate: RateLimit | None, logger: logging.Logger) -> Limiter | None:
        """Return the shared limiter (None if ``rate`` is None), creating it once."""
        if rate is None:
            return None
        if self.limiter is None:
            self.limiter = LocalLimiter(rate)
        elif isinstance(self.limiter, LocalLimiter) and self.limiter.rate != rate:
            logger.warning(
                "another client of this credential set %r; sharing its limiter, not %r",
                self.limiter.rate,
                rate,
            )
        return self.limiter


_registry: weakref.WeakValueDictionary[tuple[object, ...], _SharedCredential]
_registry = weakref.WeakValueDictionary()


def credential_for(
    origin: str,
    client_id: str,
    client_secret: str,
    *,
    rate: RateLimit | None,
    logger: logging.Logger,
    limiter: Limiter | None = None,
    tokens: TokenProvider | None = None,
) -> Credential:
    """Return what a client of this credential uses in the running event loop.

    Args:
        origin: The API origin.
        client_id: The client id.
        client_secret: The secret (only its digest is kept).
        rate: The client's rate limit, or None for no limiting.
        logger: Where a conflicting rate limit is reported.
        limiter: The client's own limiter, instead of the shared one.
        tokens: The client's own token provider, instead of the shared one.
    """
    digest = hashlib.sha256(client_secret.encode()).hexdigest()
    key = (asyncio.get_running_loop(), origin, client_id, digest)
    shared = _registry.get(key)
    if shared is None:
        shared = _registry[key] = _SharedCredential(None, TokenCache())
    if limiter is None:
        limiter = shared.limiter_for(rate, logger)
    return Credential(limiter, tokens or shared.tokens, shared)
