"""OAuth client credentials and bearer tokens, as the Aura gateway checks them.

``POST /oauth/token`` takes HTTP Basic ``client_id:client_secret`` and the form body
``grant_type=client_credentials`` and answers
``{"access_token", "expires_in", "token_type": "Bearer"}``. API calls under ``/v1``
need ``Authorization: Bearer <token>``. Errors use the gateway shape
``{"error": message}``; the messages are:

- ``401 "Invalid client credentials"``: token endpoint, missing, malformed, unknown
  or revoked Basic credentials;
- ``400 "Content-Type must be application/x-www-form-urlencoded"`` and
  ``400 "grant_type must be client_credentials"``: token endpoint, bad body;
- ``401 "Authorization header is missing or is not a Bearer token"``: API call;
- ``401 "Access token is invalid"``: API call with an unknown token or a token of
  revoked credentials;
- ``expired_token_status`` (401 in practice, 403 per the docs)
  ``"Token has expired"``: API call with an expired token.

Token lifetimes run on the emulator's monotonic clock. Secrets and tokens never
appear in reprs or error messages.
"""

from __future__ import annotations

import binascii
import math
import secrets
import time
import warnings
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aura_async.testing._http import ApiError, json_response
from aura_async.testing._journal import TOKEN_PATH
from aura_async.testing._keys import CLIENT_ID_KEY, CLIENT_ID_STRING_KEY

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
INVALID_CREDENTIALS = "Invalid client credentials"
MISSING_BEARER = "Authorization header is missing or is not a Bearer token"
INVALID_TOKEN = "Access token is invalid"
EXPIRED_TOKEN = "Token has expired"

# Expired tokens are remembered (to answer "expired", not "invalid") for this many
# lifetimes, then forgotten, so a long-running server does not grow without bound.
_REMEMBER_EXPIRED_LIFETIMES = 10
_PRUNE_EVERY = 1024


@dataclass(slots=True)
class _Token:
    client_id: str
    expires_at: float


class TokenAuthority:
    """The credentials the emulator accepts and the tokens it has issued.

    Args:
        credentials: ``client_id -> client_secret``; default: one random pair.
        token_lifetime: Seconds a token stays valid.
        expired_token_status: The status an expired token gets: 401 or 403.
        clock: The emulator's monotonic clock.

    Raises:
        ValueError: On an empty credential mapping, a non-positive lifetime or an
            expired-token status other than 401/403.
    """

    def __init__(
        self,
        credentials: Mapping[str, str] | None = None,
        *,
        token_lifetime: float = 3600.0,
        expired_token_status: int = 401,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(token_lifetime) and token_lifetime > 0):
            raise ValueError(f"token_lifetime must be positive, not {token_lifetime!r}")
        if expired_token_status not in (401, 403):
            raise ValueError("expired_token_status must be 401 or 403")
        self.token_lifetime = float(token_lifetime)
        self.expired_token_status = expired_token_status
        self._clock = clock
        self._secrets: dict[str, str] = {}
        self._tokens: dict[str, _Token] = {}
        self._issued = 0
        if credentials is None:
            self.add_credentials()
        elif not credentials:
            raise ValueError("credentials must hold at least one client id")
        for client_id, client_secret in (credentials or {}).items():
            self.add_credentials(client_id, client_secret)

    def __repr__(self) -> str:
        return f"TokenAuthority(client_ids={self.client_ids!r}, tokens={len(self._tokens)})"

    @property
    def client_ids(self) -> list[str]:
        """The client ids whose credentials are currently valid."""
        return list(self._secrets)

    def secret_of(self, client_id: str) -> str:
        """Return the secret of ``client_id``.

        Raises:
            KeyError: If ``client_id`` has no valid credentials.
        """
        return self._secrets[client_id]

    def add_credentials(
        self, client_id: str | None = None, client_secret: str | None = None
    ) -> tuple[str, str]:
        """Accept a new credential pair (random parts where not given).

        Returns:
            ``(client_id, client_secret)``.

        Raises:
            ValueError: If ``client_id`` is empty or contains ``:``.
        """
        client_id = client_id if client_id is not None else secrets.token_hex(16)
        if not client_id or ":" in client_id:
            raise ValueError("client_id must be non-empty and must not contain ':'")
        client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(32)
        self._secrets[client_id] = client_secret
        return client_id, client_secret

    def revoke(self, client_id: str) -> None:
        """Stop accepting ``client_id``'s credentials and reject its issued tokens."""
        self._secrets.pop(client_id, None)
        self._drop_tokens(lambda token: token.client_id == client_id)

    def expire_tokens(self, client_id: str | None = None) -> None:
        """Make every issued token (of ``client_id``, if given) expired from now."""
        now = self._clock()
        for token in self._tokens.values():
            if client_id is None or token.client_id == client_id:
                token.expires_at = min(token.expires_at, now)

    def verify(self, client_id: str, client_secret: str) -> None:
        """Check a credential pair.

        Raises:
            ApiError: 401 if the credentials are unknown, revoked or wrong.
        """
        expected = self._secrets.get(client_id)
        if expected is None or not secrets.compare_digest(
            expected.encode(), client_secret.encode()
        ):
            raise ApiError(401, INVALID_CREDENTIALS, gateway=True)

    def issue(self, client_id: str, client_secret: str) -> str:
        """Issue a token for valid credentials.

        Raises:
            ApiError: 401 if the credentials are unknown, revoked or wrong.
        """
        self.verify(client_id, client_secret)
        self._issued += 1
        if self._issued % _PRUNE_EVERY == 0:
            self._prune_expired()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _Token(client_id, self._clock() + self.token_lifetime)
        return token

    def authenticate(self, authorization: str | None) -> str:
        """Return the client id a ``Bearer`` Authorization header belongs to.

        Raises:
            ApiError: 401 if missing, malformed or unknown; ``expired_token_status``
                if the token expired.
        """
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, MISSING_BEARER, gateway=True)
        issued = self._tokens.get(token.strip())
        if issued is None:
            raise ApiError(401, INVALID_TOKEN, gateway=True)
        if self._clock() >= issued.expires_at:
            raise ApiError(self.expired_token_status, EXPIRED_TOKEN, gateway=True)
        return issued.client_id

    def _prune_expired(self) -> None:
        horizon = self._clock() - _REMEMBER_EXPIRED_LIFETIMES * self.token_lifetime
        self._drop_tokens(lambda token: token.expires_at < horizon)

    def _drop_tokens(self, predicate: Callable[[_Token], bool]) -> None:
        for key in [key for key, token in self._tokens.items() if predicate(token)]:
            del self._tokens[key]


