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
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, Union, cast, get_args

import attrs
import cattrs
from cattrs.cols import is_sequence
from cattrs.errors import AttributeValidationNote, ClassValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from aura_async._convert_json import (
    NONE_TYPE,
    STRUCTURE_ERRORS,
    Hook,
    describe,
    enum_of,
    enum_or_str_hook,
    is_homogeneous_tuple,
    is_primitive_union,
    json_type,
    mismatch,
    primitive_union_hook,
    structure_bool,
    structure_datetime,
    structure_enum,
    structure_int,
    structure_str,
    tuple_hook,
    union_args,
    unstructure_enum,
)
from aura_async._errors import ResponseValidationError
from aura_async.models._wire import IDENTITY, WireModel, keep_wire

logger = logging.getLogger("aura_async")

T = TypeVar("T")

_MAX_PROBLEMS = 5  # a list of a thousand bad rows must not make a megabyte message

UnstructureHook = Callable[[Any], Any]


def _attrs_structure_hook(cls: Any, conv: cattrs.Converter) -> Hook:
    structure_fields = make_dict_structure_fn(cls, conv)

    def structure(value: object, _: object) -> object:
        if not isinstance(value, dict):
            raise mismatch("an object", value)
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
    args = [arg for arg in union_args(type_) if arg is not NONE_TYPE]
    if not args:
        return type_
    return args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007


def _is_wire_tuple(type_: object) -> bool:
    return is_homogeneous_tuple(type_) and _is_wire_model(get_args(type_)[0])


def _wire_tuple_hook(type_: Any, conv: cattrs.Converter) -> Hook:
    item_type = get_args(type_)[0]

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise mismatch("an array", value)
        return tuple(_readable_items(value, item_type, conv))

    return structure


def _readable_items(items: list[Any], item_type: Any, conv: cattrs.Converter) -> list[Any]:
    kept = []
    for item in items:
        try:
            kept.append(conv.structure(item, item_type))
        except STRUCTURE_ERRORS as exc:
            _tolerate(item_type.__name__, "(an item of a list)", describe(exc, item_type))
    return kept


FieldReader = Callable[[Mapping[str, Any]], Any]


def _essential_reader(cls: Any, field: attrs.Attribute[Any], conv: cattrs.Converter) -> FieldReader:
    def read(obj: Mapping[str, Any]) -> Any:
        try:
            return conv.structure(obj[field.name], cast("type[Any]", field.type))
        except STRUCTURE_ERRORS as exc:
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
        except STRUCTURE_ERRORS as exc:
            _tolerate(model, name, describe(exc, inner))
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
            raise mismatch("an object", value)
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
    conv.register_structure_hook(str, structure_str)
    conv.register_structure_hook(bool, structure_bool)
    conv.register_structure_hook(int, structure_int)
    conv.register_structure_hook(datetime, structure_datetime)
    # registered on StrEnum too: for a StrEnum, the str hook would otherwise win (MRO)
    for enum_base in (enum.Enum, enum.StrEnum):
        conv.register_structure_hook(enum_base, structure_enum)
        conv.register_unstructure_hook(enum_base, unstructure_enum)
    conv.register_structure_hook_factory(lambda t: enum_of(t) is not None, enum_or_str_hook)
    conv.register_structure_hook_factory(is_primitive_union, primitive_union_hook)
    conv.register_structure_hook_factory(is_homogeneous_tuple, tuple_hook)
    conv.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
    conv.register_structure_hook_factory(_is_wire_tuple, _wire_tuple_hook)
    conv.register_structure_hook_factory(_is_wire_model, _wire_model_hook)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook_factory(is_sequence, _sequence_unstructure_hook)
    conv.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_hook)
    return conv


converter: cattrs.Converter = _build_converter()
"""The converter that owns every wire rule (see the module docstring)."""


def _not_fitting(model: str, error: BaseException) -> ResponseValidationError:
    problems = cattrs.transform_error(error, path="$.data", format_exception=describe)
    shown = "; ".join(problems[:_MAX_PROBLEMS])
    if len(problems) > _MAX_PROBLEMS:
        shown += f"; and {len(problems) - _MAX_PROBLEMS} more"
    return ResponseValidationError(f"response body does not fit {model}: {shown}")


def _unwrap(body: object, model: str) -> object:
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    raise ResponseValidationError(
        f"response body does not fit {model}: expected an object with a 'data' key, "
        f"got {json_type(body)} @ $"
    )


def _structure(data: object, type_: type[T], model: str) -> T:
    try:
        return converter.structure(data, type_)
    except STRUCTURE_ERRORS as exc:
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
            f"response body does not fit {model}: expected an array, got {json_type(items)} "
            "@ $.data"
        )
    kept = []
    for index, item in enumerate(items):
        try:
            kept.append(converter.structure(item, cls))
        except STRUCTURE_ERRORS:
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
