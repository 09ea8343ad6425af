"""The shared access token, sealed before it reaches Redis.

Every process of a credential holds its client secret, and nobody who can only
read Redis (or its RDB and AOF files, replicas and backups) does; so the token
is encrypted with AES-256-GCM under a key derived from the client secret with
HKDF-SHA256. The name of the token's key (which names the API host and a hash of
the client id) is bound as associated data, so a sealed token copied to another
credential's key does not open. A second derived key makes the token's
fingerprint (HMAC-SHA256), which lets a process delete a rejected token by
comparison without reading it back.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TokenSeal"]

_FORMAT = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class TokenSeal:
    """Seals and opens one credential's shared token.

    Args:
        client_secret: The credential's client secret (the key material).
        context: The Redis key the token is stored under (bound as associated data).
    """

    __slots__ = ("_aad", "_aead", "_id_key")

    def __init__(self, client_secret: str, context: str) -> None:
        self._aad = context.encode()
        material = HKDF(
            algorithm=hashes.SHA256(),
            length=2 * _KEY_BYTES,
            salt=None,
            info=b"aura_async redis token " + _FORMAT.encode() + b"\0" + self._aad,
        ).derive(client_secret.encode())
        self._aead = AESGCM(material[:_KEY_BYTES])
        self._id_key = material[_KEY_BYTES:]

    def __repr__(self) -> str:
        return "<TokenSeal>"

    def seal(self, token: str) -> str:
        """Return ``token`` encrypted, as text: ``v1:`` and base64 of nonce and ciphertext."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, token.encode(), self._aad)
        return f"{_FORMAT}:{base64.b64encode(sealed).decode()}"

    def open(self, sealed: str) -> str | None:
        """Return the token sealed in ``sealed``, or None if it does not open here.

        A token sealed with another client secret, for another key, in another
        format, or altered, does not open.
        """
        version, _, text = sealed.partition(":")
        if version != _FORMAT:
            return None
        try:
            raw = base64.b64decode(text, validate=True)
            plain: bytes = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad)
        except (binascii.Error, InvalidTag, ValueError):
            return None
        return plain.decode()

    def fingerprint(self, token: str) -> str:
        """Return a keyed digest of ``token``: it names the token without revealing it."""
        mac = hmac.HMAC(self._id_key, hashes.SHA256())
        mac.update(token.encode())
        digest: bytes = mac.finalize()
        return digest.hex()[:32]
