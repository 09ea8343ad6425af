"""Evolution mode: success answers perturbed the way a later Aura API may send them.

``AuraEmulator(evolve=seed)`` passes every 2xx ``{"data": ...}`` answer through an
:class:`Evolution`, which, drawing from a random generator seeded with ``seed``:

- adds fields no client knows yet (to every object, and sometimes to the envelope);
- sends catalogue values no client knows yet (``type: "enterprise-gds"``,
  ``cloud_provider: "oracle"``, ...);
- drops, nulls or changes the JSON type of other fields;
- writes timestamps in other forms (``.5z``, ``+00:00``, Go's ``+0000 UTC``, and now
  and then one that is no timestamp at all);
- adds to a list an item without an identity.

What stays: a resource's identity (``id``, ``snapshot_id``), its ``status`` (the state
machine a waiter follows: new statuses are a separate concern) and a create's
``username`` and ``password``. The state behind the answers is untouched, so the same
seed and the same requests give the same answers.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["Evolution", "evolve_middleware"]

KEPT = frozenset({"id", "snapshot_id", "status", "username", "password"})
"""Fields an evolved answer always keeps as they are."""

NEW_VALUES: dict[str, tuple[str, ...]] = {
    "type": ("enterprise-gds", "professional-gds", "serverless-db"),
    "instance_type": ("enterprise-gds", "serverless-db"),
    "cloud_provider": ("oracle", "alibaba"),
    "cdc_enrichment_mode": ("PARTIAL",),
    "profile": ("Continuous",),
}
TIMESTAMPS = frozenset({"created_at", "created", "timestamp", "expiry_date"})
NEW_FIELDS = ("region_tier", "maintenance_window", "labels", "backup_policy", "graph_schema")

# Chances per field (cumulative draws): drop, null, odd JSON type; then a new catalogue value.
_DROP, _NULL, _ODD, _NEW_VALUE = 0.12, 0.08, 0.08, 0.3
_NOT_A_TIME, _GHOST_ITEM, _ENVELOPE_FIELD = 0.1, 0.25, 0.2


class Evolution:
    """Perturbs answers deterministically for one seed (see the module docstring).

    Args:
        seed: The seed of the random draws.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._random = random.Random(seed)

    def envelope(self, body: dict[str, Any]) -> dict[str, Any]:
        """Return an evolved copy of a ``{"data": ...}`` answer body."""
        data = body["data"]
        evolved = {**body, "data": self._list(data) if isinstance(data, list) else self._data(data)}
        if self._random.random() < _ENVELOPE_FIELD:
            evolved["meta"] = {"api_version": "v1.1", "deprecations": []}
        return evolved

    def _data(self, data: Any) -> Any:
        if isinstance(data, dict):
            return self._object(data)
        if isinstance(data, list):
            return [self._data(item) for item in data]
        return data

    def _list(self, items: list[Any]) -> list[Any]:
        """Evolve a list answer: its items, and now and then an item without identity."""
        evolved = [self._data(item) for item in items]
        if evolved and self._random.random() < _GHOST_ITEM:
            ghost = {"id": None, "name": "an item without identity", "status": "unknown"}
            evolved.insert(self._random.randrange(len(evolved) + 1), ghost)
        return evolved

    def _object(self, obj: dict[str, Any]) -> dict[str, Any]:
        evolved: dict[str, Any] = {}
        for key, value in obj.items():
            kept, new = self._field(key, value)
            if kept:
                evolved[key] = new
        for name in self._random.sample(NEW_FIELDS, self._random.randint(1, 2)):
            evolved[name] = self._any_json()
        return evolved

    def _field(self, key: str, value: Any) -> tuple[bool, Any]:
        """Return whether the field stays, and its value."""
        if key in KEPT:
            return True, value
        draw = self._random.random()
        if draw < _DROP:
            return False, None
        if draw < _DROP + _NULL:
            return True, None
        if draw < _DROP + _NULL + _ODD:
            return True, _odd(value)
        if key in NEW_VALUES and self._random.random() < _NEW_VALUE:
            return True, self._random.choice(NEW_VALUES[key])
        if key in TIMESTAMPS and isinstance(value, str):
            return True, self._timestamp(value)
        return True, self._data(value)

    def _timestamp(self, text: str) -> str:
        try:
            moment = datetime.fromisoformat(text).astimezone(UTC)
        except ValueError:
            return text
        if self._random.random() < _NOT_A_TIME:
            return "the day before yesterday"
        forms = (
            moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "z",
            moment.isoformat(),
            moment.strftime("%Y-%m-%d %H:%M:%S +0000 UTC"),
            moment.strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC m=+0.000000001"),
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        return self._random.choice(forms)

    def _any_json(self) -> Any:
        values: list[Any] = ["new", 7, 2.5, True, None, {"nested": ["x"]}, []]
        return self._random.choice(values)


def _odd(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, str):
        return {"value": value}
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list):
        return {"items": value}
    return "unexpected"


def evolve_middleware(evolution: Evolution) -> Middleware:
    """Return the innermost middleware: evolve every 2xx ``{"data": ...}`` JSON answer."""

    @web.middleware
    async def evolve(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not isinstance(response, web.Response) or not 200 <= response.status < 300:
            return response
        if response.content_type != "application/json" or not isinstance(response.body, bytes):
            return response
        body = json.loads(response.body)
        if isinstance(body, dict) and "data" in body:
            response.body = json.dumps(evolution.envelope(body), separators=(",", ":")).encode()
        return response

    return evolve
