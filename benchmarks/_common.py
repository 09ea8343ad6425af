"""What the benchmark scripts share: figures, the table, a standalone emulator, raw calls.

Every benchmark module exposes ``run() -> list[Figure]`` and calls :func:`main`
when run as a script. ``run.py`` starts each module in a fresh interpreter with
``--json`` and prints one table of every figure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import aiohttp

from aura_async.testing._banner import parse_banner_line

# The emulator's standalone server prints these ``key: value`` lines on start.
# The banner's names (``export NAME=...`` lines and the project comment) -> our fields.
_EMULATOR_KEYS = {
    "AURA_BASE_URL": "url",
    "AURA_CLIENT_ID": "client_id",
    "AURA_CLIENT_SECRET": "client_secret",
    "tenant_id": "tenant_id",
}
# Lines to read at most while waiting for them (the banner is four lines long).
_EMULATOR_BANNER_MAX_LINES = 20
_EMULATOR_STOP_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class Figure:
    """One line of the benchmark table.

    Attributes:
        benchmark: The benchmark it comes from, e.g. ``"utilisation"``.
        name: What was measured.
        value: The measured ratio or count, formatted.
        target: The target it is held to (empty: informational).
        met: Whether the target was met (None: no target).
    """

    benchmark: str
    name: str
    value: str
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        """``"met"``, ``"NOT MET"`` or an empty string when there is no target."""
        if self.met is None:
            return ""
        return "met" if self.met else "NOT MET"


def format_table(figures: Sequence[Figure]) -> str:
    """Return ``figures`` as an aligned plain-text table, one line per figure."""
    header = ("benchmark", "figure", "value", "target", "verdict")
    rows = [header, *((f.benchmark, f.name, f.value, f.target, f.verdict) for f in figures)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def figures_to_json(figures: Sequence[Figure]) -> str:
    """Serialise ``figures`` for ``run.py``."""
    return json.dumps([dataclasses.asdict(figure) for figure in figures])


def figures_from_json(text: str) -> list[Figure]:
    """Read figures written by :func:`figures_to_json`.

    Raises:
        ValueError: The text is not such a list.
    """
    data: Any = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of figures")
    return [Figure(**item) for item in data]


def main(run: Callable[[], list[Figure]]) -> None:
    """Run a benchmark as a script: print its table, or JSON with ``--json``."""
    figures = run()
    if "--json" in sys.argv[1:]:
        print(figures_to_json(figures))
    else:
        print(format_table(figures))


def ratio(numerator: float, denominator: float) -> str:
    """Format a ratio with two decimals and an ``x``, e.g. ``1.07x``."""
    return f"{numerator / denominator:.2f}x"


@dataclasses.dataclass(frozen=True)
class EmulatorProcess:
    """Where an emulator served by another process listens, and its credential.

    Attributes:
        url: The base URL (no ``/v1``).
        client_id: The credential's id.
        client_secret: The credential's secret (kept out of repr).
        tenant_id: The seeded demo project.
    """

    url: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    tenant_id: str


@contextlib.contextmanager
def emulator_process(*options: str) -> Iterator[EmulatorProcess]:
    """Serve an emulator in a child process for the duration of the block.

    A separate process keeps the server's CPU time out of this process's
    ``time.process_time()`` and its memory out of this process's RSS.

    Args:
        *options: Extra command-line options of ``python -m aura_async.testing``.

    Yields:
        Its URL and credential.

    Raises:
        RuntimeError: The emulator did not print its banner.
    """
    command = [sys.executable, "-m", "aura_async.testing", "--port", "0", *options]
    with subprocess.Popen(command, stdout=subprocess.PIPE, encoding="utf-8") as process:
        try:
            yield _read_banner(process)
        finally:
            process.terminate()
            process.wait(_EMULATOR_STOP_TIMEOUT)


def _read_banner(process: subprocess.Popen[str]) -> EmulatorProcess:
    assert process.stdout is not None
    found: dict[str, str] = {}
    for _ in range(_EMULATOR_BANNER_MAX_LINES):
        parsed = parse_banner_line(process.stdout.readline())
        if parsed is not None and parsed[0] in _EMULATOR_KEYS:
            found[_EMULATOR_KEYS[parsed[0]]] = parsed[1]
        if len(found) == len(_EMULATOR_KEYS):
            return EmulatorProcess(**found)
    raise RuntimeError("the emulator process did not print its URL and credential")


async def fetch_token(
    session: aiohttp.ClientSession, base_url: str, client_id: str, client_secret: str
) -> str:
    """Get an access token with a plain aiohttp POST (the raw-aiohttp baselines).

    Raises:
        aiohttp.ClientResponseError: The token endpoint refused.
    """
    async with session.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": aiohttp.encode_basic_auth(client_id, client_secret)},
    ) as response:
        response.raise_for_status()
        token: str = (await response.json())["access_token"]
        return token
