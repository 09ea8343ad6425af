"""The one cattrs converter: every wire rule of the Aura API lives here.

Responses (``structure_data``, ``structure_list``):

- a success body is ``{"data": ...}``; the helpers unwrap it;
- a response model (a :class:`~aura_async.models._wire.WireModel`) is read tolerantly: only
  its identity fields must read; any other field that is missing, null or does not fit
  becomes None (logged at DEBUG once per model and field, naming types, never values);
  unknown keys go to ``obj.extra`` and the whole object to ``obj.raw``; a nested list
  skips the items that do not read;
- a list body keeps every item whose identity reads; the others are skipped with a
  WARNING naming the index and the request id;
- JSON types are checked strictly: a string field takes only a string, a boolean only a
  boolean, an integer only an integral number. (cattrs alone would turn ``5`` into ``"5"``
  and ``"no"`` into ``True``.)
- a field typed ``SomeEnum | str`` takes a known value as its enum member and keeps any
  other string as it is (the live API has statuses outside the spec's enums);
- a ``datetime`` field takes an ISO 8601 / RFC 3339 timestamp (``Z``, ``z`` or an offset)
  or Go's ``2023-01-20 13:44:42 +0000 UTC`` form and holds an aware datetime; a timestamp
  without an offset is taken as UTC; anything else does not fit (in a response model: None,
  its text in ``obj.raw``);
- a body that does not fit raises ``ResponseValidationError`` whose message names the model
  and each bad field by its JSON path, never the field's value (values may be secrets).

Requests (``unstructure_body``): ``None`` fields are omitted, enums become their values,
tuples become lists and datetimes ISO 8601 strings.
"""

from __future__ import annotations

import enum
import logging
import re
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, is_sequence
from cattrs.errors import AttributeValidationNote, ClassValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from aura_async._errors import ResponseValidationError
from aura_async.models._wire import IDENTITY, WireModel, keep_wire

logger = logging.getLogger("aura_async")

T = TypeVar("T")

