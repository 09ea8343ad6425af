"""``aura-async emulator``: keep one emulator running for many commands, until Ctrl-C."""

from __future__ import annotations

from aura_async.cli._connect import seeded_emulator
from aura_async.cli._runtime import Action, Runtime
from aura_async.testing.__main__ import wait_for_stop_signal
from aura_async.testing._banner import banner_lines

__all__ = ["KEEP_NOTE", "emulator_action"]

KEEP_NOTE = (
    "Paste the export lines above into another shell: aura-async commands there "
    "(without --emulator) and AuraClient.from_env() use this emulator."
)


def emulator_action(port: int) -> Action:
    """Return the action serving a seeded emulator on ``port`` until SIGINT or SIGTERM.

    Args:
        port: The port on 127.0.0.1; 0 picks a free one.

    Returns:
        The action; it prints the banner's ``export`` lines on stdout and exits 0.
    """

    async def run(runtime: Runtime) -> int:
        async with seeded_emulator(port) as (emulator, _):
            lines = banner_lines(emulator.environ, emulator.tenant_id)
            runtime.out.stdout.file.write("\n".join(lines) + "\n")
            runtime.out.stdout.file.flush()
            runtime.out.note(KEEP_NOTE)
            await wait_for_stop_signal()
        return 0

    return run
