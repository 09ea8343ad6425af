"""Serve the emulator standalone: ``python -m aura_async.testing --port 8080``.

It seeds one demo project, prints lines to paste into a shell (``export
AURA_CLIENT_ID=...``, ``AURA_CLIENT_SECRET``, ``AURA_BASE_URL``, with the real port
when started with ``--port 0``; then the project id as a comment), and serves until
SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from aura_async.testing._banner import banner_lines
from aura_async.testing._ratelimit import ALGORITHMS, RETRY_AFTER_STYLES, ServerRateLimit

# A server left running for days must not keep every request in memory.
_JOURNAL_MAX_ENTRIES = 100_000


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog="python -m aura_async.testing", description="Serve an emulated Aura API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--rate-limit",
        default="125/60",
        type=_rate,
        help="REQUESTS/SECONDS per credential, or 'off' (default 125/60)",
    )
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="sliding-log")
    parser.add_argument("--retry-after", choices=RETRY_AFTER_STYLES, default="integer")
    parser.add_argument(
        "--transition-delay",
        type=_optional_seconds,
        default=2.0,
        help="seconds until creating/pausing/... complete, or 'none' (default 2)",
    )
    parser.add_argument("--instance-limit", type=int, default=50)
    parser.add_argument("--token-lifetime", type=float, default=3600.0)
    parser.add_argument("--expired-token-status", type=int, choices=(401, 403), default=401)
    parser.add_argument("--client-id", help="fixed client id (default: random)")
    parser.add_argument("--client-secret", help="fixed client secret (default: random)")
    parser.add_argument(
        "--evolve",
        type=int,
        metavar="SEED",
        help="evolution mode: answer as a later API may (unknown fields, new catalogue "
        "values, fields dropped or nulled, other timestamp forms), seeded with SEED",
    )
    return parser.parse_args(argv)


def _rate(text: str) -> tuple[int, float] | None:
    if text.lower() == "off":
        return None
    requests, slash, per = text.partition("/")
    try:
        if not slash:
            raise ValueError(text)
        return int(requests), float(per)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS or 'off', not {text!r}"
        ) from None


def _optional_seconds(text: str) -> float | None:
    if text.lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', not {text!r}") from None


def rate_limit_from_args(args: argparse.Namespace) -> ServerRateLimit | None:
    """Return the rate limit the parsed arguments ask for (``None``: off).

    Raises:
        ValueError: On out-of-range numbers.
    """
    if args.rate_limit is None:
        return None
    requests, per = args.rate_limit
    return ServerRateLimit(
        algorithm=args.algorithm, requests=requests, per=per, retry_after=args.retry_after
    )


async def serve(args: argparse.Namespace) -> None:
    """Serve the emulator the arguments describe until SIGINT or SIGTERM."""
    from aura_async.testing._server import AuraEmulator

    client_id = args.client_id or None
    credentials = None
    if client_id is not None or args.client_secret is not None:
        credentials = {client_id or "emulator": args.client_secret or "emulator-secret"}
    emulator = AuraEmulator(
        host=args.host,
        port=args.port,
        credentials=credentials,
        token_lifetime=args.token_lifetime,
        rate_limit=rate_limit_from_args(args),
        transition_delay=args.transition_delay,
        instance_limit=args.instance_limit,
        expired_token_status=args.expired_token_status,
        journal_max_entries=_JOURNAL_MAX_ENTRIES,
        evolve=args.evolve,
    )
    async with emulator:
        notes = [] if args.evolve is None else [f"evolve: {args.evolve}"]
        lines = banner_lines(emulator.environ, emulator.tenant_id, notes=notes)
        print("\n".join(lines), flush=True)
        await wait_for_stop_signal()


async def wait_for_stop_signal() -> None:
    """Return when the process gets SIGINT (Ctrl+C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers: there Ctrl+C raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the standalone emulator; return the exit status."""
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
