"""Everything the command line shows: rich tables or JSON on stdout, the rest on stderr.

stdout carries only the result (a table, or with ``--json`` one JSON document), so it
can be piped; progress bars, notes, logs and errors go to stderr.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from aura_async._bulk import BulkProgress, BulkResult
from aura_async._convert import converter
from aura_async._errors import AuraAPIError
from aura_async.cli._errors import describe_error
from aura_async.cli._tally import BulkTally, interrupted_lines
from aura_async.cli._views import View

__all__ = ["Output", "RowsOf", "bulk_json", "error_json", "interrupted_json", "to_json"]

_PIPE_WIDTH = 240

RowsOf: TypeAlias = Callable[[Any], Sequence[object]]
ProgressCallback: TypeAlias = Callable[[BulkProgress], None]


def to_json(value: object) -> Any:
    """Return ``value`` (models, tuples of models, strings, ...) as plain JSON data."""
    return converter.unstructure(value)


def error_json(error: BaseException) -> dict[str, Any]:
    """Return an error as JSON data: its type, its one-line message, and its status."""
    data: dict[str, Any] = {"type": type(error).__name__, "message": describe_error(error)}
    if isinstance(error, AuraAPIError):
        data["status"] = error.status
    return data


def bulk_json(
    results: Sequence[BulkResult[str, Any]], item_key: str = "id"
) -> list[dict[str, Any]]:
    """Return bulk results as JSON data.

    Args:
        results: The results.
        item_key: The key of the item each result is for.

    Returns:
        ``{item_key: item, "ok": true, "data": ...}`` per success and
        ``{item_key: item, "ok": false, "error": {"type", "message", "status"}}`` per
        failure, in order.
    """
    shown: list[dict[str, Any]] = []
    for result in results:
        entry: dict[str, Any] = {item_key: result.item, "ok": result.ok}
        if result.error is None:
            entry["data"] = to_json(result.value)
        else:
            entry["error"] = error_json(result.error)
        shown.append(entry)
    return shown


def interrupted_json(tally: BulkTally, item_key: str = "id") -> list[dict[str, Any]]:
    """Return where each id of an interrupted bulk command stands, as JSON data.

    Args:
        tally: Where each id stands.
        item_key: The key of the id.

    Returns:
        One entry per id, in order: a finished id's :func:`bulk_json` entry with
        ``"state": "done" | "failed"``; otherwise ``{item_key: id, "ok": null,
        "state": "sent" | "not_sent"}`` (``sent``: it may still take effect).
    """
    shown: list[dict[str, Any]] = []
    for item in tally.ids:
        state = tally.state(item).replace(" ", "_")
        result = tally.results.get(item)
        entry = {item_key: item, "ok": None} if result is None else bulk_json([result], item_key)[0]
        shown.append({**entry, "state": state})
    return shown


class Output:
    """Where a command's results, notes and errors go.

    Args:
        json_mode: Print results as JSON instead of tables.
        stdout: The console of the results.
        stderr: The console of progress bars, notes, logs and errors.
    """

    def __init__(self, *, json_mode: bool, stdout: Console, stderr: Console) -> None:
        self.json_mode = json_mode
        self.stdout = stdout
        self.stderr = stderr

    @classmethod
    def create(cls, *, json_mode: bool) -> Output:
        """Return an output on the process's stdout and stderr."""
        stdout = Console()
        if not stdout.is_terminal:
            # A file or a pipe has no width: keep ids and rows on one line each.
            stdout.width = _PIPE_WIDTH
        return cls(json_mode=json_mode, stdout=stdout, stderr=Console(stderr=True))

    def json(self, data: Any) -> None:
        """Write one JSON document to stdout."""
        self.stdout.file.write(json.dumps(data, indent=2) + "\n")
        self.stdout.file.flush()

    def note(self, text: str) -> None:
        """Tell the user something on stderr (never part of the result)."""
        self.stderr.print(text, markup=False, highlight=False, soft_wrap=True)

    def error(self, text: str) -> None:
        """Show a one-line error on stderr, prefixed with ``error:``."""
        self.stderr.print(f"error: {text}", markup=False, highlight=False, soft_wrap=True)

    def records(self, records: Sequence[object], view: View, *, title: str) -> None:
        """Show a list result: a table, or a JSON array of the records.

        Args:
            records: The models to show.
            view: The table's columns.
            title: The table's title.
        """
        if self.json_mode:
            self.json(to_json(tuple(records)))
            return
        table = _table(title, view)
        for record in records:
            table.add_row(*(column.text(record) for column in view))
        self.stdout.print(table)

    def bulk(
        self,
        results: Sequence[BulkResult[str, Any]],
        view: View,
        *,
        title: str,
        id_header: str,
        item_key: str = "id",
        rows_of: RowsOf | None = None,
    ) -> None:
        """Show what a bulk command did: a table of the successes, or every result as JSON.

        Failures are left out of the table (no table at all if every item failed):
        the caller reports them on stderr.

        Args:
            results: One result per id, in the order given.
            view: The columns shown after the id.
            title: The table's title.
            id_header: The header of the id column.
            item_key: The JSON key of the id.
            rows_of: Turns one result value into several rows (e.g. a list of
                snapshots); default: one row per value.
        """
        if self.json_mode:
            self.json(bulk_json(results, item_key))
            return
        succeeded = [result for result in results if result.error is None]
        if not succeeded:
            return
        table = _table(title, view, id_header=id_header)
        for result in succeeded:
            rows = [result.value] if rows_of is None else rows_of(result.value)
            for row in rows:
                table.add_row(result.item, *(column.text(row) for column in view))
        self.stdout.print(table)

    def interrupted(self, tally: BulkTally, item_key: str = "id") -> None:
        """Report an interrupted bulk command: the JSON document, or lines on stderr.

        Args:
            tally: Where each id stands.
            item_key: The JSON key of the id.
        """
        if self.json_mode:
            self.json(interrupted_json(tally, item_key))
            return
        for line in interrupted_lines(tally):
            self.note(line)

    @contextlib.contextmanager
    def progress(
        self, description: str, total: int, *, console: Console | None = None
    ) -> Iterator[ProgressCallback]:
        """Show a progress bar while a bulk operation runs; yield its ``on_progress``.

        Args:
            description: What is being done, e.g. ``Pausing instances``.
            total: How many items.
            console: Where to draw it (default: stderr).

        Yields:
            The callback to pass as ``on_progress``.
        """
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console or self.stderr,
            redirect_stdout=False,
            redirect_stderr=False,
        ) as bar:
            task = bar.add_task(description, total=total, failed="")
            if not bar.console.is_terminal:
                # Files and pipes see the bar only when it ends: say when it starts.
                bar.console.print(f"{description}: {total} (Ctrl-C to stop)", highlight=False)

            def update(progress: BulkProgress) -> None:
                failed = f"{progress.failed} failed" if progress.failed else ""
                bar.update(task, completed=progress.done, failed=failed)

            yield update


def _table(title: str, view: View, *, id_header: str | None = None) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    if id_header is not None:
        table.add_column(id_header, no_wrap=True, overflow="fold")
    for column in view:
        table.add_column(column.header, no_wrap=column.is_id, overflow="fold")
    return table
