"""The README's code runs as written: each block is read from README.md at test time."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from markdown_it import MarkdownIt

from tests.standalone_emulator import EmulatorServer

README = Path(__file__).resolve().parent.parent / "README.md"
SCRIPT_TIMEOUT = 60.0


@attrs.frozen
class Block:
    """A fenced code block of the README: its section heading, language and code."""

    section: str
    language: str
    code: str
    line: int


def code_blocks(markdown: str) -> list[Block]:
    """Return every fenced block of ``markdown`` with the heading it sits under."""
    tokens = MarkdownIt().parse(markdown)
    blocks: list[Block] = []
    section = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            section = tokens[index + 1].content
        elif token.type == "fence":
            line = token.map[0] + 1 if token.map else 0
            blocks.append(Block(section, token.info.strip(), token.content, line))
    return blocks


def python_block(section: str) -> Block:
    """Return the one Python block of a README section."""
    found = [b for b in code_blocks(README.read_text()) if b.section == section]
    python = [block for block in found if block.language == "python"]
    assert len(python) == 1, f"{section!r} has {len(python)} python blocks"
    return python[0]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("no code", []),
        ("# A\n```python\nx = 1\n```\n", [Block("A", "python", "x = 1\n", 2)]),
        (
            "# A\n## B c\n\n```console\n$ ls\n```\n````python\n```\n````\n",
            [Block("B c", "console", "$ ls\n", 4), Block("B c", "python", "```\n", 7)],
        ),
    ],
)
def test_code_blocks(markdown: str, expected: list[Block]) -> None:
    assert code_blocks(markdown) == expected


@pytest.fixture
def standalone_emulator() -> Iterator[dict[str, str]]:
    """``python -m aura_async.testing`` with its default settings; yields its exports."""
    server = EmulatorServer(options=())
    try:
        settings = server.settings()
        yield settings.environ()
    finally:
        server.stop()


def test_the_quickstart_runs_as_written_against_the_emulator(
    standalone_emulator: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "quickstart.py"
    script.write_text(python_block("Quickstart").code)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        env=standalone_emulator,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("created ")
    assert "password (shown once): " in lines[0]
    assert lines[1] == "orders is running"
    assert lines[2].startswith("snapshot ")
    assert lines[2].endswith(" is Completed")
    assert lines[3:] == ["orders is pausing"]
