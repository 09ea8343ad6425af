"""``AuraEmulator``: the emulated Aura API served on a local port."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from aiohttp import web

from aura_async.testing._app import DEFAULT_RATE_LIMIT, build_app
from aura_async.testing._auth import TokenAuthority
from aura_async.testing._banner import environ_of
from aura_async.testing._evolve import Evolution
from aura_async.testing._faults import Fault, FaultScript
from aura_async.testing._journal import Journal
from aura_async.testing._ratelimit import ServerRateLimit
from aura_async.testing._state import EmulatorState

# In-flight requests (e.g. held by a latency fault) get this long to finish on close;
# a test server has nobody to be graceful to.
_SHUTDOWN_TIMEOUT = 0.25


class AuraEmulator:
    """A stateful emulator of the Aura API, served over HTTP on ``host:port``.

    Use it as ``async with AuraEmulator() as emu:`` and point a client at
    ``emu.url`` with ``emu.client_id`` / ``emu.client_secret``.

    Args:
        host: The interface to listen on.
        port: The port; 0 picks a free one (read it back from :attr:`url`).
        credentials: ``client_id -> client_secret`` accepted at ``/oauth/token``;
            default: one random pair.
        token_lifetime: Seconds an access token stays valid.
        rate_limit: The per-credential rate limit, or ``None`` for none.
        transition_delay: Seconds until a status transition (``creating ->
            running``, ...) completes; ``None``: only :meth:`settle` completes them.
        instance_limit: Instances a project may hold before creation answers 405.
        seed: Create one demo project (its id in :attr:`tenant_id`).
        expired_token_status: What an expired token gets: 401 (practice) or 403 (docs).
        clock: The monotonic clock of tokens, rate limit, journal and transitions;
            tests pass a manual clock to step time exactly.
        journal_max_entries: Keep only this many journal entries (``None``: all).
        api_expires: Announce that this API version is deprecated: every answer
            carries ``X-Tyk-Api-Expires`` with this date, as the real gateway does.
        evolve: Evolution mode, with this seed: answer as a later API may, with unknown
            fields, new catalogue values, non-identity fields dropped, nulled or of
            another type, timestamps in other forms and list items without an id (the
            state, identities, statuses and one-time passwords are untouched).
            ``None``: answer as the spec says.

    Raises:
        ValueError: On invalid settings.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        token_lifetime: float = 3600.0,
        rate_limit: ServerRateLimit | None = DEFAULT_RATE_LIMIT,
        transition_delay: float | None = 0.05,
        instance_limit: int = 50,
        seed: bool = True,
        expired_token_status: int = 401,
        clock: Callable[[], float] = time.monotonic,
        journal_max_entries: int | None = None,
        api_expires: str | None = None,
        evolve: int | None = None,
    ) -> None:
        self._host, self._port = host, port
        self.authority = TokenAuthority(
            credentials,
            token_lifetime=token_lifetime,
            expired_token_status=expired_token_status,
            clock=clock,
        )
        self.client_id = self.authority.client_ids[0]
        """The first accepted client id; its secret is :attr:`client_secret`."""
        self._client_secret = self.authority.secret_of(self.client_id)
        self.rate_limit = rate_limit
        """The per-credential rate limit the emulator enforces (``None``: none)."""
        self.journal = Journal(journal_max_entries)
        """Every request received, in order: what the tests assert on."""
        self.faults = FaultScript()
        """The faults waiting to be injected (add them with :meth:`inject`)."""
        self.state = EmulatorState(
            transition_delay=transition_delay, instance_limit=instance_limit, clock=clock
        )
        self.tenant_id: str | None = self.state.seed_demo() if seed else None
        """The demo project's id (``None`` if not ``seed``)."""
        self.evolve = evolve
        """The evolution mode's seed (``None``: answers as the spec says)."""
        self.app = build_app(
            self.state,
            authority=self.authority,
            rate_limit=rate_limit,
            journal=self.journal,
            faults=self.faults,
            clock=clock,
            evolution=None if evolve is None else Evolution(evolve),
        )
        if api_expires is not None:
            self.app.on_response_prepare.append(_expiry_announcer(api_expires))
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<AuraEmulator {where} client_id={self.client_id!r}>"

    @property
    def client_secret(self) -> str:
        """The secret of :attr:`client_id` (never shown in reprs)."""
        return self._client_secret

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:PORT`` (no ``/v1``).

        Raises:
            RuntimeError: If the emulator is not serving.
        """
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def environ(self) -> dict[str, str]:
        """The environment variables that point ``AuraClient.from_env()`` at this emulator.

        ``AURA_CLIENT_ID``, ``AURA_CLIENT_SECRET`` and ``AURA_BASE_URL``, e.g. for a
        subprocess's ``env`` or ``monkeypatch.setenv``. Holds the secret: do not log it.

        Raises:
            RuntimeError: If the emulator is not serving.
        """
        return environ_of(url=self.url, client_id=self.client_id, client_secret=self.client_secret)

    async def start(self) -> str:
        """Start serving; return :attr:`url`.

        Raises:
            RuntimeError: If it is already serving.
            OSError: If the address cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._url = _base_url(self._host, runner.addresses[0][1])
        return self._url

    async def close(self) -> None:
        """Stop serving (idempotent); state and journal stay readable."""
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> AuraEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def settle(self) -> None:
        """Complete every pending status transition now."""
        self.state.settle()

    def expire_tokens(self, client_id: str | None = None) -> None:
        """Make every issued token (of ``client_id``, if given) expired from now."""
        self.authority.expire_tokens(client_id)

    def revoke(self, client_id: str) -> None:
        """Stop accepting ``client_id``'s credentials and reject its issued tokens."""
        self.authority.revoke(client_id)

    def add_credentials(
        self, client_id: str | None = None, client_secret: str | None = None
    ) -> tuple[str, str]:
        """Accept another credential pair (random parts where not given).

        Returns:
            ``(client_id, client_secret)``.

        Raises:
            ValueError: If ``client_id`` is empty or contains ``:``.
        """
        return self.authority.add_credentials(client_id, client_secret)

    def inject(self, fault: Fault) -> Fault:
        """Add ``fault`` to the fault script; return it."""
        return self.faults.inject(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _expiry_announcer(
    date: str,
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def announce(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Tyk-Api-Expires"] = date

    return announce
