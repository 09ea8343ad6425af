"""What a standalone emulator prints at startup: shell lines to paste, and how to read them.

::

    export AURA_CLIENT_ID=emulator
    export AURA_CLIENT_SECRET=...
    export AURA_BASE_URL=http://127.0.0.1:8080
    # demo project (tenant) id: 1a2b3c4d
    # Serving the Aura API emulator; stop it with Ctrl+C.

Every line is valid POSIX shell (``export`` lines, then comments), so pasting the
whole banner into another shell points ``AuraClient.from_env()`` and the
``aura-async`` command line at the emulator. Pure functions, tested as tables.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

__all__ = ["BANNER_END", "TENANT_PREFIX", "banner_lines", "environ_of", "parse_banner_line"]

TENANT_PREFIX = "# demo project (tenant) id: "
BANNER_END = "# Serving the Aura API emulator; stop it with Ctrl+C."


def environ_of(*, url: str, client_id: str, client_secret: str) -> dict[str, str]:
    """Return the environment variables that point a client at an emulator.

    Args:
        url: The emulator's base URL (no ``/v1``).
        client_id: A client id it accepts.
        client_secret: That client id's secret.

    Returns:
        ``AURA_CLIENT_ID``, ``AURA_CLIENT_SECRET`` and ``AURA_BASE_URL``, in that order.
    """
    return {"AURA_CLIENT_ID": client_id, "AURA_CLIENT_SECRET": client_secret, "AURA_BASE_URL": url}


def banner_lines(
    environ: Mapping[str, str], tenant_id: str | None, *, notes: Sequence[str] = ()
) -> list[str]:
    """Return the startup banner: one ``export`` line per variable, then comments.

    Args:
        environ: The variables to export (see :func:`environ_of`).
        tenant_id: The demo project's id, if one was seeded.
        notes: More lines to show, each as a ``#`` comment (e.g. the evolution seed).

    Returns:
        The lines, without line ends; values are shell-quoted where needed.
    """
    lines = [f"export {name}={shlex.quote(value)}" for name, value in environ.items()]
    if tenant_id is not None:
        lines.append(f"{TENANT_PREFIX}{tenant_id}")
    return [*lines, *(f"# {note}" for note in notes), BANNER_END]


def parse_banner_line(line: str) -> tuple[str, str] | None:
    """Read one banner line back (for programs that start an emulator and read its banner).

    Args:
        line: One line of the banner, with or without its line end.

    Returns:
        ``(NAME, value)`` for an ``export NAME=value`` line, ``("tenant_id", id)`` for
        the demo project's line, None for any other line.
    """
    line = line.strip()
    if line.startswith(TENANT_PREFIX):
        return "tenant_id", line.removeprefix(TENANT_PREFIX)
    if not line.startswith("export "):
        return None
    words = shlex.split(line.removeprefix("export "))
    if len(words) != 1 or "=" not in words[0]:
        return None
    name, _, value = words[0].partition("=")
    return name, value
