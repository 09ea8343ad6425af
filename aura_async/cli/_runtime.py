"""What a parsed command runs with, and how an API command gets its client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import attrs

from aura_async._bulk import BulkProgress, BulkResult
from aura_async._client import AuraClient
from aura_async._lanes import LimiterStats
from aura_async.cli._connect import open_client
from aura_async.cli._errors import describe_error, is_rejected_credential
from aura_async.cli._output import Output
from aura_async.cli._settings import Settings
from aura_async.cli._tally import BulkTally

__all__ = ["Action", "Api", "Runtime", "api_action", "limiter_line", "report_failures", "run_bulk"]

R = TypeVar("R")

EMULATOR_NOTE = (
    "--emulator: this command runs against a fresh embedded emulator, gone when it ends; "
    "'aura-async emulator' keeps one running."
)


@attrs.frozen
class Runtime:
    """What every command runs with.

    Attributes:
        settings: The parsed shared options.
        out: Where results, notes and errors go.
        environ: The environment (credentials not given as flags).
    """

    settings: Settings
    out: Output
    environ: Mapping[str, str]


@attrs.frozen
class Api:
    """What an API command runs with: an open client, the output and the options."""

    client: AuraClient
    out: Output
    settings: Settings


Action: TypeAlias = Callable[[Runtime], Coroutine[Any, Any, int]]
"""A parsed command, ready to run: returns the exit code."""


def api_action(call: Callable[[Api], Coroutine[Any, Any, int]]) -> Action:
    """Return an action that opens the client (or the emulator), runs ``call``, closes it.

    Args:
        call: The command's work; returns the exit code.

    Returns:
        The action.
    """

    async def run(runtime: Runtime) -> int:
        async with open_client(runtime.settings, runtime.environ) as client:
            if runtime.settings.emulator:
                runtime.out.note(EMULATOR_NOTE)
            try:
                return await call(Api(client=client, out=runtime.out, settings=runtime.settings))
            finally:
                if runtime.settings.verbose and not client.closed:
                    runtime.out.note(limiter_line(await client.limiter_stats()))

    return run


async def run_bulk(
    api: Api,
    description: str,
    fn: Callable[[str], Awaitable[R]],
    ids: Sequence[str],
    *,
    item_key: str = "id",
) -> list[BulkResult[str, R]]:
    """Run ``fn`` over the ids (each once) as one bulk operation with a progress bar.

    If it is interrupted (Ctrl-C), it first reports which ids were done, which were
    sent (and may still take effect) and which were not sent, then re-raises.

    Args:
        api: The client and output.
        description: What is being done, for the progress bar.
        fn: The operation on one id.
        ids: The ids, in the order given; repeats are dropped.
        item_key: The JSON key of the id in the report of an interruption.

    Returns:
        One result per distinct id, in order.
    """
    tally = BulkTally(list(dict.fromkeys(ids)))
    try:
        with api.out.progress(description, len(tally.ids)) as show:

            def on_progress(progress: BulkProgress) -> None:
                tally.finish(progress.result)
                show(progress)

            return await api.client.map(
                tally.track(fn),
                tally.ids,
                concurrency=api.settings.concurrency,
                on_progress=on_progress,
            )
    except asyncio.CancelledError:
        api.out.interrupted(tally, item_key)  # after the bar is gone
        raise


def limiter_line(stats: LimiterStats | None) -> str:
    """Describe the limiter in one line (what ``--verbose`` shows at the end of a command)."""
    if stats is None:
        return "limiter: off (no client-side rate limit)"
    parts = [
        f"limiter: {stats.sends_in_window} of {stats.limit} sends in the {stats.per:g}s window",
        f"queued {stats.queued_interactive} interactive, {stats.queued_bulk} bulk",
        f"429s {stats.rejections}, re-sends {stats.resends}, "
        f"admission timeouts {stats.admission_timeouts}",
    ]
    if stats.cooldown_remaining > 0:
        parts.append(f"cooldown {stats.cooldown_remaining:.1f}s left")
    if stats.paced:
        parts.append("paced")
    if stats.ramping:
        parts.append("ramping up")
    return "; ".join(parts)


def report_failures(out: Output, results: Sequence[BulkResult[str, Any]]) -> int:
    """Show each failed id's error on stderr; return the exit code (0: none failed).

    A rejected credential fails every id the same way, so it is shown once.
    """
    failures = [(result.item, result.error) for result in results if result.error is not None]
    for _, error in failures:
        if is_rejected_credential(error):
            out.error(describe_error(error))
            return 1
    for item, error in failures:
        out.error(f"{item}: {describe_error(error)}")
    return 1 if failures else 0
