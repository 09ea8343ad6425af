"""Pure validators of request input, and the API's error answers.

Every reader takes the decoded JSON body (a dict) and a field name, and either returns
the typed value or raises :class:`ApiError` 400 with that ``field``, the way the API
reports bad input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from aura_async.testing._http import ApiError

INVALID_REQUEST = "invalid-request"
NAME_MAX_LENGTH = 30
CLOUD_PROVIDERS = ("gcp", "aws", "azure")
INSTANCE_TYPES = (
    "enterprise-db",
    "enterprise-ds",
    "business-critical",
    "professional-db",
    "professional-ds",
    "free-db",
)
# Matched in this order, so that the 400 names the first field no configuration offers.
CONFIGURATION_FIELDS = ("type", "cloud_provider", "region", "version", "memory")

_SIZE = re.compile(r"([1-9][0-9]{0,4})GB")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(h|ms|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def invalid(message: str, *, field: str | None = None, reason: str = INVALID_REQUEST) -> ApiError:
    """Return the API's 400 for bad input.

    Args:
        message: What is wrong.
        field: The offending request field, if one is to blame.
        reason: The machine-readable reason.
    """
    return ApiError(400, message, reason=reason, field=field)


def db_not_found(instance_id: str) -> ApiError:
    """Return the API's 404 for an unknown instance."""
    return ApiError(404, f"DB not found: {instance_id}", reason="db-not-found")


def tenant_not_found() -> ApiError:
    """Return the API's 404 for an unknown tenant (project)."""
    return ApiError(404, "The tenant you specified could not be found", reason="tenant-not-found")


def snapshot_not_found(snapshot_id: str) -> ApiError:
    """Return the API's 404 for an unknown snapshot."""
    return ApiError(404, f"Snapshot not found: {snapshot_id}", reason="snapshot-not-found")


def key_not_found(key_id: str) -> ApiError:
    """Return the API's 404 for an unknown customer managed key."""
    return ApiError(404, f"Encryption Key not found: {key_id}", reason="encryption-key-not-found")


def session_not_found(session_id: str) -> ApiError:
    """Return the API's 404 for an unknown GDS session (whose reason is empty)."""
    return ApiError(404, f"session with id `{session_id}` not found", reason="")


def ongoing_operation(operation: str) -> ApiError:
    """Return the API's 409 for a mutation while another operation runs.

    The message keeps the live API's wording, typo included.
    """
    return ApiError(
        409,
        f"The database is current undergoing an operation: {operation}",
        reason="ongoing-database-operation",
    )


def required_str(body: Mapping[str, Any], field: str) -> str:
    """Return the non-empty string ``body[field]``.

    Raises:
        ApiError: 400 when the field is missing, not a string, or empty.
    """
    value = optional_str(body, field)
    if value is None:
        raise invalid(f"{field} is required", field=field)
    return value


def optional_str(body: Mapping[str, Any], field: str) -> str | None:
    """Return the string ``body[field]``, or None when absent or null.

    Raises:
        ApiError: 400 when the field is not a string or is empty.
    """
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid(f"{field} must be a non-empty string", field=field)
    return value


def optional_bool(body: Mapping[str, Any], field: str) -> bool | None:
    """Return the boolean ``body[field]``, or None when absent or null.

    Raises:
        ApiError: 400 when the field is not a boolean.
    """
    value = body.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise invalid(f"{field} must be a boolean", field=field)


def optional_count(body: Mapping[str, Any], field: str) -> int | None:
    """Return the non-negative integer ``body[field]``, or None when absent or null.

    Raises:
        ApiError: 400 when the field is not a non-negative integer (booleans rejected).
    """
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(f"{field} must be a non-negative integer", field=field)
    return value


def required_count(body: Mapping[str, Any], field: str) -> int:
    """Return the non-negative integer ``body[field]``.

    Raises:
        ApiError: 400 when the field is missing or not a non-negative integer.
    """
    value = optional_count(body, field)
    if value is None:
        raise invalid(f"{field} is required", field=field)
    return value


def optional_choice(body: Mapping[str, Any], field: str, choices: Collection[str]) -> str | None:
    """Return ``body[field]`` if it is one of ``choices``, or None when absent or null.

    Raises:
        ApiError: 400 when the value is not one of ``choices``.
    """
    value = body.get(field)
    if value is None:
        return None
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise invalid(f"{field} must be one of: {allowed}", field=field)
    return str(value)


