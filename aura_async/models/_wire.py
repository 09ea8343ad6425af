"""The base of every response model: identity fields, and what the SDK does not know.

The API evolves without a new version: it adds fields, leaves out or nulls fields the
spec calls required, sends new enum values and new timestamp forms. So a response model
marks only its identity (``id``, or ``snapshot_id``) as essential; every other field is
``X | None`` and holds None when the API sent it missing, null or in a shape the SDK
cannot read. What the SDK does not know stays reachable:

- ``obj.extra``: the fields the SDK has no attribute for (read a new field before the SDK
  supports it);
- ``obj.raw``: the object exactly as sent (e.g. the text of a timestamp that did not parse).

Both are read-only, compare as nothing (two models with the same known fields are equal),
and are left out of ``repr`` and ``attrs.asdict`` (an unknown field may hold a secret).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

__all__ = ["IDENTITY", "FrozenMapping", "WireModel", "identity", "keep_wire"]

IDENTITY = "aura_async.identity"
"""The attrs metadata key marking a field as the model's identity (essential to read)."""


class FrozenMapping(Mapping[str, Any]):
    """A read-only mapping (unlike ``MappingProxyType``, it pickles).

    Args:
        data: The items; copied.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMapping({sorted(self._data)!r})"  # names only: values may be secrets


_EMPTY = FrozenMapping()
_WIRE_STATE = "_aura_wire"


def identity() -> Any:
    """Declare a response model's identity field: required, and essential to read.

    Returns:
        An attrs field; a body whose identity does not read is not the resource.
    """
    return attrs.field(metadata={IDENTITY: True})


class WireModel:
    """Base of the response models: ``extra`` and ``raw`` (see the module docstring).

    They are not attrs fields, so ``attrs.asdict``, ``==``, ``hash`` and ``repr`` see
    only the known fields (and never a secret hiding in an unknown one). The subclasses
    are ``attrs.frozen(slots=False)``, so that both survive pickling.
    """

    @property
    def extra(self) -> Mapping[str, Any]:
        """The fields the API sent that the SDK has no attribute for, as sent."""
        return self._wire_state()[0]

    @property
    def raw(self) -> Mapping[str, Any]:
        """The whole object as the API sent it (e.g. a timestamp that did not parse)."""
        return self._wire_state()[1]

    def _wire_state(self) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        state: tuple[Mapping[str, Any], Mapping[str, Any]]
        state = self.__dict__.get(_WIRE_STATE, (_EMPTY, _EMPTY))
        return state


def keep_wire(model: WireModel, extra: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
    """Attach ``extra`` and ``raw`` to a just-built response model (the converter's job).

    Args:
        model: The model.
        extra: The unknown fields.
        raw: The object as sent.
    """
    object.__setattr__(model, _WIRE_STATE, (FrozenMapping(extra), FrozenMapping(raw)))