_NONE_TYPE = type(None)
_PRIMITIVES = (str, int, float, bool)
_MAX_PROBLEMS = 5  # a list of a thousand bad rows must not make a megabyte message
_JSON_TYPE_NAMES = {
    _NONE_TYPE: "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

_STRUCTURE_ERRORS = (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError)

Hook = Callable[[Any, Any], Any]
UnstructureHook = Callable[[Any], Any]


class _BadValueError(ValueError):
    """A JSON value that does not fit its field; the message names types, never the value."""


def _json_type(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _mismatch(expected: str, value: object) -> _BadValueError:
    return _BadValueError(f"expected {expected}, got {_json_type(value)}")


def _union_args(type_: object) -> tuple[Any, ...]:
    if get_origin(type_) in (Union, types.UnionType):
        return get_args(type_)
    return ()


def _structure_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    raise _mismatch("a string", value)


def _structure_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _mismatch("a boolean", value)


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON has one number type: 2.0 is a fine count
    raise _mismatch("an integer", value)


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


def _structure_datetime(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise _mismatch("an ISO 8601 timestamp string", value)
    parsed = parse_timestamp(value)
    if parsed is None:
        raise _BadValueError("expected an ISO 8601 timestamp")
    return parsed


def _is_enum(type_: object) -> TypeGuard[type[enum.Enum]]:
    return isinstance(type_, type) and issubclass(type_, enum.Enum)


def _structure_enum(value: object, enum_cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, str):
        try:
            return enum_cls(value)
        except ValueError:
            pass
    accepted = ", ".join(repr(member.value) for member in enum_cls)
    raise _BadValueError(f"expected one of {accepted}")


def _unstructure_enum(member: enum.Enum) -> Any:
    return member.value


def _enum_of(type_: object) -> type[enum.Enum] | None:
    """The enum of an ``E | str`` or ``E | str | None`` union, else None."""
    others = set(_union_args(type_)) - {_NONE_TYPE}
    enums = [arg for arg in others if _is_enum(arg)]
    if len(enums) == 1 and others == {enums[0], str}:
        return enums[0]
    return None


def _enum_or_str_hook(type_: Any) -> Hook:
    enum_cls = cast("type[enum.Enum]", _enum_of(type_))
    nullable = _NONE_TYPE in _union_args(type_)

    def structure(value: object, _: object) -> object:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise _mismatch("a string", value)
        try:
            return enum_cls(value)
        except ValueError:
            return value

    return structure


def _is_primitive_union(type_: object) -> bool:
    others = set(_union_args(type_)) - {_NONE_TYPE}
    return len(others) > 1 and all(arg in _PRIMITIVES for arg in others)


def _primitive_union_hook(type_: Any) -> Hook:
    accepted = _union_args(type_)
    expected = " or ".join(_JSON_TYPE_NAMES[arg] for arg in accepted)

    def structure(value: object, _: object) -> object:
        if type(value) in accepted:  # exact: a boolean is no number here
            return value
        raise _mismatch(expected, value)

    return structure


def _is_homogeneous_tuple(type_: object) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(type_: Any, conv: cattrs.Converter) -> Hook:
    structure_items = homogenous_tuple_structure_factory(type_, conv)

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _mismatch("an array", value)  # a string would otherwise split into chars
        items: tuple[Any, ...] = structure_items(value, type_)
        return items

    return structure


def _attrs_structure_hook(cls: Any, conv: cattrs.Converter) -> Hook:
    structure_fields = make_dict_structure_fn(cls, conv)

    def structure(value: object, _: object) -> object:
        if not isinstance(value, dict):
            raise _mismatch("an object", value)
        return structure_fields(value, cls)

    return structure


def _attrs_unstructure_hook(cls: Any, conv: cattrs.Converter) -> UnstructureHook:
    # every optional field defaults to None, so omitting defaults omits the None fields
    return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)


def _is_wire_model(type_: object) -> bool:
    return isinstance(type_, type) and issubclass(type_, WireModel)


_tolerated: set[tuple[str, str]] = set()


def _tolerate(model: str, field: str, what: str) -> None:
    """Log at DEBUG, once per model and field, that a field was read as None."""
    if (model, field) in _tolerated:
        return
    _tolerated.add((model, field))
    logger.debug("%s.%s read as None: %s", model, field, what)


def _without_none(type_: Any) -> Any:
    args = [arg for arg in _union_args(type_) if arg is not _NONE_TYPE]
    if not args:
        return type_
    return args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007


def _is_wire_tuple(type_: object) -> bool:
    return _is_homogeneous_tuple(type_) and _is_wire_model(get_args(type_)[0])


def _wire_tuple_hook(type_: Any, conv: cattrs.Converter) -> Hook:
    item_type = get_args(type_)[0]

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _mismatch("an array", value)
        return tuple(_readable_items(value, item_type, conv))

    return structure


def _readable_items(items: list[Any], item_type: Any, conv: cattrs.Converter) -> list[Any]:
    kept = []
    for item in items:
        try:
            kept.append(conv.structure(item, item_type))
        except _STRUCTURE_ERRORS as exc:
            _tolerate(item_type.__name__, "(an item of a list)", _describe(exc, item_type))
    return kept


FieldReader = Callable[[Mapping[str, Any]], Any]


def _essential_reader(cls: Any, field: attrs.Attribute[Any], conv: cattrs.Converter) -> FieldReader:
    def read(obj: Mapping[str, Any]) -> Any:
        try:
            return conv.structure(obj[field.name], cast("type[Any]", field.type))
        except _STRUCTURE_ERRORS as exc:
            note = f"Structuring class {cls.__qualname__} @ attribute {field.name}"
            exc.__notes__ = [AttributeValidationNote(note, field.name, field.type)]
            raise ClassValidationError(f"While structuring {cls.__name__}", [exc], cls) from None

    return read


def _lenient_reader(cls: Any, field: attrs.Attribute[Any], conv: cattrs.Converter) -> FieldReader:
    inner = _without_none(field.type)
    model, name = cls.__name__, field.name

    def read(obj: Mapping[str, Any]) -> Any:
        value = obj.get(name)
        if value is None:
            _tolerate(model, name, "null" if name in obj else "missing")
            return None
        try:
            return conv.structure(value, inner)
        except _STRUCTURE_ERRORS as exc:
            _tolerate(model, name, _describe(exc, inner))
            return None

    return read


def _wire_model_hook(cls: Any, conv: cattrs.Converter) -> Hook:
    attrs.resolve_types(cls)  # the models use postponed annotations
    fields = attrs.fields(cls)
    readers = {
        field.name: (_essential_reader if field.metadata.get(IDENTITY) else _lenient_reader)(
            cls, field, conv
        )
        for field in fields
    }

    def structure(value: object, _: object) -> object:
        if not isinstance(value, dict):
            raise _mismatch("an object", value)
        known = {name: read(value) for name, read in readers.items()}
        model = cls(**known)
        keep_wire(model, {key: item for key, item in value.items() if key not in readers}, value)
        return model

    return structure


def _sequence_unstructure_hook(_: Any, conv: cattrs.Converter) -> UnstructureHook:
    def unstructure(value: Any) -> list[Any]:
        return [conv.unstructure(item) for item in value]

    return unstructure


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(datetime, _structure_datetime)
    # registered on StrEnum too: for a StrEnum, the str hook would otherwise win (MRO)
    for enum_base in (enum.Enum, enum.StrEnum):
        conv.register_structure_hook(enum_base, _structure_enum)
        conv.register_unstructure_hook(enum_base, _unstructure_enum)
    conv.register_structure_hook_factory(lambda t: _enum_of(t) is not None, _enum_or_str_hook)
    conv.register_structure_hook_factory(_is_primitive_union, _primitive_union_hook)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
    conv.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
    conv.register_structure_hook_factory(_is_wire_tuple, _wire_tuple_hook)
    conv.register_structure_hook_factory(_is_wire_model, _wire_model_hook)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook_factory(is_sequence, _sequence_unstructure_hook)
    conv.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_hook)
    return conv


converter: cattrs.Converter = _build_converter()
"""The converter that owns every wire rule (see the module docstring)."""


def _describe(error: BaseException, type_: Any) -> str:
    if isinstance(error, _BadValueError):
        return str(error)
    if isinstance(error, KeyError):
        return "required field missing"
    # other messages may quote the value, which may be a secret: name the type only
    return f"invalid value, expected {getattr(type_, '__name__', type_)}"


def _not_fitting(model: str, error: BaseException) -> ResponseValidationError:
    problems = cattrs.transform_error(error, path="$.data", format_exception=_describe)
    shown = "; ".join(problems[:_MAX_PROBLEMS])
    if len(problems) > _MAX_PROBLEMS:
        shown += f"; and {len(problems) - _MAX_PROBLEMS} more"
    return ResponseValidationError(f"response body does not fit {model}: {shown}")


def _unwrap(body: object, model: str) -> object:
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    raise ResponseValidationError(
        f"response body does not fit {model}: expected an object with a 'data' key, "
        f"got {_json_type(body)} @ $"
    )


def _structure(data: object, type_: type[T], model: str) -> T:
    try:
        return converter.structure(data, type_)
    except _STRUCTURE_ERRORS as exc:
        raise _not_fitting(model, exc) from None


def structure_data(body: object, cls: type[T]) -> T:
    """Build a model from the parsed JSON of a 2xx response of the form ``{"data": {...}}``.

    Args:
        body: the parsed JSON body.
        cls: the model to build, e.g. ``Instance``.

    Returns:
        The model instance.

    Raises:
        ResponseValidationError: when the body is not ``{"data": ...}`` or the data does not
            fit ``cls``; the message names the model and every bad field by its JSON path.
    """
    return _structure(_unwrap(body, cls.__name__), cls, cls.__name__)


def structure_list(body: object, cls: type[T], *, request_id: str | None = None) -> tuple[T, ...]:
    """Build a tuple of models from a 2xx list response of the form ``{"data": [...]}``.

    An item that does not read (for a response model: whose identity does not read) is
    skipped with a WARNING naming its index and ``request_id``, never its values.

    Args:
        body: the parsed JSON body.
        cls: the model of one item, e.g. ``InstanceSummary``.
        request_id: the answer's ``X-Request-Id``, for the warning.

    Returns:
        The models that read, in the order of the body.

    Raises:
        ResponseValidationError: when the body is not ``{"data": [...]}``.
    """
    model = f"a list of {cls.__name__}"
    items = _unwrap(body, model)
    if not isinstance(items, list):
        raise ResponseValidationError(
            f"response body does not fit {model}: expected an array, got {_json_type(items)} "
            "@ $.data"
        )
    kept = []
    for index, item in enumerate(items):
        try:
            kept.append(converter.structure(item, cls))
        except _STRUCTURE_ERRORS:
            logger.warning(
                "Skipped item %d of %s: it does not read (request id %s)", index, model, request_id
            )
    return tuple(kept)


def unstructure_body(obj: object) -> dict[str, Any]:
    """Turn a request model into the JSON object to send.

    Args:
        obj: an attrs model instance, e.g. an ``InstanceCreateRequest``.

    Returns:
        A JSON-ready dict: ``None`` fields omitted, enums as values, tuples as lists,
        datetimes as ISO 8601 strings.

    Raises:
        TypeError: when ``obj`` is not an attrs model instance.
    """
    if not attrs.has(type(obj)):
        raise TypeError(f"expected an attrs model instance, got {type(obj).__name__}")
    body: dict[str, Any] = converter.unstructure(obj)
    return body