def parse_basic_auth(authorization: str | None) -> tuple[str, str] | None:
    """Return ``(client_id, client_secret)`` from a Basic Authorization header, if valid."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, client_secret = decoded.partition(":")
    return (client_id, client_secret) if colon and client_id else None


def auth_middleware(authority: TokenAuthority) -> Middleware:
    """Return the middleware that attributes each request to a credential.

    API calls (``/v1...``) must carry a valid bearer token, else the middleware
    answers the gateway's error. Token requests are attributed to their Basic-auth
    client id (valid or not: the rate limit counts attempts), others to nobody.
    """

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        client_id: str | None = None
        if path.startswith("/v1/") or path == "/v1":
            client_id = authority.authenticate(request.headers.get("Authorization"))
        elif path == TOKEN_PATH:
            basic = parse_basic_auth(request.headers.get("Authorization"))
            client_id = basic[0] if basic is not None else None
        if client_id is not None:
            store_client_id(request, client_id)
        return await handler(request)

    return authenticate


def store_client_id(request: web.Request, client_id: str) -> None:
    """Attribute ``request`` to ``client_id``.

    Stored under the typed ``CLIENT_ID_KEY`` and, for route handlers, under the
    plain string key ``"aura_client_id"``.
    """
    request[CLIENT_ID_KEY] = client_id
    # aiohttp warns (once per process) about plain string keys; under
    # ``filterwarnings = error`` that warning would fail the request.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[CLIENT_ID_STRING_KEY] = client_id


def token_endpoint(authority: TokenAuthority) -> Handler:
    """Return the ``POST /oauth/token`` handler issuing tokens from ``authority``."""

    async def post_oauth_token(request: web.Request) -> web.StreamResponse:
        basic = parse_basic_auth(request.headers.get("Authorization"))
        if basic is None:
            raise ApiError(401, INVALID_CREDENTIALS, gateway=True)
        authority.verify(*basic)
        if request.content_type != FORM_CONTENT_TYPE:
            raise ApiError(400, f"Content-Type must be {FORM_CONTENT_TYPE}", gateway=True)
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "grant_type must be client_credentials", gateway=True)
        lifetime = authority.token_lifetime
        return json_response(
            {
                "access_token": authority.issue(*basic),
                "expires_in": int(lifetime) if lifetime.is_integer() else lifetime,
                "token_type": "Bearer",
            },
            headers={"Cache-Control": "no-store"},
        )

    return post_oauth_token
