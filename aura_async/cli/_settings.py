"""What the command line was asked, beyond the command itself: output, credentials, mode."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from aura_async._bulk import DEFAULT_CONCURRENCY
from aura_async._client import DEFAULT_BASE_URL
from aura_async.cli._errors import CREDENTIALS_HINT, CommandError

__all__ = ["Credentials", "Settings"]

# The SDK's own default: polls count against the rate limit of 125 a minute.
DEFAULT_POLL_INTERVAL = 10.0
# The embedded emulator finishes its transitions in a fraction of a second.
EMULATOR_POLL_INTERVAL = 0.25


@attrs.frozen
class Credentials:
    """An API credential and the API origin it is for.

    Attributes:
        client_id: The API client id.
        client_secret: The API client secret (never shown).
        base_url: The API origin.
    """

    client_id: str
    client_secret: str = attrs.field(repr=False)
    base_url: str = DEFAULT_BASE_URL


@attrs.define
class Settings:
    """The options shared by every command, filled in while the command line is parsed.

    The options may be given before or after the command's name; a flag set at either
    place counts.

    Attributes:
        json: Machine output: JSON on stdout and nothing else.
        debug: Full tracebacks and DEBUG logging on stderr.
        verbose: The client's INFO records (retries, cooldowns, token fetches) on stderr.
        emulator: Run against an embedded emulator instead of the API.
        client_id: From ``--client-id`` (else ``AURA_CLIENT_ID``).
        client_secret: From ``--client-secret`` (else ``AURA_CLIENT_SECRET``).
        base_url: From ``--base-url`` (else ``AURA_BASE_URL``, else the Aura API).
        concurrency: Most operations in flight at once in a bulk command.
    """

    json: bool = False
    debug: bool = False
    verbose: bool = False
    emulator: bool = False
    client_id: str | None = None
    client_secret: str | None = attrs.field(default=None, repr=False)
    base_url: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY

    def credentials(self, environ: Mapping[str, str]) -> Credentials:
        """Return the credential to use: the flags first, then the environment.

        Args:
            environ: The environment (``AURA_CLIENT_ID``, ``AURA_CLIENT_SECRET``,
                ``AURA_BASE_URL``).

        Returns:
            The credential and API origin.

        Raises:
            CommandError: The client id or secret is given nowhere.
        """
        client_id = self.client_id or environ.get("AURA_CLIENT_ID")
        secret = self.client_secret or environ.get("AURA_CLIENT_SECRET")
        if not client_id or not secret:
            missing = "client id" if not client_id else "client secret"
            missing = "client id and secret" if not client_id and not secret else missing
            raise CommandError(f"no {missing} given: {CREDENTIALS_HINT}")
        base_url = self.base_url or environ.get("AURA_BASE_URL") or DEFAULT_BASE_URL
        return Credentials(client_id, secret, base_url)

    def check_mode(self) -> None:
        """Refuse credential flags together with ``--emulator``.

        Raises:
            CommandError: Both were given.
        """
        given = self.client_id or self.client_secret or self.base_url
        if self.emulator and given:
            raise CommandError(
                "--emulator runs against an embedded emulator: "
                "drop --client-id/--client-secret/--base-url"
            )

    def poll_interval(self, asked: float | None) -> float:
        """Return the poll interval of waits: ``asked``, else a default for the mode."""
        if asked is not None:
            return asked
        return EMULATOR_POLL_INTERVAL if self.emulator else DEFAULT_POLL_INTERVAL
