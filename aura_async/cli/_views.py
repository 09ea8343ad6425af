"""Which fields of each model the tables show, and how a cell is written (pure)."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = [
    "CREATED_INSTANCE",
    "CREATED_SNAPSHOT",
    "INSTANCE",
    "INSTANCE_DETAIL",
    "INSTANCE_SUMMARY",
    "SNAPSHOT",
    "TENANT_CONFIGURATION",
    "TENANT_SUMMARY",
    "Column",
    "View",
    "cell_text",
]

MISSING = "-"


def cell_text(value: object) -> str:
    """Return how a field's value reads in a table cell.

    Args:
        value: A field value: None, an enum member, a datetime, a bool, or anything else.

    Returns:
        ``-`` for None, the wire value of an enum, a UTC time to the second,
        ``yes``/``no`` for a bool, ``str(value)`` otherwise.
    """
    if value is None:
        return MISSING
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@attrs.frozen
class Column:
    """One column of a table: its header and the attribute it shows.

    Attributes:
        header: The column header.
        attr: The attribute read from each record (missing attributes read as None).
        is_id: An id: never wrapped or shortened, so it can be copied.
    """

    header: str
    attr: str
    is_id: bool = False

    def text(self, record: object) -> str:
        """Return this column's cell for ``record`` (see :func:`cell_text`)."""
        return cell_text(getattr(record, self.attr, None))


View = tuple[Column, ...]

TENANT_SUMMARY: View = (Column("id", "id", is_id=True), Column("name", "name"))
TENANT_CONFIGURATION: View = (
    Column("cloud", "cloud_provider"),
    Column("region", "region"),
    Column("type", "type"),
    Column("memory", "memory"),
    Column("storage", "storage"),
    Column("version", "version"),
)
INSTANCE_SUMMARY: View = (
    Column("id", "id", is_id=True),
    Column("name", "name"),
    Column("project", "tenant_id", is_id=True),
    Column("cloud", "cloud_provider"),
    Column("created", "created_at"),
)
INSTANCE: View = (
    Column("name", "name"),
    Column("status", "status"),
    Column("type", "type"),
    Column("cloud", "cloud_provider"),
    Column("region", "region"),
    Column("memory", "memory"),
    Column("connection url", "connection_url", is_id=True),
)
INSTANCE_DETAIL: View = (Column("id", "id", is_id=True), *INSTANCE)
CREATED_INSTANCE: View = (
    Column("id", "id", is_id=True),
    Column("connection url", "connection_url", is_id=True),
    Column("username", "username"),
    Column("password (shown once)", "password", is_id=True),
)
SNAPSHOT: View = (
    Column("snapshot", "snapshot_id", is_id=True),
    Column("status", "status"),
    Column("profile", "profile"),
    Column("taken", "timestamp"),
    Column("exportable", "exportable"),
)
CREATED_SNAPSHOT: View = (
    Column("snapshot", "snapshot_id", is_id=True),
    Column("status", "status"),
)
