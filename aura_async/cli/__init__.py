"""The ``aura-async`` command line (optional extra ``aura-async[cli]``).

``aura-async --help`` lists the commands; ``python -m aura_async`` is the same.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_TERMINAL_LIBRARIES = frozenset({"click", "rich"})
INSTALL_HINT = "aura-async: the command line needs click and rich: pip install 'aura-async[cli]'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Args:
        argv: The arguments after the program name (default ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on failure, 2 on bad usage, 130 when interrupted.
    """
    try:
        try:
            from aura_async.cli._main import run
        except ImportError as error:
            if (error.name or "").partition(".")[0] not in _TERMINAL_LIBRARIES:
                raise
            print(INSTALL_HINT, file=sys.stderr)
            return 1
        return run(argv)
    except KeyboardInterrupt:
        # Ctrl-C before the command started (e.g. during the imports): no traceback.
        return 130