def required_choice(body: Mapping[str, Any], field: str, choices: Collection[str]) -> str:
    """Return ``body[field]``, which must be one of ``choices``.

    Raises:
        ApiError: 400 when the field is missing or not one of ``choices``.
    """
    value = optional_choice(body, field, choices)
    if value is None:
        raise invalid(f"{field} is required", field=field)
    return value


def choice_list(body: Mapping[str, Any], field: str, choices: Collection[str]) -> list[str]:
    """Return the list of strings ``body[field]`` (empty when absent), each one of ``choices``.

    Raises:
        ApiError: 400 when the value is not a list or holds an unknown string.
    """
    value = body.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or any(item not in choices for item in value):
        allowed = ", ".join(sorted(choices))
        raise invalid(f"{field} must be a list of: {allowed}", field=field)
    return [str(item) for item in value]


def check_name(value: str, field: str = "name") -> str:
    """Return ``value`` if it is a valid resource name: 1 to 30 characters, no outer spaces.

    Raises:
        ApiError: 400 naming ``field`` otherwise.
    """
    if not 1 <= len(value) <= NAME_MAX_LENGTH:
        raise invalid(f"{field} must be 1 to {NAME_MAX_LENGTH} characters long", field=field)
    if value != value.strip():
        raise invalid(f"{field} must not start or end with whitespace", field=field)
    return value


def parse_size_gb(value: str, field: str) -> int:
    """Return the number of gigabytes in a size such as ``"8GB"``.

    Raises:
        ApiError: 400 naming ``field`` when the text is not ``<positive integer>GB``.
    """
    match = _SIZE.fullmatch(value)
    if match is None:
        raise invalid(f"{field} must be a size such as 8GB", field=field)
    return int(match.group(1))


def format_gb(gigabytes: int) -> str:
    """Return a size in the API's notation, e.g. ``8`` -> ``"8GB"``."""
    return f"{gigabytes}GB"


def parse_duration(value: str, field: str = "ttl") -> float:
    """Return the seconds in a Go-style duration such as ``"1h30m"``, ``"20m0s"`` or ``"90.0s"``.

    Raises:
        ApiError: 400 naming ``field`` when the text is not a positive duration.
    """
    parts = list(_DURATION_PART.finditer(value))
    if not parts or "".join(part.group(0) for part in parts) != value:
        raise invalid(f"{field} must be a duration such as 30m or 1h", field=field)
    seconds = sum(float(part.group(1)) * _DURATION_UNITS[part.group(2)] for part in parts)
    if seconds <= 0:
        raise invalid(f"{field} must be positive", field=field)
    return seconds


def format_duration(seconds: float) -> str:
    """Return seconds (rounded up) as a Go duration, the API's notation: 3600 -> ``"1h0m0s"``."""
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def parse_day(value: str, field: str = "date") -> date:
    """Return the calendar day in ``YYYY-MM-DD``.

    Raises:
        ApiError: 400 naming ``field`` when the text is not such a date.
    """
    try:
        if len(value) != len("YYYY-MM-DD"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(f"{field} must be a date in the format YYYY-MM-DD", field=field) from None


def match_configuration(
    configurations: Iterable[Mapping[str, str]], wanted: Mapping[str, str]
) -> Mapping[str, str]:
    """Return the first configuration that agrees with ``wanted`` on every configuration field.

    Args:
        configurations: A tenant's ``instance_configurations``.
        wanted: The requested ``type``, ``cloud_provider``, ``region``, ``version`` and
            ``memory``; fields absent from it are not compared.

    Raises:
        ApiError: 400 naming the first field (in :data:`CONFIGURATION_FIELDS` order) for
            which no configuration matches the ones before it.
    """
    candidates = list(configurations)
    for field in CONFIGURATION_FIELDS:
        if field not in wanted:
            continue
        candidates = [config for config in candidates if config.get(field) == wanted[field]]
        if not candidates:
            raise invalid(
                f"The project has no instance configuration with {field} {wanted[field]!r}"
                " for the other values requested",
                field=field,
            )
    if not candidates:
        raise invalid(
            "The project has no instance configurations", reason="tenant-incapable-of-action"
        )
    return candidates[0]
