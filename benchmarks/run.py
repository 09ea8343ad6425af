"""Run every benchmark and print one table: what ``make bench`` runs.

Each benchmark runs in a fresh interpreter (so that one's heap, caches and
leftover tasks cannot skew the next), with the same ``-W`` options as this one.
Progress goes to stderr; the table, one line per figure, to stdout. The exit
status is 1 if a benchmark could not run (a target not met is a result, not a
failure: read the verdict column).

Run: ``.venv/bin/python benchmarks/run.py`` (about 3 minutes).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import Figure, figures_from_json, format_table

HERE = Path(__file__).resolve().parent
# Quick ones first; lanes (25 s), utilisation and margin (about 100 s and 120 s) last.
BENCHMARKS = (
    "emulator_throughput",
    "overhead",
    "telemetry_overhead",
    "limiter_scaling",
    "token_stampede",
    "memory",
    "lanes",
    "utilisation",
    "margin",
)
# Benchmarks of optional parts, run when their module is there.
OPTIONAL_BENCHMARKS = ("redis_limiter",)
_TIMEOUT = 600.0


def _command(name: str, *args: str) -> list[str]:
    return [sys.executable, *(f"-W{o}" for o in sys.warnoptions), str(HERE / f"{name}.py"), *args]


def _throughput_figures(stdout: str) -> list[Figure]:
    """Read ``emulator_throughput.py``'s one line (``emulator_throughput: N req/s``)."""
    _, _, value = stdout.strip().partition(": ")
    name = "GET /v1/tenants served per second (client and server in one process)"
    return [Figure("emulator throughput", name, value)]


def run_benchmark(name: str) -> list[Figure]:
    """Run one benchmark module in a child interpreter; return its figures.

    Its stderr (warnings, tracebacks) passes straight through to ours.

    Raises:
        RuntimeError: The benchmark exited with an error.
    """
    args = () if name == "emulator_throughput" else ("--json",)
    completed = subprocess.run(
        _command(name, *args),
        stdout=subprocess.PIPE,
        encoding="utf-8",
        timeout=_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{name} exited with status {completed.returncode}")
    if name == "emulator_throughput":
        return _throughput_figures(completed.stdout)
    return figures_from_json(completed.stdout)


def main() -> int:
    """Run every benchmark, print the table; return the exit status."""
    figures: list[Figure] = []
    status = 0
    optional = [name for name in OPTIONAL_BENCHMARKS if (HERE / f"{name}.py").exists()]
    for name in (*BENCHMARKS, *optional):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            figures += run_benchmark(name)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            figures.append(Figure(name, "did not run", str(error), "runs", False))
            status = 1
        print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(format_table(figures))
    judged = [figure for figure in figures if figure.met is not None]
    met = sum(1 for figure in judged if figure.met)
    print(f"targets met: {met} of {len(judged)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
