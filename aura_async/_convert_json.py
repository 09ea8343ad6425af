"""The JSON-type rules of the one converter (:mod:`aura_async._convert` registers them).

JSON types are checked strictly: a string field takes only a string, a boolean only a
boolean, an integer only an integral number; ``SomeEnum | str`` keeps an unknown string;
a timestamp is ISO 8601 / RFC 3339 or Go's ``time.Time`` form. A value that does not fit
raises :class:`BadValueError`, whose message names JSON types, never the value.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeGuard, Union, cast, get_args, get_origin

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory

NONE_TYPE = type(None)
_PRIMITIVES = (str, int, float, bool)
JSON_TYPE_NAMES = {
    NONE_TYPE: "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

STRUCTURE_ERRORS = (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError)

Hook = Callable[[Any, Any], Any]


class BadValueError(ValueError):
    """A JSON value that does not fit its field; the message names types, never the value."""


def json_type(value: object) -> str:
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def mismatch(expected: str, value: object) -> BadValueError:
    return BadValueError(f"expected {expected}, got {json_type(value)}")


def union_args(type_: object) -> tuple[Any, ...]:
    if get_origin(type_) in (Union, types.UnionType):
        return get_args(type_)
    return ()


def structure_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    raise mismatch("a string", value)


def structure_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    raise mismatch("a boolean", value)


def structure_int(value: object, _: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON has one number type: 2.0 is a fine count
    raise mismatch("an integer", value)


# Go's time.Time.String(): "2023-01-20 13:44:42.5 +0000 UTC m=+0.000000001"
_GO_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?) "
    r"(?P<offset>[+-]\d{4})(?: [A-Za-z0-9+-]+)?(?: m=[+-]\d+(?:\.\d+)?)?"
)


def parse_timestamp(text: str) -> datetime | None:
    """Parse an ISO 8601 / RFC 3339 timestamp or Go's ``time.Time`` string form.

    Args:
        text: e.g. ``2023-01-20T13:44:42Z``, ``2023-01-20t13:44:42.5z`` or
            ``2023-01-20 13:44:42 +0000 UTC``.

    Returns:
        An aware datetime (UTC when the text has no offset), or None when it does not parse.
    """
    go = _GO_TIME.fullmatch(text)
    candidate = f"{go['date']}T{go['time']}{go['offset']}" if go else text.upper()
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def structure_datetime(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise mismatch("an ISO 8601 timestamp string", value)
    parsed = parse_timestamp(value)
    if parsed is None:
        raise BadValueError("expected an ISO 8601 timestamp")
    return parsed


def _is_enum(type_: object) -> TypeGuard[type[enum.Enum]]:
    return isinstance(type_, type) and issubclass(type_, enum.Enum)


def structure_enum(value: object, enum_cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, str):
        try:
            return enum_cls(value)
        except ValueError:
            pass
    accepted = ", ".join(repr(member.value) for member in enum_cls)
    raise BadValueError(f"expected one of {accepted}")


def unstructure_enum(member: enum.Enum) -> Any:
    return member.value


def enum_of(type_: object) -> type[enum.Enum] | None:
    """The enum of an ``E | str`` or ``E | str | None`` union, else None."""
    others = set(union_args(type_)) - {NONE_TYPE}
    enums = [arg for arg in others if _is_enum(arg)]
    if len(enums) == 1 and others == {enums[0], str}:
        return enums[0]
    return None


def enum_or_str_hook(type_: Any) -> Hook:
    enum_cls = cast("type[enum.Enum]", enum_of(type_))
    nullable = NONE_TYPE in union_args(type_)

    def structure(value: object, _: object) -> object:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise mismatch("a string", value)
        try:
            return enum_cls(value)
        except ValueError:
            return value

    return structure


def is_primitive_union(type_: object) -> bool:
    others = set(union_args(type_)) - {NONE_TYPE}
    return len(others) > 1 and all(arg in _PRIMITIVES for arg in others)


def primitive_union_hook(type_: Any) -> Hook:
    accepted = union_args(type_)
    expected = " or ".join(JSON_TYPE_NAMES[arg] for arg in accepted)

    def structure(value: object, _: object) -> object:
        if type(value) in accepted:  # exact: a boolean is no number here
            return value
        raise mismatch(expected, value)

    return structure


def is_homogeneous_tuple(type_: object) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def tuple_hook(type_: Any, conv: cattrs.Converter) -> Hook:
    structure_items = homogenous_tuple_structure_factory(type_, conv)

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise mismatch("an array", value)  # a string would otherwise split into chars
        items: tuple[Any, ...] = structure_items(value, type_)
        return items

    return structure


def describe(error: BaseException, type_: Any) -> str:
    if isinstance(error, BadValueError):
        return str(error)
    if isinstance(error, KeyError):
        return "required field missing"
    # other messages may quote the value, which may be a secret: name the type only
    return f"invalid value, expected {getattr(type_, '__name__', type_)}"
