"""The ``aura-async`` command line (optional extra ``aura-async[cli]``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    print("aura-async: the command line is not available yet", file=sys.stderr)
    return 1
