"""Pure URL rules: which base URLs are allowed, and how API paths are built."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit

from aura_async._errors import AuraConfigurationError, AuraValidationError

__all__ = ["api_root", "check_base_url", "check_id", "path_segment"]

_API_VERSION = re.compile(r"v\d+(?:beta\d+)?")
_LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """Validate the API origin and return it without a trailing slash.

    ``http://`` is accepted only for loopback hosts (the emulator), so a token is
    never sent in clear text over a network.

    Raises:
        AuraConfigurationError: Not an absolute https URL (or http on loopback),
            or it carries a query, fragment or credentials.
    """
    if not isinstance(base_url, str):
        raise AuraConfigurationError(f"base_url must be a string, got {base_url!r}")
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise AuraConfigurationError(f"base_url must be an absolute https URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(host):
        raise AuraConfigurationError(
            f"base_url {base_url!r} uses http: only loopback hosts may (the token would be "
            "sent in clear text)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise AuraConfigurationError("base_url must not have a query, fragment or credentials")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def api_root(base_url: str, api_version: str) -> str:
    """Return the versioned API root, e.g. ``https://api.neo4j.io/v1``.

    Raises:
        AuraConfigurationError: The version is not like ``v1`` or ``v1beta5``.
    """
    if not isinstance(api_version, str) or not _API_VERSION.fullmatch(api_version):
        raise AuraConfigurationError(f"api_version must look like 'v1', got {api_version!r}")
    return f"{base_url}/{api_version}"


def check_id(name: str, value: object) -> str:
    """Return ``value`` after checking it is a plain id, usable as a path segment.

    Raises:
        AuraValidationError: Not a non-empty string, or it holds ``/``, whitespace
            or control characters (it would address another resource).
    """
    if not isinstance(value, str) or not value:
        raise AuraValidationError(f"{name} must be a non-empty string, got {value!r}")
    if value in (".", "..") or any(c == "/" or c.isspace() or ord(c) < 32 for c in value):
        raise AuraValidationError(f"{name} {value!r} is not a valid id")
    return value


def path_segment(name: str, value: object) -> str:
    """Return ``value`` as one percent-encoded URL path segment (see :func:`check_id`).

    Raises:
        AuraValidationError: Not a plain id.
    """
    return quote(check_id(name, value), safe="")
