"""Run the command line: parse, set up logging, run the action, turn failures into exit codes.

Exit codes: 0 success, 1 failure (a one-line error on stderr; ``--debug`` adds the
traceback), 2 bad usage, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Mapping, Sequence

import click
from rich.console import Console
from rich.logging import RichHandler

from aura_async import _logging as aura_logging
from aura_async.cli._app import cli
from aura_async.cli._errors import describe_error
from aura_async.cli._output import Output
from aura_async.cli._runtime import Action, Runtime
from aura_async.cli._settings import Settings

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "run"]

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
INTERRUPTED_NOTE = "Interrupted: requests already sent may still take effect on the server."


def run(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run ``aura-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Args:
        argv: The arguments after the program name.
        environ: The environment to read credentials from (default ``os.environ``).

    Returns:
        The exit code.
    """
    settings = Settings()
    parsed = _parse(argv, settings)
    if isinstance(parsed, int):
        return parsed
    out = Output.create(json_mode=settings.json)
    _configure_logging(settings, out.stderr, os.environ if environ is None else environ)
    runtime = Runtime(settings, out, os.environ if environ is None else environ)
    return _execute(parsed, runtime)


def _parse(argv: Sequence[str] | None, settings: Settings) -> Action | int:
    """Return the action the command line asks for, or the exit code if there is none."""
    args = None if argv is None else list(argv)
    try:
        parsed = cli.main(args, prog_name="aura-async", standalone_mode=False, obj=settings)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        return EXIT_INTERRUPTED
    if callable(parsed):
        return parsed  # type: ignore[no-any-return]
    # --help and --version print and end the parse with their exit code.
    return parsed if isinstance(parsed, int) else 0


def _execute(action: Action, runtime: Runtime) -> int:
    out = runtime.out
    try:
        return asyncio.run(action(runtime))
    except KeyboardInterrupt:
        out.note(INTERRUPTED_NOTE)
        return EXIT_INTERRUPTED
    except Exception as error:
        if runtime.settings.debug:
            traceback.print_exc()
        out.error(describe_error(error))
        return EXIT_FAILURE


def _configure_logging(settings: Settings, console: Console, environ: Mapping[str, str]) -> None:
    """Send log records to stderr, above any progress bar.

    The client's records: DEBUG with --debug, INFO with --verbose, else what
    ``AURA_ASYNC_LOG`` asks for, else WARNING; other libraries' records: DEBUG
    with --debug, else WARNING.
    """
    debug = settings.debug
    root = logging.getLogger()
    others = _handler(console, debug)
    others.addFilter(lambda record: not record.name.startswith(aura_logging.LOGGER_NAME))
    root.addHandler(others)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    level = logging.DEBUG if debug else logging.INFO if settings.verbose else None
    level = level or aura_logging.level_from_env(environ) or logging.WARNING
    aura_logging.install_handler(level, handler=_handler(console, debug))


def _handler(console: Console, debug: bool) -> logging.Handler:
    return RichHandler(console=console, show_time=debug, show_path=False, markup=False)
