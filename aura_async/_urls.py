"""Pure URL rules: which base URLs are allowed, and how API paths are built."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, urlsplit

from yarl import URL

from aura_async._errors import AuraConfigurationError, AuraValidationError

__all__ = ["api_root", "check_base_url", "check_id", "path_segment", "wire_url"]

_API_VERSION = re.compile(r"v\d+(?:beta\d+)?")
_LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: object) -> str:
    """Validate the API origin strictly and return it without a trailing slash.

    It must be ``https://host[:port]`` (``http://`` only for loopback hosts, the
    emulator, so a token is never sent in clear text over a network), in printable
    ASCII without whitespace or backslashes, with a port in 1..65535 and no path
    but ``/``, query, fragment or credentials.

    Raises:
        AuraConfigurationError: It is not; the message names the rule (and, for a
            URL ending in ``/v1``, the fix).
    """
    if not isinstance(base_url, str):
        raise AuraConfigurationError(f"base_url must be a string, got {base_url!r}")
    _check_characters(base_url)
    try:
        parts = urlsplit(base_url)
    except ValueError:  # e.g. an invalid IPv6 literal
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise AuraConfigurationError(f"base_url must be an absolute https URL, got {base_url!r}")
    if "?" in base_url or "#" in base_url or "@" in parts.netloc:
        raise AuraConfigurationError("base_url must not have a query, fragment or credentials")
    host = _checked_host(parts.netloc, parts.hostname or "", base_url)
    _check_port(parts, base_url)
    _check_path(parts.path, f"{parts.scheme}://{parts.netloc}")
    if parts.scheme == "http" and not _is_loopback(host):
        raise AuraConfigurationError(
            f"base_url {base_url!r} uses http: only loopback hosts may (the token would be "
            "sent in clear text)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _check_characters(base_url: str) -> None:
    """Reject whitespace, control characters, backslashes and non-ASCII (named, not echoed)."""
    odd = [(i, c) for i, c in enumerate(base_url) if not 33 <= ord(c) <= 126 or c == "\\"]
    if not odd:
        return
    index, char = odd[0]
    hint = "; write an international host name in its xn-- form" if ord(char) > 126 else ""
    raise AuraConfigurationError(
        "base_url must be printable ASCII without whitespace, control characters or "
        f"backslashes: {char!r} at position {index}{hint}"
    )


_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")


def _checked_host(netloc: str, host: str, base_url: str) -> str:
    """Return the host: a DNS name, an IPv4 address, or an IPv6 address in brackets."""
    if netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            host = ""
    elif not (len(host) <= 253 and _HOST_NAME.fullmatch(host)):
        host = ""
    if not host:
        raise AuraConfigurationError(f"base_url has no valid host name, got {base_url!r}")
    return host


def _check_port(parts: SplitResult, base_url: str) -> None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise AuraConfigurationError(f"base_url's port must be in 1..65535, got {base_url!r}")


def _check_path(path: str, origin: str) -> None:
    if path in ("", "/"):
        return
    if _API_VERSION.fullmatch(path.strip("/").rsplit("/", 1)[-1]):
        raise AuraConfigurationError(
            f"base_url must be the API origin, without the version: use {origin!r} (the "
            f"client adds '/v1'; pass api_version=... for another), not {origin + path!r}"
        )
    raise AuraConfigurationError(
        f"base_url must be the API origin without a path, e.g. {origin!r}, got {origin + path!r}"
    )


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


# What may stay as-is in a URL (reserved and unreserved characters, and "%" so that
# existing escapes are kept); everything else is percent-encoded.
_URL_SAFE = "!#$&'()*+,/:;=?@[]~%"


def wire_url(url: str) -> URL:
    """Return ``url`` as the URL to send verbatim.

    Characters a URL may not hold (spaces, controls, non-ASCII) are
    percent-encoded; existing escapes are kept. yarl would otherwise decode an
    escaped ``;``, ``=``, ``@``, ``:`` or ``,`` of an id (``a%3Bb`` to ``a;b``),
    moving it out of its path segment on the wire.
    """
    return URL(quote(url, safe=_URL_SAFE), encoded=True)
