"""``python -m aura_async``: the ``aura-async`` command line."""

from __future__ import annotations

import sys

from aura_async.cli import main

if __name__ == "__main__":
    sys.exit(main())
