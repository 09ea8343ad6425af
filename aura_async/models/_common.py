"""Enums shared by several resources, and the local checks that request models run.

The checks raise :class:`~aura_async._errors.AuraValidationError` naming the field, so that
a bad argument fails before anything is sent. They check only what needs no server and what
the spec states as a rule: types, lengths, fields that go together. Values from an open
catalogue (instance types, cloud providers, CDC modes, algorithm categories) are not checked
against our enums: a project may offer a value tomorrow that this release does not know, and
the server decides. The enums list the known values, for autocompletion; a known string
becomes its member.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

from aura_async._errors import AuraValidationError

_E = TypeVar("_E", bound=enum.Enum)

NAME_MAX_LENGTH = 30
"""The longest instance or customer managed key name the API accepts."""


class CloudProvider(enum.StrEnum):
    """The cloud providers known to this release (any non-empty string is sent as given)."""

    GCP = "gcp"
    AWS = "aws"
    AZURE = "azure"


class InstanceType(enum.StrEnum):
    """The instance types known to this release (``enterprise-db`` stands for Virtual
    Dedicated Cloud); any non-empty string is sent as given."""

    ENTERPRISE_DB = "enterprise-db"
    ENTERPRISE_DS = "enterprise-ds"
    BUSINESS_CRITICAL = "business-critical"
    PROFESSIONAL_DB = "professional-db"
    PROFESSIONAL_DS = "professional-ds"
    FREE_DB = "free-db"


class AlgorithmCategory(enum.StrEnum):
    """The Graph Data Science algorithm categories known to this release, for the sizing
    estimates (any non-empty string is sent as given)."""

    CENTRALITY = "centrality"
    COMMUNITY_DETECTION = "community-detection"
    MACHINE_LEARNING = "machine-learning"
    NODE_EMBEDDING = "node-embedding"
    PATHFINDING = "pathfinding"
    SIMILARITY = "similarity"


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def invalid(attribute: attrs.Attribute[Any], problem: str) -> AuraValidationError:
    """Build the error for a request field that fails a local check.

    Args:
        attribute: the attrs field that failed.
        problem: what is wrong, phrased to follow the field name.

    Returns:
        An AuraValidationError whose message starts with the field name.
    """
    return AuraValidationError(f"{attribute.name} {problem}")


def coerce_member(enum_cls: type[_E], value: _E | str | None) -> _E | str | None:
    """Turn a string that is a value of ``enum_cls`` into its member; return anything else
    unchanged (another string is sent as given; a non-string is left for the field's
    validator to reject with the field's name).

    Args:
        enum_cls: the enum to look the value up in.
        value: what the caller passed.

    Returns:
        The member, or the value unchanged.
    """
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        try:
            return enum_cls(value)
        except ValueError:
            return value
    return value


def to_instance_type(value: InstanceType | str | None) -> InstanceType | str | None:
    """Turn a known instance type string into its member; leave anything else as it is.

    Args:
        value: an InstanceType, any other string, or None.

    Returns:
        The InstanceType member for a known string, otherwise the value unchanged.
    """
    return coerce_member(InstanceType, value)


def to_categories(
    value: tuple[AlgorithmCategory | str, ...] | list[AlgorithmCategory | str] | list[str] | None,
) -> tuple[AlgorithmCategory | str, ...] | None:
    """Accept a list where a tuple of algorithm categories is wanted, known ones as members.

    Args:
        value: a tuple, a list, or None.

    Returns:
        A tuple (known strings as AlgorithmCategory members), or None; a value that is not a
        tuple or list is returned unchanged for the field's validator to reject.
    """
    if not isinstance(value, tuple | list):
        return value
    # items that are not strings stay as they are, for the validator to name the field
    return tuple(
        cast("AlgorithmCategory | str", coerce_member(AlgorithmCategory, item)) for item in value
    )


def to_cloud_provider(value: CloudProvider | str | None) -> CloudProvider | str | None:
    """Turn a known cloud provider string into its member; leave anything else as it is.

    Args:
        value: a CloudProvider, its string value, or None.

    Returns:
        The CloudProvider member for a known string, otherwise the value unchanged.
    """
    return coerce_member(CloudProvider, value)


def _validator(problem: Callable[[Any], str | None], *, optional: bool) -> Validator:
    """Build an attrs validator from ``problem``, which describes what is wrong, or None."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        message = problem(value)
        if message is not None:
            raise invalid(attribute, message)

    return validate


def text(*, optional: bool = False) -> Validator:
    """Build a validator for a non-empty string (or None if optional).

    Args:
        optional: whether None is accepted too.

    Returns:
        An attrs validator raising AuraValidationError.
    """

    def problem(value: object) -> str | None:
        ok = isinstance(value, str) and bool(value)
        return None if ok else f"must be a non-empty string, got {value!r}"

    return _validator(problem, optional=optional)


def resource_name(*, optional: bool = False, max_length: int = NAME_MAX_LENGTH) -> Validator:
    """Build a validator for a resource name: 1 to ``max_length`` characters, not padded.

    Args:
        optional: whether None is accepted too.
        max_length: the longest name accepted.

    Returns:
        An attrs validator raising AuraValidationError.
    """

    def problem(value: object) -> str | None:
        if not isinstance(value, str) or not 1 <= len(value) <= max_length:
            return f"must be a string of 1 to {max_length} characters"
        if value != value.strip():
            return "must not start or end with whitespace"
        return None

    return _validator(problem, optional=optional)


def flag(*, optional: bool = True) -> Validator:
    """Build a validator for a boolean (or None if optional).

    Args:
        optional: whether None is accepted too.

    Returns:
        An attrs validator raising AuraValidationError.
    """

    def problem(value: object) -> str | None:
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"

    return _validator(problem, optional=optional)


def count(*, optional: bool = False) -> Validator:
    """Build a validator for a non-negative integer (or None if optional).

    Args:
        optional: whether None is accepted too.

    Returns:
        An attrs validator raising AuraValidationError.
    """

    def problem(value: object) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else f"must be a non-negative integer, got {value!r}"

    return _validator(problem, optional=optional)


def texts(*, optional: bool = True) -> Validator:
    """Build a validator for a tuple of non-empty strings (or None if optional).

    Args:
        optional: whether None is accepted too.

    Returns:
        An attrs validator raising AuraValidationError.
    """

    def problem(value: object) -> str | None:
        ok = isinstance(value, tuple) and all(isinstance(v, str) and v for v in value)
        return None if ok else f"must be a tuple of non-empty strings, got {value!r}"

    return _validator(problem, optional=optional)
