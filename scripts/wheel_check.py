"""Checks the installed wheel; `make wheel-check` runs it with the fresh venv's python.

Run with ``python -I`` from outside the checkout, so that only the installed
distribution can be imported.
"""

import importlib.metadata
import importlib.util
import pathlib
import sys

import aura_async


def main() -> None:
    """Exit non-zero, naming the problem, unless the wheel installed what it should."""
    package = pathlib.Path(aura_async.__file__).resolve().parent
    problems = []
    if pathlib.Path(sys.prefix).resolve() not in package.parents:
        problems.append(f"aura_async imported from {package}, not from the venv")
    if not (package / "py.typed").is_file():
        problems.append("py.typed is missing")
    if importlib.metadata.version("aura-async") != aura_async.__version__:
        problems.append("the distribution's version differs from aura_async.__version__")
    (plugin,) = importlib.metadata.entry_points(group="pytest11", name="aura_async")
    if importlib.util.find_spec(plugin.value) is None:
        problems.append(f"the pytest plugin module {plugin.value} is missing")
    if problems:
        sys.exit("wheel check failed: " + "; ".join(problems))
    print(f"wheel check: aura-async {aura_async.__version__} installed from {package}")


if __name__ == "__main__":
    main()
